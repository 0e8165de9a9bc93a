// Runs one step: its condition, attempts and retries, the command or built-in, expectations and `produces`.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { appendFile, mkdir, rm, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { oneLine } from '../errors.js';
import { readFileEnd, resolveInside } from '../adapters/fs.js';
import { runProcess, type ProcessResult } from '../adapters/process.js';
import type { Scope } from '../plan/expression.js';
import { fileStem } from '../plan/matrix.js';
import { evaluateCondition } from '../plan/interpolate.js';
import type { ResolvedPlan, ResolvedStep } from '../plan/resolve.js';
import { normaliseRecordDir } from '../plan/paths.js';
import { runDeterminism, runRestore, runSnapshot, type BuiltInContext } from './builtins.js';
import type { EventSink, RunEvent, StepOutcome, StepRecord } from './events.js';
import { checkExpectations } from './expectations.js';
import { createMasker } from '../text/mask.js';
import { lastLines, TAIL_BYTES } from '../text/tail.js';
import { discardAside, restoreAside, setAside } from './produces.js';
import { logName, notRun, stepBase } from './step-record.js';

/** What running a step needs from the run. */
export interface StepContext {
  root: string;
  scratch: string;
  /** The caller's environment (the child gets it with the plan's and the step's variables over it). */
  callerEnv: Record<string, string | undefined>;
  secrets: string[];
  emit: EventSink;
  /** Aborted on the first SIGINT/SIGTERM. */
  signal: AbortSignal;
  failAt?: string | undefined;
  verbose: boolean;
  /** The run's clock: every time a step records comes from it. */
  now: () => Date;
  graceMs: number;
  /** Told each command's process group as it starts (the journal keeps it for a resume after kill -9). */
  onSpawn?: (step: ResolvedStep, pid: number) => void;
  /** The scope `if:` conditions are evaluated in (outcomes so far, failed or not). */
  scope: () => Scope;
  /** Reruns an earlier command step by id (for `determinism`). */
  rerun: (id: string) => Promise<{ ok: boolean; reason?: string }>;
}

// Folders this process already created (the logs folder is made once a run, not once a step).
const madeDirs = new Set<string>();

/**
 * Where the record keeps a step's log, repository-relative (`<record dir>/logs/<phase>-<nn>-<id>.log`),
 * or undefined when the step left none (it never ran).
 */
export function recordLogPath(
  plan: Pick<ResolvedPlan, 'phases' | 'record'>,
  step: Pick<StepRecord, 'phase' | 'id' | 'logDigest'>,
): string | undefined {
  const found = plan.phases[step.phase].find((s) => s.id === step.id);
  if (step.logDigest === null || !found) return undefined;
  return posix.join(normaliseRecordDir(plan.record.dir), 'logs', logName(found));
}

/** The step-end event of a step's record, with where the record will keep its log. */
export function stepEndEvent(plan: Pick<ResolvedPlan, 'phases' | 'record'>, step: StepRecord): Extract<RunEvent, { type: 'step-end' }> {
  const log = recordLogPath(plan, step);
  return { type: 'step-end', step, ...(log ? { log } : {}) };
}

/** Whether a step runs: its `if:`, or the phase's default (rollback only after a failure, finally always). */
export function shouldRun(step: ResolvedStep, scope: Scope): boolean {
  if (step.if !== undefined) return evaluateCondition(step.if, scope);
  if (step.phase === 'finally') return true;
  if (step.phase === 'rollback') return scope.failed === true;
  return scope.failed !== true;
}

/** Runs a step to its end and returns its record; never throws for a failing step. */
export async function runStep(step: ResolvedStep, ctx: StepContext, options: { interruptible?: boolean } = {}): Promise<StepRecord> {
  if (options.interruptible !== false && ctx.signal.aborted) return notRun(step, 'skipped', 'the run was interrupted');
  if (!shouldRun(step, ctx.scope()))
    return notRun(
      step,
      'skipped',
      step.if !== undefined ? `condition is false: ${step.if}` : step.phase === 'rollback' ? 'no step failed' : 'an earlier step failed',
    );

  const logsDir = join(ctx.scratch, 'logs');
  if (!madeDirs.has(logsDir)) {
    await mkdir(logsDir, { recursive: true });
    madeDirs.add(logsDir);
  }
  const logPath = join(logsDir, logName(step));
  const startedAt = ctx.now();
  const aside = step.produces.length ? await setAside(ctx.root, step.produces, join(ctx.scratch, 'aside', fileStem(step.id))) : undefined;

  let attempts = 0;
  let last: { ok: boolean; reason?: string; process?: ProcessResult; drill?: boolean } = { ok: false };
  while (attempts <= step.retries.count) {
    attempts++;
    ctx.emit({ type: 'step-start', phase: step.phase, id: step.id, name: step.name, attempt: attempts });
    last = await attempt(step, ctx, logPath, attempts);
    if (last.ok || last.drill || last.process?.interrupted || (options.interruptible !== false && ctx.signal.aborted)) break;
    if (attempts <= step.retries.count) {
      ctx.emit({
        type: 'step-note',
        phase: step.phase,
        id: step.id,
        text: oneLine(`attempt ${attempts} failed (${last.reason}); retrying`),
      });
      // A failed attempt's partial outputs go before the next attempt starts.
      if (aside) for (const item of aside.items) await rm(item.path, { recursive: true, force: true });
      if (step.retries.delayMs) await delay(step.retries.delayMs, ctx.signal);
    }
  }
  const interrupted = Boolean(last.process?.interrupted) || (!last.ok && options.interruptible !== false && ctx.signal.aborted);
  if (aside) await (last.ok ? discardAside(aside) : restoreAside(aside));

  const endedAt = ctx.now();
  const p = last.process;
  const outcome: StepOutcome = last.ok ? 'success' : interrupted ? 'interrupted' : 'failure';
  // The process's own figures hold unless something was appended after it (retries, notes, failed expectations).
  const log =
    p && attempts === 1 && last.ok && !step.uses
      ? { logDigest: p.logDigest, logBytes: p.logBytes }
      : { logDigest: await digestOf(logPath), logBytes: await sizeOf(logPath) };
  // Why it failed, where one looks first: the end of its (masked) log as it was when the step ended.
  const tail = outcome === 'success' ? [] : await readTail(logPath, log.logBytes);
  return {
    ...stepBase(step),
    outcome,
    attempts,
    exitCode: p?.exitCode ?? null,
    signal: p?.signal ?? null,
    timedOut: p?.timedOut ?? false,
    startedAt: startedAt.toISOString(),
    endedAt: endedAt.toISOString(),
    durationMs: endedAt.getTime() - startedAt.getTime(),
    ...log,
    ...(last.reason && !last.ok ? { reason: last.reason } : {}),
    ...(tail.length ? { tail } : {}),
    ...(last.drill ? { drill: true } : {}),
  };
}

/** One attempt: the drill, the built-in or the command, then the expectations. */
async function attempt(
  step: ResolvedStep,
  ctx: StepContext,
  logPath: string,
  n: number,
): Promise<{ ok: boolean; reason?: string; process?: ProcessResult; drill?: boolean }> {
  // A matrix step's id drills each of its shards; a shard's id drills that shard alone.
  if (ctx.failAt !== undefined && (ctx.failAt === step.id || ctx.failAt === step.matrix?.of)) {
    await appendFile(logPath, 'cutover: this step fails on purpose (--fail-at drill); its command was not run\n');
    return { ok: false, drill: true, reason: 'failed on purpose (--fail-at drill)' };
  }
  if (n > 1) await appendFile(logPath, `\ncutover: attempt ${n}\n`);
  if (step.uses && step.uses !== 'assert') {
    const builtins: BuiltInContext = { root: ctx.root, scratch: ctx.scratch, rerun: ctx.rerun };
    const run = step.uses === 'determinism' ? runDeterminism : step.uses === 'snapshot' ? runSnapshot : runRestore;
    const result = await run(step, builtins);
    const mask = createMasker(ctx.secrets).mask;
    const notes = result.notes.map((note) => oneLine(mask(note)));
    await appendFile(logPath, notes.map((l) => `${l}\n`).join(''));
    for (const text of notes) ctx.emit({ type: 'step-note', phase: step.phase, id: step.id, text });
    if (!result.ok) return { ok: false, reason: mask(result.reason ?? 'failed') };
    return expectationsOf(step, ctx, logPath, { exitCode: 0 });
  }
  if (!step.command) return expectationsOf(step, ctx, logPath, { exitCode: 0 });

  // A separate stdout file only when a `stdout` expectation needs one.
  const stdoutPath = step.expect.stdout !== undefined ? `${logPath}.stdout` : undefined;
  const process = await runProcess({
    command: step.command,
    cwd: await resolveInside(ctx.root, step.cwd),
    env: childEnv(ctx.callerEnv, step.env),
    ...(step.timeoutMs ? { timeoutMs: step.timeoutMs } : {}),
    graceMs: ctx.graceMs,
    logPath: n > 1 ? `${logPath}.attempt-${n}` : logPath,
    ...(stdoutPath ? { stdoutPath } : {}),
    secrets: ctx.secrets,
    signal: ctx.signal,
    ...(ctx.verbose
      ? {
          onOutput: (text: string, stream: 'stdout' | 'stderr') =>
            ctx.emit({ type: 'step-output', phase: step.phase, id: step.id, text, stream }),
        }
      : {}),
    ...(ctx.onSpawn ? { onSpawn: (pid: number) => ctx.onSpawn!(step, pid) } : {}),
  });
  if (n > 1) await concatAttempt(logPath, `${logPath}.attempt-${n}`);
  if (process.error) return { ok: false, reason: process.error, process };
  if (process.interrupted) return { ok: false, reason: 'interrupted', process };
  if (process.timedOut)
    return { ok: false, reason: `timed out after ${Math.round((step.timeoutMs ?? 0) / 1000)}s; its process group was ended`, process };
  const result = await expectationsOf(step, ctx, logPath, { exitCode: process.exitCode, ...(stdoutPath ? { stdoutPath } : {}) });
  return { ...result, process };
}

async function expectationsOf(
  step: ResolvedStep,
  ctx: StepContext,
  logPath: string,
  outcome: { exitCode: number | null; stdoutPath?: string },
) {
  const failures = await checkExpectations(step, outcome, { root: ctx.root });
  if (failures.length === 0) return { ok: true };
  // A failure may quote what a step wrote (a JSON value, a parser's message): masked like the
  // step's output, and one line each, so that no quoted text starts a line of its own.
  const mask = createMasker(ctx.secrets).mask;
  const lines = failures.map((f) => oneLine(mask(f)));
  await appendFile(logPath, lines.map((f) => `cutover: expectation failed: ${f}\n`).join(''));
  return { ok: false, reason: lines.join('; ') };
}

/** The child's environment: the caller's, with the plan's and the step's variables over it. */
function childEnv(caller: Record<string, string | undefined>, own: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(caller)) if (v !== undefined) env[k] = v;
  return { ...env, ...own };
}

async function concatAttempt(main: string, attemptLog: string): Promise<void> {
  await pipeline(createReadStream(attemptLog), createWriteStream(main, { flags: 'a' }));
  await rm(attemptLog, { force: true });
}

/** The last lines of a log's first `size` bytes (what it held when its step ended). */
async function readTail(path: string, size: number): Promise<string[]> {
  const end = await readFileEnd(path, TAIL_BYTES, size);
  return end ? lastLines(end.data.toString('utf8'), end.whole) : [];
}

async function digestOf(path: string): Promise<string | null> {
  try {
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
    return hash.digest('hex');
  } catch {
    return null;
  }
}

async function sizeOf(path: string): Promise<number> {
  return stat(path).then(
    (s) => s.size,
    () => 0,
  );
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
