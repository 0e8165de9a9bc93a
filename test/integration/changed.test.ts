// `cutover changed BASE [HEAD]` against a pull request's history built in a real repository: the
// plans it lists are exactly those whose plan file, lock, registries or inputs the change touched.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryIo } from '../../src/adapters/io.js';
import { approve } from '../../src/commands/approve.js';
import { changed } from '../../src/commands/changed.js';
import { freeze } from '../../src/commands/freeze.js';
import { cutover } from '../helpers/cli.js';
import { git, gitRepo, tempDir, writeFiles } from '../helpers/git-repo.js';

const plan = (name: string, kind: 'registries' | 'inputs', pattern: string) =>
  `apiVersion: cutover/v1\nkind: Plan\nmetadata: { name: ${name} }\nspec:\n  ${kind}:\n    - { name: files, paths: ["${pattern}"] }\n  steps:\n    - { id: one, run: [node, -e, "0"] }\n`;

/** main: five plans (.yaml, .yml, .YAML, nested, one to delete), frozen and committed; then a branch `pr`. */
async function pullRequestRepo(): Promise<string> {
  const dir = gitRepo({
    'plans/a.yaml': plan('alpha', 'registries', 'config/*.json'),
    'plans/b.yml': plan('beta', 'inputs', 'data/**'),
    'plans/c.YAML': plan('gamma', 'registries', 'other/*.txt'),
    'plans/team/d.yaml': plan('delta', 'registries', 'never/*.json'),
    'plans/old.yaml': plan('old', 'registries', 'config/*.json'),
    'plans/notes.md': 'not a plan\n',
    'config/a.json': '{ "a": 1 }\n',
    'config/b.json': '{ "b": 1 }\n',
    'data/deep/x.bin': Buffer.from([0, 1, 2, 3]),
    'other/x.txt': 'x\n',
    'never/x.json': '{}\n',
  });
  for (const p of ['plans/a.yaml', 'plans/b.yml', 'plans/c.YAML', 'plans/team/d.yaml', 'plans/old.yaml'])
    expect(await freeze({ plan: p }, memoryIo({ cwd: dir }))).toBe(0);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'plans, frozen');
  git(dir, 'switch', '-q', '-c', 'pr');
  return dir;
}

/** Another person approves: the lock changes (in a commit of its own), nothing it pins does. */
async function approveAs(dir: string, planFile: string, email: string): Promise<void> {
  git(dir, 'config', 'user.email', email);
  expect(await approve({ plan: planFile }, memoryIo({ cwd: dir }))).toBe(0);
  git(dir, 'config', 'user.email', 'operator@example.test');
}

async function changedJson(dir: string, base: string, head?: string) {
  const io = memoryIo({ cwd: dir, format: 'json' });
  expect(await changed({ base, ...(head ? { head } : {}) }, io)).toBe(0);
  return JSON.parse(io.out());
}

describe('cutover changed', () => {
  it('lists exactly the plans whose file, lock, registries or inputs the branch touched: lock-only .yml and .YAML included', async () => {
    const dir = await pullRequestRepo();
    // Lock-only changes of a .yml and a .YAML plan: each lock is named after its plan without the extension.
    await approveAs(dir, 'plans/b.yml', 'someone@example.test');
    await approveAs(dir, 'plans/c.YAML', 'someone@example.test');
    expect(readFileSync(join(dir, 'plans/c.lock.json'), 'utf8')).toContain('someone@example.test');
    // A registry file deleted (a freeze would miss it), and a plan deleted.
    rmSync(join(dir, 'config/b.json'));
    rmSync(join(dir, 'plans/old.yaml'));
    rmSync(join(dir, 'plans/old.lock.json'));
    git(dir, 'commit', '-q', '-am', 'drop config b and the old plan');
    // main moves on after the branch point: its changes are not the pull request's.
    git(dir, 'switch', '-q', 'main');
    writeFileSync(join(dir, 'never/x.json'), '{ "changed": "on main" }\n');
    git(dir, 'commit', '-q', '-am', 'main moves on');
    git(dir, 'switch', '-q', 'pr');

    const text = memoryIo({ cwd: dir });
    expect(await changed({ base: 'main' }, text)).toBe(0);
    expect(text.out()).toBe('plans/a.yaml\nplans/b.yml\nplans/c.YAML\n');

    const doc = await changedJson(dir, 'main');
    expect(doc.head).toBe(git(dir, 'rev-parse', 'pr'));
    expect(doc.mergeBase).toBe(git(dir, 'merge-base', 'main', 'pr'));
    expect(doc.plans).toEqual([
      {
        plan: 'plans/a.yaml',
        lock: 'plans/a.lock.json',
        valid: true,
        reasons: [{ kind: 'registries', group: 'files', paths: ['config/b.json'] }],
      },
      { plan: 'plans/b.yml', lock: 'plans/b.lock.json', valid: true, reasons: [{ kind: 'lock', path: 'plans/b.lock.json' }] },
      { plan: 'plans/c.YAML', lock: 'plans/c.lock.json', valid: true, reasons: [{ kind: 'lock', path: 'plans/c.lock.json' }] },
    ]);
    expect(doc.removed).toEqual(['plans/old.yaml']);

    // Seen from main, the same range the other way round touches d (never/x.json) and not the branch's plans.
    expect((await changedJson(dir, 'pr', 'main')).plans.map((p: { plan: string }) => p.plan)).toEqual(['plans/team/d.yaml']);
  });

  it('counts a plan touched by its inputs (a binary file too), by its own file, and an invalid plan by its file', async () => {
    const dir = await pullRequestRepo();
    writeFiles(dir, {
      'data/deep/x.bin': Buffer.from([9, 9]),
      'plans/team/d.yaml': 'apiVersion: cutover/v1\nkind: Plan\nmetadata: { name: delta }\nspec: {}\n',
    });
    git(dir, 'commit', '-q', '-am', 'inputs and a broken plan');
    const doc = await changedJson(dir, 'main');
    expect(doc.plans).toEqual([
      {
        plan: 'plans/b.yml',
        lock: 'plans/b.lock.json',
        valid: true,
        reasons: [{ kind: 'inputs', group: 'files', paths: ['data/deep/x.bin'] }],
      },
      { plan: 'plans/team/d.yaml', lock: 'plans/team/d.lock.json', valid: false, reasons: [{ kind: 'plan', path: 'plans/team/d.yaml' }] },
    ]);
  });

  it("lists nothing for a change that touches no plan, and every plan for GitHub's all-zero base", async () => {
    const dir = await pullRequestRepo();
    writeFiles(dir, { 'README.md': 'other\n' });
    git(dir, 'commit', '-q', '-am', 'docs');
    expect((await changedJson(dir, 'main')).plans).toEqual([]);
    const all = await changedJson(dir, '0'.repeat(40));
    expect(all.plans.map((p: { plan: string }) => p.plan)).toEqual([
      'plans/a.yaml',
      'plans/b.yml',
      'plans/c.YAML',
      'plans/old.yaml',
      'plans/team/d.yaml',
    ]);
  });

  it('from the command line: a JSON array in the plans output for a job matrix; an unknown base is a usage error', async () => {
    const dir = await pullRequestRepo();
    await approveAs(dir, 'plans/b.yml', 'someone@example.test');
    const files = tempDir();
    const outputFile = join(files, 'output');
    writeFileSync(outputFile, '');
    const r = cutover(['changed', 'main', 'HEAD'], { cwd: dir, env: { GITHUB_ACTIONS: 'true', GITHUB_OUTPUT: outputFile } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('plans/b.yml: the lock\n');
    const output = readFileSync(outputFile, 'utf8');
    expect(output).toMatch(
      /^plans<<(ghadelimiter_[-0-9a-f]+)\n\["plans\/b\.yml"\]\n\1\noutcome<<(ghadelimiter_[-0-9a-f]+)\nsuccess\n\2\n$/,
    );

    const unknown = cutover(['changed', 'no-such-branch'], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('error USAGE: no-such-branch is not a commit in this repository');
  });
});
