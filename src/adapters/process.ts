// Runs one step's command in its own process group and streams its masked output to files.
import { createHash } from 'node:crypto';
import { closeSync, constants, createReadStream, createWriteStream, fstatSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { Transform, type Readable, type Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import { execa } from 'execa';
import { CutoverError } from '../errors.js';
import { createMasker } from '../text/mask.js';
import { endGroup, trackGroup, untrackGroup } from './process-group.js';

/** A command: argv run without a shell, or a script handed to the named shell with `-c`. */
export type Command = { argv: string[] } | { shell: string; script: string };

/** What to run and where its output goes. */
export interface RunProcessOptions {
  command: Command;
  cwd: string;
  /** The complete environment of the child; nothing of ours is added. */
  env: Record<string, string>;
  timeoutMs?: number;
  /** How long the group has after SIGTERM before SIGKILL (default 5000). */
  graceMs?: number;
  /** stdout and stderr interleaved, masked. */
  logPath: string;
  /** stdout only, masked (for a `stdout` expectation). */
  stdoutPath?: string;
  secrets?: string[];
  /** Aborting interrupts the step: its group is signalled, then killed. */
  signal?: AbortSignal;
  /** Masked output as it arrives (for --verbose). */
  onOutput?: (text: string, stream: 'stdout' | 'stderr') => void;
  /** Told the child's pid (its process group) once it runs, so a crash journal can name the group. */
  onSpawn?: (pid: number) => void;
}

/** How a command ended; a failing command is a result, never an exception. */
export interface ProcessResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  interrupted: boolean;
  /** Why the command could not run at all (for example not found), masked. */
  error?: string;
  startedAt: Date;
  endedAt: Date;
  durationMs: number;
  logBytes: number;
  /** SHA-256 (hex) of the log file's bytes as written. */
  logDigest: string;
}

/**
 * Runs a command in its own process group (so a timeout or an abort ends its whole tree), with
 * output streamed through the masker to files, never held in memory. When the command exits, any
 * process still left in its group is terminated the same way: nothing a step starts outlives it or
 * keeps its output open (a daemon a step means to leave running must detach into its own session).
 * Throws only when our own files cannot be written.
 */
export async function runProcess(options: RunProcessOptions): Promise<ProcessResult> {
  const { command, graceMs = 5000 } = options;
  const startedAt = new Date();
  const masker = createMasker(options.secrets ?? []);
  // With nothing to mask, show or split out, the child writes straight into its log file: no pipe,
  // no copy through this process, and its two streams interleaved exactly as it wrote them.
  const log =
    masker.identity && !options.onOutput && options.stdoutPath === undefined
      ? await openDirectLog(options.logPath)
      : await openLog(options.logPath);
  const stdoutFile =
    options.stdoutPath === undefined
      ? undefined
      : await openOutput(options.stdoutPath).catch((error: unknown) => {
          log.destroy();
          throw error;
        });
  const [file, args] = 'argv' in command ? [command.argv[0] ?? '', command.argv.slice(1)] : [command.shell, ['-c', command.script]];
  const outcome = { timedOut: false, interrupted: false, ioError: undefined as unknown };
  let exit: Pick<ProcessResult, 'exitCode' | 'signal' | 'error'> = { exitCode: null, signal: null };

  if (options.signal?.aborted) {
    outcome.interrupted = true;
    stdoutFile?.input.end(); // no child output will end it
  } else {
    // execa hands a file descriptor to the child as it is (its types list only the numbers 3 to 9).
    const output = (log.childFd ?? 'pipe') as 'pipe';
    const child = execa(file, args, {
      cwd: options.cwd,
      env: options.env,
      extendEnv: false,
      shell: false,
      detached: true, // setsid: a group of its own to signal as a whole, and no terminal to read
      stdin: 'ignore',
      stdout: output,
      stderr: output,
      buffer: false,
      encoding: 'buffer',
      reject: false,
    });
    const pid = child.pid;
    const exited = new Promise<[number | null, string | null] | undefined>((resolve) => {
      child.once('exit', (code, signal) => resolve([code, signal]));
      void child.then(() => resolve(undefined)); // a spawn failure has no exit
    });
    if (pid !== undefined) {
      trackGroup(pid);
      options.onSpawn?.(pid);
    }
    let ending: Promise<void> | undefined;
    const end = () => (ending ??= pid === undefined ? Promise.resolve() : endGroup(pid, graceMs));
    const channels = log.input
      ? [
          channel(child.stdout, masker.stream(), 'stdout', log.input, stdoutFile?.input, options.onOutput),
          channel(child.stderr, masker.stream(), 'stderr', log.input, undefined, options.onOutput),
        ]
      : [];
    const fail = (error: unknown) => {
      outcome.ioError ??= error;
      void end();
      for (const c of channels) c.abandon();
      log.destroy();
      stdoutFile?.input.destroy();
    };
    log.done.catch(fail);
    stdoutFile?.done.catch(fail);
    const stop = (reason: 'timedOut' | 'interrupted') => {
      outcome[reason] = true;
      void end();
    };
    // Node fires a longer timer at once; 24 days is as good as no limit.
    const timer = options.timeoutMs ? setTimeout(stop, Math.min(options.timeoutMs, 2 ** 31 - 1), 'timedOut') : undefined;
    const onAbort = () => stop('interrupted');
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const status = await exited;
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    await end(); // survivors of a normal exit go too
    if (pid !== undefined) untrackGroup(pid);
    if (channels.length) await drain(channels, graceMs);
    const result = await child;
    if (status) exit = { exitCode: status[0], signal: status[1] };
    else exit.error = masker.mask(startError(file, result));
  }

  const written = await log.close().catch((error: unknown) => {
    outcome.ioError ??= error;
  });
  await stdoutFile?.done.catch(() => undefined);
  if (outcome.ioError !== undefined || !written) {
    const why = outcome.ioError instanceof Error ? outcome.ioError.message : String(outcome.ioError);
    throw new CutoverError('IO_FAILED', `cannot write the output of ${JSON.stringify(file)}: ${why}`, { cause: outcome.ioError });
  }
  const endedAt = new Date();
  const { timedOut, interrupted } = outcome;
  const durationMs = endedAt.getTime() - startedAt.getTime();
  return { ...exit, timedOut, interrupted, startedAt, endedAt, durationMs, logBytes: written.bytes, logDigest: written.digest };
}

const SPAWN_ERRORS: Record<string, string> = { ENOENT: 'command not found', EACCES: 'permission denied' };

/** Why a command could not be started, from execa's result. */
function startError(file: string, result: { code?: unknown; originalMessage?: unknown }): string {
  const detail = String(result.originalMessage ?? 'unknown error').split('\n')[0];
  // A missing cwd is an ENOENT too, but its message does not start with `spawn`.
  const plain = detail?.startsWith('spawn ') ? SPAWN_ERRORS[String(result.code)] : undefined;
  return `${JSON.stringify(file)} could not be started: ${plain ? `${plain} (${detail})` : detail}`;
}

/** One output stream of the child on its way through a masker to its sinks. */
interface Channel {
  done: Promise<void>;
  /** Milliseconds since the child last wrote here while we had caught up (0 while we are behind). */
  idleFor(): number;
  /** Stops reading (a process outside the group holds the pipe open) and flushes what was read. */
  cut(): void;
  /** Drops everything (our own file failed). */
  abandon(): void;
}

/** Pipes one of the child's outputs through its masker into the log, its own file, and `onOutput`. */
function channel(
  source: Readable,
  masked: Transform,
  name: 'stdout' | 'stderr',
  log: Writable,
  file: Writable | undefined,
  onOutput: RunProcessOptions['onOutput'],
): Channel {
  let lastData = Date.now();
  let ended = false;
  source.on('data', () => (lastData = Date.now()));
  source.once('end', () => (ended = true));
  source.on('error', () => undefined); // a broken pipe ends the channel below, via cut()
  source.pipe(masked);
  masked.pipe(log, { end: false }); // shared by both channels: ended once both are done
  if (file) masked.pipe(file);
  if (onOutput) {
    // Decode across chunks so a multi-byte character split between two is not mangled.
    const decoder = new StringDecoder('utf8');
    const emit = (text: string) => text && onOutput(text, name);
    masked.on('data', (chunk: Buffer) => emit(decoder.write(chunk)));
    masked.once('end', () => emit(decoder.end()));
  }
  return {
    done: finished(masked).catch(() => undefined),
    idleFor: () => (ended ? Infinity : source.readableLength > 0 ? 0 : Date.now() - lastData),
    cut() {
      if (source.destroyed) return;
      source.unpipe(masked);
      source.destroy();
      masked.end();
    },
    abandon() {
      source.destroy();
      masked.destroy();
    },
  };
}

const POLL_MS = 100;
/** The longest we keep reading from a pipe that something outside the ended group still writes to. */
const DRAIN_CAP_MS = 30_000;

/** Waits until both channels have ended, cutting one loose once its writer is silent (or too late). */
async function drain(channels: Channel[], graceMs: number): Promise<void> {
  const cap = Date.now() + Math.max(graceMs, DRAIN_CAP_MS);
  const all = Promise.all(channels.map((c) => c.done));
  let done = false;
  void all.then(() => (done = true));
  while (!done) {
    await Promise.race([all, new Promise((resolve) => setTimeout(resolve, POLL_MS))]);
    if (done) break;
    for (const c of channels) if (c.idleFor() >= graceMs || Date.now() >= cap) c.cut();
  }
}

/** A sink file: its writable input and the promise of it being written completely. */
interface Output {
  input: Writable;
  done: Promise<void>;
}

/** A step's log: either a stream this process writes into, or a file the child writes to itself. */
interface Log {
  /** Where the masked output goes (undefined when the child writes to `childFd`). */
  input?: Writable;
  /** The file descriptor handed to the child as its stdout and stderr. */
  childFd?: number;
  /** Rejects when the log cannot be written. */
  done: Promise<void>;
  /** Finishes the log; its size and SHA-256 (hex) as written. */
  close(): Promise<{ bytes: number; digest: string }>;
  destroy(): void;
}

/** Opens the log as a stream: its input hashes and counts the bytes on their way to the file. */
async function openLog(path: string): Promise<Log> {
  const file = await openOutput(path);
  const hash = createHash('sha256');
  let bytes = 0;
  const input = new Transform({
    transform(chunk: Buffer, _encoding, next) {
      hash.update(chunk);
      bytes += chunk.length;
      next(null, chunk);
    },
  });
  const done = pipeline(input, file.input);
  file.done.catch(() => undefined); // reported through `done`
  return {
    input,
    done,
    async close() {
      input.end();
      await done;
      return { bytes, digest: hash.digest('hex') };
    },
    destroy: () => input.destroy(),
  };
}

/** Opens the log as a file the child writes to directly; it is hashed once the child is done. */
async function openDirectLog(path: string): Promise<Log> {
  const fd = createFresh(path);
  let open = true;
  const closeFd = () => {
    if (open) closeSync(fd);
    open = false;
  };
  return {
    childFd: fd,
    done: new Promise<void>(() => undefined), // written by the child: nothing of ours can fail meanwhile
    async close() {
      let size: number;
      try {
        size = fstatSync(fd).size;
      } finally {
        closeFd();
      }
      const hash = createHash('sha256');
      if (size > 0) for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
      return { bytes: size, digest: hash.digest('hex') };
    },
    destroy: closeFd,
  };
}

/** Creates a file fresh for writing and opens it as a stream. */
async function openOutput(path: string): Promise<Output> {
  const input = createWriteStream(path, { fd: createFresh(path) });
  return { input, done: finished(input) };
}

/**
 * Creates a file fresh, never writing through a link planted at its path, and returns its descriptor.
 * Synchronous: a create is one system call, cheaper than a trip through the thread pool.
 */
function createFresh(path: string): number {
  // O_EXCL|O_NOFOLLOW never writes through anything already there (a planted link included); only
  // when something is there is it removed (rm removes a link itself) and the create tried again.
  const create = () => openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  try {
    try {
      return create();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') mkdirSync(dirname(path), { recursive: true });
      else if (code === 'EEXIST') rmSync(path, { force: true });
      else throw error;
      return create();
    }
  } catch (error) {
    throw new CutoverError('IO_FAILED', `cannot create ${path}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}
