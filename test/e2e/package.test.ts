// The package as `npm pack` makes it: its bundled command line runs from the packed files alone, with
// no node_modules anywhere (every dependency is in the bundle), from `init` to `verify`, and its
// hashing worker pool gives the same root as the built CLI.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { git, gitEnv, tempDir } from '../helpers/git-repo.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

it('runs init, run and verify from the packed files alone, hashing on worker threads', () => {
  const out = tempDir('cutover-pack-');
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', out], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  ) as { filename: string }[];
  execFileSync('tar', ['-xzf', join(out, packed[0]!.filename), '-C', out]);
  const cli = join(out, 'package/dist/cli.js');
  expect(existsSync(join(out, 'package/dist/chunks/hash-worker.js'))).toBe(true);
  expect(existsSync(join(out, 'package/node_modules'))).toBe(false);

  const env = { ...gitEnv(), NO_COLOR: '1', CI: '', GITHUB_ACTIONS: '', GITHUB_STEP_SUMMARY: '', GITHUB_OUTPUT: '' };
  const run = (bin: string, args: string[], cwd: string) => spawnSync(process.execPath, [bin, ...args], { cwd, env, encoding: 'utf8' });

  const repo = join(out, 'repo');
  mkdirSync(repo);
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'config', 'user.name', 'Packed Operator');
  git(repo, 'config', 'user.email', 'packed@example.test');
  const init = run(cli, ['init'], repo);
  expect(init.status, init.stderr).toBe(0);
  expect(readdirSync(join(repo, '.github/workflows')).sort()).toEqual(['execute-plan.yml', 'validate-plans.yml']);
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'init');

  const ran = run(cli, ['run', 'plans/example.yaml', '--run-id', 'packed'], repo);
  expect(ran.status, ran.stderr + ran.stdout).toBe(0);
  const verified = run(cli, ['verify', 'reports/example/packed'], repo);
  expect(verified.status, verified.stderr + verified.stdout).toBe(0);

  // 600 files make two batches for the worker pool; the root must be the built CLI's.
  const data = join(out, 'data');
  mkdirSync(data);
  for (let i = 0; i < 600; i++) writeFileSync(join(data, `f${i}.txt`), `file ${i}\n`);
  const packedHash = run(cli, ['hash', data], out);
  expect(packedHash.status, packedHash.stderr).toBe(0);
  expect(packedHash.stdout).toBe(run(CLI, ['hash', data], out).stdout);
});
