#!/usr/bin/env node
// cicsc: operator CLI of the event-sourced tenant (migration operations runbook, phase 5).
// Run from the repository root: node cli/cicsc.mjs <command> [options]
// Machine-readable results go to stdout as canonical JSON; reasons go to stderr.
// Exit codes: 0 ok · 1 a check failed · 2 usage or input error · 3 refused (unsafe rollback,
// tenant writes not paused).
import { parseArgs } from 'node:util';
import { migrationDryRun } from './commands/dry-run.mjs';
import { migrateHistory, verifyReplayCommand } from './commands/history.mjs';
import { migrationPreflight } from './commands/preflight.mjs';
import { migrationRollback } from './commands/rollback.mjs';
import { pause, resume, status, switchVersion } from './commands/tenant.mjs';
import { InputError } from './lib/json.mjs';
import { RefusedError, STATE_FILE } from './lib/tenant.mjs';

const MIGRATION = ['from', 'to', 'events', 'migration'];
const str = { type: 'string' };
const state = { state: { type: 'string', default: STATE_FILE } };

const COMMANDS = {
  'migration-preflight': { run: migrationPreflight, options: { from: str, to: str, events: str, migration: str }, required: MIGRATION },
  'migration-dry-run': { run: migrationDryRun, options: { from: str, to: str, events: str, migration: str, artifact: str }, required: [...MIGRATION, 'artifact'] },
  pause: { run: pause, options: state, required: [] },
  'verify-replay': { run: verifyReplayCommand, options: { from: str, to: str, events: str, migration: str, ...state }, required: MIGRATION },
  'migrate-history': { run: migrateHistory, options: { from: str, to: str, events: str, migration: str, out: str, ...state }, required: [...MIGRATION, 'out'] },
  switch: { run: switchVersion, options: { to: str, bundle: str, events: str, ...state }, required: ['to'] },
  resume: { run: resume, options: state, required: [] },
  status: { run: status, options: state, required: [] },
  'migration-rollback': {
    run: migrationRollback,
    options: { to: str, events: str, migration: str, 'out-events': str, check: { type: 'boolean' }, 'if-present': { type: 'boolean' } },
    required: ['to', 'migration'],
  },
};

const USAGE = `usage: node cli/cicsc.mjs <command> [options]
  migration-preflight --from B0 --to B1 --events E --migration ID
  migration-dry-run   --from B0 --to B1 --events E --migration ID --artifact PATH
  pause | resume | status                       [--state ${STATE_FILE}]
  verify-replay       --from B0 --to B1 --events E --migration ID
  migrate-history     --from B0 --to B1 --events E --migration ID --out PATH
  switch --to vN [--bundle PATH] [--events PATH]
  migration-rollback  --to B1 --migration ID (--check | --events E1 --out-events PATH [--if-present])`;

async function main(argv, io) {
  const [name, ...rest] = argv;
  const command = COMMANDS[name];
  if (!command) {
    io.stderr.write(`${name ? `unknown command ${name}\n` : ''}${USAGE}\n`);
    return 2;
  }
  let values;
  try {
    ({ values } = parseArgs({ args: rest, options: command.options, strict: true }));
  } catch (error) {
    io.stderr.write(`${name}: ${error.message}\n${USAGE}\n`);
    return 2;
  }
  const missing = command.required.filter((option) => values[option] === undefined);
  if (missing.length > 0) {
    io.stderr.write(`${name}: missing ${missing.map((o) => `--${o}`).join(', ')}\n${USAGE}\n`);
    return 2;
  }
  try {
    return await command.run(values, io);
  } catch (error) {
    if (error instanceof RefusedError) {
      io.stderr.write(`${name}: refused: ${error.message}\n`);
      return 3;
    }
    if (error instanceof InputError) {
      io.stderr.write(`${name}: error: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
