// migrate: builds the candidate storage from the source through the mappings. Refuses (exit 1,
// nothing written) when the records would break a check; MIGRATE_FAIL_AFTER_MODULE=<module>
// fails on purpose after writing that module, leaving nothing behind.
import { openSourceDb } from '../../../modules/shared/api/db/index.js';
import { checkForeignKeys, checkInvariants, checkSchema } from '../lib/checks.js';
import { loadMappings } from '../lib/mapping.js';
import { CANDIDATE } from '../lib/paths.js';
import { assertInside } from '../lib/pointer.js';
import { buildModules } from '../lib/source.js';
import { InjectedFailure, writeStorage } from '../lib/storage.js';

// Runs the migration into options.out (default storage_candidate/v1).
export async function migrate(options, io) {
  const out = options.out ?? CANDIDATE;
  assertInside(out, '--out');
  const runId = options.runId ?? io.env.MIGRATE_RUN_ID ?? 'run-local';
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(runId)) throw new Error(`run id ${JSON.stringify(runId)} must match ^[A-Za-z0-9._-]{1,64}$`);
  const mappings = loadMappings();
  const failAfterModule = io.env.MIGRATE_FAIL_AFTER_MODULE || null;
  if (failAfterModule && !mappings.some((m) => m.module === failAfterModule)) {
    throw new Error(`MIGRATE_FAIL_AFTER_MODULE=${failAfterModule} names no module (${mappings.map((m) => m.module).join(', ')})`);
  }
  const db = await openSourceDb();
  let modules;
  let findings;
  try {
    ({ modules, findings } = buildModules(db, mappings, { asOf: options.asOf }));
  } finally {
    db.close();
  }
  for (const [module, { mapping, records }] of modules) findings.push(...checkSchema(module, mapping, records));
  findings.push(...checkForeignKeys(modules), ...checkInvariants(modules));
  const blockers = findings.filter((f) => f.severity === 'BLOCKER');
  if (blockers.length > 0) {
    for (const f of blockers) io.stderr.write(`  BLOCKER ${f.check}/${f.code} ${f.module}: ${f.message}\n`);
    io.stderr.write(`migrate: refused, ${blockers.length} BLOCKER finding(s); nothing written (see dry-run)\n`);
    return 1;
  }
  try {
    const run = writeStorage(out, modules, { runId, asOf: options.asOf, failAfterModule });
    for (const module of run.order) io.stdout.write(`  ${module.padEnd(12)} ${String(run.modules[module].records).padStart(5)} records  ${run.modules[module].root}\n`);
    io.stdout.write(`migrate: wrote ${out} (runId ${runId}, root ${run.root})\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof InjectedFailure)) throw error;
    io.stderr.write(`migrate: ${error.message}; nothing written to ${out}\n`);
    return 1;
  }
}
