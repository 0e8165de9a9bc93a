// Tenant control: pause and resume writes, switch the active version, show the state.
import { validateBundle } from '../lib/bundle.mjs';
import { checkIntegrity, replay } from '../lib/history.mjs';
import { canonicalJson, InputError, readJson } from '../lib/json.mjs';
import { readTenant, requirePaused, writeTenant } from '../lib/tenant.mjs';

// Stops tenant writes; idempotent.
export function pause(options, io) {
  return setWrites(options, io, 'paused');
}

// Accepts tenant writes again; idempotent and safe on every path, so plans run it in finally.
export function resume(options, io) {
  return setWrites(options, io, 'open');
}

function setWrites(options, io, writes) {
  const state = readTenant(options.state);
  const changed = state.writes !== writes;
  if (changed) writeTenant({ ...state, writes }, options.state);
  io.stdout.write(canonicalJson({ ...state, changed, writes }));
  return 0;
}

// Prints the tenant state.
export function status(options, io) {
  io.stdout.write(canonicalJson(readTenant(options.state)));
  return 0;
}

// Activates bundle version N with its history, after checking both; a no-op when already active.
export function switchVersion(options, io) {
  const match = /^v?(\d+)$/.exec(options.to ?? '');
  if (!match) throw new InputError('--to must be a version such as v1');
  const version = Number(match[1]);
  const bundlePath = options.bundle ?? `bundle.v${version}.json`;
  const eventsPath = options.events ?? `events.v${version}.json`;
  const state = readTenant(options.state);
  if (state.active_version === version && state.bundle === bundlePath && state.events === eventsPath) {
    io.stdout.write(canonicalJson({ ...state, changed: false }));
    return 0;
  }
  requirePaused(state, `switch to v${version}`);
  const bundle = readJson(bundlePath);
  const events = readJson(eventsPath);
  const errors = validateBundle(bundle).map((e) => `${bundlePath}: ${e}`);
  if (bundle.version !== version) errors.push(`${bundlePath} is version ${bundle.version}, not ${version}`);
  if (events.version !== version) errors.push(`${eventsPath} is version ${events.version}, not ${version}`);
  errors.push(...checkIntegrity(events).map((e) => `${eventsPath}: ${e}`));
  if (errors.length === 0) errors.push(...replay(bundle, events).errors.map((e) => `${eventsPath}: ${e}`));
  if (errors.length > 0) {
    for (const e of errors) io.stderr.write(`switch: ${e}\n`);
    io.stderr.write(`switch: refused; v${state.active_version} stays active\n`);
    return 1;
  }
  const next = { ...state, active_version: version, bundle: bundlePath, events: eventsPath };
  writeTenant(next, options.state);
  io.stdout.write(canonicalJson({ ...next, changed: true }));
  return 0;
}
