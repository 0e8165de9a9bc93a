// The phase order of a run (docs/runs.md, "Phases"): preconditions, steps, rollback when a step failed, finally always.
import type { ResolvedPlan, ResolvedStep } from '../plan/resolve.js';
import { PHASES } from '../plan/types.js';
import { runGraph } from './schedule.js';

/** Every step of a plan in the order its phases run: preconditions, steps, rollback, finally. */
export function phaseOrder(plan: Pick<ResolvedPlan, 'phases'>): ResolvedStep[] {
  return PHASES.flatMap((phase) => plan.phases[phase]);
}

/** How the phases run and skip a step, and whether the run has failed so far. */
export interface PhaseRunner {
  /** Runs a step to its end (or skips it by its condition); `interruptible: false` for finally. */
  run(step: ResolvedStep, signal: AbortSignal, interruptible: boolean): Promise<void>;
  /** Records a step as skipped without running it. */
  skip(step: ResolvedStep, reason: string): Promise<void>;
  /** Whether a step (or a run-level problem) has failed the run so far. */
  failed(): boolean;
  /** Whether one of these steps failed (one without `continueOnError`), in this attempt or an earlier one. */
  failedIn(steps: readonly ResolvedStep[]): boolean;
}

/**
 * Runs the phases in order, each as its steps' `needs` allow, at most `plan.concurrency` steps at
 * once. Rollback runs only after a failed step: not after a failed precondition (nothing changed
 * yet) and not after an interrupt. Finally runs on every path, an interrupt included; only a second
 * signal stops it (by exiting). Returns whether the run was interrupted.
 */
export async function runPhases(
  plan: Pick<ResolvedPlan, 'phases' | 'concurrency'>,
  runner: PhaseRunner,
  signal: AbortSignal,
): Promise<{ interrupted: boolean }> {
  const limit = plan.concurrency;
  await runGraph(plan.phases.preconditions, limit, (step) => runner.run(step, signal, true));
  const preconditionFailed = runner.failedIn(plan.phases.preconditions);
  await runGraph(plan.phases.steps, limit, (step) => runner.run(step, signal, true));
  const interrupted = signal.aborted;
  await runGraph(plan.phases.rollback, limit, (step) => {
    if (preconditionFailed) return runner.skip(step, 'a precondition failed; nothing to roll back');
    if (interrupted) return runner.skip(step, 'the run was interrupted');
    return runner.run(step, signal, true);
  });
  const finallySignal = new AbortController().signal;
  await runGraph(plan.phases.finally, limit, (step) => runner.run(step, finallySignal, false));
  return { interrupted };
}
