// `cutover show` in real repositories: one record by its folder or its run id, the failed step's last lines.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cutover } from '../helpers/cli.js';
import { git } from '../helpers/git-repo.js';
import { planHead, planRepo } from '../helpers/run-repo.js';

// Prints 30 numbered lines, then fails: the view shows the last 20 of them.
const NOISY = 'for (let i = 1; i <= 30; i++) console.log(`line ${i} of the migration`);\nprocess.exit(3);\n';
const PLAN = `${planHead()}  steps:
    - { id: prepare, run: node tools/step.js write out/ready.txt yes, boundary: prepared }
    - { id: migrate, run: node tools/noisy.js }
    - { id: later, run: node tools/step.js append out/later.txt later }
  artifacts:
    - { name: out, path: out }
`;

/** A repository whose run r1 failed at `migrate`, with its record committed. */
function failedRun(): string {
  const dir = planRepo(PLAN, { 'tools/noisy.js': NOISY, '.gitignore': 'out/\n' });
  const r = cutover(['run', 'plans/p.yaml'], { cwd: dir });
  expect(r.code, r.stderr).toBe(1);
  return dir;
}

describe('cutover show', () => {
  it('shows a record by run id: outcome, boundaries, steps with reasons, artifacts, roots, the last 20 lines of the failed step', () => {
    const dir = failedRun();
    const r = cutover(['show', 'r1'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const run = JSON.parse(readFileSync(join(dir, 'reports/test-plan/r1/run.json'), 'utf8'));
    expect(r.stdout.split('\n')[0]).toBe('test-plan · r1  failure (exit 1)');
    expect(r.stdout).toContain('record   reports/test-plan/r1');
    expect(r.stdout).toMatch(/prepared_at +\d{4}-/);
    expect(r.stdout).toMatch(/✓ steps\/prepare +success, exit 0, \d/);
    expect(r.stdout).toMatch(/✗ steps\/migrate +failure, exit 3, \d+(\.\d)? (ms|s) +exit code 3/);
    expect(r.stdout).toMatch(/- steps\/later +skipped +/);
    expect(r.stdout).toContain(`out  out  1 file(s), 3 bytes  ${run.artifacts[0].root}`);
    expect(r.stdout).toContain(`run root  ${run.runRoot}`);
    expect(r.stdout).toContain('last 20 line(s) of steps/migrate  (reports/test-plan/r1/logs/steps-02-migrate.log)');
    // The log's last 20 lines: the step's last 19, then cutover's note of the failed expectation.
    expect(r.stdout).toContain('│ line 12 of the migration');
    expect(r.stdout).toContain('│ line 30 of the migration\n  │ cutover: expectation failed: exit code 3, expected 0\n');
    expect(r.stdout).not.toContain('line 11 of the migration');
  });

  it('shows a record folder as it is, and by run id the record as committed', () => {
    const dir = failedRun();
    const folder = cutover(['show', 'reports/test-plan/r1'], { cwd: dir });
    expect(folder.code).toBe(0);
    expect(folder.stdout).toBe(cutover(['show', 'r1'], { cwd: dir }).stdout);
    // A work-tree edit shows in the folder's view, never in the committed one.
    const runJson = join(dir, 'reports/test-plan/r1/run.json');
    writeFileSync(runJson, readFileSync(runJson, 'utf8').replace(/"runId": "r1"/, '"runId": "edited"'));
    expect(cutover(['show', 'reports/test-plan/r1'], { cwd: dir }).stdout.split('\n')[0]).toBe('test-plan · edited  failure (exit 1)');
    expect(cutover(['show', 'r1'], { cwd: dir }).stdout.split('\n')[0]).toBe('test-plan · r1  failure (exit 1)');
  });

  it('prints run.json itself with --format json', () => {
    const dir = failedRun();
    const byId = cutover(['show', 'r1', '--format', 'json'], { cwd: dir });
    expect(byId.code).toBe(0);
    expect(byId.stdout).toBe(`${git(dir, 'show', 'HEAD:reports/test-plan/r1/run.json')}\n`);
    expect(cutover(['show', 'reports/test-plan/r1', '--format', 'json'], { cwd: dir }).stdout).toBe(
      readFileSync(join(dir, 'reports/test-plan/r1/run.json'), 'utf8'),
    );
  });

  it('says when there is no such record, and when a run id names two', () => {
    const dir = failedRun();
    const none = cutover(['show', 'r9'], { cwd: dir });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('RECORD_NOT_FOUND: no record folder r9 and no record of run r9');
    writeFileSync(join(dir, 'plans/q.yaml'), PLAN.replace('name: test-plan', 'name: other-plan'));
    expect(cutover(['freeze', 'plans/q.yaml'], { cwd: dir }).code).toBe(0);
    git(dir, 'add', 'plans');
    git(dir, 'commit', '-qm', 'second plan');
    expect(cutover(['run', 'plans/q.yaml'], { cwd: dir }).code).toBe(1);
    const two = cutover(['show', 'r1'], { cwd: dir });
    expect(two.code).toBe(2);
    expect(two.stderr).toContain('run id r1 names 2 records: reports/other-plan/r1 (plans/q.yaml), reports/test-plan/r1 (plans/p.yaml)');
  });
});
