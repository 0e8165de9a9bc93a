#!/usr/bin/env node
// Migration CLI of station 56. Run from the repository root:
//   node tools/migration/cli.js <command> [options]
// Exit codes: 0 ok · 1 the operation failed (blockers, injected failure, refused flip, smoke) ·
// 2 usage or input error.
import { parseArgs } from 'node:util';
import { clean } from './commands/clean.js';
import { dryRun } from './commands/dry-run.js';
import { flip } from './commands/flip.js';
import { maintenance } from './commands/maintenance.js';
import { migrate } from './commands/migrate.js';
import { scanAll } from './commands/scan-all.js';
import { smoke } from './commands/smoke.js';

const USAGE = `usage: node tools/migration/cli.js <command> [options]
  dry-run [--as-of DATE]                  report what migrate would meet (storage_reports/latest-dry-run)
  migrate [--out DIR] [--as-of DATE] [--run-id ID]
                                          write storage_candidate/v1 (env MIGRATE_RUN_ID, MIGRATE_FAIL_AFTER_MODULE)
  scan-all [--live | --storage DIR] [--out DIR]
                                          check a storage (storage_reports/latest-scan, latest-live-scan with --live)
  flip [--to DIR | --previous]            point storage_live.json at a storage, or back to the previous one
  smoke                                   read-only smoke test through storage_live.json
  clean [--candidate-only]                remove storage_candidate/v1 and storage_reports/latest-*
  maintenance on|off|status               freeze or reopen writes in the source system`;

const COMMANDS = {
  'dry-run': { run: dryRun, options: { 'as-of': { type: 'string' } } },
  migrate: { run: migrate, options: { out: { type: 'string' }, 'as-of': { type: 'string' }, 'run-id': { type: 'string' } } },
  'scan-all': { run: scanAll, options: { live: { type: 'boolean' }, storage: { type: 'string' }, out: { type: 'string' } } },
  flip: { run: flip, options: { to: { type: 'string' }, previous: { type: 'boolean' } } },
  smoke: { run: smoke, options: {} },
  clean: { run: clean, options: { 'candidate-only': { type: 'boolean' } } },
  maintenance: { run: maintenance, options: {}, positionals: ['on', 'off', 'status'] },
};

async function main(argv, io) {
  const [name, ...rest] = argv;
  const command = COMMANDS[name];
  if (!command) {
    io.stderr.write(`${name ? `unknown command ${name}\n` : ''}${USAGE}\n`);
    return 2;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: command.options, allowPositionals: Boolean(command.positionals), strict: true });
  } catch (error) {
    io.stderr.write(`${name}: ${error.message}\n${USAGE}\n`);
    return 2;
  }
  const options = Object.fromEntries(Object.entries(parsed.values).map(([k, v]) => [k.replace(/-([a-z])/g, (_, c) => c.toUpperCase()), v]));
  options.asOf ??= null;
  if (options.asOf !== null && !/^\d{4}-\d{2}-\d{2}$/.test(options.asOf)) {
    io.stderr.write(`${name}: --as-of must be a date YYYY-MM-DD\n`);
    return 2;
  }
  if (options.live && options.storage) {
    io.stderr.write(`${name}: --live and --storage exclude each other\n`);
    return 2;
  }
  if (options.previous && options.to) {
    io.stderr.write(`${name}: --previous and --to exclude each other\n`);
    return 2;
  }
  if (command.positionals) {
    if (parsed.positionals.length !== 1 || !command.positionals.includes(parsed.positionals[0])) {
      io.stderr.write(`${name}: expects one of ${command.positionals.join(', ')}\n`);
      return 2;
    }
    options.mode = parsed.positionals[0];
  }
  try {
    return await command.run(options, io);
  } catch (error) {
    io.stderr.write(`${name}: error: ${error.message}\n`);
    return 2;
  }
}

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
