// What /proc says of a process: its state, group and start time. The one reader of /proc/PID/stat.
import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';

/** The fields of /proc/PID/stat that cutover reads. */
export interface ProcessStat {
  /** One letter: R running, S sleeping, Z zombie, X dead, … */
  state: string;
  /** The process group id. */
  pgrp: number;
  /** Clock ticks since boot when the process started: with the pid it names one process for good. */
  startTime: string;
}

/** Parses the text of /proc/PID/stat, or undefined when it is not one. */
export function parseProcessStat(text: string): ProcessStat | undefined {
  // After "pid (comm) " the fields count from state (field 3); comm may hold spaces and parentheses.
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = text.slice(close + 2).split(' ');
  const [state, , pgrp] = fields;
  const startTime = fields[19];
  if (!state || pgrp === undefined || startTime === undefined) return undefined;
  return { state, pgrp: Number(pgrp), startTime };
}

/** A process's stat, or undefined where there is no /proc or the process is gone. */
export function readProcessStat(pid: number): ProcessStat | undefined {
  try {
    return parseProcessStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** True for a process that has ended and only waits to be reaped (or is dead). */
export function isDefunct(stat: Pick<ProcessStat, 'state'>): boolean {
  return stat.state === 'Z' || stat.state === 'X';
}

/** True when a process with this pid runs on this host (a zombie does not: it is dead, only not yet reaped). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // kill(0) succeeds on a zombie, and a container whose init does not reap keeps zombies for ever.
  if (!hasProc()) return true;
  const stat = readProcessStat(pid);
  return stat !== undefined && !isDefunct(stat);
}

/**
 * Whether any live (not defunct) process belongs to a group, from /proc; undefined where there is no
 * /proc to look in.
 */
export async function groupHasLiveMember(pgid: number): Promise<boolean | undefined> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = parseProcessStat(await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => ''));
    if (stat && stat.pgrp === pgid && !isDefunct(stat)) return true;
  }
  return false;
}

let procMounted: boolean | undefined;

/** True where /proc describes this process (Linux); elsewhere kill(0) is all there is. */
function hasProc(): boolean {
  procMounted ??= readProcessStat(process.pid) !== undefined;
  return procMounted;
}
