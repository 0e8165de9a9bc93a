// Hashes many files on every core: a pool of worker threads that claim the files one by one.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CutoverError } from '../errors.js';
import { MERKLE_CHUNK } from './merkle.js';
import { lineLeafHash } from './leaf.js';
import { HASH_WORKER_ROLE, JobWorker, type HashJob, type WorkerMessage } from './hash-worker.js';

/**
 * How far hashing has come; `totalBytes` only when the sizes were known before the first byte was
 * read, and `counting` while the files are still being listed (`totalFiles` is then the count so far).
 */
export interface HashProgress {
  files: number;
  bytes: number;
  totalFiles: number;
  totalBytes?: number;
  counting?: boolean;
}

/** A file's SHA-256 (lowercase hex), the number of bytes hashed, and the Merkle leaf hash of its manifest line. */
export interface HashedFile {
  digest: string;
  size: number;
  leaf: Uint8Array;
}

/**
 * The results of hashing a list of files, a segment of MERKLE_CHUNK files at a time: file i is file
 * i mod MERKLE_CHUNK of segment ⌊i / MERKLE_CHUNK⌋, its SHA-256 the 32 bytes at 32 (i mod
 * MERKLE_CHUNK) of that segment's `digests`. Read them with `digestsHex` and `sizeAt`.
 */
export interface HashedColumns {
  count: number;
  segments: { digests: Buffer; sizes: Float64Array }[];
  /** 32 bytes a segment: the root of its subtree (merkle.ts rootOfChunks). */
  chunkRoots: Uint8Array;
}

/** The lowercase hex of files [from, to)'s SHA-256, end to end (64 characters a file); the files must lie in one segment. */
export function digestsHex(columns: HashedColumns, from: number, to: number): string {
  const segment = columns.segments[Math.floor(from / MERKLE_CHUNK)] as HashedColumns['segments'][number];
  const at = from % MERKLE_CHUNK;
  if (at + (to - from) > MERKLE_CHUNK) throw new RangeError(`files ${from}..${to} span two segments`);
  return segment.digests.toString('hex', 32 * at, 32 * (at + to - from));
}

/** The number of bytes file i had. */
export function sizeAt(columns: HashedColumns, i: number): number {
  return (columns.segments[Math.floor(i / MERKLE_CHUNK)] as HashedColumns['segments'][number]).sizes[i % MERKLE_CHUNK] as number;
}

/** Progress callback (throttled to one call per 100 ms, plus the first and the last), and the sizes' sum when known. */
export interface HashJobOptions {
  onProgress?: (progress: HashProgress) => void;
  totalBytes?: number;
}

/** Progress callback and the thread count (0: this thread). */
export interface HashFilesOptions {
  onProgress?: (progress: HashProgress) => void;
  threads?: number;
}

/** A file to hash: its entry path below the base folder, and its size when already known. */
export interface FileToHash {
  path: string;
  size?: number;
}

// Worker threads cost ~20 ms each to start: fewer files than this, holding fewer bytes than
// POOL_MIN_BYTES (or of unknown size), are hashed on this thread alone.
const POOL_MIN_FILES = 256;
const POOL_MIN_BYTES = 16 << 20;
// This thread hashes in slices this long, between which timers, I/O and signals are served.
const SLICE_MS = 8;
const PROGRESS_INTERVAL_MS = 100;

// From dist/ the compiled worker sits beside this module. Under vitest the sources are TypeScript,
// which a plain worker thread cannot load, so hashing there runs on this thread (same JobWorker code).
const WORKER_URL = new URL('./hash-worker.js', import.meta.url);

/**
 * True when worker threads can run the compiled worker. From TypeScript sources (tests) they cannot;
 * from a build the worker must sit beside this module, and a build without it is broken: hashing on
 * one thread would only be slow, so it is refused rather than hidden.
 */
export function workersAvailable(): boolean {
  if (WORKER_URL.protocol !== 'file:' || import.meta.url.endsWith('.ts')) return false;
  if (existsSync(fileURLToPath(WORKER_URL))) return true;
  throw new Error(
    `the hashing worker ${fileURLToPath(WORKER_URL)} is missing beside ${fileURLToPath(import.meta.url)}: the build is incomplete`,
  );
}

/**
 * The worker threads hashing wants by default: one a core but this one, as this thread hashes too
 * (once it has listed the files).
 */
export function defaultThreads(): number {
  return Math.max(0, availableParallelism() - 1);
}

/** Whether a list of files is worth the worker threads: many files, or many bytes. */
export function worthThreads(files: number, totalBytes: number | undefined): boolean {
  return files >= POOL_MIN_FILES || (files > 1 && totalBytes === undefined) || (totalBytes ?? 0) >= POOL_MIN_BYTES;
}

function workerFailure(message: Extract<WorkerMessage, { type: 'failed' }>): Error {
  if (message.code) return new CutoverError(message.code, message.message, message.hint ? { hint: message.hint } : {});
  return new Error(`hash worker failed: ${message.message}`);
}

function newSegment(base: string, paths: readonly string[], stop: Int32Array, shared: boolean): HashJob {
  const memory = (bytes: number) => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  const count = paths.length;
  const joined = paths.join('');
  const bytes = new Uint8Array(memory(Buffer.byteLength(joined, 'utf8')));
  Buffer.from(bytes.buffer).write(joined, 'utf8');
  const offsets = new Uint32Array(memory(4 * (count + 1)));
  // ASCII paths (the common case) have as many bytes as characters: no need to measure each.
  const ascii = bytes.length === joined.length;
  for (let i = 0, at = 0; i < count; i++)
    offsets[i + 1] = at += ascii ? (paths[i] as string).length : Buffer.byteLength(paths[i] as string, 'utf8');
  return {
    base,
    paths: bytes,
    offsets,
    next: new Int32Array(memory(4)),
    done: new Int32Array(memory(4)),
    finished: new Int32Array(memory(4)),
    stop,
    digests: new Uint8Array(memory(32 * count)),
    sizes: new Float64Array(memory(8 * count)),
    root: new Uint8Array(memory(32)),
  };
}

// Counts progress deltas and calls back at most every 100 ms (and whenever forced).
class ProgressCounter {
  private readonly progress: HashProgress;
  private last = -Infinity;

  constructor(private readonly onProgress: ((progress: HashProgress) => void) | undefined) {
    this.progress = { files: 0, bytes: 0, totalFiles: 0, counting: true };
  }

  add = (files: number, bytes: number): void => {
    this.progress.files += files;
    this.progress.bytes += bytes;
    if (this.onProgress && performance.now() - this.last >= PROGRESS_INTERVAL_MS) this.report();
  };

  found(totalFiles: number): void {
    this.progress.totalFiles = totalFiles;
  }

  counted(totalBytes: number | undefined): void {
    delete this.progress.counting;
    if (totalBytes !== undefined) this.progress.totalBytes = totalBytes;
  }

  report(): void {
    this.last = performance.now();
    this.onProgress?.(this.now());
  }

  now(): HashProgress {
    return { ...this.progress };
  }
}

// Threads started before any pool wanted them (prestartHashThreads), waiting to be taken by one,
// and what went wrong with one of them meanwhile (told to the pool that takes it).
const prestarted: Worker[] = [];
const prestartFailures = new WeakMap<Worker, Error>();

function startWorker(): Worker {
  // A small young generation: a thread's garbage is a few objects a file, and each megabyte of it is
  // resident memory, times the threads.
  return new Worker(WORKER_URL, { workerData: { role: HASH_WORKER_ROLE }, resourceLimits: { maxYoungGenerationSizeMb: 4 } });
}

/**
 * Starts the hashing threads at once, for a command that is about to hash: they boot while the
 * rest of the program loads, and the first pool takes them. They do not keep the process alive.
 */
export function prestartHashThreads(threads: number = defaultThreads()): void {
  if (prestarted.length > 0 || threads < 1 || !workersAvailable()) return;
  for (let i = 0; i < threads; i++) {
    const worker = startWorker();
    worker.unref();
    worker.on('error', (error) => prestartFailures.set(worker, error));
    prestarted.push(worker);
  }
}

/**
 * Hashing threads: this one, and worker threads started when a list is worth them (`start`, or
 * ahead of one so they boot while the caller is still listing files). A list is hashed as a stream
 * (`stream`): its files can be added while they are being found, a segment at a time, and the
 * worker threads hash each segment as soon as it is full; this thread joins in once the list ends.
 * The threads share each segment through shared memory and end together, whatever the sizes.
 */
export class HashPool {
  private workers: Worker[] = [];
  private broken: Error | undefined;
  private active: HashStream | undefined;

  constructor(private readonly threads: number = defaultThreads()) {}

  /** Starts the worker threads, if they can run here; the segments of a stream already begun go to them. */
  start(): void {
    if (this.workers.length > 0 || this.threads < 1 || !workersAvailable()) return;
    const waiting = prestarted.splice(0, this.threads);
    for (let i = 0; i < this.threads; i++) {
      const worker = waiting[i] ?? startWorker();
      worker.ref();
      this.broken ??= prestartFailures.get(worker);
      worker.on('message', (message: WorkerMessage) => this.active?.heard(message));
      // A thread that fails while no list is hashed (it cannot load, say) fails the next list, not the process.
      worker.on('error', (error) => (this.active ? this.active.fail(error) : (this.broken ??= error)));
      worker.on('exit', (code) => {
        const error = new Error(`hash worker exited early (code ${code})`);
        this.broken ??= error;
        this.active?.fail(error);
      });
      this.workers.push(worker);
    }
    if (this.broken) this.active?.fail(this.broken);
    this.active?.spread(this.workers);
  }

  /** A list of files below `base` to hash, given one by one (`add`), then ended (`end`). One at a time. */
  stream(base: string, options: { onProgress?: (progress: HashProgress) => void } = {}): HashStream {
    if (this.broken) throw this.broken;
    const stream = new HashStream(base, this.threads > 0 && workersAvailable(), options.onProgress, () => {
      if (this.active === stream) this.active = undefined;
    });
    this.active = stream;
    if (this.workers.length > 0) stream.spread(this.workers);
    return stream;
  }

  /** Hashes files (entry paths below `base`) and returns their results by column, in the given order. */
  async hash(base: string, paths: readonly string[], options: HashJobOptions = {}): Promise<HashedColumns> {
    const stream = this.stream(base, options.onProgress ? { onProgress: options.onProgress } : {});
    for (const path of paths) stream.add(path);
    if (paths.length > 0 && worthThreads(paths.length, options.totalBytes)) this.start();
    return stream.end(options.totalBytes);
  }

  /** Stops the threads. */
  async close(): Promise<void> {
    const workers = this.workers;
    this.workers = [];
    this.active = undefined;
    for (const worker of workers) worker.removeAllListeners('exit');
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

/** A list of files being hashed, made of segments of MERKLE_CHUNK files (HashPool.stream). */
export class HashStream {
  private readonly segments: HashJob[] = [];
  private pending: string[] = [];
  private added = 0;
  private readonly stop: Int32Array;
  private readonly counter: ProgressCounter;
  private workers: Worker[] = [];
  private posted = 0;
  private heardDone = 0;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly base: string,
    private readonly shared: boolean,
    onProgress: ((progress: HashProgress) => void) | undefined,
    private readonly closed: () => void,
  ) {
    this.stop = new Int32Array(shared ? new SharedArrayBuffer(4) : new ArrayBuffer(4));
    this.counter = new ProgressCounter(onProgress);
    this.counter.report();
  }

  /** How far hashing has come now (onProgress hears of it at most every 100 ms). */
  get progress(): HashProgress {
    return this.counter.now();
  }

  /** Adds the next file (in manifest order); a full segment goes to the worker threads at once. */
  add(path: string): void {
    this.pending.push(path);
    this.added++;
    if (this.pending.length === MERKLE_CHUNK) this.seal();
  }

  /**
   * Ends the list and hashes what the worker threads have not, on this thread, a slice at a time;
   * returns the results once every thread is done. `totalBytes`: the files' sizes when known.
   */
  async end(totalBytes?: number): Promise<HashedColumns> {
    try {
      if (this.pending.length > 0) this.seal();
      this.counter.counted(totalBytes);
      this.counter.report();
      const worker = new JobWorker();
      for (const segment of this.segments) {
        while (!worker.work(segment, this.counter.add, performance.now() + SLICE_MS)) {
          await nextTurn(); // let timers, I/O and signals be served
          if (this.failure) throw this.failure;
        }
      }
      await this.allDone();
      for (const segment of this.segments) Atomics.load(segment.finished, 0); // their results, published by the atomic add
      this.counter.report();
      const chunkRoots = new Uint8Array(32 * this.segments.length);
      this.segments.forEach((segment, s) => chunkRoots.set(segment.root, 32 * s));
      return {
        count: this.added,
        segments: this.segments.map((segment) => ({ digests: Buffer.from(segment.digests.buffer), sizes: segment.sizes })),
        chunkRoots,
      };
    } catch (error) {
      Atomics.store(this.stop, 0, 1);
      throw error;
    } finally {
      this.closed();
    }
  }

  /** Gives the segments so far, and every later one, to these worker threads. */
  spread(workers: Worker[]): void {
    if (!this.shared || this.workers.length > 0) return;
    this.workers = workers;
    for (const segment of this.segments) this.post(segment);
  }

  /** A worker's message about this stream. */
  heard(message: WorkerMessage): void {
    if (message.type === 'progress') this.counter.add(message.files, message.bytes);
    else if (message.type === 'failed') this.fail(workerFailure(message));
    else {
      this.heardDone++;
      this.wake?.();
    }
  }

  /** Fails the stream: no thread claims another file, and `end` throws `error`. */
  fail(error: Error): void {
    this.failure ??= error;
    Atomics.store(this.stop, 0, 1);
    this.wake?.();
  }

  private seal(): void {
    const segment = newSegment(this.base, this.pending, this.stop, this.shared);
    this.pending = [];
    this.segments.push(segment);
    this.counter.found(this.added);
    if (this.workers.length > 0) this.post(segment);
  }

  private post(segment: HashJob): void {
    this.posted++;
    for (const worker of this.workers) worker.postMessage(segment);
  }

  // Resolves once every worker has said it is done with every segment posted to it.
  private async allDone(): Promise<void> {
    while (this.heardDone < this.posted * this.workers.length) {
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = undefined;
    }
    if (this.failure) throw this.failure;
  }
}

/** Hashes files (entry paths below `base`) and returns their digests, sizes and leaf hashes in the given order. */
export async function hashFiles(base: string, files: readonly FileToHash[], options: HashFilesOptions = {}): Promise<HashedFile[]> {
  const known = files.every((file) => file.size !== undefined);
  const totalBytes = known ? files.reduce((sum, file) => sum + (file.size as number), 0) : undefined;
  const pool = new HashPool(options.threads);
  try {
    const columns = await pool.hash(
      base,
      files.map((file) => file.path),
      { ...(options.onProgress ? { onProgress: options.onProgress } : {}), ...(totalBytes === undefined ? {} : { totalBytes }) },
    );
    return files.map((file, i) => {
      const digest = digestsHex(columns, i, i + 1);
      return { digest, size: sizeAt(columns, i), leaf: lineLeafHash(Buffer.from(digest, 'hex'), Buffer.from(file.path, 'utf8')) };
    });
  } finally {
    await pool.close();
  }
}
