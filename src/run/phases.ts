// The phase order of a run (docs/runs.md, "Phases"): preconditions, steps, rollback when a step failed, finally always.
import type { ResolvedPlan, ResolvedStep } from '../plan/resolve.js';
import { PHASES } from '../plan/types.js';

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
}

/**
 * Runs the phases in order. Rollback runs only after a failed step: not after a failed precondition
 * (nothing changed yet) and not after an interrupt. Finally runs on every path, an interrupt
 * included; only a second signal stops it (by exiting). Returns whether the run was interrupted.
 */
export async function runPhases(plan: Pick<ResolvedPlan, 'phases'>, runner: PhaseRunner, signal: AbortSignal): Promise<{ interrupted: boolean }> {
  for (const step of plan.phases.preconditions) await runner.run(step, signal, true);
  const preconditionFailed = runner.failed();
  for (const step of plan.phases.steps) await runner.run(step, signal, true);
  const interrupted = signal.aborted;
  for (const step of plan.phases.rollback) {
    if (preconditionFailed) await runner.skip(step, 'a precondition failed; nothing to roll back');
    else if (interrupted) await runner.skip(step, 'the run was interrupted');
    else await runner.run(step, signal, true);
  }
  const finallySignal = new AbortController().signal;
  for (const step of plan.phases.finally) await runner.run(step, finallySignal, false);
  return { interrupted };
}
