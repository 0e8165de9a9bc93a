// Streams files through SHA-256 in fixed-size reads; runs as a worker thread or in-process.
import { Buffer } from 'node:buffer';
import { createHash, hash, type Hash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { sep } from 'node:path';
import { CutoverError } from '../errors.js';
import { lineLeafHash } from './leaf.js';
import { MERKLE_CHUNK, subtreeRoot } from './merkle.js';

/** The workerData marker that turns this module into a hashing worker. */
export const HASH_WORKER_ROLE = 'cutover-hash-worker';

/** Size of each read; one buffer a thread, reused for every file. */
export const READ_SIZE = 1 << 20;

/**
 * A list of files to hash and where the results go, shared by every thread that works on it. Each
 * thread claims the next file with an atomic add on `next`, so the threads stay busy to the last file
 * whatever the files' sizes, and writes file i's results at index i: its SHA-256 (32 bytes) at
 * `digests[32 i]` and the bytes hashed at `sizes[i]`. The thread that completes a chunk of files
 * (`MERKLE_CHUNK`; `chunkDone` counts each chunk's files) hashes their manifest lines into leaves and
 * builds that chunk's subtree root into `chunkRoots[32 c]`, so the Merkle tree is built on every core
 * too, and no leaf is kept: for a million files, 32 MB less. `finished` counts the threads done, an atomic write that publishes
 * their results.
 */
export interface HashJob {
  base: string;
  /** The entry paths' UTF-8 bytes end to end, path i at `[offsets[i], offsets[i + 1])`: no string a path to send or keep. */
  paths: Uint8Array;
  offsets: Uint32Array;
  next: Int32Array;
  finished: Int32Array;
  digests: Uint8Array;
  sizes: Float64Array;
  chunkDone: Int32Array;
  chunkRoots: Uint8Array;
}

/** Messages a worker posts: progress deltas, its share of a job done, or a failure. */
export type WorkerMessage =
  | { type: 'progress'; files: number; bytes: number }
  | { type: 'done' }
  | { type: 'failed'; code?: 'ARTIFACT_INVALID' | 'IO_FAILED'; message: string; hint?: string };

// O_NOFOLLOW: a file swapped for a link after the walk is refused, not followed. O_NONBLOCK: a file
// swapped for a FIFO does not hang the open; it is then refused by the fstat check below.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);
// Progress is told every this many bytes (so a bar moves while one big file is read) or files.
const PROGRESS_BYTES = 64 << 20;
const PROGRESS_FILES = 2048;

// A path as text, for a message.
function shown(abs: string | Buffer): string {
  return JSON.stringify(typeof abs === 'string' ? abs : abs.toString('utf8'));
}

// Opens a file that must still be the regular file the walk saw; returns the descriptor and its size.
function openRegular(abs: string | Buffer): { fd: number; expected: number } {
  let fd: number;
  try {
    fd = openSync(abs, OPEN_FLAGS);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new CutoverError('ARTIFACT_INVALID', `symbolic link inside artifact: ${shown(abs)}`);
    throw new CutoverError('IO_FAILED', `cannot read ${shown(abs)} (${code ?? String(error)})`, { cause: error });
  }
  const info = fstatSync(fd);
  if (!info.isFile()) {
    closeSync(fd);
    throw new CutoverError('ARTIFACT_INVALID', `${shown(abs)} stopped being a regular file while it was hashed`);
  }
  return { fd, expected: info.size };
}

/**
 * SHA-256 of one file read in `buffer`-sized chunks; `onBytes` hears of every 64 MiB read. A file
 * that fits the buffer is hashed in one call (most files in a large tree are small, and a hash
 * object per file costs as much as hashing 4 KiB), and once it has given the size fstat reported
 * at open, the read that would only confirm end of file is skipped: the file as it was when opened.
 */
export function hashFileSync(abs: string | Buffer, buffer: Buffer, onBytes?: (bytes: number) => void): { digest: Buffer; size: number } {
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
      if (onBytes && unreported >= PROGRESS_BYTES) {
        onBytes(unreported);
        unreported = 0;
      }
    }
  } catch (error) {
    throw new CutoverError('IO_FAILED', `cannot read ${shown(abs)} (${(error as NodeJS.ErrnoException).code ?? String(error)})`, {
      cause: error,
    });
  } finally {
    closeSync(fd);
  }
  const rest = buffer.subarray(0, filled);
  const digest = stream ? stream.update(rest).digest() : hash('sha256', rest, 'buffer');
  return { digest, size };
}

/**
 * Hashes files of a job that this thread claims, writing each result at its index, until none is
 * left or `limit` files are done; returns whether the job ran out. `onProgress` hears (files, bytes)
 * deltas now and then. A failure stops every thread's claiming.
 */
export function workOnJob(job: HashJob, buffer: Buffer, onProgress?: (files: number, bytes: number) => void, limit = Infinity): boolean {
  const count = job.offsets.length - 1;
  // Each file's absolute path is written after the base, as bytes (open takes them as they are).
  // Entry paths are canonical (no "", "." or ".." parts), so plain concatenation is a safe join.
  const base = Buffer.from(job.base.endsWith(sep) ? job.base : job.base + sep, 'utf8');
  let absolute = Buffer.alloc(base.length + 4096);
  base.copy(absolute);
  let files = 0;
  let bytes = 0;
  let toldOfFile = 0; // bytes of the current file already counted through onBytes
  const flush = () => {
    onProgress?.(files, bytes);
    files = 0;
    bytes = 0;
  };
  const onBytes =
    onProgress &&
    ((n: number) => {
      toldOfFile += n;
      bytes += n;
      if (bytes >= PROGRESS_BYTES) flush();
    });
  let ranOut = false;
  for (let done = 0; done < limit; done++) {
    const i = Atomics.add(job.next, 0, 1);
    if (i >= count) {
      ranOut = true;
      break;
    }
    const path = job.paths.subarray(job.offsets[i], job.offsets[i + 1]);
    if (absolute.length < base.length + path.length) {
      absolute = Buffer.alloc(2 * (base.length + path.length));
      base.copy(absolute);
    }
    absolute.set(path, base.length);
    toldOfFile = 0;
    let result: { digest: Buffer; size: number };
    try {
      result = hashFileSync(absolute.subarray(0, base.length + path.length), buffer, onBytes);
    } catch (error) {
      Atomics.store(job.next, 0, count);
      throw error;
    }
    job.digests.set(result.digest, 32 * i);
    job.sizes[i] = result.size;
    // The add that counts this file also makes the other threads' digests of the chunk visible here.
    const chunk = Math.floor(i / MERKLE_CHUNK);
    const inChunk = Math.min(MERKLE_CHUNK, count - chunk * MERKLE_CHUNK);
    if (Atomics.add(job.chunkDone, chunk, 1) + 1 === inChunk) job.chunkRoots.set(chunkRoot(job, chunk * MERKLE_CHUNK, inChunk), 32 * chunk);
    files++;
    bytes += result.size - toldOfFile;
    if (onProgress && (files >= PROGRESS_FILES || bytes >= PROGRESS_BYTES)) flush();
  }
  if (files > 0 || bytes > 0) flush();
  return ranOut;
}

// One chunk's leaves, hashed by the thread that builds its subtree (one scratch a thread).
const chunkLeaves = Buffer.alloc(32 * MERKLE_CHUNK);

/** The subtree root of `count` files from `from`: each file's manifest line hashed into its leaf, then rooted. */
function chunkRoot(job: HashJob, from: number, count: number): Buffer {
  for (let j = 0; j < count; j++) {
    const i = from + j;
    const leaf = lineLeafHash(job.digests.subarray(32 * i, 32 * i + 32), job.paths.subarray(job.offsets[i], job.offsets[i + 1]));
    chunkLeaves.set(leaf, 32 * j);
  }
  return subtreeRoot(chunkLeaves, 0, count);
}

function serveJobs(port: NonNullable<typeof parentPort>): void {
  const buffer = Buffer.allocUnsafe(READ_SIZE);
  const post = (message: WorkerMessage) => port.postMessage(message);
  port.on('message', (job: HashJob) => {
    try {
      workOnJob(job, buffer, (files, bytes) => post({ type: 'progress', files, bytes }));
      Atomics.add(job.finished, 0, 1); // publishes this thread's results before the message says so
      post({ type: 'done' });
    } catch (error) {
      if (error instanceof CutoverError && (error.code === 'ARTIFACT_INVALID' || error.code === 'IO_FAILED')) {
        post({ type: 'failed', code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) });
      } else {
        post({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      }
    }
  });
}

if (!isMainThread && parentPort && (workerData as { role?: string } | null)?.role === HASH_WORKER_ROLE) serveJobs(parentPort);
