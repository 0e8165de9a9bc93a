// The phase order and the phases' rules, driven through a fake runner (no process is the point here).
import { describe, expect, it } from 'vitest';
import type { ResolvedPlan, ResolvedStep } from '../../../src/plan/resolve.js';
import type { Phase } from '../../../src/plan/types.js';
import { phaseOrder, runPhases, type PhaseRunner } from '../../../src/run/phases.js';
import { step } from '../record/fixture.js';

/** A plan whose phases hold these ids, each step waiting for the one before it (as without `needs`). */
function plan(ids: Partial<Record<Phase, string[]>>): Pick<ResolvedPlan, 'phases' | 'concurrency'> {
  const phase = (p: Phase) => (ids[p] ?? []).map((id, i, all) => step(p, i, id, { needs: i ? [all[i - 1]!] : [] }));
  return {
    phases: { preconditions: phase('preconditions'), steps: phase('steps'), rollback: phase('rollback'), finally: phase('finally') },
    concurrency: 1,
  };
}

/** A runner that records what it was asked to do; `fails` ids fail, `abort` aborts the run when that step runs. */
function fakeRunner(fails: string[] = [], abort?: { id: string; controller: AbortController }) {
  const calls: string[] = [];
  let failed = false;
  const failedIds = new Set<string>();
  const runner: PhaseRunner = {
    async run(s: ResolvedStep, signal: AbortSignal, interruptible: boolean) {
      calls.push(`run ${s.id}${interruptible ? '' : ' (not interruptible)'}${signal.aborted ? ' (aborted)' : ''}`);
      if (fails.includes(s.id)) {
        failed = true;
        failedIds.add(s.id);
      }
      if (abort?.id === s.id) abort.controller.abort('SIGINT');
    },
    async skip(s: ResolvedStep, reason: string) {
      calls.push(`skip ${s.id}: ${reason}`);
    },
    failed: () => failed,
    failedIn: (steps) => steps.some((s) => failedIds.has(s.id)),
  };
  return { runner, calls };
}

describe('phaseOrder', () => {
  it('lists preconditions, steps, rollback and finally in that order, each in its own order', () => {
    const p = plan({ finally: ['fin'], rollback: ['undo1', 'undo2'], steps: ['a', 'b'], preconditions: ['pre'] });
    expect(phaseOrder(p).map((s) => `${s.phase}/${s.id}`)).toEqual([
      'preconditions/pre',
      'steps/a',
      'steps/b',
      'rollback/undo1',
      'rollback/undo2',
      'finally/fin',
    ]);
  });
});

describe('runPhases', () => {
  const all = plan({ preconditions: ['pre'], steps: ['a', 'b'], rollback: ['undo'], finally: ['fin'] });

  it('offers every step to the runner in phase order; rollback too (its condition decides)', async () => {
    const { runner, calls } = fakeRunner();
    const ended = await runPhases(all, runner, new AbortController().signal);
    expect(ended.interrupted).toBe(false);
    expect(calls).toEqual(['run pre', 'run a', 'run b', 'run undo', 'run fin (not interruptible)']);
  });

  it('skips rollback after a failed precondition: nothing changed yet', async () => {
    const { runner, calls } = fakeRunner(['pre']);
    await runPhases(all, runner, new AbortController().signal);
    expect(calls).toContain('skip undo: a precondition failed; nothing to roll back');
    expect(calls.at(-1)).toBe('run fin (not interruptible)');
  });

  it('after an interrupt skips rollback and still runs finally with a signal of its own', async () => {
    const controller = new AbortController();
    const { runner, calls } = fakeRunner([], { id: 'a', controller });
    const ended = await runPhases(all, runner, controller.signal);
    expect(ended.interrupted).toBe(true);
    expect(calls).toEqual(['run pre', 'run a', 'run b (aborted)', 'skip undo: the run was interrupted', 'run fin (not interruptible)']);
  });
});
