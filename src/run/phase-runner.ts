// Runs one step of a run for the phases: through the step runner, re-checking frozen files, into the ledger.
import { join } from 'node:path';
import { processStartTime } from '../adapters/process.js';
import type { Scope } from '../plan/expression.js';
import type { ResolvedStep } from '../plan/resolve.js';
import type { StepRecord } from './events.js';
import type { Journal } from './journal.js';
import type { Ledger } from './ledger.js';
import type { PhaseRunner } from './phases.js';
import { notRun, setupFailure } from './step-record.js';
import { runStep, type StepContext } from './step-runner.js';

/** What running the steps of a run needs besides the ledger. */
export interface PhaseRunnerOptions {
  /** Everything a step needs but its signal, the scope and the rerun of determinism (built here). */
  context: Omit<StepContext, 'signal' | 'scope' | 'rerun' | 'onSpawn'>;
  /** The scope of `${{ }}` and conditions without the outcomes so far (the ledger adds them). */
  scope: Omit<Scope, 'steps' | 'failed'>;
  /** Every step of the plan, for `determinism` to find the steps it reruns. */
  steps: readonly ResolvedStep[];
  journal: Pick<Journal, 'append'>;
  /** The frozen files that changed since the freeze gate (a cheap check after each step). */
  recheck: () => Promise<string[]>;
  /** Aborted by the first SIGINT/SIGTERM (a rerun stops with the run). */
  signal: AbortSignal;
}

/** The runner the phases drive: each step's end is re-checked against the frozen files and recorded. */
export function createPhaseRunner(ledger: Ledger, options: PhaseRunnerOptions): PhaseRunner {
  const byId = new Map(options.steps.map((s) => [s.id, s]));
  const base: Omit<StepContext, 'signal'> = {
    ...options.context,
    onSpawn: (step, pid) => {
      const startTime = processStartTime(pid);
      options.journal.append({ type: 'step-spawn', id: step.id, pgid: pid, ...(startTime ? { startTime } : {}) });
    },
    scope: () => ({ ...options.scope, steps: ledger.outcomes, failed: ledger.failed }),
    rerun: async (id) => {
      // The rerun logs in a scratch folder of its own: the step's log in the record stays its own run's.
      const record = await runStep(rerunnable(byId.get(id)!), { ...base, scratch: join(base.scratch, 'reruns'), signal: options.signal, failAt: undefined });
      return { ok: record.outcome === 'success', ...(record.reason ? { reason: record.reason } : {}) };
    },
  };
  return {
    async run(step, signal, interruptible) {
      if (ledger.has(step.id)) return;
      const record = await runStep(step, { ...base, signal }, { interruptible }).catch((error: unknown) => setupFailure(step, error, base.now()));
      const changed = record.outcome === 'success' ? await options.recheck() : [];
      const checked: StepRecord = changed.length ? { ...record, outcome: 'failure', reason: `changed frozen file(s): ${changed.join(', ')}` } : record;
      ledger.end(checked);
    },
    async skip(step, reason) {
      if (!ledger.has(step.id)) ledger.end(notRun(step, 'skipped', reason));
    },
    failed: () => ledger.failed,
  };
}

/** A step as `determinism` reruns it: whatever its condition, with no boundary and nothing set aside. */
function rerunnable(step: ResolvedStep): ResolvedStep {
  const { boundary: _boundary, if: _if, ...rest } = step;
  return { ...rest, if: 'always()', produces: [] };
}
