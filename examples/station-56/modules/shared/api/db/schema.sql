-- Source system of station 56 (legacy course booking database).
-- References between tables are not enforced by the legacy schema;
-- the migration's dry-run and scan-all check them instead.

CREATE TABLE dozenten (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  email       TEXT NOT NULL,
  fachgebiet  TEXT,
  erstellt_am TEXT NOT NULL
);

CREATE TABLE kurse (
  id          INTEGER PRIMARY KEY,
  kurs_nr     TEXT NOT NULL,
  titel       TEXT NOT NULL,
  dozent_id   INTEGER,
  beginn      TEXT NOT NULL,
  max_tn      INTEGER NOT NULL,
  preis_cent  INTEGER NOT NULL,
  erstellt_am TEXT NOT NULL
);

CREATE TABLE teilnehmer (
  id          INTEGER PRIMARY KEY,
  vorname     TEXT NOT NULL,
  nachname    TEXT NOT NULL,
  email       TEXT NOT NULL,
  telefon     TEXT,
  notiz       TEXT,
  erstellt_am TEXT NOT NULL
);

CREATE TABLE buchungen (
  id            INTEGER PRIMARY KEY,
  kurs_id       INTEGER NOT NULL,
  teilnehmer_id INTEGER NOT NULL,
  status        TEXT NOT NULL,
  bezahlt       INTEGER NOT NULL,
  erstellt_am   TEXT NOT NULL
);
