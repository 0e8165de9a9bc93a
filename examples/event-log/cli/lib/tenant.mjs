// The tenant's runtime state: which bundle version and history are active, and whether writes
// are accepted. state/tenant.json stands in for the runtime's control plane.
import { existsSync } from 'node:fs';
import { InputError, readJson, writeJsonAtomic } from './json.mjs';

export const STATE_FILE = 'state/tenant.json';

// Reads the tenant state.
export function readTenant(path = STATE_FILE) {
  if (!existsSync(path)) throw new InputError(`${path}: no tenant state`);
  const state = readJson(path);
  if (!Number.isInteger(state.active_version) || !['open', 'paused'].includes(state.writes)) {
    throw new InputError(`${path}: needs active_version (integer) and writes (open|paused)`);
  }
  return state;
}

// Writes the tenant state atomically.
export function writeTenant(state, path = STATE_FILE) {
  writeJsonAtomic(path, state);
}

// A refusal because the tenant still accepts writes (exit 3).
export class RefusedError extends Error {}

// Refuses unless tenant writes are paused: history must not move under a cutover step.
export function requirePaused(state, what) {
  if (state.writes !== 'paused') throw new RefusedError(`${what} needs tenant writes paused (run "pause" first)`);
}
