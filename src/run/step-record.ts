// What a step's record holds whatever happened: its base fields, its log's name; the record of a step that did not run.
import { fileStem } from '../plan/matrix.js';
import type { ResolvedStep } from '../plan/resolve.js';
import { CutoverError } from '../errors.js';
import type { StepOutcome, StepRecord } from './events.js';

/** What every record of a step carries from the step itself: phase, id, name and its flags. */
export function stepBase(
  step: Pick<ResolvedStep, 'phase' | 'id' | 'name' | 'boundary' | 'continueOnError' | 'matrix'>,
): Pick<StepRecord, 'phase' | 'id' | 'name' | 'boundary' | 'continueOnError' | 'matrix'> {
  return {
    phase: step.phase,
    id: step.id,
    name: step.name,
    ...(step.boundary ? { boundary: step.boundary } : {}),
    ...(step.continueOnError ? { continueOnError: true } : {}),
    ...(step.matrix ? { matrix: { of: step.matrix.of, values: { ...step.matrix.values } } } : {}),
  };
}

/** A step that did not run (skipped, or interrupted before it started): no attempt, no times, no log. */
export function notRun(step: Parameters<typeof stepBase>[0], outcome: StepOutcome, reason: string): StepRecord {
  return {
    ...stepBase(step),
    outcome,
    attempts: 0,
    exitCode: null,
    signal: null,
    timedOut: false,
    startedAt: null,
    endedAt: null,
    durationMs: 0,
    logDigest: null,
    logBytes: 0,
    reason,
  };
}

/**
 * A step that could not even be set up or checked (a path through a link that leads outside, a log
 * that cannot be written): it fails as a step at `at`, so rollback and finally still run.
 */
export function setupFailure(step: Parameters<typeof stepBase>[0], error: unknown, at: Date): StepRecord {
  const reason =
    error instanceof CutoverError ? `${error.code}: ${error.message}` : `unexpected error: ${(error as Error)?.message ?? String(error)}`;
  const time = at.toISOString();
  return { ...notRun(step, 'failure', reason.split('\n')[0]!), attempts: 1, startedAt: time, endedAt: time };
}

/** The log file name of a step: `<phase>-<nn>-<id>.log`, a shard's `<phase>-<nn>-<id>.<value>.log` (docs/records.md). */
export function logName(step: Pick<ResolvedStep, 'phase' | 'index' | 'id'>): string {
  return `${step.phase}-${String(step.index + 1).padStart(2, '0')}-${fileStem(step.id)}.log`;
}
