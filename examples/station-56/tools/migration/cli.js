#!/usr/bin/env node
// Migration CLI of station 56. Run from the repository root:
//   node tools/migration/cli.js <command> [options]
// Exit codes: 0 ok · 1 the operation failed (blockers, injected failure, refused flip, smoke) ·
// 2 usage or input error.
import { parseArgs } from 'node:util';
import v8 from 'node:v8';

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

// Commands are loaded on use: only dry-run, migrate and scan-all need the source DB (sql.js).
const COMMANDS = {
  'dry-run': { load: async () => (await import('./commands/dry-run.js')).dryRun, options: { 'as-of': { type: 'string' } } },
  migrate: { load: async () => (await import('./commands/migrate.js')).migrate, options: { out: { type: 'string' }, 'as-of': { type: 'string' }, 'run-id': { type: 'string' } } },
  'scan-all': { load: async () => (await import('./commands/scan-all.js')).scanAll, options: { live: { type: 'boolean' }, storage: { type: 'string' }, out: { type: 'string' } } },
  flip: { load: async () => (await import('./commands/flip.js')).flip, options: { to: { type: 'string' }, previous: { type: 'boolean' } } },
  smoke: { load: async () => (await import('./commands/smoke.js')).smoke, options: {} },
  clean: { load: async () => (await import('./commands/clean.js')).clean, options: { 'candidate-only': { type: 'boolean' } } },
  maintenance: { load: async () => (await import('./commands/maintenance.js')).maintenance, options: {}, positionals: ['on', 'off', 'status'] },
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
    const run = await command.load();
    return await run(options, io);
  } catch (error) {
    io.stderr.write(`${name}: error: ${error.message}\n`);
    return 2;
  }
}

// sql.js holds a few hundred rows per process here: V8's baseline (Liftoff) code is plenty, and
// skipping the optimising tier-up of the whole SQLite module saves a few hundred ms of CPU a
// command (the process otherwise waits for that background compile before it exits).
v8.setFlagsFromString('--liftoff-only');

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
