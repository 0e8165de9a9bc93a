// `cutover diff` in real repositories: the frozen files against the commit that last wrote the lock.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cutover } from '../helpers/cli.js';
import { git, gitRepo, writeFiles } from '../helpers/git-repo.js';
import { planHead, planRepo } from '../helpers/run-repo.js';

const PLAN = `${planHead()}  inputs:\n    - { name: data, paths: [data/in.csv] }\n  steps:\n    - { id: one, run: node tools/step.js append out/order.txt one }\n`;

/** A frozen repository with two registry files and an input, then a later commit that changes none of them. */
function frozenRepo(): string {
  const dir = planRepo(PLAN, { 'config/b.json': '{ "b": 1 }\n', 'data/in.csv': 'id,name\n1,alpha\n' });
  writeFiles(dir, { 'notes.md': 'unrelated\n' });
  git(dir, 'add', 'notes.md');
  git(dir, 'commit', '-qm', 'unrelated change');
  return dir;
}

describe('cutover diff', () => {
  it('exits 0 when no frozen file differs from the commit that last wrote the lock', () => {
    const dir = frozenRepo();
    writeFileSync(join(dir, 'notes.md'), 'not frozen: not compared\n');
    const r = cutover(['diff', 'plans/p.yaml'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      `no frozen file differs from ${git(dir, 'rev-parse', 'HEAD~1').slice(0, 12)}, where plans/p.lock.json was last committed (4 file(s) compared)\n`,
    );
  });

  it('exits 1 with the content diff, naming changed, added and removed files, committed or not', () => {
    const dir = frozenRepo();
    const lockCommit = git(dir, 'rev-parse', 'HEAD~1');
    writeFileSync(join(dir, 'config/a.json'), '{ "a": 2 }\n');
    git(dir, 'commit', '-qam', 'a registry change, committed after the freeze');
    writeFileSync(join(dir, 'config/new.json'), '{ "new": true }\n');
    rmSync(join(dir, 'config/b.json'));
    writeFileSync(join(dir, 'data/in.csv'), 'id,name\n1,alpha\n2,beta\n');
    writeFileSync(join(dir, 'plans/p.yaml'), PLAN.replace('runId: r1', 'runId: r2'));

    const r = cutover(['diff', 'plans/p.yaml', '--format', 'json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ differs: true, plan: 'plans/p.yaml', lock: 'plans/p.lock.json', lockCommit });
    expect(doc.files).toEqual([
      { path: 'config/a.json', change: 'changed' },
      { path: 'config/b.json', change: 'removed' },
      { path: 'config/new.json', change: 'added' },
      { path: 'data/in.csv', change: 'changed' },
      { path: 'plans/p.yaml', change: 'changed' },
    ]);
    expect(doc.patch).toContain('--- a/config/a.json\n+++ b/config/a.json\n@@ -1 +1 @@\n-{ "a": 1 }\n+{ "a": 2 }\n');
    expect(doc.patch).toContain('+2,beta\n');
    expect(doc.patch).toContain('-  runId: r1\n+  runId: r2\n');
    expect(doc.patch).toContain('deleted file mode');
    expect(doc.patch).toContain('new file mode');

    const text = cutover(['diff', 'plans/p.yaml'], { cwd: dir });
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(
      /^5 of the plan's frozen file\(s\) differ from [0-9a-f]{12}, where plans\/p\.lock\.json was last committed:\n {2}changed +config\/a\.json\n {2}removed +config\/b\.json\n {2}added +config\/new\.json\n/,
    );
    expect(text.stdout).toContain('diff --git a/data/in.csv b/data/in.csv');
    // Nothing was staged or written: the real index is untouched.
    expect(git(dir, 'diff', '--cached', '--name-only')).toBe('');
    expect(readFileSync(join(dir, 'config/new.json'), 'utf8')).toBe('{ "new": true }\n');
  });

  it('refuses when the lock was never committed', () => {
    const dir = gitRepo({ 'plans/p.yaml': PLAN, 'config/a.json': '{}\n', 'data/in.csv': 'x\n' });
    const r = cutover(['diff', 'plans/p.yaml'], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('REGISTRY_UNFROZEN: plans/p.lock.json is in no commit');
  });
});
