// What an unfinished run left behind and how it is cleared: the processes it may have left running,
// and its journal and scratch space once it is over. What its journal says is read by replay.ts.
import { rm } from 'node:fs/promises';
import { endOrphanGroup } from '../adapters/process-group.js';
import type { EventSink } from './events.js';
import { removeJournal, type JournalEntry } from './journal.js';
import type { RunPaths } from './preflight.js';
import { possibleOrphans } from './replay.js';

/** Ends the process groups of steps a killed run left running, before anything else happens. */
export async function endOrphans(entries: readonly JournalEntry[], options: { emit: EventSink; graceMs?: number }): Promise<void> {
  for (const e of possibleOrphans(entries)) {
    if (await endOrphanGroup(e.pgid, e.startTime, options.graceMs ?? 5000)) {
      options.emit({
        type: 'preflight',
        check: 'orphans',
        ok: true,
        detail: `ended process group ${e.pgid} of step ${e.id}, left running by the killed run`,
      });
    }
  }
}

/** Removes a finished run's journal and scratch space. */
export async function closeRun(paths: Pick<RunPaths, 'scratch' | 'journal'>): Promise<void> {
  // The journal goes last: while it exists, the run counts as unfinished and --resume finishes it.
  await rm(paths.scratch, { recursive: true, force: true });
  await removeJournal(paths.journal);
}
