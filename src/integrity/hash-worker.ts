// Streams files through SHA-256 in fixed-size reads; runs as a worker thread or in-process.
import { Buffer } from 'node:buffer';
import { createHash, hash, type Hash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { sep } from 'node:path';
import { CutoverError } from '../errors.js';
import { entryLeafHash } from './leaf.js';

/** The workerData marker that turns this module into a hashing worker. */
export const HASH_WORKER_ROLE = 'cutover-hash-worker';

/** Size of each read; one buffer a thread, reused for every file. */
export const READ_SIZE = 1 << 20;

/** Files to hash: entry paths below a base folder. */
export interface HashTask {
  base: string;
  paths: string[];
}

/**
 * What hashing a task produced, in task order: digests as one string of 64-character hex runs (one
 * clone, not thousands), sizes, and each file's Merkle leaf hash (32 bytes each), computed here so
 * the thread that builds the root has only the interior nodes left to do.
 */
export interface HashTaskResult {
  digests: string;
  sizes: Float64Array;
  leaves: Uint8Array;
}

/** Messages a worker posts: progress deltas, a finished task, or a failure. */
export type WorkerMessage =
  | { type: 'progress'; id: number; bytes: number }
  | { type: 'done'; id: number; result: HashTaskResult }
  | { type: 'failed'; id: number; code?: 'ARTIFACT_INVALID' | 'IO_FAILED'; message: string; hint?: string };

// O_NOFOLLOW: a file swapped for a link after the walk is refused, not followed. O_NONBLOCK: a file
// swapped for a FIFO does not hang the open; it is then refused by the fstat check below.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);
// Big files report progress every this many bytes so a bar moves while one file is read.
const PROGRESS_EVERY = 64 << 20;

// Opens a file that must still be the regular file the walk saw; returns the descriptor and its size.
function openRegular(abs: string): { fd: number; expected: number } {
  let fd: number;
  try {
    fd = openSync(abs, OPEN_FLAGS);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new CutoverError('ARTIFACT_INVALID', `symbolic link inside artifact: ${JSON.stringify(abs)}`);
    throw new CutoverError('IO_FAILED', `cannot read ${JSON.stringify(abs)} (${code ?? String(error)})`, { cause: error });
  }
  const info = fstatSync(fd);
  if (!info.isFile()) {
    closeSync(fd);
    throw new CutoverError('ARTIFACT_INVALID', `${JSON.stringify(abs)} stopped being a regular file while it was hashed`);
  }
  return { fd, expected: info.size };
}

/**
 * SHA-256 of one file read in `buffer`-sized chunks; `onBytes` hears of every 64 MiB read. A file
 * that fits the buffer is hashed in one call (most files in a large tree are small, and a hash
 * object per file costs as much as hashing 4 KiB), and once it has given the size fstat reported
 * at open, the read that would only confirm end of file is skipped: the file as it was when opened.
 */
export function hashFileSync(abs: string, buffer: Buffer, onBytes?: (bytes: number) => void): { digest: string; size: number } {
  const { fd, expected } = openRegular(abs);
  let stream: Hash | undefined;
  let filled = 0;
  let size = 0;
  let unreported = 0;
  try {
    for (;;) {
      const n = readSync(fd, buffer, filled, buffer.length - filled, null);
      if (n === 0) break;
      filled += n;
      size += n;
      unreported += n;
      if (filled < buffer.length) {
        if (size === expected) break;
        continue;
      }
      stream ??= createHash('sha256');
      stream.update(buffer);
      filled = 0;
      if (onBytes && unreported >= PROGRESS_EVERY) {
        onBytes(unreported);
        unreported = 0;
      }
    }
  } catch (error) {
    throw new CutoverError('IO_FAILED', `cannot read ${JSON.stringify(abs)} (${(error as NodeJS.ErrnoException).code ?? String(error)})`, {
      cause: error,
    });
  } finally {
    closeSync(fd);
  }
  const rest = buffer.subarray(0, filled);
  const digest = stream ? stream.update(rest).digest('hex') : hash('sha256', rest, 'hex');
  return { digest, size };
}

/** Hashes every file of a task in order, with the leaf hash of each file's manifest line. */
export function hashTask(task: HashTask, buffer: Buffer, onBytes?: (bytes: number) => void): HashTaskResult {
  let digests = '';
  const sizes = new Float64Array(task.paths.length);
  const leaves = new Uint8Array(32 * task.paths.length);
  // Entry paths are canonical (no "", "." or ".." parts), so plain concatenation is a safe join.
  const prefix = task.base.endsWith(sep) ? task.base : task.base + sep;
  task.paths.forEach((path, i) => {
    const { digest, size } = hashFileSync(prefix + path, buffer, onBytes);
    digests += digest;
    sizes[i] = size;
    leaves.set(entryLeafHash({ digest, path }), 32 * i);
  });
  return { digests, sizes, leaves };
}

function serveTasks(port: NonNullable<typeof parentPort>): void {
  const buffer = Buffer.allocUnsafe(READ_SIZE);
  const post = (message: WorkerMessage) => port.postMessage(message);
  port.on('message', ({ id, task }: { id: number; task: HashTask }) => {
    try {
      post({ type: 'done', id, result: hashTask(task, buffer, (bytes) => post({ type: 'progress', id, bytes })) });
    } catch (error) {
      if (error instanceof CutoverError && (error.code === 'ARTIFACT_INVALID' || error.code === 'IO_FAILED')) {
        post({ type: 'failed', id, code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) });
      } else {
        post({ type: 'failed', id, message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      }
    }
  });
}

if (!isMainThread && parentPort && (workerData as { role?: string } | null)?.role === HASH_WORKER_ROLE) serveTasks(parentPort);
