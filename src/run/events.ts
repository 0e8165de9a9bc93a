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
  /** Set when `--fail-at` made this step fail on purpose. */
  drill?: boolean;
  continueOnError?: boolean;
  boundary?: string;
  /** For a shard of a matrix step: the step's id and the values the shard ran with. */
  matrix?: { of: string; values: Record<string, string> };
}

/** Every event of a run, in the order they happen. */
export type RunEvent =
  | { type: 'run-start'; plan: string; runId: string; resumed: boolean; steps: { phase: Phase; id: string; name: string }[] }
  | { type: 'preflight'; check: string; ok: boolean; detail?: string }
  | { type: 'step-start'; phase: Phase; id: string; name: string; attempt: number }
  | { type: 'step-output'; phase: Phase; id: string; text: string; stream: 'stdout' | 'stderr' }
  | { type: 'step-note'; phase: Phase; id: string; text: string }
  | { type: 'step-end'; step: StepRecord }
  | { type: 'hash-progress'; artifact: string; files: number; bytes: number; totalFiles?: number; totalBytes?: number }
  | { type: 'run-end'; outcome: RunOutcome; exitCode: number }
  | { type: 'record'; dir: string; root: string; commit?: string; pushed?: boolean };

/** How a run ended as a whole. */
export type RunOutcome = 'success' | 'failure' | 'interrupted';

/** A consumer of run events. */
export type EventSink = (event: RunEvent) => void;
