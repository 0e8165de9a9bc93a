// File-system helpers that never follow a link out of the repository and never leave half-written files.
import { constants, lstatSync, realpathSync, type Stats } from 'node:fs';
import { lstat, mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { CutoverError } from '../errors.js';
import { quote } from '../text/quote.js';

/** True when `child` (absolute) is `root` or lies below it. */
export function isInside(root: string, child: string): boolean {
  const rel = relative(root, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Resolves a repository-relative path and refuses it when it escapes the root lexically, has a
 * `.git` component, or when an existing component on the way is a symbolic link: one that leads out,
 * or with `links: 'none'` (for every path cutover writes, moves or removes) any link at all.
 */
export async function resolveInside(root: string, rel: string, { links = 'inside' }: { links?: 'inside' | 'none' } = {}): Promise<string> {
  const unsafe = (why: string) =>
    new CutoverError('PATH_UNSAFE', `path ${quote(rel)} ${why}`, {
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
    if (!info.isSymbolicLink()) continue;
    // Moving or removing through a link would act on whatever it points at, inside or not.
    if (links === 'none')
      throw new CutoverError('PATH_UNSAFE', `path ${quote(rel)} passes through a symbolic link (${quote(relative(root, current))})`, {
        hint: 'cutover writes, moves and removes real files and folders only; replace the link with a folder, or remove it',
      });
    let target: string | null;
    try {
      target = realpathSync.native(current);
    } catch {
      target = null;
    }
    if (target === null || !isInside(realRoot, target))
      throw unsafe(`passes through a symbolic link (${relative(root, current)}) that leads outside`);
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
 * rename per file would add nothing. `data` may be blocks of bytes, written one after the other.
 */
export async function writeNewFile(path: string, data: string | Uint8Array | Iterable<Uint8Array>, mode = 0o644): Promise<void> {
  const handle = await open(path, 'wx', mode);
  try {
    // Blocks are written as they come, each in full from where the last ended: never joined whole.
    if (typeof data === 'string' || data instanceof Uint8Array) await handle.writeFile(data);
    else for (const block of data) await handle.writeFile(block);
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

/** What `readRegularFile` found instead of a regular file within its bound. */
export interface NotRead {
  problem: string;
  /** Set when the file was regular but larger than the bound. */
  tooLarge?: true;
}

/**
 * Reads a regular file, at most `maxBytes` of it, without following a link, blocking on a FIFO or
 * reading a device. `onChunk` streams it instead of keeping it (the bytes returned are then empty).
 * Anything else (missing, a link, a device, larger than the bound) is returned as a problem.
 */
export async function readRegularFile(
  path: string,
  maxBytes: number,
  onChunk?: (chunk: Buffer) => void,
): Promise<{ bytes: Buffer; size: number } | NotRead> {
  let handle: FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer; fstat then refuses it.
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      problem: code === 'ENOENT' ? 'is missing' : code === 'ELOOP' ? 'is a symbolic link' : `cannot be read (${code ?? String(error)})`,
    };
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) return { problem: `is a ${kindOf(info)}, not a regular file` };
    if (info.size > maxBytes) return { problem: `is ${info.size} bytes, more than the ${maxBytes} expected`, tooLarge: true };
    const kept: Buffer[] = [];
    let size = 0;
    // Kept whole, the file is read into one buffer of the size fstat gave and a byte more (a file that
    // grew since is caught): a large file is not held twice, as chunks and then joined.
    let buffer = onChunk ? Buffer.alloc(Math.min(1 << 20, maxBytes + 1)) : Buffer.allocUnsafe(info.size + 1);
    let filled = 0;
    // Read one byte past the bound: a file that grew since fstat is caught too.
    for (;;) {
      const { bytesRead } = await handle.read(buffer, filled, Math.min(buffer.length - filled, maxBytes + 1 - size), null);
      if (bytesRead === 0) break;
      size += bytesRead;
      if (size > maxBytes) return { problem: `holds more than the ${maxBytes} bytes expected`, tooLarge: true };
      if (onChunk) onChunk(Buffer.from(buffer.subarray(0, bytesRead)));
      else if ((filled += bytesRead) === buffer.length) {
        kept.push(buffer);
        buffer = Buffer.alloc(Math.min(1 << 20, maxBytes + 1));
        filled = 0;
      }
    }
    if (onChunk) return { bytes: Buffer.alloc(0), size };
    return { bytes: kept.length === 0 ? buffer.subarray(0, filled) : Buffer.concat([...kept, buffer.subarray(0, filled)]), size };
  } finally {
    await handle.close();
  }
}

/** What kind of file system entry something is, in words (for messages). */
export function kindOf(info: Stats): string {
  if (info.isFile()) return 'file';
  if (info.isDirectory()) return 'folder';
  if (info.isSymbolicLink()) return 'symbolic link';
  if (info.isFIFO()) return 'FIFO';
  if (info.isSocket()) return 'socket';
  if (info.isBlockDevice() || info.isCharacterDevice()) return 'device';
  return 'special file';
}
