// `cutover run` with needs, spec.concurrency and matrix steps, in real repositories with real processes.
// Concurrency is observed through what the step programs write (who started before whom), never timed.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, cutover } from '../helpers/cli.js';
import { git } from '../helpers/git-repo.js';
import { planHead, planRepo, runPlan } from '../helpers/run-repo.js';
import { processAlive as alive } from '../../src/adapters/process-status.js';
import { waitFor } from '../helpers/wait.js';

const read = (dir: string, rel: string) => readFileSync(join(dir, rel), 'utf8');
const lines = (dir: string, rel: string) => read(dir, rel).split('\n').filter(Boolean);
const outcomes = (doc: Record<string, any>) => Object.fromEntries(doc.steps.map((s: { id: string; outcome: string }) => [s.id, s.outcome]));

/** A plan whose `migrate` step fans out over `modules` (listed), each shard writing out/<module>. */
function matrixPlan(modules: string[], concurrency: number, extra = ''): string {
  return `${planHead()}  concurrency: ${concurrency}
  steps:
    - id: migrate
      matrix: { module: [${modules.join(', ')}] }
      run: node tools/step.js module \${{ matrix.module }} out done.txt
      produces: ["out/\${{ matrix.module }}"]
${extra}  artifacts:
    - { name: out, path: out, roots: children }
`;
}

describe('cutover run with needs and concurrency', () => {
  it('runs steps that need the same step side by side, and a step after all it needs', () => {
    const dir = planRepo(`${planHead()}  concurrency: 2
  steps:
    - { id: prep, run: node tools/step.js append order.txt prep }
    - { id: left, needs: [prep], run: node tools/step.js meet meet.txt left right, timeout: 30s }
    - { id: right, needs: [prep], run: node tools/step.js meet meet.txt right left, timeout: 30s }
    - { id: join, needs: [left, right], run: node tools/step.js append order.txt join }
`);
    const r = runPlan(dir, ['--no-commit']);
    expect(r.code, r.stderr).toBe(0);
    // Each of left and right waited for the other to start: they ran at the same time.
    expect(lines(dir, 'meet.txt').slice(0, 2).sort()).toEqual(['start left', 'start right']);
    expect(read(dir, 'order.txt')).toBe('prep\njoin\n');
    expect(r.doc!.steps.map((s: { id: string }) => s.id)).toEqual(['prep', 'left', 'right', 'join']);
  });

  it('keeps the written order of a plan without needs, whatever the concurrency', () => {
    const dir = planRepo(`${planHead()}  concurrency: 4
  steps:
    - { id: one, run: node tools/step.js append order.txt one }
    - { id: two, run: node tools/step.js append order.txt two }
    - { id: three, run: node tools/step.js append order.txt three }
  finally:
    - { id: f1, run: node tools/step.js append order.txt f1 }
    - { id: f2, run: node tools/step.js append order.txt f2 }
`);
    const r = runPlan(dir, ['--no-commit']);
    expect(r.code, r.stderr).toBe(0);
    expect(read(dir, 'order.txt')).toBe('one\ntwo\nthree\nf1\nf2\n');
  });

  it('never runs more steps at once than spec.concurrency: three steps that can only end together', () => {
    const plan = (n: number) => `${planHead()}  concurrency: ${n}
  steps:
    - { id: a, needs: [], run: node tools/step.js meet meet.txt a b c, timeout: 8s }
    - { id: b, needs: [], run: node tools/step.js meet meet.txt b a c, timeout: 8s }
    - { id: c, needs: [], run: node tools/step.js meet meet.txt c a b, timeout: 8s }
`;
    const two = runPlan(planRepo(plan(2)), ['--no-commit']);
    expect(two.code, two.stderr).toBe(1);
    expect(outcomes(two.doc!)).toEqual({ a: 'failure', b: 'failure', c: 'skipped' });
    expect(two.doc!.steps.filter((s: { reason?: string }) => s.reason?.startsWith('timed out')).length).toBe(2);
    const three = runPlan(planRepo(plan(3)), ['--no-commit']);
    expect(three.code, three.stderr).toBe(0);
  }, 60_000);
});

describe('showing steps that run side by side', () => {
  const plan = `${planHead()}  concurrency: 2
  steps:
    - { id: prep, run: node tools/step.js append order.txt prep }
    - id: migrate
      needs: [prep]
      matrix: { module: [left, right] }
      run: node tools/step.js meet meet.txt \${{ matrix.module }} left right
      timeout: 30s
    - { id: report, needs: [], run: node tools/step.js append order.txt report }
`;

  it("in GitHub's format opens one group at a time: groups do not nest", () => {
    const dir = planRepo(plan);
    const r = cutover(['run', 'plans/p.yaml', '--no-commit', '--format', 'github'], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    let open = 0;
    let groups = 0;
    for (const line of r.stdout.split('\n')) {
      if (line.startsWith('::group::')) {
        open++;
        groups++;
      }
      if (line === '::endgroup::') open--;
      expect(open).toBeGreaterThanOrEqual(0);
      expect(open).toBeLessThanOrEqual(1);
    }
    expect(open).toBe(0);
    expect(groups).toBeGreaterThanOrEqual(2);
    expect(r.stdout).toContain('✓ steps/migrate[left] success');
    expect(r.stdout).toContain('✓ steps/migrate[right] success');
  });

  it('cutover plan shows each shard and what each step waits for', () => {
    const dir = planRepo(plan);
    const r = cutover(['plan', 'plans/p.yaml'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('at once    up to 2 steps');
    expect(r.stdout).toMatch(/migrate\[left\] +node tools\/step\.js meet meet\.txt left left right/);
    expect(r.stdout).toMatch(/migrate\[right\] +node tools\/step\.js meet meet\.txt right left right/);
    expect(r.stdout).toMatch(/report .*\(needs nothing \(starts with its phase\)\)/);
    const json = JSON.parse(cutover(['plan', 'plans/p.yaml', '--format', 'json'], { cwd: dir }).stdout);
    expect(json.order.map((s: { id: string; needs: string[] }) => `${s.id} ← ${s.needs.join(',')}`)).toEqual([
      'prep ← ',
      'migrate[left] ← prep',
      'migrate[right] ← prep',
      'report ← ',
    ]);
  });
});

describe('cutover run with a matrix step', () => {
  it('fails fast: after a shard fails no new shard starts, the running one finishes, its produces are restored, rollback and finally run', () => {
    const dir = planRepo(
      matrixPlan(
        ['kurse', 'orte', 'personen', 'raeume'],
        2,
        '  rollback:\n    - { id: undo, run: node tools/step.js append marks.txt rollback }\n  finally:\n    - { id: fin, run: node tools/step.js append marks.txt finally }\n',
      ),
      // kurse is still running when orte fails: it ends only once orte's failure is journaled.
      { 'fail/orte': '', 'wait/kurse': '.git/cutover/journal/test-plan.jsonl\n"id":"migrate[orte]","name"' },
    );
    const r = runPlan(dir, ['--no-commit']);
    expect(r.code, r.stderr).toBe(1);
    expect(outcomes(r.doc!)).toEqual({
      'migrate[kurse]': 'success',
      'migrate[orte]': 'failure',
      'migrate[personen]': 'skipped',
      'migrate[raeume]': 'skipped',
      undo: 'success',
      fin: 'success',
    });
    expect(lines(dir, 'done.txt')).toEqual(['kurse']);
    expect(existsSync(join(dir, 'out/orte'))).toBe(false); // the failed shard's partial output is gone
    expect(read(dir, 'marks.txt')).toBe('rollback\nfinally\n');
  });

  it('drills one shard with --fail-at STEP[VALUE]; each shard keeps its own log in the record, which verifies', () => {
    const dir = planRepo(
      matrixPlan(['kurse', 'orte', 'personen'], 1, '  rollback:\n    - { id: undo, run: node tools/step.js append marks.txt rollback }\n'),
    );
    const r = runPlan(dir, ['--fail-at', 'migrate[orte]']);
    expect(r.code, r.stderr).toBe(1);
    expect(outcomes(r.doc!)).toEqual({
      'migrate[kurse]': 'success',
      'migrate[orte]': 'failure',
      'migrate[personen]': 'skipped',
      undo: 'success',
    });
    const run = JSON.parse(read(dir, 'reports/test-plan/r1/run.json'));
    expect(run.drill).toBe('migrate[orte]');
    const orte = run.steps.find((s: { id: string }) => s.id === 'migrate[orte]');
    expect(orte).toMatchObject({
      drill: true,
      matrix: { of: 'migrate', values: { module: 'orte' } },
      log: { path: 'logs/steps-01-migrate.orte.log' },
    });
    expect(read(dir, 'reports/test-plan/r1/logs/steps-01-migrate.orte.log')).toContain('--fail-at drill');
    expect(read(dir, 'reports/test-plan/r1/logs/steps-01-migrate.kurse.log')).toBe('');
    const verified = cutover(['verify', 'reports/test-plan/r1'], { cwd: dir });
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
  });

  it('after kill -9 with three shards done, --resume ends the ones left running, reruns only the rest and reaches the serial run roots', async () => {
    const modules = ['a1', 'b2', 'c3', 'd4', 'e5', 'f6'];
    const serial = runPlan(planRepo(matrixPlan(modules, 1)), ['--no-commit']);
    expect(serial.code, serial.stderr).toBe(0);

    const dir = planRepo(matrixPlan(modules, 3));
    mkdirSync(join(dir, 'hold'));
    for (const m of ['d4', 'e5', 'f6']) writeFileSync(join(dir, 'hold', m), '');
    const child = spawn(process.execPath, [CLI, 'run', 'plans/p.yaml', '--no-commit', '--format', 'json'], {
      cwd: dir,
      env: { ...process.env, CI: '', GITHUB_ACTIONS: '' },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    const pidFiles = ['d4', 'e5', 'f6'].map((m) => join(dir, 'hold', `${m}.pid`));
    await waitFor(() => pidFiles.every(existsSync));
    expect(lines(dir, 'done.txt').sort()).toEqual(['a1', 'b2', 'c3']);
    child.kill('SIGKILL');
    await exited;
    const held = pidFiles.map((f) => Number(readFileSync(f, 'utf8')));
    expect(held.every(alive)).toBe(true); // orphans of the killed run, still holding
    rmSync(join(dir, 'hold'), { recursive: true });

    const resumed = runPlan(dir, ['--no-commit', '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(held.some(alive)).toBe(false);
    expect(lines(dir, 'done.txt').sort()).toEqual(modules); // each shard once: the three done were not run again
    expect(Object.values(outcomes(resumed.doc!))).toEqual(modules.map(() => 'success'));
    expect(resumed.doc!.artifacts).toEqual(serial.doc!.artifacts);
    expect(resumed.doc!.runRoot).toBe(serial.doc!.runRoot);
  }, 90_000);

  it('reads the shard list from a frozen file, and refuses to run when that file differs from the lock', () => {
    const plan = `${planHead()}  inputs:
    - { name: modules, paths: ["migration/*.json"] }
  steps:
    - id: migrate
      matrix: { module: { file: migration/modules.json, path: modules } }
      run: node tools/step.js module \${{ matrix.module }} out done.txt
`;
    const dir = planRepo(plan, { 'migration/modules.json': '{ "modules": ["kurse", "orte"] }\n' });
    const r = runPlan(dir, ['--no-commit', '--run-id', 'first']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.doc!.steps.map((s: { id: string }) => s.id)).toEqual(['migrate[kurse]', 'migrate[orte]']);

    writeFileSync(join(dir, 'migration/modules.json'), '{ "modules": ["kurse", "orte", "extra"] }\n');
    git(dir, 'commit', '-qam', 'one more module, not frozen');
    const refused = runPlan(dir, ['--no-commit', '--run-id', 'second']);
    expect(refused.code).toBe(3);
    expect(refused.doc!.problems[0]).toMatchObject({ code: 'REGISTRY_UNFROZEN' });
    expect(refused.doc!.problems[0].message).toContain('migration/modules.json');
    expect(lines(dir, 'done.txt')).toEqual(['kurse', 'orte']); // nothing ran
  });

  it('determinism reruns every shard of a matrix step and compares the roots', () => {
    const dir = planRepo(
      matrixPlan(['kurse', 'orte'], 2, '    - { id: check, uses: determinism, with: { rerun: [migrate], paths: [out] } }\n'),
    );
    const r = runPlan(dir, ['--no-commit']);
    expect(r.code, r.stderr).toBe(0);
    expect(outcomes(r.doc!).check).toBe('success');
    expect(lines(dir, 'done.txt').sort()).toEqual(['kurse', 'kurse', 'orte', 'orte']);
  });
});
