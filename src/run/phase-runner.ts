// Runs one step of a run for the phases: through the step runner, re-checking frozen files, into the ledger.
import { join } from 'node:path';
import { processStartTime } from '../adapters/process-group.js';
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
  const shards = shardsById(options.steps);
  const journalSpawn = (id: string, pid: number) => {
    const startTime = processStartTime(pid);
    options.journal.append({ type: 'step-spawn', id, pgid: pid, ...(startTime ? { startTime } : {}) });
  };
  const base: Omit<StepContext, 'signal' | 'rerun'> = {
    ...options.context,
    onSpawn: (step, pid) => journalSpawn(step.id, pid),
    scope: () => ({ ...options.scope, steps: { ...ledger.outcomes, ...matrixOutcomes(shards, ledger.outcomes) }, failed: ledger.failed }),
  };
  // What `determinism` reruns runs under the id of the determinism step: its groups end before that step's end is journaled.
  const rerunFor = (owner: ResolvedStep) => async (id: string) => {
    const context: StepContext = {
      ...base,
      scratch: join(base.scratch, 'reruns'),
      signal: options.signal,
      failAt: undefined,
      onSpawn: (_step, pid) => journalSpawn(owner.id, pid),
      rerun: async () => ({ ok: false }),
    };
    for (const step of shards.get(id) ?? []) {
      // The rerun logs in a scratch folder of its own: the step's log in the record stays its own run's.
      const record = await runStep(rerunnable(step), context);
      if (record.outcome !== 'success') return { ok: false, ...(record.reason ? { reason: `${step.id}: ${record.reason}` } : {}) };
    }
    return { ok: true };
  };
  return {
    async run(step, signal, interruptible) {
      if (ledger.has(step.id)) return;
      const record = await runStep(step, { ...base, signal, rerun: rerunFor(step) }, { interruptible }).catch((error: unknown) =>
        setupFailure(step, error, base.now()),
      );
      const changed = record.outcome === 'success' ? await options.recheck() : [];
      const checked: StepRecord = changed.length
        ? { ...record, outcome: 'failure', reason: `changed frozen file(s): ${changed.join(', ')}` }
        : record;
      ledger.end(checked);
    },
    async skip(step, reason) {
      if (!ledger.has(step.id)) ledger.end(notRun(step, 'skipped', reason));
    },
    failed: () => ledger.failed,
    failedIn: (steps) => steps.some((s) => ledger.outcomes[s.id]?.outcome === 'failure' && !s.continueOnError),
  };
}

/** The steps an id names: the step itself, or every shard of a matrix step. */
function shardsById(steps: readonly ResolvedStep[]): Map<string, ResolvedStep[]> {
  const byId = new Map<string, ResolvedStep[]>();
  for (const step of steps) {
    const id = step.matrix?.of ?? step.id;
    byId.set(id, [...(byId.get(id) ?? []), step]);
  }
  return byId;
}

/**
 * `steps.<id>.outcome` of a matrix step, from its shards: failure or interrupted when one shard
 * was, skipped when all were, success when all ended otherwise; pending (absent) until then.
 */
export function matrixOutcomes(
  shards: ReadonlyMap<string, readonly ResolvedStep[]>,
  outcomes: Readonly<Record<string, { outcome: string }>>,
): Record<string, { outcome: string }> {
  const result: Record<string, { outcome: string }> = {};
  for (const [id, steps] of shards) {
    if (!steps[0]?.matrix) continue;
    const ended = steps.map((s) => outcomes[s.id]?.outcome);
    const outcome = ended.includes('failure')
      ? 'failure'
      : ended.includes('interrupted')
        ? 'interrupted'
        : ended.includes(undefined)
          ? undefined
          : ended.every((o) => o === 'skipped')
            ? 'skipped'
            : 'success';
    if (outcome) result[id] = { outcome };
  }
  return result;
}

/** A step as `determinism` reruns it: whatever its condition, with no boundary and nothing set aside. */
function rerunnable(step: ResolvedStep): ResolvedStep {
  const { boundary: _boundary, if: _if, ...rest } = step;
  return { ...rest, if: 'always()', produces: [] };
}
