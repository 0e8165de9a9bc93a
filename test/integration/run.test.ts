// `cutover run` end to end in real repositories: order, failure paths, timeouts, signals, output, locks, resume.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { git } from '../helpers/git-repo.js';
import { planHead, planRepo, runPlan, startRun } from '../helpers/run-repo.js';
import { processAlive as alive } from '../../src/adapters/process-status.js';
import { waitFor } from '../helpers/wait.js';

const read = (dir: string, rel: string) => readFileSync(join(dir, rel), 'utf8');

/** A run whose step sleeps and whose finally step marks that it ran, sent `signal` once the step is up. */
async function interruptedRun(signal: NodeJS.Signals) {
  const dir = planRepo(`${planHead()}  steps:
    - { id: long, run: node tools/step.js sleep 60000 long.pid }
  finally:
    - { id: fin, run: node tools/step.js append marks.txt finally }
`);
  const run = startRun(dir, ['--no-commit']);
  await waitFor(() => existsSync(join(dir, 'long.pid')));
  const stepPid = Number(read(dir, 'long.pid'));
  run.child.kill(signal);
  return { dir, run, stepPid, exit: await run.exited };
}

describe('cutover run', () => {
  it('runs a passing plan in order and exits 0', () => {
    const dir = planRepo(`${planHead()}  preconditions:
    - { id: pre, run: node tools/step.js append out/order.txt pre }
  steps:
    - { id: one, run: node tools/step.js append out/order.txt one }
    - { id: two, run: [node, tools/step.js, append, out/order.txt, two] }
  finally:
    - { id: fin, run: node tools/step.js append out/order.txt fin }
`);
    const r = runPlan(dir, ['--no-commit']);
    expect(r.code, r.stderr).toBe(0);
    expect(read(dir, 'out/order.txt')).toBe('pre\none\ntwo\nfin\n');
    expect(r.doc!.steps.map((s: { id: string; outcome: string }) => `${s.id}:${s.outcome}`)).toEqual([
      'pre:success',
      'one:success',
      'two:success',
      'fin:success',
    ]);
  });

  it('on a failing step restores its produces, runs rollback and finally, skips later steps, exits 1', () => {
    const dir = planRepo(
      `${planHead()}  steps:
    - { id: migrate, run: node tools/step.js fail 3 out/data/partial.txt, produces: [out/data] }
    - { id: later, run: node tools/step.js append marks.txt later }
  rollback:
    - { id: undo, run: node tools/step.js append marks.txt rollback }
  finally:
    - { id: fin, run: node tools/step.js append marks.txt finally }
`,
      { 'out/data/previous.txt': 'the earlier content\n' },
    );
    const r = runPlan(dir, ['--no-commit']);
    expect(r.code, r.stderr).toBe(1);
    expect(read(dir, 'out/data/previous.txt')).toBe('the earlier content\n');
    expect(existsSync(join(dir, 'out/data/partial.txt'))).toBe(false);
    expect(read(dir, 'marks.txt')).toBe('rollback\nfinally\n');
    const outcomes = Object.fromEntries(r.doc!.steps.map((s: { id: string; outcome: string }) => [s.id, s.outcome]));
    expect(outcomes).toEqual({ migrate: 'failure', later: 'skipped', undo: 'success', fin: 'success' });
  });

  it('ends the whole process tree on a timeout, grandchildren that ignore SIGTERM included', async () => {
    const dir = planRepo(`${planHead()}  steps:
    - { id: stubborn, run: node tools/step.js stubborn pids.txt, timeout: 1s }
`);
    const started = Date.now();
    const r = runPlan(dir, ['--no-commit', '--grace', '1s']);
    const took = Date.now() - started;
    expect(r.code, r.stderr).toBe(1);
    expect(r.doc!.steps[0].reason).toMatch(/timed out/);
    expect(took).toBeLessThan(1000 + 1000 + 8000);
    const pids = read(dir, 'pids.txt').trim().split(' ').map(Number);
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(alive(pid), `pid ${pid}`).toBe(false);
  });

  it('on SIGINT stops the step, runs finally, exits 130 and leaves no child; a second SIGINT exits at once', async () => {
    const { dir, run, stepPid, exit: first } = await interruptedRun('SIGINT');
    expect(first.code, run.output().stderr).toBe(130);
    expect(read(dir, 'marks.txt')).toBe('finally\n');
    expect(alive(stepPid)).toBe(false);

    const dir2 = planRepo(`${planHead()}  steps:
    - { id: long, run: node tools/step.js sleep 60000 long.pid }
  finally:
    - { id: fin, run: node tools/step.js sleep 60000 fin.pid }
`);
    const second = startRun(dir2, ['--no-commit']);
    await waitFor(() => existsSync(join(dir2, 'long.pid')));
    second.child.kill('SIGINT');
    await waitFor(() => existsSync(join(dir2, 'fin.pid')));
    const finPid = Number(read(dir2, 'fin.pid'));
    const before = Date.now();
    second.child.kill('SIGINT');
    const exit = await second.exited;
    expect(exit.code).toBe(130);
    expect(Date.now() - before).toBeLessThan(3000);
    await waitFor(() => !alive(finPid), 5000);
  });

  it('on SIGHUP (a dropped terminal session) stops the step, runs finally, writes the record and exits 129', async () => {
    const { dir, run, stepPid, exit } = await interruptedRun('SIGHUP');
    const { code, signal } = exit;
    expect({ code, signal }, run.output().stderr).toEqual({ code: 129, signal: null });
    expect(read(dir, 'marks.txt')).toBe('finally\n');
    expect(alive(stepPid)).toBe(false);
    const record = JSON.parse(read(dir, 'reports/test-plan/r1/run.json'));
    expect(record).toMatchObject({ outcome: 'interrupted', exitCode: 129 });
  });

  it('commits a files artifact rewritten with the same size in the same second the index was written', async () => {
    // git trusts a cached stat only for a file older than the index: the record commit's copy of the
    // index must keep the index's time, or this rewrite would look unchanged and not be committed.
    const dir = planRepo(
      `${planHead()}  steps:
    - { id: rewrite, run: node tools/step.js write out/data.txt 2 }
    - { id: later, run: node tools/step.js sleep 1100 }
  artifacts:
    - { name: data, path: out/data.txt, commit: files }
`,
      { 'out/data.txt': '0' },
    );
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));
    writeFileSync(join(dir, 'out/data.txt'), '1');
    git(dir, 'commit', '-qam', 'the index is written in this second');
    const r = runPlan(dir);
    expect(r.code, r.stderr).toBe(0);
    expect(git(dir, 'show', 'HEAD:out/data.txt')).toBe('2');
    expect(git(dir, 'status', '--porcelain', 'out')).toBe('');
  });

  it('runs a string command without a shell unless shell: is written', () => {
    const dir = planRepo(`${planHead()}  steps:
    - { id: plain, run: "echo a; touch pwned" }
    - { id: shelled, run: "echo a; touch pwned-by-shell", shell: bash }
`);
    const r = runPlan(dir, ['--no-commit']);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
    expect(existsSync(join(dir, 'a;'))).toBe(false);
    expect(existsSync(join(dir, 'pwned-by-shell'))).toBe(true);
  });

  it('refuses a second concurrent run naming the lock id, and recognises a lock left by kill -9 as stale', async () => {
    const dir = planRepo(`${planHead()}  steps:
    - { id: first, run: node tools/step.js append marks.txt first }
    - { id: long, run: node tools/step.js sleep 5000 long.pid }
`);
    const first = startRun(dir, ['--no-commit']);
    await waitFor(() => existsSync(join(dir, 'long.pid')));
    const second = runPlan(dir, ['--no-commit']);
    expect(second.code).toBe(3);
    const lock = JSON.parse(readFileSync(join(dir, '.git/cutover/locks/test-plan.lock'), 'utf8'));
    expect(second.doc!.code).toBe('RUN_LOCKED');
    expect(JSON.stringify(second.doc)).toContain(lock.id);
    first.child.kill('SIGKILL');
    await first.exited;
    const resumed = runPlan(dir, ['--no-commit', '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(read(dir, 'marks.txt')).toBe('first\n');
  });

  it('after kill -9 in the middle of a step, --resume skips finished steps and reaches the same roots', async () => {
    const plan = `${planHead()}  steps:
    - { id: build, run: node tools/step.js tree out/a 20, produces: [out/a] }
    - { id: count, run: node tools/step.js append counts.txt count }
    - { id: slow, run: node tools/step.js sleep 1500 slow.pid }
    - { id: more, run: node tools/step.js tree out/b 5, produces: [out/b] }
  artifacts:
    - { name: a, path: out/a }
    - { name: b, path: out/b }
`;
    const reference = runPlan(planRepo(plan), ['--no-commit']);
    expect(reference.code, reference.stderr).toBe(0);

    const dir = planRepo(plan);
    const run = startRun(dir, ['--no-commit']);
    await waitFor(() => existsSync(join(dir, 'slow.pid')));
    run.child.kill('SIGKILL');
    await run.exited;
    const resumed = runPlan(dir, ['--no-commit', '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(read(dir, 'counts.txt')).toBe('count\n');
    expect(resumed.doc!.artifacts).toEqual(reference.doc!.artifacts);
    expect(resumed.doc!.runRoot).toBe(reference.doc!.runRoot);
  });

  it('refuses to resume when the plan or the lock changed since the run started, and a fresh run while one is unfinished', async () => {
    const plan = `${planHead()}  steps:
    - { id: count, run: node tools/step.js append counts.txt count }
    - { id: slow, run: node tools/step.js sleep 2000 slow.pid }
    - { id: last, run: node tools/step.js append counts.txt last }
`;
    const dir = planRepo(plan);
    const run = startRun(dir, ['--no-commit']);
    await waitFor(() => existsSync(join(dir, 'slow.pid')));
    run.child.kill('SIGKILL');
    await run.exited;

    const fresh = runPlan(dir, ['--no-commit']);
    expect(fresh.code).toBe(3);
    expect(fresh.doc!.problems[0]).toMatchObject({ code: 'RESUME_REFUSED', message: 'run r1 of test-plan did not finish' });

    const approved = read(dir, 'plans/p.yaml');
    writeFileSync(join(dir, 'plans/p.yaml'), `${approved}# edited after the run started\n`);
    const planChanged = runPlan(dir, ['--no-commit', '--resume']);
    expect(planChanged.code).toBe(3);
    expect(planChanged.doc!.problems[0]).toMatchObject({ code: 'RESUME_REFUSED', message: 'the plan changed since run r1 started' });
    writeFileSync(join(dir, 'plans/p.yaml'), approved);

    const lock = read(dir, 'plans/p.lock.json');
    writeFileSync(join(dir, 'plans/p.lock.json'), `${lock} `);
    const lockChanged = runPlan(dir, ['--no-commit', '--resume']);
    expect(lockChanged.code).toBe(3);
    expect(lockChanged.doc!.problems[0]).toMatchObject({ code: 'RESUME_REFUSED', message: 'the lock changed since run r1 started' });
    writeFileSync(join(dir, 'plans/p.lock.json'), lock);

    expect(read(dir, 'counts.txt')).toBe('count\n'); // nothing ran while refused
    const resumed = runPlan(dir, ['--no-commit', '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(read(dir, 'counts.txt')).toBe('count\nlast\n');
  }, 30_000);

  it('determinism passes on a deterministic step and names the files of one that writes the time', () => {
    const dir = planRepo(`${planHead()}  steps:
    - { id: stable, run: node tools/step.js tree out/stable 3 }
    - { id: check-stable, uses: determinism, with: { rerun: [stable], paths: [out/stable] } }
    - { id: clock, run: node tools/step.js time out/clock/now.txt }
    - { id: check-clock, uses: determinism, with: { rerun: [clock], paths: [out/clock] } }
`);
    const r = runPlan(dir, ['--no-commit']);
    expect(r.code).toBe(1);
    const byId = Object.fromEntries(r.doc!.steps.map((s: { id: string }) => [s.id, s]));
    expect(byId['check-stable'].outcome).toBe('success');
    expect(byId['check-clock'].outcome).toBe('failure');
    expect(byId['check-clock'].reason).toContain('out/clock/now.txt: changed');
  });
});
