// Migration preflight: the runbook's preconditions as named checks, each { ok, errors }.
import { relative, resolve, sep } from 'node:path';
import { findMigration, validateBundle } from './bundle.mjs';
import { checkIntegrity, replay } from './history.mjs';
import { readJson } from './json.mjs';
import { analyseReversibility, checkCoverage } from './migration.mjs';

// Runs every check; returns the report and what it loaded (for dry-run and the cutover commands).
export function preflight({ from: fromPath, to: toPath, events: eventsPath, migration: migrationId }) {
  const from = load(fromPath);
  const to = load(toPath);
  const events = load(eventsPath);
  const checks = {};
  checks.source_bundle_valid = result(from.error ? [from.error] : validateBundle(from.value));
  checks.target_bundle_valid = result(to.error ? [to.error] : validateBundle(to.value));
  const fromOk = checks.source_bundle_valid.ok;
  const toOk = checks.target_bundle_valid.ok;
  const migration = toOk ? findMigration(to.value, migrationId) : undefined;
  checks.migration_present = !toOk
    ? skipped('target bundle invalid')
    : result(migration ? [] : [`bundle version ${to.value.version} has no migration ${migrationId} (has: ${to.value.migrations.map((m) => m.id).join(', ') || 'none'})`]);
  checks.forward_only = !migration || !fromOk ? skipped('no migration or source bundle') : result(forwardErrors(migration, from.value, to.value));
  checks.migration_covers_source = !migration || !fromOk ? skipped('no migration or source bundle') : result(checkCoverage(migration, from.value, to.value));
  checks.history_integrity = result(events.error ? [events.error] : [...checkIntegrity(events.value), ...versionErrors(events.value, from.value, fromOk)]);
  checks.history_conforms = !fromOk || !checks.history_integrity.ok ? skipped('source bundle or history invalid') : result(replay(from.value, events.value).errors);
  const report = {
    checks,
    events: { count: Array.isArray(events.value?.events) ? events.value.events.length : null, path: display(eventsPath) },
    from: { path: display(fromPath), version: from.value?.version ?? null },
    migration: migrationId,
    ok: Object.values(checks).every((c) => c.ok),
    // Informational: whether migration-rollback could invert this migration later.
    rollback: migration ? analyseReversibility(migration) : null,
    to: { path: display(toPath), version: to.value?.version ?? null },
  };
  return { report, from: from.value, to: to.value, migration, events: events.value };
}

function forwardErrors(migration, from, to) {
  const errors = [];
  if (!(migration.from_version < migration.to_version)) errors.push(`not forward: from_version ${migration.from_version} is not below to_version ${migration.to_version}`);
  if (migration.from_version !== from.version) errors.push(`migration starts at version ${migration.from_version}, source bundle is version ${from.version}`);
  if (migration.to_version !== to.version) errors.push(`migration ends at version ${migration.to_version}, target bundle is version ${to.version}`);
  return errors;
}

function versionErrors(doc, from, fromOk) {
  return fromOk && Number.isInteger(doc?.version) && doc.version !== from.version ? [`history is version ${doc.version}, source bundle is version ${from.version}`] : [];
}

function load(path) {
  try {
    return { value: readJson(path) };
  } catch (error) {
    return { error: error.message };
  }
}

function result(errors) {
  return { errors, ok: errors.length === 0 };
}

function skipped(why) {
  return { errors: [`skipped: ${why}`], ok: false, skipped: true };
}

// A path as the report shows it: relative to the working directory, `/`-separated.
export function display(path) {
  return relative(process.cwd(), resolve(path)).split(sep).join('/');
}
