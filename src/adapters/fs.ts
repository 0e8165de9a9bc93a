// File-system helpers that never follow a link out of the repository and never leave half-written files.
import { lstatSync, realpathSync, type Stats } from 'node:fs';
import { lstat, mkdir, open, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { CutoverError } from '../errors.js';

/** True when `child` (absolute) is `root` or lies below it. */
export function isInside(root: string, child: string): boolean {
  const rel = relative(root, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Resolves a repository-relative path and refuses it when it escapes the root lexically, has a
 * `.git` component, or when any existing component on the way is a symbolic link that leads out.
 */
export async function resolveInside(root: string, rel: string): Promise<string> {
  const unsafe = (why: string) =>
    new CutoverError('PATH_UNSAFE', `path ${JSON.stringify(rel)} ${why}`, {
      hint: 'paths are relative to the repository root and must stay inside it',
    });
  if (isAbsolute(rel)) throw unsafe('is absolute');
  const abs = resolve(root, rel);
  if (!isInside(root, abs)) throw unsafe('leaves the repository');
  const parts = relative(root, abs).split(sep).filter(Boolean);
  if (parts.includes('.git')) throw unsafe('has a .git component');
  // Synchronous lookups: each is one system call, cheaper than a trip through the thread pool, and
  // a run resolves a step's cwd (and more) for every step.
  const realRoot = realpathSync.native(root);
  let current = root;
  for (const part of parts) {
    current = join(current, part);
    let info: Stats | undefined;
    try {
      info = lstatSync(current);
    } catch {
      return abs; // the rest does not exist yet: nothing to follow
    }
    if (info.isSymbolicLink()) {
      let target: string | null;
      try {
        target = realpathSync.native(current);
      } catch {
        target = null;
      }
      if (target === null || !isInside(realRoot, target)) throw unsafe(`passes through a symbolic link (${relative(root, current)}) that leads outside`);
    }
  }
  return abs;
}

/**
 * Writes a file atomically: a temp file beside it, fsynced, then renamed over the target.
 * The rename replaces a link at the target instead of writing through it.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeNewFile(temp, data, mode);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * Writes a new file and syncs it, refusing anything already at its path (a planted link included).
 * For files in a folder of our own that is renamed into place once complete, where a temp file and
 * rename per file would add nothing.
 */
export async function writeNewFile(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const handle = await open(path, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Calls `task` for every item, at most `limit` at a time. After a failure no new item is started;
 * the tasks under way finish, then the first failure is thrown.
 */
export async function eachLimit<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      try {
        await task(items[next++]!);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}

/** True when a path exists (without following a final link). */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The last `bytes` of a file's first `upTo` bytes (of all of it by default), with whether that is the
 * whole of them; undefined when there is no such file. Only the end is read, however long the file.
 */
export async function readFileEnd(path: string, bytes: number, upTo = Infinity): Promise<{ data: Buffer; whole: boolean } | undefined> {
  const handle = await open(path, 'r').catch(() => undefined);
  if (!handle) return undefined;
  try {
    const size = Math.min((await handle.stat()).size, upTo);
    const length = Math.min(size, bytes);
    const data = Buffer.alloc(length);
    await handle.read(data, 0, length, size - length);
    return { data, whole: length === size };
  } finally {
    await handle.close();
  }
}
