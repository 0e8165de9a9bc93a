#!/usr/bin/env node
// `npm run demo [station-56|event-log]`: a real cutover of an example in a fresh temporary repository:
// freeze the registries, commit the lock, run the plan, verify the committed record.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, EXAMPLES, createExampleRepo } from './example-repo.js';

const name = process.argv[2] ?? 'station-56';
if (!(name in EXAMPLES)) {
  console.error(`unknown example ${JSON.stringify(name)}; choose one of: ${Object.keys(EXAMPLES).join(', ')}`);
  process.exit(2);
}
const plan = EXAMPLES[name];
const dir = createExampleRepo(name);
const say = (text) => console.log(`\n\x1b[1m${text}\x1b[0m`);

/** Runs a cutover command in the demo repository, showing its output; stops the demo when it fails. */
function cutover(...args) {
  console.log(`$ cutover ${args.join(' ')}`);
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd: dir,
    stdio: 'inherit',
    env: { ...process.env, MIGRATE_RUN_ID: 'demo-1' },
  });
  if (result.status !== 0) {
    console.error(`\ncutover ${args[0]} exited ${result.status}; the repository is kept at ${dir}`);
    process.exit(result.status ?? 1);
  }
}
function git(...args) {
  const result = spawnSync('git', args, { cwd: dir, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
}

say(`1. A fresh repository with the ${name} example: ${dir}`);
cutover('validate', plan);
say('2. Freeze the registries and inputs, and commit the lock (in real life: a reviewed pull request)');
cutover('freeze', plan);
git('add', plan.replace(/\.yaml$/, '.lock.json'));
git('commit', '-q', '-m', `freeze ${plan}`);
cutover('status', plan);
say('3. Run the plan: preflight, steps, rollback drill, determinism check, finally; then hash, record, commit');
cutover('run', plan);

const recordDir = git('log', '-1', '--name-only', '--format=')
  .split('\n')
  .find((l) => l.endsWith('/run.json'))
  .replace(/\/run\.json$/, '');
const record = JSON.parse(readFileSync(join(dir, recordDir, 'run.json'), 'utf8'));
say('4. A reviewer verifies the committed record against the artifacts, the plan and the lock');
cutover('verify', recordDir);
say('Done');
console.log(`record     ${join(dir, recordDir)}`);
console.log(`run root   ${record.runRoot}`);
console.log(`commit     ${git('log', '-1', '--format=%h %s')}`);
console.log(`report     ${join(dir, recordDir, 'report.md')}`);
