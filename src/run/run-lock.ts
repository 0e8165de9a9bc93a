// One run per plan per repository: a lock file created with O_EXCL, recognised as stale when its process is gone.
import { hostname } from 'node:os';
import { mkdir, open, readFile, rm, rmdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { processAlive } from '../adapters/process-status.js';
import { CutoverError } from '../errors.js';

/** What a run lock holds. */
export interface RunLockInfo {
  id: string;
  pid: number;
  host: string;
  runId: string;
  startedAt: string;
}

/** Reads a run lock, or undefined when there is none (or it is unreadable, as after a torn write). */
export async function readRunLock(path: string): Promise<RunLockInfo | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as RunLockInfo;
  } catch {
    return undefined;
  }
}

/** True when a lock's process is known to be gone (same host, dead pid). */
export function isStale(info: RunLockInfo): boolean {
  return info.host === hostname() && !processAlive(info.pid);
}

/**
 * Takes the run lock; refuses (exit 3) when a live run holds it. A lock left by a dead process on
 * this host is replaced, and the caller is told so through `onStale`.
 */
export async function acquireRunLock(path: string, runId: string, onStale?: (old: RunLockInfo) => void): Promise<RunLockInfo> {
  const info: RunLockInfo = {
    id: randomBytes(6).toString('hex'),
    pid: process.pid,
    host: hostname(),
    runId,
    startedAt: new Date().toISOString(),
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o644);
      try {
        await handle.writeFile(`${JSON.stringify(info)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      return info;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // No folder yet, or one a release just removed as empty: make it and try again.
      if (code === 'ENOENT') {
        await mkdir(dirname(path), { recursive: true });
        continue;
      }
      if (code !== 'EEXIST') throw e;
    }
    const holder = await readRunLock(path);
    if (holder && !isStale(holder)) {
      throw new CutoverError(
        'RUN_LOCKED',
        `another run holds the run lock (id ${holder.id}, run ${holder.runId}, pid ${holder.pid} on ${holder.host}, since ${holder.startedAt})`,
        {
          hint: `wait for it to finish; if it is gone, \`cutover unlock PLAN ${holder.id}\``,
        },
      );
    }
    if (holder) onStale?.(holder);
    await rm(path, { force: true });
  }
  throw new CutoverError('RUN_LOCKED', 'could not take the run lock', { hint: 'another run started at the same moment; try again' });
}

/** Releases a lock this process holds (only if it is still ours). */
export async function releaseRunLock(path: string, info: RunLockInfo): Promise<void> {
  const current = await readRunLock(path);
  if (current?.id !== info.id) return;
  await rm(path, { force: true });
  // The locks folder, and cutover's folder above it, go when nothing else is in them: a run refused
  // in preflight leaves the git directory as it found it.
  for (const folder of [dirname(path), dirname(dirname(path))]) {
    if (
      !(await rmdir(folder).then(
        () => true,
        () => false,
      ))
    )
      break;
  }
}

/** Removes a lock only when the caller names its id (`cutover unlock`). */
export async function removeRunLock(path: string, id: string): Promise<RunLockInfo> {
  const current = await readRunLock(path);
  if (!current) throw new CutoverError('USAGE', 'no run lock is held for this plan');
  if (current.id !== id) throw new CutoverError('USAGE', `the run lock's id is not ${id}`, { hint: 'give the id the refusal printed' });
  if (!isStale(current) && current.host === hostname()) {
    throw new CutoverError('RUN_LOCKED', `run ${current.runId} (pid ${current.pid}) is still running`, {
      hint: 'stop it first; unlock is for locks whose run is gone',
    });
  }
  await rm(path, { force: true });
  return current;
}
