// `cutover history` and drills in real repositories: past runs from the record commits' trailers,
// newest first, drills marked as drills; a shallow clone says how far back it could look.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cutover } from '../helpers/cli.js';
import { git, tempDir, writeFiles } from '../helpers/git-repo.js';
import { planHead, planRepo } from '../helpers/run-repo.js';

const PLAN = `${planHead()}  steps:
    - { id: one, run: "node tools/step.js fail \${{ env.ONE_EXIT ?? '0' }}" }
    - { id: two, run: node tools/step.js append marks.txt two }
  artifacts:
    - { name: marks, path: marks.txt }
`;

/** A repository with three runs of plans/p.yaml (success r1, drill r2, failure r3) and one of plans/q.yaml. */
function repoWithRuns(): string {
  const dir = planRepo(PLAN, { '.gitignore': 'marks.txt\n' });
  writeFiles(dir, { 'plans/q.yaml': PLAN.replace('name: test-plan', 'name: other-plan') });
  expect(cutover(['freeze', 'plans/q.yaml'], { cwd: dir }).code).toBe(0);
  git(dir, 'add', 'plans');
  git(dir, 'commit', '-qm', 'second plan');
  const run = (plan: string, args: string[], env: Record<string, string> = {}) => cutover(['run', plan, ...args], { cwd: dir, env }).code;
  expect(run('plans/p.yaml', ['--run-id', 'r1'])).toBe(0);
  expect(run('plans/q.yaml', ['--run-id', 'q1'])).toBe(0);
  expect(run('plans/p.yaml', ['--run-id', 'r2', '--fail-at', 'two'])).toBe(1);
  expect(run('plans/p.yaml', ['--run-id', 'r3'], { ONE_EXIT: '3' })).toBe(1);
  return dir;
}

describe('drills', () => {
  it("say drill in the commit subject, the Cutover-Outcome trailer and the report's headline, and verify", () => {
    const dir = repoWithRuns();
    const subjects = git(dir, 'log', '--format=%s', '-4').split('\n');
    expect(subjects).toEqual([
      'cutover(test-plan): r3 failure',
      'cutover(test-plan): r2 drill',
      'cutover(other-plan): q1 success',
      'cutover(test-plan): r1 success',
    ]);
    expect(git(dir, 'log', '-1', '--skip=1', '--format=%(trailers:key=Cutover-Outcome,valueonly)')).toBe('drill');
    const report = readFileSync(join(dir, 'reports/test-plan/r2/report.md'), 'utf8');
    expect(report.split('\n')[0]).toBe('# test-plan · r2 🧯 drill');
    expect(report).toContain('drill: step `two` failed on purpose');
    expect(JSON.parse(readFileSync(join(dir, 'reports/test-plan/r2/run.json'), 'utf8'))).toMatchObject({
      outcome: 'failure',
      drill: 'two',
      exitCode: 1,
    });
    const v = cutover(['verify', 'reports/test-plan/r2'], { cwd: dir });
    expect(v.code, v.stdout + v.stderr).toBe(0);
  });

  it('stay a failure when a real step failed before the drilled one was reached', () => {
    const dir = planRepo(PLAN, { '.gitignore': 'marks.txt\n' });
    const r = cutover(['run', 'plans/p.yaml', '--fail-at', 'two'], { cwd: dir, env: { ONE_EXIT: '3' } });
    expect(r.code).toBe(1);
    expect(git(dir, 'log', '-1', '--format=%s')).toBe('cutover(test-plan): r1 failure');
    expect(readFileSync(join(dir, 'reports/test-plan/r1/report.md'), 'utf8').split('\n')[0]).toBe('# test-plan · r1 ❌ failed');
  });
});

describe('cutover history', () => {
  it('lists every run newest first from the trailers (date, plan, run id, outcome, root, commit, record), by plan, up to --limit', () => {
    const dir = repoWithRuns();
    const r = cutover(['history', '--format', 'json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.shallow).toBeNull();
    expect(doc.runs.map((e: { runId: string; outcome: string }) => `${e.runId}:${e.outcome}`)).toEqual([
      'r3:failure',
      'r2:drill',
      'q1:success',
      'r1:success',
    ]);
    const commits = git(dir, 'log', '--format=%H', '-4').split('\n');
    expect(doc.runs.map((e: { commit: string }) => e.commit)).toEqual(commits);
    for (const e of doc.runs) {
      const run = JSON.parse(readFileSync(join(dir, e.record, 'run.json'), 'utf8'));
      expect(e).toMatchObject({ plan: run.plan.path, runId: run.runId, root: run.runRoot });
      expect(Date.parse(e.date)).not.toBeNaN();
    }
    expect(doc.runs[0].record).toBe('reports/test-plan/r3');

    // Only the plans named, and no more than --limit.
    const limited = JSON.parse(cutover(['history', 'plans/p.yaml', '--limit', '2', '--format', 'json'], { cwd: dir }).stdout);
    expect(limited.runs.map((e: { runId: string }) => e.runId)).toEqual(['r3', 'r2']);
    expect(limited.total).toBe(3);
    // Plan paths are relative to the folder the command runs in.
    const fromPlans = cutover(['history', 'q.yaml'], { cwd: join(dir, 'plans') });
    expect(fromPlans.stdout).toMatch(/^date +plan +run id +outcome/);
    expect(fromPlans.stdout).toMatch(/plans\/q\.yaml +q1 +success +sha256:[0-9a-f]{12}… +[0-9a-f]{12} +reports\/other-plan\/q1/);
    expect(fromPlans.stdout).not.toContain('test-plan');
    const bad = cutover(['history', '--limit', 'many'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--limit many is not a positive whole number');
  });

  it('in a shallow clone lists what it holds and says how deep it could look', () => {
    const dir = repoWithRuns();
    const clone = join(tempDir(), 'clone');
    git(dir, 'clone', '-q', '--depth', '2', `file://${dir}`, clone);
    const r = cutover(['history'], { cwd: clone });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/r3 +failure/);
    expect(r.stdout).toMatch(/r2 +drill/);
    expect(r.stdout).not.toMatch(/ r1 /);
    expect(r.stdout).toMatch(/shallow clone: looked back 2 commit\(s\) \(to [0-9T:+-]+\); older runs are not in this clone/);
    const doc = JSON.parse(cutover(['history', '--format', 'json'], { cwd: clone }).stdout);
    expect(doc.shallow.commits).toBe(2);
    expect(doc.runs.map((e: { record: string }) => e.record)).toEqual(['reports/test-plan/r3', 'reports/test-plan/r2']);
  });

  it('says so when nothing ran yet', () => {
    const dir = planRepo(PLAN);
    const r = cutover(['history'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('no runs recorded\n');
  });
});
