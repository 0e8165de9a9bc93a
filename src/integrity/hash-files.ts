// Hashes many files on every core: a pool of worker threads that claim the files one by one.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CutoverError } from '../errors.js';
import { MERKLE_CHUNK } from './merkle.js';
import { lineLeafHash } from './leaf.js';
import { HASH_WORKER_ROLE, READ_SIZE, workOnJob, type HashJob, type WorkerMessage } from './hash-worker.js';

/** How far hashing has come; `totalBytes` only when the sizes were known before the first byte was read. */
export interface HashProgress {
  files: number;
  bytes: number;
  totalFiles: number;
  totalBytes?: number;
}

/** A file's SHA-256 (lowercase hex), the number of bytes hashed, and the Merkle leaf hash of its manifest line. */
export interface HashedFile {
  digest: string;
  size: number;
  leaf: Uint8Array;
}

/** The results of hashing a list of files, by column: file i's SHA-256 is the 32 bytes at `digests[32 i]`. */
export interface HashedColumns {
  digests: Buffer;
  sizes: Float64Array;
  /** 32 bytes a chunk of MERKLE_CHUNK leaves: the root of its subtree (merkle.ts rootOfChunks). */
  chunkRoots: Uint8Array;
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
// POOL_MIN_BYTES (or of unknown size), are hashed on this thread, in slices that let timers run.
const POOL_MIN_FILES = 256;
const POOL_MIN_BYTES = 16 << 20;
const SLICE_FILES = 512;
const PROGRESS_INTERVAL_MS = 100;

// From dist/ the compiled worker sits beside this module. Under vitest the sources are TypeScript,
// which a plain worker thread cannot load, so hashing there runs on this thread (same workOnJob code).
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

/** Whether a list of files is worth the worker threads: many files, or many bytes. */
export function worthThreads(files: number, totalBytes: number | undefined): boolean {
  return files >= POOL_MIN_FILES || (files > 1 && totalBytes === undefined) || (totalBytes ?? 0) >= POOL_MIN_BYTES;
}

function workerFailure(message: Extract<WorkerMessage, { type: 'failed' }>): Error {
  if (message.code) return new CutoverError(message.code, message.message, message.hint ? { hint: message.hint } : {});
  return new Error(`hash worker failed: ${message.message}`);
}

function newJob(base: string, paths: readonly string[], shared: boolean): HashJob {
  const memory = (bytes: number) => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  const count = paths.length;
  const chunks = Math.ceil(count / MERKLE_CHUNK);
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
    finished: new Int32Array(memory(4)),
    digests: new Uint8Array(memory(32 * count)),
    sizes: new Float64Array(memory(8 * count)),
    chunkDone: new Int32Array(memory(4 * chunks)),
    chunkRoots: new Uint8Array(memory(32 * chunks)),
  };
}

// Counts progress deltas and calls back at most every 100 ms (and whenever forced).
function progressCounter(totalFiles: number, options: HashJobOptions): { add: (files: number, bytes: number) => void; report: () => void } {
  const progress: HashProgress = {
    files: 0,
    bytes: 0,
    totalFiles,
    ...(options.totalBytes === undefined ? {} : { totalBytes: options.totalBytes }),
  };
  let last = -Infinity;
  const report = () => {
    last = performance.now();
    options.onProgress?.({ ...progress });
  };
  return {
    add(files, bytes) {
      progress.files += files;
      progress.bytes += bytes;
      if (options.onProgress && performance.now() - last >= PROGRESS_INTERVAL_MS) report();
    },
    report,
  };
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
export function prestartHashThreads(threads: number = availableParallelism()): void {
  if (prestarted.length > 0 || threads < 1 || !workersAvailable()) return;
  for (let i = 0; i < threads; i++) {
    const worker = startWorker();
    worker.unref();
    worker.on('error', (error) => prestartFailures.set(worker, error));
    prestarted.push(worker);
  }
}

/**
 * Worker threads for hashing, started ahead of a job (`start`) so they boot while the caller is
 * still listing files, or when a job is worth them. Each job goes to every thread; they share it
 * through shared memory and end together, whatever the sizes.
 */
export class HashPool {
  private workers: Worker[] = [];
  private broken: Error | undefined;

  constructor(private readonly threads: number = availableParallelism()) {}

  /** Starts the threads, if worker threads can run here. */
  start(): void {
    if (this.workers.length > 0 || this.threads < 1 || !workersAvailable()) return;
    const waiting = prestarted.splice(0, this.threads);
    for (let i = 0; i < this.threads; i++) {
      const worker = waiting[i] ?? startWorker();
      worker.ref();
      this.broken ??= prestartFailures.get(worker);
      // A thread that fails while no job runs (it cannot load, say) fails the next job, not the process.
      worker.on('error', (error) => (this.broken ??= error));
      this.workers.push(worker);
    }
  }

  /** Hashes files (entry paths below `base`) and returns their results by column, in the given order. */
  async hash(base: string, paths: readonly string[], options: HashJobOptions = {}): Promise<HashedColumns> {
    if (paths.length > 0 && worthThreads(paths.length, options.totalBytes)) this.start();
    if (this.broken) throw this.broken;
    const inPool = this.workers.length > 0 && paths.length > 0;
    const job = newJob(base, paths, inPool);
    const counter = progressCounter(paths.length, options);
    counter.report();
    if (inPool) await this.runInPool(job, counter.add);
    else {
      const buffer = Buffer.allocUnsafe(READ_SIZE);
      while (!workOnJob(job, buffer, counter.add, SLICE_FILES)) await nextTurn(); // let timers and I/O run
    }
    counter.report();
    return { digests: Buffer.from(job.digests.buffer), sizes: job.sizes, chunkRoots: job.chunkRoots };
  }

  /** Stops the threads. */
  async close(): Promise<void> {
    const workers = this.workers;
    this.workers = [];
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  private runInPool(job: HashJob, onProgress: (files: number, bytes: number) => void): Promise<void> {
    const workers = this.workers;
    return new Promise<void>((resolve, reject) => {
      let done = 0;
      let failed = false;
      const fail = (error: Error) => {
        if (failed) return;
        failed = true;
        cleanup();
        reject(error);
      };
      const onMessage = (message: WorkerMessage) => {
        if (failed) return;
        if (message.type === 'progress') return onProgress(message.files, message.bytes);
        if (message.type === 'failed') return fail(workerFailure(message));
        // Every thread has said it is done: the atomic count makes their results visible here.
        if (++done === workers.length && Atomics.load(job.finished, 0) === workers.length) {
          cleanup();
          resolve();
        }
      };
      const onExit = (code: number) => fail(new Error(`hash worker exited early (code ${code})`));
      const cleanup = () => {
        for (const worker of workers) {
          worker.off('message', onMessage).off('error', fail).off('exit', onExit);
        }
      };
      for (const worker of workers) {
        worker.on('message', onMessage).on('error', fail).on('exit', onExit);
        worker.postMessage(job);
      }
    });
  }
}

/** Hashes files (entry paths below `base`) and returns their digests, sizes and leaf hashes in the given order. */
export async function hashFiles(base: string, files: readonly FileToHash[], options: HashFilesOptions = {}): Promise<HashedFile[]> {
  const known = files.every((file) => file.size !== undefined);
  const totalBytes = known ? files.reduce((sum, file) => sum + (file.size as number), 0) : undefined;
  const pool = new HashPool(options.threads);
  try {
    const { digests, sizes } = await pool.hash(
      base,
      files.map((file) => file.path),
      { ...(options.onProgress ? { onProgress: options.onProgress } : {}), ...(totalBytes === undefined ? {} : { totalBytes }) },
    );
    return files.map((file, i) => ({
      digest: digests.toString('hex', 32 * i, 32 * i + 32),
      size: sizes[i] as number,
      leaf: lineLeafHash(digests.subarray(32 * i, 32 * i + 32), Buffer.from(file.path, 'utf8')),
    }));
  } finally {
    await pool.close();
  }
}
