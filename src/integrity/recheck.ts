// Frozen files re-checked during a run: after every step their bytes against the lock (a stat fast
// path only when size, modification time, change time and inode all match), and a full re-hash at the end.
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { CutoverError } from '../errors.js';
import { compareUtf8 } from '../text/utf8.js';
import { hashGroups, type FreezablePlan } from './freeze.js';
import { hashFiles } from './hash-files.js';
import { diffLock, GROUP_KINDS, lockGroupsOf, type Drift, type Lock } from './lock.js';

/** A regular file's size, modification and change times and inode, or null when it is gone. */
export type FileStat = { size: bigint; mtimeNs: bigint; ctimeNs: bigint; ino: bigint } | null;

/** What each frozen file must hold (its digest in the lock) and how it looked when last found to hold it. */
export interface FrozenSnapshot {
  digests: ReadonlyMap<string, string>;
  stats: Map<string, FileStat>;
}

/** Size, modification time, change time and inode of each repository-relative path (null when gone). */
export function statFiles(root: string, paths: readonly string[]): Map<string, FileStat> {
  // Synchronous: a run takes this after every step, and an lstat is cheaper than a trip through the thread pool.
  const stats = new Map<string, FileStat>();
  for (const path of paths) {
    try {
      const info = lstatSync(join(root, path), { bigint: true });
      stats.set(path, { size: info.size, mtimeNs: info.mtimeNs, ctimeNs: info.ctimeNs, ino: info.ino });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new CutoverError(
          'IO_FAILED',
          `cannot stat ${JSON.stringify(path)} (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
          { cause: error },
        );
      }
      stats.set(path, null);
    }
  }
  return stats;
}

/**
 * Files whose size, modification time, change time or inode moved between two stat snapshots; a
 * file that appeared counts as added. A rewrite that keeps the size and puts the modification time
 * back (`touch -r`) still moves the change time, which no one can set.
 */
export function compareStats(before: ReadonlyMap<string, FileStat>, after: ReadonlyMap<string, FileStat>): Drift[] {
  const drift: Drift[] = [];
  for (const [path, was] of before) {
    const now = after.get(path) ?? null;
    if (was && !now) drift.push({ path, reason: 'removed' });
    else if (!was && now) drift.push({ path, reason: 'added' });
    else if (was && now && (was.size !== now.size || was.mtimeNs !== now.mtimeNs || was.ctimeNs !== now.ctimeNs || was.ino !== now.ino)) {
      drift.push({
        path,
        reason: 'changed',
        detail: was.size !== now.size ? `size ${was.size} → ${now.size}` : 'modification time, change time or inode moved',
      });
    }
  }
  for (const [path, now] of after) if (!before.has(path) && now) drift.push({ path, reason: 'added' });
  return drift.sort((a, b) => compareUtf8(a.path, b.path));
}

/** The snapshot a run starts from: every file the lock lists, its digest, and its stat now. */
export function snapshotFrozen(root: string, lock: Pick<Lock, 'registries' | 'inputs'>): FrozenSnapshot {
  const digests = new Map<string, string>();
  for (const kind of GROUP_KINDS)
    for (const group of Object.values(lock[kind])) for (const [path, digest] of Object.entries(group.files)) digests.set(path, digest);
  return { digests, stats: statFiles(root, [...digests.keys()]) };
}

/**
 * The frozen files whose bytes no longer match the lock. A file whose stat is exactly as it was is
 * taken as unchanged; any other is hashed. A file found to hold its locked bytes again gets its new
 * stat recorded, so the next check is cheap again.
 */
export async function recheckFrozen(root: string, snapshot: FrozenSnapshot): Promise<Drift[]> {
  let now: Map<string, FileStat>;
  try {
    now = statFiles(root, [...snapshot.stats.keys()]);
  } catch (error) {
    // A step that made a frozen file unreadable changed it as far as the run can tell.
    return [...snapshot.stats.keys()].map((path) => ({ path, reason: 'changed', detail: (error as Error).message }));
  }
  const drift: Drift[] = [];
  for (const d of compareStats(snapshot.stats, now)) {
    const stat = now.get(d.path);
    if (!stat) drift.push(d);
    else if ((await digestOf(root, d.path, stat)) === snapshot.digests.get(d.path)) snapshot.stats.set(d.path, stat);
    else drift.push({ path: d.path, reason: 'changed', detail: 'its bytes differ from the lock' });
  }
  return drift;
}

// One file's digest, or undefined when it cannot be hashed (gone again, turned into a link or a FIFO).
async function digestOf(root: string, path: string, stat: NonNullable<FileStat>): Promise<string | undefined> {
  try {
    const [hashed] = await hashFiles(root, [{ path, size: Number(stat.size) }], { threads: 0 });
    return hashed?.digest;
  } catch {
    return undefined;
  }
}

/** Re-hashes every registry and input and lists what differs from the lock (content and glob matches only). */
export async function rehashFrozen(options: { root: string; plan: FreezablePlan; lock: Lock; threads?: number }): Promise<Drift[]> {
  const { groups } = await hashGroups(options.root, options.plan, {
    allowUnmatched: true,
    ...(options.threads === undefined ? {} : { threads: options.threads }),
  });
  return diffLock(options.lock, lockGroupsOf(groups));
}
