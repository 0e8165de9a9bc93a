// Streams files through SHA-256 in fixed-size reads; runs as a worker thread or in-process.
import { Buffer } from 'node:buffer';
import { createHash, hash, type Hash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { sep } from 'node:path';
import { CutoverError } from '../errors.js';
import { writeLineLeaf } from './leaf.js';
import { MERKLE_CHUNK, subtreeRootInPlace } from './merkle.js';

/** The workerData marker that turns this module into a hashing worker. */
export const HASH_WORKER_ROLE = 'cutover-hash-worker';

/** Size of each read; one buffer a thread, reused for every file. */
export const READ_SIZE = 1 << 20;

/**
 * A list of files to hash and where the results go, shared by every thread that works on it: one
 * segment of a longer list, at most MERKLE_CHUNK files, so its files' leaves form one aligned subtree
 * of the Merkle tree. Each thread claims the next file with an atomic add on `next`, so the threads
 * stay busy to the last file whatever the files' sizes, and writes file i's results at index i: its
 * SHA-256 (32 bytes) at `digests[32 i]` and the bytes hashed at `sizes[i]`. The thread that completes
 * the segment (`done` counts its files) hashes their manifest lines into leaves and builds the
 * subtree's root into `root`, so the Merkle tree is built on every core too, and no leaf is kept.
 * `finished` counts the threads done, an atomic write that publishes their results. `stop` is shared
 * by every segment of a list: set, no thread claims another file of any of them.
 */
export interface HashJob {
  base: string;
  /** The entry paths' UTF-8 bytes end to end, path i at `[offsets[i], offsets[i + 1])`: no string a path to send or keep. */
  paths: Uint8Array;
  offsets: Uint32Array;
  next: Int32Array;
  done: Int32Array;
  finished: Int32Array;
  stop: Int32Array;
  digests: Uint8Array;
  sizes: Float64Array;
  root: Uint8Array;
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

function readFailed(abs: string | Buffer, error: unknown): CutoverError {
  return new CutoverError('IO_FAILED', `cannot read ${shown(abs)} (${(error as NodeJS.ErrnoException).code ?? String(error)})`, {
    cause: error,
  });
}

/**
 * Reads files into SHA-256 a read at a time, one file open at once, so that a caller can stop
 * between two reads and go on later (`step` with a deadline). A file that fits the buffer is hashed
 * in one call (most files in a large tree are small, and a hash object per file costs as much as
 * hashing 4 KiB), and once it has given the size fstat reported at open, the read that would only
 * confirm end of file is skipped: the file as it was when opened. Digests come out as hex, which
 * costs no buffer allocation; they are written into the job as bytes.
 */
export class FileReader {
  private fd = -1;
  private path: Buffer = Buffer.alloc(0);
  private expected = 0;
  private size = 0;
  private filled = 0;
  private told = 0;
  private stream: Hash | undefined;

  /** `onBytes` hears of every 64 MiB read. */
  constructor(
    private readonly buffer: Buffer,
    private readonly onBytes?: (bytes: number) => void,
  ) {}

  /** Opens a file that must still be the regular file the walk saw. */
  open(abs: Buffer): void {
    let fd: number;
    try {
      fd = openSync(abs, OPEN_FLAGS);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ELOOP')
        throw new CutoverError('ARTIFACT_INVALID', `symbolic link inside artifact: ${shown(abs)}`);
      throw readFailed(abs, error);
    }
    const info = fstatSync(fd);
    if (!info.isFile()) {
      closeSync(fd);
      throw new CutoverError('ARTIFACT_INVALID', `${shown(abs)} stopped being a regular file while it was hashed`);
    }
    this.fd = fd;
    this.path = abs;
    this.expected = info.size;
    this.size = 0;
    this.filled = 0;
    this.told = 0;
    this.stream = undefined;
  }

  /** Reads until the end of the open file, or until `deadline` (performance.now()) has passed after a read; returns whether the file is read. */
  step(deadline: number): boolean {
    try {
      for (;;) {
        const n = readSync(this.fd, this.buffer, this.filled, this.buffer.length - this.filled, null);
        if (n === 0) return true;
        this.filled += n;
        this.size += n;
        if (this.filled < this.buffer.length) {
          if (this.size === this.expected) return true;
        } else this.hashBuffer();
        if (deadline !== Infinity && performance.now() >= deadline) return false;
      }
    } catch (error) {
      this.close();
      throw readFailed(this.path, error);
    }
  }

  /** Closes the file read to its end; returns its SHA-256 (hex), its size, and the bytes not yet told to `onBytes`. */
  finish(): { digest: string; size: number; untold: number } {
    this.close();
    const rest = this.buffer.subarray(0, this.filled);
    const digest = this.stream ? this.stream.update(rest).digest('hex') : hash('sha256', rest);
    return { digest, size: this.size, untold: this.size - this.told };
  }

  /** Closes the open file, if any, leaving its hashing unfinished. */
  close(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    this.fd = -1;
    closeSync(fd);
  }

  // A full buffer of a file bigger than one: into the file's hash object.
  private hashBuffer(): void {
    this.stream ??= createHash('sha256');
    this.stream.update(this.buffer);
    this.filled = 0;
    if (this.onBytes && this.size - this.told >= PROGRESS_BYTES) {
      this.onBytes(this.size - this.told);
      this.told = this.size;
    }
  }
}

/**
 * One thread's share of jobs: claims their files one at a time and hashes them with its reader.
 * `work` may stop at a deadline in the middle of a file and go on with it at the next call.
 */
export class JobWorker {
  private readonly reader: FileReader;
  private absolute: Buffer = Buffer.alloc(4096);
  private baseLength = -1;
  private base = '';
  // The file begun and not finished, when a deadline stopped `work` in the middle of it.
  private current = -1;
  // Progress not told yet, and to whom.
  private files = 0;
  private bytes = 0;
  private report: ((files: number, bytes: number) => void) | undefined;

  constructor(buffer: Buffer = Buffer.allocUnsafe(READ_SIZE)) {
    this.reader = new FileReader(buffer, (n) => this.addBytes(n));
  }

  /**
   * Hashes files of `job` that this thread claims, writing each result at its index, until none is
   * left (returns true) or `deadline` (performance.now()) has passed (returns false). `onProgress`
   * hears (files, bytes) deltas now and then. A failure stops every thread's claiming.
   */
  work(job: HashJob, onProgress?: (files: number, bytes: number) => void, deadline = Infinity): boolean {
    this.report = onProgress;
    this.useBase(job.base);
    try {
      const ranOut = this.claimAndHash(job, deadline);
      this.flush();
      return ranOut;
    } catch (error) {
      this.reader.close();
      this.current = -1;
      Atomics.store(job.stop, 0, 1);
      throw error;
    }
  }

  private claimAndHash(job: HashJob, deadline: number): boolean {
    const count = job.offsets.length - 1;
    const digests = Buffer.from(job.digests.buffer, job.digests.byteOffset, job.digests.byteLength);
    const reader = this.reader;
    for (;;) {
      let i = this.current;
      if (i < 0) {
        if (Atomics.load(job.stop, 0) !== 0) return true;
        i = Atomics.add(job.next, 0, 1);
        if (i >= count) return true;
        reader.open(this.pathOf(job, i));
        this.current = i;
      }
      if (!reader.step(deadline)) return false;
      const result = reader.finish();
      this.current = -1;
      digests.write(result.digest, 32 * i, 32, 'hex');
      job.sizes[i] = result.size;
      // The add that counts this file also makes the other threads' digests of the segment visible here.
      if (Atomics.add(job.done, 0, 1) + 1 === count) job.root.set(segmentRoot(job, count));
      this.files++;
      this.bytes += result.untold;
      if (this.files >= PROGRESS_FILES || this.bytes >= PROGRESS_BYTES) this.flush();
      if (deadline !== Infinity && performance.now() >= deadline) return Atomics.load(job.next, 0) >= count;
    }
  }

  private addBytes(n: number): void {
    this.bytes += n;
    if (this.bytes >= PROGRESS_BYTES) this.flush();
  }

  private flush(): void {
    if (this.files === 0 && this.bytes === 0) return;
    this.report?.(this.files, this.bytes);
    this.files = 0;
    this.bytes = 0;
  }

  // Each file's absolute path is written after the base, as bytes (open takes them as they are).
  // Entry paths are canonical (no "", "." or ".." parts), so plain concatenation is a safe join.
  private useBase(base: string): void {
    if (base === this.base && this.baseLength >= 0) return;
    const bytes = Buffer.from(base.endsWith(sep) ? base : base + sep, 'utf8');
    if (this.absolute.length < bytes.length + 4096) this.absolute = Buffer.alloc(bytes.length + 4096);
    bytes.copy(this.absolute);
    this.base = base;
    this.baseLength = bytes.length;
  }

  private pathOf(job: HashJob, i: number): Buffer {
    const path = job.paths.subarray(job.offsets[i], job.offsets[i + 1]);
    const length = this.baseLength + path.length;
    if (this.absolute.length < length) {
      const grown = Buffer.alloc(2 * length);
      this.absolute.copy(grown, 0, 0, this.baseLength);
      this.absolute = grown;
    }
    this.absolute.set(path, this.baseLength);
    return this.absolute.subarray(0, length);
  }
}

// One segment's leaves, hashed by the thread that builds its subtree (one scratch a thread).
const segmentLeaves = Buffer.alloc(32 * MERKLE_CHUNK);

/** The subtree root of a segment's `count` files: each file's manifest line hashed into its leaf, then rooted. */
function segmentRoot(job: HashJob, count: number): Buffer {
  writeLeaves(job, count);
  return subtreeRootInPlace(segmentLeaves, count);
}

// A loop of its own: optimized while it runs, it holds no call it has not seen yet.
function writeLeaves(job: HashJob, count: number): void {
  for (let i = 0; i < count; i++) {
    writeLineLeaf(job.digests.subarray(32 * i, 32 * i + 32), job.paths.subarray(job.offsets[i], job.offsets[i + 1]), segmentLeaves, 32 * i);
  }
}

function serveJobs(port: NonNullable<typeof parentPort>): void {
  const worker = new JobWorker();
  const post = (message: WorkerMessage) => port.postMessage(message);
  const progress = (files: number, bytes: number) => post({ type: 'progress', files, bytes });
  port.on('message', (job: HashJob) => {
    try {
      worker.work(job, progress);
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
