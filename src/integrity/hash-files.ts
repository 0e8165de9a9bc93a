// Hashes many files on every core: batches of small files and big files one by one, over a worker pool.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CutoverError } from '../errors.js';
import { HASH_WORKER_ROLE, READ_SIZE, hashTask, type HashTask, type HashTaskResult, type WorkerMessage } from './hash-worker.js';
import type { WalkedFile } from './walk.js';

/** How far hashing has come; totals are known before the first byte is read. */
export interface HashProgress {
  files: number;
  bytes: number;
  totalFiles: number;
  totalBytes: number;
}

/** A file's SHA-256 (lowercase hex), the number of bytes hashed, and the Merkle leaf hash of its manifest line. */
export interface HashedFile {
  digest: string;
  size: number;
  leaf: Uint8Array;
}

/** Progress callback (throttled to one call per 100 ms, plus the last) and the thread count (0: this thread). */
export interface HashFilesOptions {
  onProgress?: (progress: HashProgress) => void;
  threads?: number;
}

interface PlannedTask {
  task: HashTask;
  indices: number[];
  bytes: number;
}

// Small files travel in batches so per-message overhead vanishes; big files go alone, biggest first,
// so the pool ends together instead of one thread finishing a giant file while the others idle.
const BATCH_FILES = 512;
const BATCH_BYTES = 32 << 20;
const ALONE_BYTES = 16 << 20;
const PROGRESS_INTERVAL_MS = 100;

// From dist/ the compiled worker sits beside this module. Under vitest the sources are TypeScript,
// which a plain worker thread cannot load, so hashing there runs on this thread (same hashTask code).
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

function planTasks(base: string, files: readonly WalkedFile[]): PlannedTask[] {
  const alone: PlannedTask[] = [];
  const batches: PlannedTask[] = [];
  let batch: PlannedTask = { task: { base, paths: [] }, indices: [], bytes: 0 };
  files.forEach((file, index) => {
    if (file.size >= ALONE_BYTES) {
      alone.push({ task: { base, paths: [file.path] }, indices: [index], bytes: file.size });
      return;
    }
    batch.task.paths.push(file.path);
    batch.indices.push(index);
    batch.bytes += file.size;
    if (batch.indices.length >= BATCH_FILES || batch.bytes >= BATCH_BYTES) {
      batches.push(batch);
      batch = { task: { base, paths: [] }, indices: [], bytes: 0 };
    }
  });
  if (batch.indices.length > 0) batches.push(batch);
  return [...alone.sort((a, b) => b.bytes - a.bytes), ...batches];
}

function workerFailure(message: Extract<WorkerMessage, { type: 'failed' }>): Error {
  if (message.code) return new CutoverError(message.code, message.message, message.hint ? { hint: message.hint } : {});
  return new Error(`hash worker failed: ${message.message}`);
}

async function runInPool(
  tasks: PlannedTask[],
  threads: number,
  onBytes: (id: number, bytes: number) => void,
  onDone: (id: number, result: HashTaskResult) => void,
): Promise<void> {
  const workers: Worker[] = [];
  let next = 0;
  let finished = 0;
  let failure: Error | undefined;
  await new Promise<void>((resolve, reject) => {
    const fail = (error: Error) => {
      if (failure) return;
      failure = error;
      reject(error);
    };
    const feed = (worker: Worker) => {
      if (next < tasks.length) worker.postMessage({ id: next, task: (tasks[next++] as PlannedTask).task });
    };
    for (let i = 0; i < threads; i++) {
      const worker = new Worker(WORKER_URL, { workerData: { role: HASH_WORKER_ROLE } });
      workers.push(worker);
      worker.on('message', (message: WorkerMessage) => {
        if (failure) return;
        if (message.type === 'progress') return onBytes(message.id, message.bytes);
        if (message.type === 'failed') return fail(workerFailure(message));
        onDone(message.id, message.result);
        if (++finished === tasks.length) resolve();
        else feed(worker);
      });
      worker.on('error', fail);
      worker.on('exit', (code) => {
        if (finished < tasks.length) fail(new Error(`hash worker exited early (code ${code})`));
      });
      feed(worker);
    }
    // A second task each, once all have one: a worker never waits a round trip for its next batch.
    for (const worker of workers) feed(worker);
  }).finally(() => Promise.all(workers.map((worker) => worker.terminate())));
}

/** Hashes files (entry paths below `base`) and returns their digests and sizes in the given order. */
export async function hashFiles(base: string, files: readonly WalkedFile[], options: HashFilesOptions = {}): Promise<HashedFile[]> {
  const tasks = planTasks(base, files);
  const results: HashedFile[] = new Array(files.length);
  const progress: HashProgress = { files: 0, bytes: 0, totalFiles: files.length, totalBytes: files.reduce((sum, f) => sum + f.size, 0) };
  const reportedBytes = new Map<number, number>();
  let lastReport = -Infinity;
  const report = (force: boolean) => {
    const now = performance.now();
    if (!options.onProgress || (!force && now - lastReport < PROGRESS_INTERVAL_MS)) return;
    lastReport = now;
    options.onProgress({ ...progress });
  };
  const onBytes = (id: number, bytes: number) => {
    reportedBytes.set(id, (reportedBytes.get(id) ?? 0) + bytes);
    progress.bytes += bytes;
    report(false);
  };
  const onDone = (id: number, result: HashTaskResult) => {
    const { indices } = tasks[id] as PlannedTask;
    let bytes = 0;
    indices.forEach((index, i) => {
      const size = result.sizes[i] as number;
      results[index] = { digest: result.digests.slice(i * 64, i * 64 + 64), size, leaf: result.leaves.subarray(32 * i, 32 * i + 32) };
      bytes += size;
    });
    progress.files += indices.length;
    progress.bytes += bytes - (reportedBytes.get(id) ?? 0);
    reportedBytes.delete(id);
    report(false);
  };
  report(true);
  const wanted = options.threads ?? availableParallelism();
  const threads = Math.min(wanted, tasks.length);
  // One small task cannot be spread out; starting threads for it would cost more than it saves.
  const inPool = workersAvailable() && threads > 0 && !(tasks.length === 1 && progress.totalBytes < ALONE_BYTES);
  if (inPool) {
    await runInPool(tasks, threads, onBytes, onDone);
  } else {
    const buffer = Buffer.allocUnsafe(READ_SIZE);
    for (const [id, planned] of tasks.entries()) {
      onDone(
        id,
        hashTask(planned.task, buffer, (bytes) => onBytes(id, bytes)),
      );
      await nextTurn(); // let timers and I/O run between batches
    }
  }
  report(true);
  return results;
}
