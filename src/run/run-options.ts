// What a run is given: its options, the integrity checks it calls and what becomes of its result.
import { secretValuesOf, type ResolvedPlan } from '../plan/resolve.js';
import type { EventSink } from './events.js';
import type { Prepared, PreflightOptions } from './preflight.js';
import type { RunResult } from './result.js';

/** Which part of a spread run this process runs: the coordinator (`--until`), one shard, or the join. */
export type Distribution =
  | { mode: 'until'; step: string; handoff: string }
  | { mode: 'shard'; shard: string; handoff: string; out: string }
  | { mode: 'join'; bundles: string[] };

/** Integrity checks the run calls (the freeze gate and its re-checks), passed in by the command. */
export interface FreezeChecks {
  /** The freeze gate: throws a refusal (exit 3) naming each file; returns the freeze digest. */
  assertFrozen(prepared: Prepared): Promise<{ freezeDigest: string }>;
  /** Cheap re-check after a step (size and modification time): the frozen files that changed. */
  recheck(): Promise<string[]>;
  /** Full re-hash before the record is written: the frozen files whose bytes changed. */
  rehash(): Promise<string[]>;
}

/** What happens to a finished run's result (write, commit, push), passed in by the command. */
export type Finish = (result: RunResult, emit: EventSink) => Promise<void>;

/** Options of `cutover run`: what preflight checks, with a clock instead of a time, and what the run needs. */
export interface RunOptions extends Omit<PreflightOptions, 'now'> {
  now: () => Date;
  emit: EventSink;
  /** Aborted by the first SIGINT/SIGTERM; its reason is the signal name. */
  signal: AbortSignal;
  verbose?: boolean;
  graceMs?: number;
  toolVersion: string;
  /** One part of a run spread over runners: the coordinator, a shard or the join (docs/runs.md). */
  distribution?: Distribution;
}

/** The values of the plan's `secrets:` (from the caller's environment or the plan's), to mask everywhere. */
export function secretsOf(resolved: ResolvedPlan, env: Record<string, string | undefined>): string[] {
  return secretValuesOf(resolved, env).map((s) => s.value);
}
