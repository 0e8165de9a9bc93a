// A step's process group: tracked while it runs so it dies with cutover, ended with SIGTERM then
// SIGKILL after a grace, and found again after a crash by its leader's start time.
import { groupHasLiveMember, readProcessStat } from './process-status.js';

// How often a group that was asked to end is looked at again.
const POLL_MS = 100;

const liveGroups = new Set<number>();

/** Remembers a running group so that, should cutover exit while it runs, the group dies too. */
export function trackGroup(pgid: number): void {
  if (liveGroups.size === 0) process.once('exit', killLiveGroups);
  liveGroups.add(pgid);
}

export function untrackGroup(pgid: number): void {
  liveGroups.delete(pgid);
  if (liveGroups.size === 0) process.off('exit', killLiveGroups);
}

function killLiveGroups(): void {
  for (const pgid of liveGroups) signalGroup(pgid, 'SIGKILL');
}

/**
 * The start time of a process (clock ticks since boot, from /proc), or undefined where there is no
 * /proc or the process is gone: with the pid it names one process, whatever pids are reused later.
 */
export function processStartTime(pid: number): string | undefined {
  return readProcessStat(pid)?.startTime;
}

/**
 * Ends a step's process group left running by a cutover process that was killed (kill -9 leaves its
 * steps orphaned): only when its leader is the process that was started (same start time) or gone
 * while members remain. True when something was still running and was ended.
 */
export async function endOrphanGroup(pgid: number, startTime: string | undefined, graceMs: number): Promise<boolean> {
  const leader = processStartTime(pgid);
  if (leader !== undefined && startTime !== undefined && leader !== startTime) return false; // the pid now names another process
  if (!(await groupRuns(pgid))) return false;
  await endGroup(pgid, graceMs);
  return true;
}

/** SIGTERM to the whole group, then SIGKILL when anything of it is still running after the grace. */
export async function endGroup(pgid: number, graceMs: number): Promise<void> {
  if (!(await groupRuns(pgid))) return;
  signalGroup(pgid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    if (!(await groupRuns(pgid))) return;
  }
  signalGroup(pgid, 'SIGKILL');
}

/** Sends a signal to every process of a group; false when the group no longer exists. */
function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    // EPERM: a member changed its user (setuid); it exists, we just cannot signal it.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether a process of the group is still running (a zombie is not: it runs and holds nothing). */
async function groupRuns(pgid: number): Promise<boolean> {
  if (!signalGroup(pgid, 0)) return false;
  // kill(0) counts zombies, and an init that does not reap orphans (common in containers) keeps
  // them for ever; where /proc exists, look at the members' states instead.
  return (await groupHasLiveMember(pgid)) ?? true;
}
