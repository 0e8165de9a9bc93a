// migration-dry-run: preflight, migrate in memory, verify the replay, and write a deterministic
// artifact whatever the outcome (a failed dry-run is captured too); exit 1 when not ok.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { canonicalJson, digestOf, writeJsonAtomic } from '../lib/json.mjs';
import { applyMigration, verifyReplay } from '../lib/migration.mjs';
import { display, preflight } from '../lib/preflight.mjs';

export const DRY_RUN_VERSION = 'cicsc/migration-dry-run-v1';

// Writes the dry-run artifact to --artifact.
export function migrationDryRun(options, io) {
  const pre = preflight(options);
  let migrated = null;
  let replayResult = null;
  if (pre.report.ok) {
    try {
      migrated = applyMigration(pre.migration, pre.events);
      replayResult = verifyReplay({ from: pre.from, to: pre.to, migration: pre.migration, source: pre.events, migrated });
    } catch (error) {
      replayResult = { errors: [error.message], ok: false };
    }
  }
  const artifact = {
    dropped_events: replayResult?.dropped_events ?? null,
    from_version: pre.from?.version ?? null,
    migrated_digest: migrated && replayResult.ok ? digestOf(canonicalJson(migrated)) : null,
    migrated_events: migrated && replayResult.ok ? migrated.events.length : null,
    migration: options.migration,
    ok: pre.report.ok && replayResult.ok,
    preflight: pre.report,
    replay: replayResult ?? { errors: ['skipped: preflight failed'], ok: false, skipped: true },
    source_digest: fileDigest(options.events),
    source_events: pre.report.events.count,
    to_version: pre.to?.version ?? null,
    version: DRY_RUN_VERSION,
  };
  writeJsonAtomic(options.artifact, artifact);
  io.stdout.write(canonicalJson({ artifact: display(options.artifact), migrated_events: artifact.migrated_events, ok: artifact.ok, source_events: artifact.source_events }));
  return artifact.ok ? 0 : 1;
}

function fileDigest(path) {
  try {
    return `sha256:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
  } catch {
    return null;
  }
}
