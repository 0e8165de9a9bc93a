// `cutover abandon` in real repositories: a crashed run is closed without running anything, with a
// committed record of what had run, and a fresh run starts normally afterwards.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, cutover } from '../helpers/cli.js';
import { git } from '../helpers/git-repo.js';
import { planHead, planRepo } from '../helpers/run-repo.js';
import { processAlive as alive } from '../../src/adapters/process-status.js';

const PLAN = `${planHead()}  steps:
    - { id: one, run: node tools/step.js append out/order.txt one }
    - { id: slow, run: "node tools/step.js sleep \${{ env.SLEEP_MS ?? '600000' }} slow.pid" }
    - { id: three, run: node tools/step.js append out/order.txt three }
  finally:
    - { id: fin, run: node tools/step.js append out/order.txt fin }
`;

/** Starts `cutover run`, waits until the slow step runs, and returns the cutover process and the step's pid. */
async function runUntilSlow(dir: string) {
  const child = spawn(process.execPath, [CLI, 'run', 'plans/p.yaml'], {
    cwd: dir,
    env: { ...process.env, NO_COLOR: '1', CI: '' },
    stdio: 'ignore',
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  while (!existsSync(join(dir, 'slow.pid'))) await new Promise((r) => setTimeout(r, 50));
  return { child, exited, stepPid: Number(readFileSync(join(dir, 'slow.pid'), 'utf8')) };
}

/** A repository whose run of plans/p.yaml was killed with -9 while its `slow` step ran. */
async function crashedRepo(): Promise<{ dir: string; stepPid: number }> {
  const dir = planRepo(PLAN, { '.gitignore': 'slow.pid\nout/\n' });
  const { child, exited, stepPid } = await runUntilSlow(dir);
  child.kill('SIGKILL');
  await exited;
  return { dir, stepPid };
}

describe('cutover abandon', () => {
  it('closes a crashed run without running anything: a committed record of what had run, the journal cleared', async () => {
    const { dir, stepPid } = await crashedRepo();
    expect(alive(stepPid)).toBe(true);
    const r = cutover(['abandon', 'plans/p.yaml'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ended process group \d+ of step slow/);
    expect(alive(stepPid)).toBe(false);
    expect(readFileSync(join(dir, 'out/order.txt'), 'utf8')).toBe('one\n'); // nothing else ran: no step, no finally
    expect(existsSync(join(dir, '.git/cutover/journal/test-plan.jsonl'))).toBe(false);

    expect(git(dir, 'log', '-1', '--format=%s')).toBe('cutover(test-plan): r1 abandoned');
    expect(git(dir, 'log', '-1', '--format=%(trailers:key=Cutover-Outcome,valueonly)')).toBe('abandoned');
    const run = JSON.parse(readFileSync(join(dir, 'reports/test-plan/r1/run.json'), 'utf8'));
    expect(run.outcome).toBe('abandoned');
    expect(run.steps.map((s: { id: string; outcome: string }) => `${s.id}:${s.outcome}`)).toEqual([
      'one:success',
      'slow:interrupted',
      'three:skipped',
      'fin:skipped',
    ]);
    expect(run.artifacts).toEqual([]);
    expect(readFileSync(join(dir, 'reports/test-plan/r1/report.md'), 'utf8').split('\n')[0]).toBe('# test-plan · r1 🛑 abandoned');
    const v = cutover(['verify', 'reports/test-plan/r1'], { cwd: dir });
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(git(dir, 'status', '--porcelain')).toBe('');
  });

  it('is what a refused fresh run suggests, and lets a fresh run start normally afterwards', async () => {
    const { dir } = await crashedRepo();
    const refused = cutover(['run', 'plans/p.yaml', '--run-id', 'r2'], { cwd: dir });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('RESUME_REFUSED');
    expect(refused.stderr).toContain('cutover abandon plans/p.yaml');
    expect(cutover(['abandon', 'plans/p.yaml'], { cwd: dir }).code).toBe(0);
    const fresh = cutover(['run', 'plans/p.yaml', '--run-id', 'r2', '--format', 'json'], { cwd: dir, env: { SLEEP_MS: '10' } });
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(JSON.parse(fresh.stdout).outcome).toBe('success');
    expect(git(dir, 'log', '-2', '--format=%s').split('\n')).toEqual([
      'cutover(test-plan): r2 success',
      'cutover(test-plan): r1 abandoned',
    ]);
  });

  it('refuses when there is no unfinished run, and while the run is alive', async () => {
    const dir = planRepo(PLAN, { '.gitignore': 'slow.pid\nout/\n' });
    const none = cutover(['abandon', 'plans/p.yaml'], { cwd: dir });
    expect(none.code).toBe(3);
    expect(none.stderr).toContain('NO_UNFINISHED_RUN: no unfinished run of test-plan to abandon');

    const { child, exited } = await runUntilSlow(dir);
    const live = cutover(['abandon', 'plans/p.yaml'], { cwd: dir });
    child.kill('SIGTERM');
    await exited;
    expect(live.code).toBe(3);
    expect(live.stderr).toContain('RUN_LOCKED');
  });

  it('records the plan the run ran, from its commit, not the one edited since', async () => {
    const { dir } = await crashedRepo();
    const ran = execFileSync('git', ['show', 'HEAD:plans/p.yaml'], { cwd: dir });
    writeFileSync(join(dir, 'plans/p.yaml'), `${PLAN}    - { id: added-later, run: node tools/step.js append out/order.txt later }\n`);
    const r = cutover(['abandon', 'plans/p.yaml', '--format', 'json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, outcome: 'abandoned', runId: 'r1', record: 'reports/test-plan/r1' });
    const run = JSON.parse(readFileSync(join(dir, 'reports/test-plan/r1/run.json'), 'utf8'));
    expect(run.plan.digest).toBe(`sha256:${createHash('sha256').update(ran).digest('hex')}`);
    expect(run.steps.map((s: { id: string }) => s.id)).toEqual(['one', 'slow', 'three', 'fin']);
  });
});
