// The cutover's history steps, both only while tenant writes are paused:
// verify-replay (migrate in memory, replay both histories, compare states) and
// migrate-history (write the migrated, verified history to a new file).
import { resolve } from 'node:path';
import { canonicalJson, digestOf, InputError, writeJsonAtomic } from '../lib/json.mjs';
import { applyMigration, verifyReplay } from '../lib/migration.mjs';
import { display, preflight } from '../lib/preflight.mjs';
import { readTenant, requirePaused } from '../lib/tenant.mjs';

// Verifies the migration by replay; exit 1 on any mismatch.
export function verifyReplayCommand(options, io) {
  requirePaused(readTenant(options.state), 'verify-replay');
  const { pre, migrated, result } = migrateVerified(options);
  io.stdout.write(canonicalJson({ ...result, migration: pre.report.migration }));
  return migrated && result.ok ? 0 : 1;
}

// Writes the migrated history to --out (never over the source history).
export function migrateHistory(options, io) {
  requirePaused(readTenant(options.state), 'migrate-history');
  if (resolve(options.out) === resolve(options.events)) throw new InputError('--out must not be the source history (--events): history is never rewritten in place');
  const { pre, migrated, result } = migrateVerified(options);
  if (!migrated || !result.ok) {
    io.stdout.write(canonicalJson({ ...result, migration: pre.report.migration, written: null }));
    io.stderr.write('migrate-history: replay verification failed; nothing written\n');
    return 1;
  }
  writeJsonAtomic(options.out, migrated);
  io.stdout.write(canonicalJson({ digest: digestOf(canonicalJson(migrated)), events: migrated.events.length, migration: pre.report.migration, ok: true, version: migrated.version, written: display(options.out) }));
  return 0;
}

function migrateVerified(options) {
  const pre = preflight(options);
  if (!pre.report.ok) {
    const failed = Object.entries(pre.report.checks).filter(([, c]) => !c.ok).map(([name, c]) => `${name}: ${c.errors.join('; ')}`);
    return { pre, migrated: null, result: { errors: failed, ok: false } };
  }
  const migrated = applyMigration(pre.migration, pre.events);
  return { pre, migrated, result: verifyReplay({ from: pre.from, to: pre.to, migration: pre.migration, source: pre.events, migrated }) };
}
