// The station 56 migration CLI, run as real processes in temp copies of examples/station-56.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'vitest';
import { copyExample, editJson, exists, readJson, runNode, treeDigests } from './example-repo.js';

const CLI = 'tools/migration/cli.js';
const CANDIDATE = 'storage_candidate/v1';
const _PLAN = 'plans/station-56-cutover.yaml';
const cli = (repo: string, args: string[], env: Record<string, string> = {}) => runNode(repo, CLI, args, env);

interface Finding {
  severity: string;
  check: string;
  code: string;
  module: string | null;
}

describe.concurrent('station-56 migration CLI', () => {
  test('dry-run finds no BLOCKER and warns until source writes are frozen', async ({ expect, onTestFinished }) => {
    const repo = copyExample('station-56', onTestFinished);
    const first = await cli(repo, ['dry-run']);
    expect(first.code).toBe(0);
    const summary = readJson(repo, 'storage_reports/latest-dry-run/summary.json');
    expect(summary.counts).toEqual({ BLOCKER: 0, WARNING: 1, INFO: 3 });
    expect(summary.findings.map((f: Finding) => f.code)).toEqual(
      expect.arrayContaining(['SOURCE_WRITES_OPEN', 'COLUMN_DROPPED', 'EMAIL_NORMALISED']),
    );
    expect(summary.order).toEqual(['dozenten', 'kurse', 'teilnehmer', 'buchungen']);
    expect(summary.modules.buchungen).toEqual({ records: 48, sourceRows: 48, sourceTable: 'buchungen' });

    expect((await cli(repo, ['maintenance', 'on'])).code).toBe(0);
    expect((await cli(repo, ['dry-run'])).code).toBe(0);
    expect(readJson(repo, 'storage_reports/latest-dry-run/summary.json').counts).toEqual({ BLOCKER: 0, WARNING: 0, INFO: 3 });
  });

  test('dry-run reports a broken mapping and an orphaned reference as BLOCKERs; migrate refuses them', async ({
    expect,
    onTestFinished,
  }) => {
    const repo = copyExample('station-56', onTestFinished);
    editJson(repo, 'migration/mapping/kurse.json', (m) => {
      m.fields.find((f: { name: string }) => f.name === 'maxTeilnehmer').from = 'max_teilnehmer';
    });
    editJson(repo, 'modules/shared/api/db/seed/buchungen.json', (rows) => {
      rows[0].teilnehmer_id = 9999;
    });
    const dry = await cli(repo, ['dry-run']);
    expect(dry.code).toBe(0);
    const summary = readJson(repo, 'storage_reports/latest-dry-run/summary.json');
    const blockers = summary.findings.filter((f: Finding) => f.severity === 'BLOCKER');
    expect(blockers).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'COLUMN_MISSING', module: 'kurse' }),
        expect.objectContaining({ code: 'FK_ORPHAN', module: 'buchungen' }),
        // max_tn is no longer mapped, so the legacy column is flagged too
      ]),
    );
    expect(summary.counts.BLOCKER).toBe(blockers.length);
    expect(summary.ok).toBe(false);

    const migrate = await cli(repo, ['migrate']);
    expect(migrate.code).toBe(1);
    expect(migrate.stderr).toMatch(/refused/);
    expect(exists(repo, 'storage_candidate')).toBe(false);
  });

  test('migrate writes per-module records and checksums, and scan-all finds it clean', async ({ expect, onTestFinished }) => {
    const repo = copyExample('station-56', onTestFinished);
    const migrate = await cli(repo, ['migrate'], { MIGRATE_RUN_ID: 'gh-42-1' });
    expect(migrate.code).toBe(0);
    const run = readJson(repo, `${CANDIDATE}/checksums/run.json`);
    expect(run.runId).toBe('gh-42-1');
    expect(run.order).toEqual(['dozenten', 'kurse', 'teilnehmer', 'buchungen']);
    for (const module of run.order) {
      const merkle = readJson(repo, `${CANDIDATE}/${module}/checksums/merkle.json`);
      expect(run.modules[module].root).toBe(merkle.root);
      expect(Object.keys(merkle.files)).toContain('meta.json');
    }
    expect(run.modules.teilnehmer.records).toBe(24);
    const teilnehmer = readJson(repo, `${CANDIDATE}/teilnehmer/records/0001.json`);
    expect(teilnehmer[0]).toEqual({
      email: expect.stringMatching(/^[0-9a-f]{16}@masked\.invalid$/),
      erstelltAm: '2026-06-03',
      id: 1001,
      nachname: expect.stringMatching(/^anon:[0-9a-f]{16}$/),
      telefon: expect.stringMatching(/^anon:[0-9a-f]{16}$/),
      vorname: expect.stringMatching(/^anon:[0-9a-f]{16}$/),
    });

    const scan = await cli(repo, ['scan-all']);
    expect(scan.code).toBe(0);
    const summary = readJson(repo, 'storage_reports/latest-scan/summary.json');
    expect(summary.counts).toEqual({ BLOCKER: 0, WARNING: 0 });
    expect(Object.keys(summary.checks).sort()).toEqual(['checksums', 'foreignKeys', 'invariants', 'layout', 'merkle', 'pii', 'schema']);
    expect(summary.root).toBe(run.root);
  });

  test('two migrates with the same MIGRATE_RUN_ID in fresh copies are byte-identical', async ({ expect, onTestFinished }) => {
    const [a, b, c] = [1, 2, 3].map(() => copyExample('station-56', onTestFinished)) as [string, string, string];
    const results = await Promise.all([
      cli(a, ['migrate'], { MIGRATE_RUN_ID: 'run-7' }),
      cli(b, ['migrate'], { MIGRATE_RUN_ID: 'run-7' }),
      cli(c, ['migrate'], { MIGRATE_RUN_ID: 'run-8' }),
    ]);
    expect(results.map((r) => r.code)).toEqual([0, 0, 0]);
    const first = treeDigests(path.join(a, CANDIDATE));
    expect(treeDigests(path.join(b, CANDIDATE))).toEqual(first);
    // The run id is recorded in run.json only; every module's bytes stay the same.
    const other = treeDigests(path.join(c, CANDIDATE));
    const differing = Object.keys(first).filter((file) => first[file] !== other[file]);
    expect(differing).toEqual(['checksums/run.json']);
  });

  test('MIGRATE_FAIL_AFTER_MODULE=kurse exits 1 and leaves nothing behind', async ({ expect, onTestFinished }) => {
    const repo = copyExample('station-56', onTestFinished);
    const drill = await cli(repo, ['migrate'], { MIGRATE_FAIL_AFTER_MODULE: 'kurse' });
    expect(drill.code).toBe(1);
    expect(drill.stderr).toMatch(/injected failure after module kurse/);
    expect(exists(repo, CANDIDATE)).toBe(false);
    expect(exists(repo, 'storage_candidate')).toBe(false);

    // Over an existing candidate, the failed run leaves the old one exactly as it was.
    expect((await cli(repo, ['migrate'])).code).toBe(0);
    const before = treeDigests(path.join(repo, CANDIDATE));
    expect((await cli(repo, ['migrate'], { MIGRATE_FAIL_AFTER_MODULE: 'kurse', MIGRATE_RUN_ID: 'other' })).code).toBe(1);
    expect(treeDigests(path.join(repo, CANDIDATE))).toEqual(before);
    expect(treeDigests(path.join(repo, 'storage_candidate'))).toEqual(
      Object.fromEntries(Object.entries(before).map(([f, d]) => [`v1/${f}`, d])),
    );

    // A drill naming no module would silently succeed: refused as an input error.
    expect((await cli(repo, ['migrate'], { MIGRATE_FAIL_AFTER_MODULE: 'kurs' })).code).toBe(2);
  });

  test('flip, smoke and flip --previous switch the live storage and back', async ({ expect, onTestFinished }) => {
    const repo = copyExample('station-56', onTestFinished);
    expect(readJson(repo, 'storage_live.json')).toEqual({ target: 'storage_previous/v0' });
    const smokeBefore = await cli(repo, ['smoke']);
    expect(smokeBefore.code).toBe(0);
    expect(smokeBefore.stdout).toMatch(/smoke: ok, storage_previous\/v0 \(runId run-v0/);

    expect((await cli(repo, ['migrate'], { MIGRATE_RUN_ID: 'run-flip' })).code).toBe(0);
    expect((await cli(repo, ['flip'])).code).toBe(0);
    expect(readJson(repo, 'storage_live.json')).toEqual({ target: CANDIDATE });
    expect(readJson(repo, 'storage_live.previous.json')).toEqual({ target: 'storage_previous/v0' });
    expect((await cli(repo, ['smoke'])).stdout).toMatch(/smoke: ok, storage_candidate\/v1 \(runId run-flip/);
    expect((await cli(repo, ['scan-all', '--live'])).code).toBe(0);
    expect(readJson(repo, 'storage_reports/latest-live-scan/summary.json')).toMatchObject({
      storage: CANDIDATE,
      counts: { BLOCKER: 0, WARNING: 0 },
    });
    const again = await cli(repo, ['flip']);
    expect(again.stdout).toMatch(/already live/);
    expect(readJson(repo, 'storage_live.previous.json')).toEqual({ target: 'storage_previous/v0' });

    expect((await cli(repo, ['flip', '--previous'])).code).toBe(0);
    expect(readJson(repo, 'storage_live.json')).toEqual({ target: 'storage_previous/v0' });
    expect((await cli(repo, ['flip', '--previous'])).code).toBe(0);
    expect(readJson(repo, 'storage_live.json')).toEqual({ target: 'storage_previous/v0' });
    // The re-pointed file has the committed bytes again: a rolled-back run leaves no diff.
    expect(readFileSync(path.join(repo, 'storage_live.json'), 'utf8')).toBe('{\n  "target": "storage_previous/v0"\n}\n');
    expect((await cli(repo, ['smoke'])).code).toBe(0);
  });

  test('flip --previous without a recorded flip changes nothing', async ({ expect, onTestFinished }) => {
    const repo = copyExample('station-56', onTestFinished);
    const result = await cli(repo, ['flip', '--previous']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/no previous storage recorded/);
    expect(readJson(repo, 'storage_live.json')).toEqual({ target: 'storage_previous/v0' });
  });

  test('a corrupted candidate file makes scan-all report a BLOCKER and flip refuse', async ({ expect, onTestFinished }) => {
    const repo = copyExample('station-56', onTestFinished);
    expect((await cli(repo, ['migrate'])).code).toBe(0);
    const page = path.join(repo, CANDIDATE, 'kurse/records/0001.json');
    writeFileSync(page, readFileSync(page, 'utf8').replace('"maxTeilnehmer": 12', '"maxTeilnehmer": 13'));

    const scan = await cli(repo, ['scan-all']);
    expect(scan.code).toBe(1);
    const summary = readJson(repo, 'storage_reports/latest-scan/summary.json');
    expect(summary.counts.BLOCKER).toBeGreaterThan(0);
    expect(summary.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ severity: 'BLOCKER', code: 'CHECKSUM_MISMATCH', module: 'kurse' }),
        expect.objectContaining({ severity: 'BLOCKER', code: 'MODULE_ROOT_MISMATCH', module: 'kurse' }),
      ]),
    );
    expect(summary.checks.checksums.BLOCKER).toBeGreaterThan(0);

    const flip = await cli(repo, ['flip']);
    expect(flip.code).toBe(1);
    expect(flip.stderr).toMatch(/module kurse does not match its recorded root/);
    expect(readJson(repo, 'storage_live.json')).toEqual({ target: 'storage_previous/v0' });
  });

  test('a candidate built from an unapproved mapping leaks personal data and scan-all blocks it', async ({ expect, onTestFinished }) => {
    const repo = copyExample('station-56', onTestFinished);
    const mappingFile = path.join(repo, 'migration/mapping/teilnehmer.json');
    const approved = readFileSync(mappingFile, 'utf8');
    editJson(repo, 'migration/mapping/teilnehmer.json', (m) => {
      delete m.fields.find((f: { name: string }) => f.name === 'email').pii;
    });
    expect((await cli(repo, ['migrate'])).code).toBe(0);
    writeFileSync(mappingFile, approved);

    const scan = await cli(repo, ['scan-all']);
    expect(scan.code).toBe(1);
    const { findings, checks } = readJson(repo, 'storage_reports/latest-scan/summary.json');
    const codes = new Set(findings.map((f: Finding) => `${f.severity} ${f.code}`));
    expect(codes).toEqual(new Set(['BLOCKER PII_NOT_MASKED', 'BLOCKER PII_RAW_VALUE', 'WARNING MAPPING_REVISION']));
    expect(checks.pii.BLOCKER).toBe(48);
    expect(checks.checksums).toEqual({ BLOCKER: 0, WARNING: 0 });
  });

  test('the committed previous storage is what migrate builds as of 2026-08-31', async ({ expect, onTestFinished }) => {
    const repo = copyExample('station-56', onTestFinished);
    const rebuild = await cli(repo, ['migrate', '--out', 'storage_rebuild/v0', '--as-of', '2026-08-31', '--run-id', 'run-v0']);
    expect(rebuild.code).toBe(0);
    expect(treeDigests(path.join(repo, 'storage_rebuild/v0'))).toEqual(treeDigests(path.join(repo, 'storage_previous/v0')));
  });

  test('clean removes the candidate and the latest reports, and nothing else', async ({ expect, onTestFinished }) => {
    const repo = copyExample('station-56', onTestFinished);
    for (const dir of [
      `${CANDIDATE}/kurse`,
      'storage_candidate/.v1.partial',
      'storage_reports/latest-scan',
      'storage_reports/previous-scan',
    ]) {
      mkdirSync(path.join(repo, dir), { recursive: true });
      writeFileSync(path.join(repo, dir, 'x.json'), '{}\n');
    }
    expect((await cli(repo, ['clean', '--candidate-only'])).code).toBe(0);
    expect(exists(repo, 'storage_candidate')).toBe(false);
    expect(exists(repo, 'storage_reports/latest-scan/x.json')).toBe(true);
    expect((await cli(repo, ['clean'])).code).toBe(0);
    expect(exists(repo, 'storage_reports/latest-scan')).toBe(false);
    expect(exists(repo, 'storage_reports/previous-scan/x.json')).toBe(true);
    expect(exists(repo, 'storage_previous/v0/checksums/run.json')).toBe(true);
  });
});
