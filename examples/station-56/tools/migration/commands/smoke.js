// smoke: read-only check of the critical read paths through the live pointer: every module
// loads, counts match, and every booking resolves its course and participant.
import { join } from 'node:path';
import { LIVE_POINTER, readPointer } from '../lib/pointer.js';
import { readJson, readModuleRecords } from '../lib/storage.js';

// Loads the live storage the way the application does; exit 1 on the first broken path.
export function smoke(options, io) {
  const storage = readPointer(LIVE_POINTER);
  if (storage === null) throw new Error(`${LIVE_POINTER} is missing: nothing is live`);
  const fail = (message) => {
    io.stderr.write(`smoke: FAILED ${storage}: ${message}\n`);
    return 1;
  };
  const { value: run, error } = readJson(join(storage, 'checksums', 'run.json'));
  if (error) return fail(`checksums/run.json: ${error}`);
  const data = {};
  for (const module of run.order ?? []) {
    const { value: meta, error: metaError } = readJson(join(storage, module, 'meta.json'));
    if (metaError) return fail(`${module}/meta.json: ${metaError}`);
    try {
      data[module] = readModuleRecords(join(storage, module), meta.pages);
    } catch (readError) {
      return fail(readError.message);
    }
    if (data[module].length !== meta.records) return fail(`${module}: ${data[module].length} records, meta.json says ${meta.records}`);
    io.stdout.write(`  load ${module.padEnd(12)} ${String(meta.records).padStart(5)} records ok\n`);
  }
  // The booking overview: a booking with its course, the course's teacher and the participant.
  const byId = (module) => new Map((data[module] ?? []).map((r) => [r.id, r]));
  const kurse = byId('kurse');
  const dozenten = byId('dozenten');
  const teilnehmer = byId('teilnehmer');
  for (const b of data.buchungen ?? []) {
    const kurs = kurse.get(b.kursId);
    if (!kurs) return fail(`buchung ${b.id}: kurs ${b.kursId} not found`);
    if (!dozenten.get(kurs.dozentId)) return fail(`kurs ${kurs.id}: dozent ${kurs.dozentId} not found`);
    if (!teilnehmer.get(b.teilnehmerId)) return fail(`buchung ${b.id}: teilnehmer ${b.teilnehmerId} not found`);
  }
  io.stdout.write(`  path buchungen -> kurse -> dozenten, teilnehmer: ${(data.buchungen ?? []).length} bookings resolved\n`);
  io.stdout.write(`smoke: ok, ${storage} (runId ${run.runId}, root ${run.root})\n`);
  return 0;
}
