// Typed events a run emits; the terminal, the JSON output and tests are consumers of the same stream.
import type { Phase } from '../plan/types.js';

/** How a step ended. */
export type StepOutcome = 'success' | 'failure' | 'skipped' | 'interrupted';

/** What the record keeps of one step. */
export interface StepRecord {
  phase: Phase;
  id: string;
  name: string;
  outcome: StepOutcome;
  attempts: number;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  startedAt: string | null;
  endedAt: string | null;
  durationMs: number;
  /** SHA-256 (hex) of the step's full log, or null when nothing ran. */
  logDigest: string | null;
  logBytes: number;
  /** Why the step failed or was skipped, in one line. */
  reason?: string;
  /** The last lines of the step's masked log when it failed or was interrupted (src/text/tail.ts). */
  tail?: string[];
  /** Set when `--fail-at` made this step fail on purpose. */
  drill?: boolean;
  continueOnError?: boolean;
  boundary?: string;
  /** For a shard of a matrix step: the step's id and the values the shard ran with. */
  matrix?: { of: string; values: Record<string, string> };
}

/** Every event of a run, in the order they happen. */
export type RunEvent =
  | {
      type: 'run-start';
      plan: string;
      runId: string;
      resumed: boolean;
      /** The record folder (repository-relative) and the freeze digest the gate passed. */
      record: string;
      freezeDigest: string;
      steps: { phase: Phase; id: string; name: string }[];
      /** The part of a run spread over runners this process runs: `coordinator`, `shard migrate[kurse]`, `join`. */
      part?: string;
    }
  | { type: 'preflight'; check: string; ok: boolean; detail?: string }
  | { type: 'step-start'; phase: Phase; id: string; name: string; attempt: number }
  | { type: 'step-output'; phase: Phase; id: string; text: string; stream: 'stdout' | 'stderr' }
  | { type: 'step-note'; phase: Phase; id: string; text: string }
  /** `log`: where the record keeps the step's log (repository-relative), when the step has one. */
  | { type: 'step-end'; step: StepRecord; log?: string }
  | { type: 'hash-progress'; artifact: string; files: number; bytes: number; totalFiles?: number; totalBytes?: number }
  | { type: 'run-end'; outcome: RunOutcome; exitCode: number; counts: StepCounts; durationMs: number; part?: string }
  | { type: 'record'; dir: string; root: string; commit?: string; pushed?: boolean };

/** Every way a run ends as a whole; `abandoned`: a crashed run that `cutover abandon` closed without running anything. */
export const RUN_OUTCOMES = ['success', 'failure', 'interrupted', 'abandoned'] as const;

/** How a run ended as a whole. */
export type RunOutcome = (typeof RUN_OUTCOMES)[number];

/** A consumer of run events. */
export type EventSink = (event: RunEvent) => void;

/** How many steps of a run ended each way. */
export interface StepCounts {
  succeeded: number;
  failed: number;
  skipped: number;
  interrupted: number;
}

/** Counts step records by outcome (a failure under `continueOnError` still counts as failed). */
export function countSteps(steps: readonly Pick<StepRecord, 'outcome'>[]): StepCounts {
  const counts: StepCounts = { succeeded: 0, failed: 0, skipped: 0, interrupted: 0 };
  for (const s of steps) counts[s.outcome === 'success' ? 'succeeded' : s.outcome === 'failure' ? 'failed' : s.outcome]++;
  return counts;
}
