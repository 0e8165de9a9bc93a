// Preflight refusals of `cutover run`, in the order docs/runs.md gives: each exits 3 with its code and leaves the
// repository exactly as it was (no step run, no journal, lock or scratch space, nothing in the tree).
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cutover } from '../helpers/cli.js';
import { git } from '../helpers/git-repo.js';
import { planHead, planRepo, runPlan } from '../helpers/run-repo.js';

const steps = `  steps:
    - { id: one, run: node tools/step.js append ran.txt one }
`;
const closedWindow = `  window: { notBefore: "2020-01-01T00:00:00Z", notAfter: "2020-01-02T00:00:00Z" }\n`;

/** What a refusal must not change: HEAD, the work tree's status (ignored files too) and cutover's folder in .git. */
function snapshot(dir: string) {
  const cutoverDir = join(dir, '.git/cutover');
  const inGitDir = existsSync(cutoverDir) ? readdirSync(cutoverDir, { recursive: true }).map(String).sort() : [];
  return {
    head: git(dir, 'rev-parse', 'HEAD'),
    status: git(dir, 'status', '--porcelain=v1', '--ignored', '--untracked-files=all'),
    inGitDir,
  };
}

/** Runs the plan expecting a refusal with `code`: exit 3, nothing run, nothing changed. Returns the first message. */
function expectRefused(dir: string, code: string, args: string[] = []): string {
  const before = snapshot(dir);
  const r = runPlan(dir, args);
  expect(r.code, r.stderr + r.stdout).toBe(3);
  const problems = (r.doc?.problems ?? []) as { code: string; message: string }[];
  expect(problems.length).toBeGreaterThan(0);
  expect([...new Set(problems.map((p) => p.code))]).toEqual([code]);
  expect(existsSync(join(dir, 'ran.txt'))).toBe(false);
  expect(snapshot(dir)).toEqual(before);
  return problems.map((p) => p.message).join('\n');
}

describe('cutover run preflight', () => {
  it('checks the freeze gate before the window, and refuses a closed window before anything runs', () => {
    const dir = planRepo(`${planHead()}${closedWindow}${steps}`);
    writeFileSync(join(dir, 'config/a.json'), '{ "a": 2 }\n'); // a frozen registry changed
    expectRefused(dir, 'REGISTRY_UNFROZEN');
    git(dir, 'checkout', '--', 'config/a.json');
    expect(expectRefused(dir, 'WINDOW_CLOSED')).toMatch(/the window closed at 2020-01-02T00:00:00Z/);
  });

  it('refuses uncommitted files where the run will commit, and only there', () => {
    const dir = planRepo(`${planHead()}${steps}  artifacts:\n    - { name: out, path: out, commit: files }\n`, {
      'out/kept.txt': 'committed\n',
    });
    writeFileSync(join(dir, 'elsewhere.txt'), 'an untracked file outside the record is no concern\n');
    writeFileSync(join(dir, 'out/new.txt'), 'not committed\n');
    expect(expectRefused(dir, 'TREE_DIRTY')).toContain('out/new.txt');
  });

  it('refuses a record folder holding a file the run did not write, naming it', () => {
    const dir = planRepo(`${planHead()}${steps}`);
    mkdirSync(join(dir, 'reports/test-plan/r1'), { recursive: true });
    writeFileSync(join(dir, 'reports/test-plan/r1/notes.md'), "not the run's\n");
    expect(expectRefused(dir, 'FILE_EXISTS')).toContain('reports/test-plan/r1/notes.md');
  });

  it('with --require-merged, runs what the ref holds and refuses an unknown ref, a missing file or a different one', () => {
    const dir = planRepo(`${planHead()}${steps}`);
    expect(expectRefused(dir, 'NOT_MERGED', ['--require-merged', 'no-such-ref'])).toMatch(/not a known revision/);

    git(dir, 'branch', 'before-freeze', 'HEAD~1');
    expect(expectRefused(dir, 'NOT_MERGED', ['--require-merged', 'before-freeze'])).toMatch(/plans\/p\.lock\.json is not in before-freeze/);

    // A branch whose plan was edited (and frozen again): this checkout's plan is not what it holds.
    git(dir, 'switch', '-q', '-c', 'edited');
    writeFileSync(join(dir, 'plans/p.yaml'), `${planHead()}${steps}# edited\n`);
    expect(cutover(['freeze', 'plans/p.yaml'], { cwd: dir }).code).toBe(0);
    git(dir, 'commit', '-q', '-am', 'edit the plan');
    git(dir, 'switch', '-q', 'main');
    expect(expectRefused(dir, 'NOT_MERGED', ['--require-merged', 'edited'])).toMatch(/plans\/p\.yaml differs from edited/);

    const merged = runPlan(dir, ['--require-merged', 'main', '--no-commit']);
    expect(merged.code, merged.stderr).toBe(0);
    expect(existsSync(join(dir, 'ran.txt'))).toBe(true);
  });
});
