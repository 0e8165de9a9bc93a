// What a step can say about itself, run for real: retries, continueOnError, if:, each kind of
// expectation, snapshot and restore, and --verbose output.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cutover } from '../helpers/cli.js';
import { planHead, planRepo, runPlan } from '../helpers/run-repo.js';

const read = (dir: string, rel: string) => readFileSync(join(dir, rel), 'utf8');
const log = (dir: string, name: string) => read(dir, `reports/test-plan/r1/logs/${name}.log`);
type Step = { id: string; outcome: string; attempts: number; reason?: string };
const byId = (doc: Record<string, any> | undefined): Record<string, Step> =>
  Object.fromEntries((doc!.steps as Step[]).map((s) => [s.id, s]));

describe('cutover run step features', () => {
  it('retries a failed step after removing what the failed attempt left in its produces', () => {
    const dir = planRepo(`${planHead()}  steps:
    - id: flaky
      run: node tools/step.js flaky count.txt 3 out/part.txt
      produces: [out]
      retries: { count: 2, delay: 10ms }
    - id: hopeless
      run: node tools/step.js fail 4 out-new/partial.txt
      produces: [out-new]
      retries: { count: 1 }
`);
    const r = runPlan(dir, ['--no-commit']);
    expect(r.code, r.stderr).toBe(1);
    const steps = byId(r.doc);
    // Each attempt found no out/part.txt from the one before (it would exit 3 if it did).
    expect(steps.flaky).toMatchObject({ outcome: 'success', attempts: 3 });
    expect(read(dir, 'out/part.txt')).toBe('attempt 3\n');
    expect(log(dir, 'steps-01-flaky')).toMatch(
      /attempt 1 of 3\n[\s\S]*cutover: attempt 2\n[\s\S]*attempt 2 of 3\n[\s\S]*cutover: attempt 3\n[\s\S]*attempt 3 of 3\n/,
    );
    expect(steps.hopeless).toMatchObject({ outcome: 'failure', attempts: 2 });
    expect(existsSync(join(dir, 'out-new'))).toBe(false); // did not exist before the failed step: removed
  });

  it('lets a step marked continueOnError fail without failing the run, and evaluates if: against outcomes and env', () => {
    const dir = planRepo(`${planHead()}  steps:
    - { id: optional, run: node tools/step.js fail 2, continueOnError: true }
    - { id: after-optional, run: node tools/step.js append marks.txt after-optional, if: "steps.optional.outcome == 'failure'" }
    - { id: not-this-env, run: node tools/step.js append marks.txt wrong-env, if: "env.TARGET == 'prod'" }
    - { id: this-env, run: node tools/step.js append marks.txt right-env, if: "env.TARGET == 'staging' && success()" }
  rollback:
    - { id: undo, run: node tools/step.js append marks.txt rollback }
`);
    const r = runPlan(dir, ['--no-commit'], { TARGET: 'staging' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.doc!.outcome).toBe('success');
    const steps = byId(r.doc);
    expect(steps.optional!.outcome).toBe('failure');
    expect(steps['not-this-env']).toMatchObject({ outcome: 'skipped', reason: "condition is false: env.TARGET == 'prod'" });
    expect(steps.undo!.outcome).toBe('skipped'); // nothing failed the run: no rollback
    expect(read(dir, 'marks.txt')).toBe('after-optional\nright-env\n');
  });

  it('checks exit codes, paths, JSON values and stdout, and fails a step naming the expectation it missed', () => {
    const dir = planRepo(`${planHead()}  steps:
    - id: writes
      run: [node, tools/step.js, write, out/report.json, '{ "counts": { "BLOCKER": 0, "WARN": 3 }, "status": "clean", "rows": [10, 20] }']
      expect:
        exists: [out/report.json]
        absent: [out/errors.json]
        json:
          - { file: out/report.json, path: counts.BLOCKER, equals: 0 }
          - { file: out/report.json, path: counts.WARN, lte: 5 }
          - { file: out/report.json, path: rows.1, gte: 20 }
          - { file: out/report.json, path: status, in: [clean, empty] }
    - id: exits-two
      run: node tools/step.js fail 2
      expect: { exitCode: [0, 2] }
    - id: says-hello
      run: node tools/step.js echo hello from the step
      expect: { stdout: "^hello from" }
    - id: misses
      uses: assert
      expect:
        json: [{ file: out/report.json, path: counts.WARN, lte: 2 }]
`);
    const r = runPlan(dir, ['--no-commit']);
    expect(r.code, r.stderr).toBe(1);
    const steps = byId(r.doc);
    expect(['writes', 'exits-two', 'says-hello'].map((id) => steps[id]!.outcome)).toEqual(['success', 'success', 'success']);
    expect(steps.misses!.outcome).toBe('failure');
    expect(steps.misses!.reason).toMatch(/counts\.WARN/);
    expect(log(dir, 'steps-04-misses')).toMatch(/cutover: expectation failed: .*counts\.WARN/);
  });

  it("keeps a step's own log in the record when determinism reruns it", () => {
    const dir = planRepo(`${planHead()}  steps:
    - { id: export, run: node tools/step.js token tokens.txt out/export/data.txt same-every-time }
    - { id: same-again, uses: determinism, with: { rerun: [export], paths: [out/export] } }
`);
    const r = runPlan(dir, ['--no-commit']);
    expect(r.code, r.stderr).toBe(0);
    const [first, rerun] = read(dir, 'tokens.txt').trim().split('\n');
    expect(rerun).toBeDefined();
    expect(log(dir, 'steps-01-export')).toBe(`${first}\n`);
    expect(log(dir, 'steps-02-same-again')).toMatch(/rerunning export[\s\S]*roots match/);
  });

  it('records what a step printed by its end, not what a process that escaped its group wrote later', () => {
    const dir = planRepo(`${planHead()}  steps:
    - { id: leaves-one-behind, run: node tools/step.js straggler in-time too-late 300 }
    - { id: meanwhile, run: node tools/step.js sleep 1500 }
`);
    const r = runPlan(dir, ['--no-commit']);
    expect(r.code, r.stderr).toBe(0);
    expect(log(dir, 'steps-01-leaves-one-behind')).toBe('in-time\n');
  });

  it('puts a snapshot back with restore when a later step fails', () => {
    const dir = planRepo(
      `${planHead()}  steps:
    - { id: keep, uses: snapshot, with: { name: before, paths: [data] } }
    - { id: damage, run: node tools/step.js write data/table.csv damaged }
    - { id: breaks, run: node tools/step.js fail 1 }
  rollback:
    - { id: put-back, uses: restore, with: { name: before } }
`,
      { 'data/table.csv': 'id,value\n1,original\n' },
    );
    const r = runPlan(dir, ['--no-commit']);
    expect(r.code, r.stderr).toBe(1);
    expect(byId(r.doc)['put-back']!.outcome).toBe('success');
    expect(read(dir, 'data/table.csv')).toBe('id,value\n1,original\n');
  });

  it('with --verbose streams what a step prints; without it, only the log has it', () => {
    const dir = planRepo(`${planHead()}  steps:
    - { id: talk, run: node tools/step.js echo visible-line-42 }
`);
    const quiet = cutover(['run', 'plans/p.yaml', '--no-commit', '--run-id', 'q1'], { cwd: dir });
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stdout).not.toContain('visible-line-42');
    expect(read(dir, 'reports/test-plan/q1/logs/steps-01-talk.log')).toBe('visible-line-42\n');
    const verbose = cutover(['run', 'plans/p.yaml', '--no-commit', '--run-id', 'v1', '--verbose'], { cwd: dir });
    expect(verbose.code, verbose.stderr).toBe(0);
    expect(verbose.stdout).toContain('visible-line-42');
    expect(existsSync(join(dir, 'reports/test-plan/v1/logs/steps-01-talk.log'))).toBe(true);
  });
});
