// The freeze gate compares bytes, not git's opinion of them. A frozen file changed behind git's back
// (skip-worktree, assume-unchanged, a stat cache primed after the edit, a nested repository or a
// submodule under a registry or input pattern), frozen, and only the lock committed: the run is
// refused (exit 3) naming the file, before any step runs, and HEAD still holds the old bytes. During a
// run, a step that rewrites a frozen file with the same size and puts the modification time back
// fails; one that rewrites the same bytes does not.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cutover, type CliResult } from '../helpers/cli.js';
import { git, writeFiles } from '../helpers/git-repo.js';
import { planHead, planRepo } from '../helpers/run-repo.js';

const tamper = readFileSync(join(import.meta.dirname, 'fixtures/tamper.js'), 'utf8');

const PLAN = `${planHead()}  inputs:
    - { name: data, paths: ["data/**"] }
  steps:
    - { id: ran, run: node tools/step.js append ran.txt yes }
`;

function repo(plan = PLAN): string {
  return planRepo(plan, { 'data/source.csv': 'id\n1\n', 'tools/tamper.js': tamper });
}

/** Freezes the work tree again and commits the lock alone (when it changed), as the attack does. */
function refreezeLockOnly(dir: string): void {
  const frozen = cutover(['freeze', 'plans/p.yaml'], { cwd: dir });
  expect(frozen.code, frozen.stderr).toBe(0);
  if (git(dir, 'status', '--porcelain', '--', 'plans/p.lock.json')) git(dir, 'commit', '-q', '-m', 'refreeze', '--', 'plans/p.lock.json');
}

function expectRefused(dir: string, result: CliResult, file: string, why: RegExp): void {
  const context = `${result.stdout}\n${result.stderr}`;
  expect(result.code, context).toBe(3);
  expect(result.stderr, context).toMatch(
    new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: error REGISTRY_UNFROZEN: .*${why.source}`, 'm'),
  );
  expect(context).not.toMatch(/internal error|\n\s+at .+:\d+:\d+\)?$/m);
  expect(existsSync(join(dir, 'ran.txt'))).toBe(false);
  expect(git(dir, 'log', '--format=%H', '--grep=^Cutover-Run-Id:')).toBe('');
}

const run = (dir: string) => cutover(['run', 'plans/p.yaml'], { cwd: dir });

describe('the freeze gate compares committed bytes, not git’s index flags', () => {
  it('the reproduction: skip-worktree, a changed registry, only the lock committed: refused, HEAD has the old bytes', () => {
    const dir = repo();
    git(dir, 'update-index', '--skip-worktree', 'config/a.json');
    writeFileSync(join(dir, 'config/a.json'), '{ "a": 2 }\n');
    refreezeLockOnly(dir);
    expect(git(dir, 'status', '--porcelain')).toBe('');
    expect(git(dir, 'show', 'HEAD:config/a.json')).toBe('{ "a": 1 }');
    const result = run(dir);
    expectRefused(dir, result, 'config/a.json', /skip-worktree/);
    expect(result.stderr).toMatch(/config\/a\.json: error REGISTRY_UNFROZEN: .*bytes differ from HEAD/);
    const status = cutover(['status', 'plans/p.yaml', '--format', 'json'], { cwd: dir });
    expect(status.code).toBe(3);
    expect(JSON.parse(status.stdout).drift.map((d: { path: string; reason: string }) => [d.path, d.reason])).toEqual([
      ['config/a.json', 'hidden'],
      ['config/a.json', 'uncommitted'],
    ]);
  });

  const variants: [string, (dir: string) => void, string, RegExp][] = [
    [
      'assume-unchanged on an input',
      (dir) => {
        git(dir, 'update-index', '--assume-unchanged', 'data/source.csv');
        writeFileSync(join(dir, 'data/source.csv'), 'id\n2\n');
      },
      'data/source.csv',
      /assume-unchanged/,
    ],
    [
      'skip-worktree on an unchanged file (the flag alone is refused)',
      (dir) => git(dir, 'update-index', '--skip-worktree', 'config/a.json'),
      'config/a.json',
      /skip-worktree/,
    ],
    [
      'both flags at once',
      (dir) => {
        git(dir, 'update-index', '--skip-worktree', 'config/a.json');
        git(dir, 'update-index', '--assume-unchanged', 'config/a.json');
        writeFileSync(join(dir, 'config/a.json'), '{ "a": 3 }\n');
      },
      'config/a.json',
      /skip-worktree and assume-unchanged/,
    ],
    [
      'a core.fsmonitor hook that reports no change: no flag, git’s status clean',
      (dir) => {
        writeFileSync(join(dir, '.git/liar'), "#!/bin/sh\nprintf 'liar-token\\0'\n", { mode: 0o755 });
        git(dir, 'config', 'core.fsmonitor', '.git/liar');
        git(dir, 'status', '--porcelain');
        writeFileSync(join(dir, 'config/a.json'), '{ "a": 4 }\n');
        expect(git(dir, 'status', '--porcelain')).toBe('');
        expect(git(dir, 'ls-files', '-v', 'config/a.json')).toBe('H config/a.json');
      },
      'config/a.json',
      /bytes differ from HEAD/,
    ],
    [
      'a new input inside an untracked nested repository (git shows only `?? data/sub/`)',
      (dir) => {
        mkdirSync(join(dir, 'data/sub'));
        git(join(dir, 'data/sub'), 'init', '-q');
        writeFiles(dir, { 'data/sub/rows.csv': 'id\n3\n' });
        expect(git(dir, 'status', '--porcelain')).toBe('?? data/sub/');
      },
      'data/sub/rows.csv',
      /nested repository or submodule \(data\/sub\)/,
    ],
    [
      'an input inside a folder whose .git is a file (a linked work tree or a submodule’s gitdir pointer)',
      (dir) => writeFiles(dir, { 'data/linked/.git': 'gitdir: /nowhere\n', 'data/linked/rows.csv': 'id\n9\n' }),
      'data/linked/rows.csv',
      /nested repository or submodule \(data\/linked\)/,
    ],
  ];

  it.each(variants)('%s: refused, naming the file', (_label, attack, file, why) => {
    const dir = repo();
    attack(dir);
    refreezeLockOnly(dir);
    expectRefused(dir, run(dir), file, why);
  });

  it('a submodule under an input pattern: refused, naming its files', () => {
    const upstream = planRepo(`${planHead('upstream')}  steps:\n    - { id: a, run: node tools/step.js append x y }\n`, {
      'rows.csv': 'id\n5\n',
    });
    const dir = repo();
    git(dir, '-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', upstream, 'data/vendor');
    git(dir, 'commit', '-q', '-m', 'submodule');
    refreezeLockOnly(dir);
    expectRefused(dir, run(dir), 'data/vendor/rows.csv', /nested repository or submodule \(data\/vendor\)/);
  });

  it('the plan itself changed under skip-worktree (a step added), only the lock committed: refused', () => {
    const dir = repo();
    git(dir, 'update-index', '--skip-worktree', 'plans/p.yaml');
    writeFileSync(join(dir, 'plans/p.yaml'), `${PLAN}    - { id: extra, run: node tools/step.js append extra.txt yes }\n`);
    refreezeLockOnly(dir);
    expectRefused(dir, run(dir), 'plans/p.yaml', /skip-worktree/);
    expect(existsSync(join(dir, 'extra.txt'))).toBe(false);
  });

  it('a hand-added approval in a lock under assume-unchanged is not the committed lock: refused', () => {
    const dir = repo(PLAN.replace('spec:\n', 'spec:\n  approvals: { required: 1 }\n'));
    const lockFile = join(dir, 'plans/p.lock.json');
    const lock = JSON.parse(readFileSync(lockFile, 'utf8'));
    git(dir, 'update-index', '--assume-unchanged', 'plans/p.lock.json');
    lock.approvals.push({ by: 'Mallory <mallory@example.test>', digest: lock.freezeDigest });
    writeFileSync(lockFile, `${JSON.stringify(lock, null, 2)}\n`);
    expectRefused(dir, run(dir), 'plans/p.lock.json', /assume-unchanged/);
  });
});

describe('during a run, frozen bytes are re-checked after every step', () => {
  const plan = (tamperStep: string) => `${planHead()}  steps:
    - { id: tamper, run: ${tamperStep} }
    - { id: later, run: node tools/step.js append ran.txt later }
  rollback:
    - { id: undo, run: node tools/step.js append ran.txt undo }
`;

  it.each([
    [
      'rewritten in place, same size, modification time put back (touch -r)',
      '[node, tools/tamper.js, in-place, config/a.json, "{ \\"a\\": 7 }\\n"]',
    ],
    ['replaced by a rename, same size, modification time put back', '[node, tools/tamper.js, replace, config/a.json, "{ \\"a\\": 8 }\\n"]'],
  ])('%s: the step fails, later steps do not run, rollback does', (_label, step) => {
    const dir = planRepo(plan(step), { 'tools/tamper.js': tamper });
    const result = cutover(['run', 'plans/p.yaml', '--format', 'json'], { cwd: dir });
    expect(result.code, result.stderr).toBe(1);
    const doc = JSON.parse(result.stdout);
    expect(doc.steps.find((s: { id: string }) => s.id === 'tamper')).toMatchObject({
      outcome: 'failure',
      reason: 'changed frozen file(s): config/a.json',
    });
    expect(readFileSync(join(dir, 'ran.txt'), 'utf8')).toBe('undo\n');
  });

  it('the same bytes written again (a new modification time) are not a change', () => {
    const dir = planRepo(plan('node tools/tamper.js touch config/a.json'), { 'tools/tamper.js': tamper });
    const result = cutover(['run', 'plans/p.yaml', '--format', 'json'], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(join(dir, 'ran.txt'), 'utf8')).toBe('later\n');
  });
});
