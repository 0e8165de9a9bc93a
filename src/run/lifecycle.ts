// The run lifecycle (docs/runs.md): preflight, the phases, hashing, the record and its commit, resume.
import { rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { relative } from 'node:path';
import { CutoverError, oneLine } from '../errors.js';
import { runRoot } from '../integrity/merkle.js';
import type { ResolvedPlan } from '../plan/resolve.js';
import { normaliseRecordDir } from '../plan/paths.js';
import { createMasker, maskDeep, type Masker } from '../text/mask.js';
import { hashArtifacts } from './artifacts.js';
import type { EventSink, StepRecord } from './events.js';
import { openJournal, removeJournal, type Journal } from './journal.js';
import { Ledger } from './ledger.js';
import { createPhaseRunner } from './phase-runner.js';
import { phaseOrder, runPhases } from './phases.js';
import { checkRunnable, journaledRunId, locateRun, prepareRun, type Prepared, type PreflightOptions } from './preflight.js';
import { keptOnResume, replayJournal } from './replay.js';
import { assembleResult, concludeRun, runnerFacts, type RunResult } from './result.js';
import { pendingAside, recoverAside } from './produces.js';
import { acquireRunLock, releaseRunLock } from './run-lock.js';
import { closeRun, endOrphans } from './unfinished.js';
import { secretValuesOf } from '../plan/resolve.js';
import { stepEndEvent } from './step-runner.js';

/** Integrity checks the run calls (the freeze gate and its re-checks), passed in by the command. */
export interface FreezeChecks {
  /** The freeze gate: throws a refusal (exit 3) naming each file; returns the freeze digest. */
  assertFrozen(prepared: Prepared): Promise<{ freezeDigest: string }>;
  /** Cheap re-check after a step (size and modification time): the frozen files that changed. */
  recheck(): Promise<string[]>;
  /** Full re-hash before the record is written: the frozen files whose bytes changed. */
  rehash(): Promise<string[]>;
}

/** What happens to a finished run's result (write, commit, push), passed in by the command. */
export type Finish = (result: RunResult, emit: EventSink) => Promise<void>;

/** Options of `cutover run`: what preflight checks, with a clock instead of a time, and what the run needs. */
export interface RunOptions extends Omit<PreflightOptions, 'now'> {
  now: () => Date;
  emit: EventSink;
  /** Aborted by the first SIGINT/SIGTERM; its reason is the signal name. */
  signal: AbortSignal;
  verbose?: boolean;
  graceMs?: number;
  toolVersion: string;
}

/** A finished run: its outcome, exit code and result. */
export interface RunSummary {
  result: RunResult;
  exitCode: number;
}

/** Runs a plan through its whole lifecycle; refusals throw before anything runs, step failures do not. */
export async function executeRun(options: RunOptions, checks: FreezeChecks, finish: Finish): Promise<RunSummary> {
  const located = await locateRun(options);
  const runId = (options.rehearsal ? undefined : journaledRunId(located.journal)) ?? options.runId;
  const lock = await acquireRunLock(located.paths.runLock, runId ?? '(new)', (old) =>
    options.emit({ type: 'preflight', check: 'run lock', ok: true, detail: `replaced the stale lock ${old.id} of pid ${old.pid}` }),
  );
  let journal: Journal | undefined;
  let opened = false;
  try {
    // The run lock is ours, so whoever wrote the journal is gone: end what its steps left running.
    await endOrphans(located.journal, options);
    // A rehearsal is never resumed: what an earlier one left running is ended, the rest discarded.
    if (options.rehearsal) located.journal = [];
    const preflight = { ...options, now: options.now() };
    const prepared = await prepareRun(located, preflight);
    // From here every event and journal line passes the masker: a reason or note may quote what a step wrote.
    const masker = createMasker(secretsOf(prepared.resolved, options.env));
    options = { ...options, emit: maskedSink(options.emit, masker) };
    if (prepared.committed) {
      await checkRunnable(prepared, preflight);
      return await finishCommitted(prepared, options, finish);
    }
    // The preflight order of docs/runs.md: the freeze gate, then the window, the tree and the merge.
    const { freezeDigest } = await checks.assertFrozen(prepared);
    if (!options.rehearsal) options.emit({ type: 'preflight', check: 'freeze gate', ok: true, detail: freezeDigest });
    // A rehearsal commits nothing and is no production run: no window, clean tree or branch needed.
    if (!options.rehearsal) await checkRunnable(prepared, preflight);
    if (prepared.journal.length === 0) {
      // A fresh run: nothing of an abandoned attempt (one that never finished a step) carries over,
      // but what one of its steps set aside (a journal removed by hand) is put back, never discarded.
      await removeJournal(prepared.paths.journal);
      for (const aside of await pendingAside(prepared.paths.scratch)) await recoverAside(aside);
      await rm(prepared.paths.scratch, { recursive: true, force: true });
    }
    journal = await openJournal(prepared.paths.journal, masker);
    opened = true;
    const result = await runAll(prepared, options, checks, journal, freezeDigest);
    try {
      await finish(result, options.emit);
    } catch (error) {
      // Once its record is committed the run is over: what failed after it (the push, the index)
      // carries its own by-hand hint, and a --resume would have nothing left to do.
      if (await options.findCommitted(normaliseRecordDir(result.plan.record.dir), result, options.root)) {
        journal.close();
        journal = undefined;
        await closeRun(prepared.paths);
      }
      throw error;
    }
    journal.append({ type: 'run-end', outcome: result.outcome, endedAt: result.endedAt });
    journal.close();
    journal = undefined;
    await closeRun(prepared.paths);
    return { result, exitCode: result.exitCode };
  } catch (error) {
    throw opened ? asIoFailure(error, options.root, located.planFile) : error;
  } finally {
    journal?.close();
    await releaseRunLock(located.paths.runLock, lock);
  }
}

/**
 * A file system failing under a started run (full disk, a folder made read-only) is the operator's
 * to fix, and the journal keeps what finished: a coded error with a hint, not a bug with a stack trace.
 */
function asIoFailure(error: unknown, root: string, planFile: string): unknown {
  const e = error as NodeJS.ErrnoException;
  if (error instanceof CutoverError || typeof e?.code !== 'string' || !e.syscall) return error;
  return new CutoverError('IO_FAILED', `${e.syscall} ${e.path ? `${JSON.stringify(relative(root, e.path))} ` : ''}failed: ${e.code}`, {
    cause: error,
    hint: `the steps that finished are journaled; fix the cause, then \`cutover run ${planFile} --resume\``,
  });
}

/**
 * Finishes a run whose record an earlier attempt committed before it was killed: nothing runs
 * again and the record is not rewritten; the finish step only brings the index up to the commit
 * (and pushes when asked). The outcome and exit code are the committed record's.
 */
async function finishCommitted(prepared: Prepared, options: RunOptions, finish: Finish): Promise<RunSummary> {
  const { run, commit } = prepared.committed!;
  options.emit({
    type: 'preflight',
    check: 'record',
    ok: true,
    detail: `already committed as ${commit.slice(0, 12)} before the run was interrupted`,
  });
  const ordered = phaseOrder(prepared.resolved);
  options.emit({
    type: 'run-start',
    plan: prepared.planFile,
    runId: prepared.resolved.runId,
    resumed: true,
    record: normaliseRecordDir(prepared.resolved.record.dir),
    freezeDigest: run.freezeDigest,
    steps: ordered.map((s) => ({ phase: s.phase, id: s.id, name: s.name })),
  });
  const { records, boundaries } = replayJournal(prepared.journal);
  const steps = ordered.map((s) => records.get(s.id)).filter((r): r is StepRecord => r !== undefined);
  for (const step of steps) options.emit(stepEndEvent(prepared.resolved, step));
  const result = assembleResult({
    prepared,
    run,
    steps,
    boundaries,
    toolVersion: options.toolVersion,
    secretValues: secretsOf(prepared.resolved, options.env),
    committed: { commit },
  });
  try {
    await finish(result, options.emit);
  } finally {
    // The record is committed whatever the push or the index do: the run is over either way.
    await closeRun(prepared.paths);
  }
  return { result, exitCode: result.exitCode };
}

/** An event sink that masks secret values in every string of every event. */
function maskedSink(sink: EventSink, masker: Masker): EventSink {
  if (masker.identity) return sink;
  return (event) => sink(maskDeep(event, masker));
}

/** The values of the plan's `secrets:` (from the caller's environment or the plan's), to mask everywhere. */
function secretsOf(resolved: ResolvedPlan, env: Record<string, string | undefined>): string[] {
  return secretValuesOf(resolved, env).map((s) => s.value);
}

/** Runs the phases of a prepared run (the steps an earlier attempt finished are kept), then hashes its artifacts. */
async function runAll(
  prepared: Prepared,
  options: RunOptions,
  checks: FreezeChecks,
  journal: Journal,
  freezeDigest: string,
): Promise<RunResult> {
  const { resolved } = prepared;
  const replayed = replayJournal(prepared.journal);
  const resumed = prepared.journal.length > 0;
  const startedAt = replayed.start?.startedAt ?? options.now().toISOString();
  if (!resumed)
    journal.append({
      type: 'run-start',
      runId: resolved.runId,
      planDigest: prepared.planDigest,
      lockDigest: prepared.lockDigest,
      startedAt,
      commit: prepared.git.sha,
    });
  const ordered = phaseOrder(resolved);
  options.emit({
    type: 'run-start',
    plan: prepared.planFile,
    runId: resolved.runId,
    resumed,
    record: normaliseRecordDir(resolved.record.dir),
    freezeDigest,
    steps: ordered.map((s) => ({ phase: s.phase, id: s.id, name: s.name })),
  });

  const secretValues = secretsOf(resolved, options.env);
  const masker = createMasker(secretValues);
  // A step's end says where the record will keep its log; a reason is masked and one line, so it
  // cannot start a line of its own in any output.
  const emit: EventSink = (event) => options.emit(event.type === 'step-end' ? stepEndEvent(resolved, event.step) : event);
  const ledger = new Ledger(
    { journal, emit, mask: (text) => oneLine(masker.mask(text)) },
    { records: keptOnResume(replayed), boundaries: replayed.boundaries },
  );
  const runner = createPhaseRunner(ledger, {
    context: {
      root: options.root,
      scratch: prepared.paths.scratch,
      callerEnv: options.env,
      secrets: secretValues,
      emit: options.emit,
      ...(options.failAt ? { failAt: options.failAt } : {}),
      verbose: Boolean(options.verbose),
      graceMs: options.graceMs ?? 5000,
      now: options.now,
    },
    scope: { env: { ...options.env, ...resolved.env }, run: { id: resolved.runId }, plan: { name: resolved.name }, git: prepared.git },
    steps: ordered,
    journal,
    recheck: () => checks.recheck(),
    signal: options.signal,
  });
  const { interrupted } = await runPhases(resolved, runner, options.signal);

  const drift = await checks.rehash();
  const artifacts = await hashArtifacts(options.root, resolved, options.emit).catch((error: unknown) => {
    // An artifact the record cannot describe (a link, a device, a name with a newline): its own hint
    // says what to fix; the steps are done and journaled.
    if (!(error instanceof CutoverError)) throw error;
    throw new CutoverError(error.code, error.message, {
      cause: error,
      hint: `${error.hint ? `${error.hint}; ` : ''}the steps are done and will not run again: once it is fixed, \`cutover run ${prepared.planFile} --resume\` records the run`,
    });
  });
  const { outcome, exitCode, problems } = concludeRun({
    interrupted,
    signal: options.signal.reason,
    stepFailed: ledger.failed,
    problems: drift.length ? [`frozen files changed during the run: ${drift.join(', ')}`] : [],
    artifacts,
  });
  const run = {
    freezeDigest,
    commit: prepared.git.sha,
    branch: prepared.git.branch,
    startedAt,
    endedAt: options.now().toISOString(),
    outcome,
    exitCode,
    ...(options.failAt ? { drill: options.failAt } : {}),
    resumed,
    artifacts,
    runRoot: runRoot(artifacts.map((a) => ({ name: a.name, root: a.root }))),
    runner: runnerFacts(options.env, hostname()),
    ...(problems.length ? { problems } : {}),
    ...(options.rehearsal ? { rehearsal: true } : {}),
  };
  return assembleResult({
    prepared,
    run,
    steps: ledger.inOrder(ordered),
    boundaries: ledger.boundaries,
    toolVersion: options.toolVersion,
    secretValues,
  });
}
