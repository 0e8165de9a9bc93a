// What a run's journal says had happened: the run's start, each step's last recorded end, the boundaries.
import type { StepRecord } from './events.js';
import type { JournalEntry } from './journal.js';

/** The journal's first line: which run, over which plan and lock, from which commit. */
export type RunStart = Extract<JournalEntry, { type: 'run-start' }>;

/** A journal read back. */
export interface Replayed {
  start?: RunStart;
  /** The last recorded end of each step, by id, in the order the steps first ended. */
  records: Map<string, StepRecord>;
  /** Boundary times by name. */
  boundaries: Record<string, string>;
  /** A join's start: the other parts' runners and problems. */
  join?: Extract<JournalEntry, { type: 'join' }>;
}

/** Replays a journal: used by `--resume` and by finishing a run whose record was already committed. */
export function replayJournal(entries: readonly JournalEntry[]): Replayed {
  const records = new Map<string, StepRecord>();
  const boundaries: Record<string, string> = {};
  let start: RunStart | undefined;
  let join: Replayed['join'];
  for (const e of entries) {
    if (e.type === 'run-start') start ??= e;
    else if (e.type === 'join') join ??= e;
    else if (e.type === 'step-end') records.set(e.step.id, e.step);
    else if (e.type === 'boundary') boundaries[e.name] = e.at;
  }
  return { ...(start ? { start } : {}), records, boundaries, ...(join ? { join } : {}) };
}

/** The steps a resumed run keeps: every recorded end except an interrupted one (that step runs again). */
export function keptOnResume(replayed: Replayed): Map<string, StepRecord> {
  return new Map([...replayed.records].filter(([, record]) => record.outcome !== 'interrupted'));
}

/**
 * The process groups a killed run may have left running: each journaled start of a step whose end
 * was not journaled after it (a step's end is journaled after its groups were ended; with
 * `spec.concurrency` several steps may have been running at once).
 */
export function possibleOrphans(entries: readonly JournalEntry[]): Extract<JournalEntry, { type: 'step-spawn' }>[] {
  const endedAfter = new Set<string>();
  const orphans: Extract<JournalEntry, { type: 'step-spawn' }>[] = [];
  for (const e of [...entries].reverse()) {
    if (e.type === 'step-end') endedAfter.add(e.step.id);
    else if (e.type === 'step-spawn' && !endedAfter.has(e.id)) orphans.unshift(e);
  }
  return orphans;
}
