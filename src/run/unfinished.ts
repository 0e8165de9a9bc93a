// What an unfinished run left behind, read back from its journal: the steps it ended, the processes
// it may have left running, and how its journal and scratch space are cleared once it is over.
import { rm } from 'node:fs/promises';
import { endOrphanGroup } from '../adapters/process-group.js';
import type { EventSink, StepRecord } from './events.js';
import { removeJournal, type JournalEntry } from './journal.js';
import type { RunPaths } from './preflight.js';

/** The journal's `run-start` entry: the run id, digests, start time and commit of the run it holds. */
export type RunStart = Extract<JournalEntry, { type: 'run-start' }>;

/** The run a journal holds, if it holds one. */
export function runStartOf(entries: readonly JournalEntry[]): RunStart | undefined {
  return entries.find((e): e is RunStart => e.type === 'run-start');
}

/** The steps a journal records as ended (the last end of each step wins) and the boundaries it reached. */
export function journaledSteps(entries: readonly JournalEntry[]): { records: Map<string, StepRecord>; boundaries: Record<string, string> } {
  const records = new Map<string, StepRecord>();
  const boundaries: Record<string, string> = {};
  for (const e of entries) {
    if (e.type === 'step-end') records.set(e.step.id, e.step);
    if (e.type === 'boundary') boundaries[e.name] = e.at;
  }
  return { records, boundaries };
}

/**
 * The steps that were running when the run stopped: spawned after the last journaled end. Steps run
 * one at a time and a step's end is journaled after its groups were ended, so only these can still
 * have processes.
 */
export function stepsInFlight(entries: readonly JournalEntry[]): Extract<JournalEntry, { type: 'step-spawn' }>[] {
  const lastEnd = entries.findLastIndex((e) => e.type === 'step-end');
  return entries.slice(lastEnd + 1).filter((e): e is Extract<JournalEntry, { type: 'step-spawn' }> => e.type === 'step-spawn');
}

/** Ends the process groups of steps a killed run left running, before anything else happens. */
export async function endOrphans(entries: readonly JournalEntry[], options: { emit: EventSink; graceMs?: number }): Promise<void> {
  for (const e of stepsInFlight(entries)) {
    if (await endOrphanGroup(e.pgid, e.startTime, options.graceMs ?? 5000)) {
      options.emit({ type: 'preflight', check: 'orphans', ok: true, detail: `ended process group ${e.pgid} of step ${e.id}, left running by the killed run` });
    }
  }
}

/** Removes a finished run's journal and scratch space. */
export async function closeRun(paths: Pick<RunPaths, 'scratch' | 'journal'>): Promise<void> {
  // The journal goes last: while it exists, the run counts as unfinished and --resume finishes it.
  await rm(paths.scratch, { recursive: true, force: true });
  await removeJournal(paths.journal);
}
