// migration-rollback: inverts a migration on a migrated history, only for the reversible subset
// (no dropped events, no payload transforms, injective event and state mappings). Otherwise it
// refuses with every reason (exit 3) and writes nothing; the current history is never touched.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { findMigration, validateBundle } from '../lib/bundle.mjs';
import { checkIntegrity } from '../lib/history.mjs';
import { canonicalJson, digestOf, InputError, readJson, writeJsonAtomic } from '../lib/json.mjs';
import { analyseReversibility, applyMigration, invertMigration } from '../lib/migration.mjs';
import { display } from '../lib/preflight.mjs';

// Rolls --events back through the inverse of --migration into --out-events (or, with --check,
// only says whether it could).
export function migrationRollback(options, io) {
  const bundle = readJson(options.to);
  const bundleErrors = validateBundle(bundle);
  if (bundleErrors.length > 0) throw new InputError(`${options.to}: ${bundleErrors.join('; ')}`);
  const migration = findMigration(bundle, options.migration);
  if (!migration) throw new InputError(`${options.to} has no migration ${options.migration}`);
  const { reversible, reasons } = analyseReversibility(migration);
  if (!reversible) {
    io.stdout.write(canonicalJson({ migration: migration.id, ok: false, reasons, reversible: false }));
    io.stderr.write(`migration-rollback: refused: ${migration.id} is not reversible: ${reasons.map((r) => r.message).join('; ')}; nothing written\n`);
    return 3;
  }
  if (options.check) {
    io.stdout.write(canonicalJson({ migration: migration.id, ok: true, reasons: [], reversible: true }));
    return 0;
  }
  if (!options.events || !options['out-events']) throw new InputError('--events and --out-events are required (or --check)');
  if (!existsSync(options.events) && options['if-present']) {
    io.stdout.write(canonicalJson({ migration: migration.id, ok: true, reversible: true, rolled_back: null, reason: `${display(options.events)} does not exist: nothing to roll back` }));
    return 0;
  }
  if (resolve(options['out-events']) === resolve(options.events)) throw new InputError('--out-events must not be --events: the current history is preserved');
  const history = readJson(options.events);
  const errors = checkIntegrity(history);
  if (history.version !== migration.to_version) errors.push(`history is version ${history.version}, ${migration.id} produces version ${migration.to_version}`);
  if (errors.length > 0) throw new InputError(`${options.events}: ${errors.join('; ')}`);
  const inverse = invertMigration(migration);
  const unknown = [...new Set(history.events.map((e) => e.type).filter((t) => !inverse.events[t]))];
  if (unknown.length > 0) throw new InputError(`${options.events}: event types ${unknown.join(', ')} are not produced by ${migration.id}`);
  const rolledBack = applyMigration(inverse, history);
  // The inverse is only trusted if migrating its output forward gives back the input exactly.
  if (canonicalJson(applyMigration(migration, rolledBack)) !== canonicalJson(history)) {
    io.stderr.write('migration-rollback: round trip does not reproduce the history; nothing written\n');
    return 1;
  }
  writeJsonAtomic(options['out-events'], rolledBack);
  io.stdout.write(canonicalJson({ digest: digestOf(canonicalJson(rolledBack)), events: rolledBack.events.length, migration: migration.id, ok: true, reversible: true, rolled_back: display(options['out-events']), version: rolledBack.version }));
  return 0;
}
