// `cutover run PLAN`: the full lifecycle with progress, signals, the record and its commit.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { signalExit } from '../errors.js';
import { findRepositoryRoot } from '../adapters/git.js';
import { baseId } from '../plan/matrix.js';
import { publishRun, type RecordPlace } from '../github/report.js';
import { maskPreamble, readGithubRunFacts } from '../github/preview.js';
import { writeJson } from '../ui/output.js';
import { createRenderer } from '../ui/terminal.js';
import { assertFrozen } from '../integrity/freeze-gate.js';
import { readLock } from '../integrity/freeze.js';
import { parseLock } from '../integrity/lock-parse.js';
import { recheckFrozen, rehashFrozen, snapshotFrozen, type FrozenSnapshot } from '../integrity/recheck.js';
import { commitRecord, pushRecord } from '../record/commit-record.js';
import { artifactSummary } from '../record/statement.js';
import { writeRecord } from '../record/write-record.js';
import { checkRecordFolder } from '../record/record-folder.js';
import { countSteps, type EventSink, type StepRecord } from '../run/events.js';
import { recordLogPath } from '../run/step-runner.js';
import { findCommittedRecord } from '../record/committed.js';
import { executePart, executeRun, type FreezeChecks, type RunOptions } from '../run/lifecycle.js';
import type { Distribution } from '../run/run-options.js';
import type { Prepared } from '../run/preflight.js';
import type { RunResult } from '../run/result.js';
import type { CommandIo } from '../adapters/io.js';
import { VERSION } from '../adapters/version.js';

/** Options of `cutover run`. */
export interface RunCommandOptions {
  plan: string;
  runId?: string;
  commit?: boolean;
  push?: boolean;
  resume?: boolean;
  requireMerged?: string;
  failAt?: string;
  author?: string;
  /** Grace period between SIGTERM and SIGKILL for a step's process group. */
  graceMs?: number;
  /** One part of a run spread over runners (docs/runs.md, "One run over many runners"). */
  distribution?: Distribution;
}

/** What a run does around the lifecycle: the freeze checks, what becomes of its result, and what its JSON document adds. */
export interface RunWay {
  root: string;
  checks: FreezeChecks;
  finish: (result: RunResult, emit: EventSink, onCommitted: (place: RecordPlace) => void) => Promise<void>;
  /** `cutover rehearse`: the lifecycle's rehearsal mode. */
  rehearsal?: boolean;
  /** Added to the one JSON document `--format json` prints. */
  document?: () => Record<string, unknown>;
}

/** Runs a plan; the exit code follows docs/cli.md, "Exit codes" (0, 1, 130/143; refusals throw with 2 or 3). */
export async function run(options: RunCommandOptions, io: CommandIo): Promise<number> {
  const root = await findRepositoryRoot({ cwd: io.cwd });
  if (options.distribution && options.distribution.mode !== 'join') return runPart(options, io, root);
  return runWith(options, io, {
    root,
    checks: freezeChecks(root),
    finish: (result, sink, onCommitted) => finish(root, result, options, sink, onCommitted),
  });
}

/** Runs a plan through the lifecycle the way `way` says, with progress, signals and the GitHub report. */
export async function runWith(options: RunCommandOptions, io: CommandIo, way: RunWay): Promise<number> {
  const renderer = await openRenderer(options, io);
  const { root } = way;
  const controller = new AbortController();
  const removeSignals = onSignals(controller, io);
  let record: (RecordPlace & { pushed?: boolean }) | undefined;
  let committed: { result: RunResult; place: RecordPlace } | undefined;
  const emit: EventSink = (event) => {
    if (event.type === 'record')
      record = {
        dir: event.dir,
        root: event.root,
        ...(event.commit ? { commit: event.commit } : {}),
        ...(event.pushed ? { pushed: true } : {}),
      };
    renderer.sink(event);
  };
  try {
    const summary = await executeRun(
      { ...lifecycleOptions(options, io, root, emit, controller.signal), ...(way.rehearsal ? { rehearsal: true } : {}) },
      way.checks,
      (result, sink) => way.finish(result, sink, (place) => (committed = { result, place })),
    );
    // The values the run itself masked, should the plan have read differently a moment ago.
    io.addSecrets(summary.result.secretValues);
    const { result } = summary;
    emit({
      type: 'run-end',
      outcome: result.outcome,
      exitCode: summary.exitCode,
      counts: countSteps(result.steps),
      durationMs: Date.parse(result.endedAt) - Date.parse(result.startedAt),
    });
    await renderer.done();
    if (io.format === 'json') writeJson(io, { ...summarize(result, record), ...way.document?.() });
    await publishRun(io, root, summary.result, record);
    return summary.exitCode;
  } catch (error) {
    // A push that failed after the commit: the runner's clone goes away with the job, so the
    // summary keeps the report (the error itself is reported by the caller).
    if (committed) await publishRun(io, root, committed.result, committed.place);
    throw error;
  } finally {
    removeSignals();
  }
}

/**
 * The coordinator's part of a spread run (`--until`) or one shard (`--shard`): the steps it runs,
 * with progress and signals, then its bundle; nothing is committed and no report is published.
 */
async function runPart(options: RunCommandOptions, io: CommandIo, root: string): Promise<number> {
  const renderer = await openRenderer(options, io);
  const controller = new AbortController();
  const removeSignals = onSignals(controller, io);
  const started = io.now().getTime();
  try {
    const summary = await executePart(lifecycleOptions(options, io, root, renderer.sink, controller.signal), freezeChecks(root));
    renderer.sink({
      type: 'run-end',
      outcome: summary.outcome,
      exitCode: summary.exitCode,
      counts: countSteps(summary.steps),
      durationMs: io.now().getTime() - started,
      part: summary.part,
    });
    await renderer.done();
    const what = options.distribution?.mode === 'until' ? 'hand-off' : 'shard bundle';
    if (io.format === 'json')
      writeJson(io, {
        ok: summary.exitCode === 0,
        outcome: summary.outcome,
        exitCode: summary.exitCode,
        part: options.distribution?.mode,
        bundle: summary.bundle,
        steps: summary.steps.map((s) => ({ id: s.id, outcome: s.outcome, ...(s.reason ? { reason: s.reason } : {}) })),
      });
    else io.stderr.write(`cutover: ${what} written to ${summary.bundle}\n`);
    return summary.exitCode;
  } finally {
    removeSignals();
  }
}

/** The terminal or CI renderer, once the plan's secrets are known (in GitHub's format the runner masks them first). */
async function openRenderer(options: RunCommandOptions, io: CommandIo) {
  // The secrets are known before anything is printed: everything written from here on is masked
  // with them, and in GitHub's format the runner is told to mask them first (docs/github-actions.md).
  const facts = await readGithubRunFacts(options.plan, io, options.runId);
  if (io.format === 'github') io.commands.write(maskPreamble(facts.secrets));
  io.addSecrets(facts.secrets.map((s) => s.value));
  return createRenderer(io, { stepAt: (id) => (io.format === 'github' ? facts.steps.get(baseId(id)) : undefined) });
}

/** What the lifecycle is told of a run: the command's options, the caller's environment and clock. */
function lifecycleOptions(options: RunCommandOptions, io: CommandIo, root: string, emit: EventSink, signal: AbortSignal): RunOptions {
  return {
    root,
    plan: resolve(io.cwd, options.plan),
    ...(options.runId ? { runId: options.runId } : {}),
    ...(options.resume ? { resume: true } : {}),
    ...(options.failAt ? { failAt: options.failAt } : {}),
    ...(options.requireMerged ? { requireMerged: options.requireMerged } : {}),
    commit: options.commit !== false,
    env: io.env,
    now: io.now,
    findCommitted: findCommittedRecord,
    checkRecordFolder,
    emit,
    signal,
    verbose: io.verbose,
    ...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {}),
    toolVersion: VERSION,
    ...(options.distribution ? { distribution: absolute(options.distribution, io.cwd) } : {}),
  };
}

/** A spread run's folders, made absolute from where the command was started. */
function absolute(d: Distribution, cwd: string): Distribution {
  if (d.mode === 'join') return { ...d, bundles: d.bundles.map((dir) => resolve(cwd, dir)) };
  if (d.mode === 'until') return { ...d, handoff: resolve(cwd, d.handoff) };
  return { ...d, handoff: resolve(cwd, d.handoff), out: resolve(cwd, d.out) };
}

/** The freeze gate before the run, the frozen bytes re-checked after each step, a full re-hash at the end. */
function freezeChecks(root: string): FreezeChecks {
  let prepared: Prepared | undefined;
  let snapshot: FrozenSnapshot = { digests: new Map(), stats: new Map() };
  return {
    async assertFrozen(p) {
      prepared = p;
      const lock = await readLock(root, p.lockFile);
      // Stat before the gate reads any byte: whatever changes after this moment shows in the re-check.
      if (lock) snapshot = snapshotFrozen(root, lock);
      const verdict = await assertFrozen({
        root,
        planFile: { path: resolve(root, p.planFile), display: p.planFile, bytes: await readFile(resolve(root, p.planFile)) },
        plan: p.resolved,
        lock,
      });
      return { freezeDigest: verdict.freezeDigest };
    },
    async recheck() {
      return (await recheckFrozen(root, snapshot)).map((d) => d.path);
    },
    async rehash() {
      if (!prepared) return [];
      const lock = parseLock(await readFile(resolve(root, prepared.lockFile), 'utf8'), prepared.lockFile);
      return (await rehashFrozen({ root, plan: prepared.resolved, lock })).map((d) => d.path);
    },
  };
}

/** Writes the record, commits it unless told not to, and pushes when asked. */
async function finish(
  root: string,
  result: RunResult,
  options: RunCommandOptions,
  emit: EventSink,
  onCommitted: (place: RecordPlace) => void,
): Promise<void> {
  const written = await writeRecord(root, result);
  if (options.commit === false) {
    emit({ type: 'record', dir: written.dir, root: result.runRoot });
    return;
  }
  const { commit } = await commitRecord({
    root,
    result,
    recordFiles: written.files,
    ...(options.author ? { author: options.author } : {}),
  });
  onCommitted({ dir: written.dir, root: result.runRoot, commit });
  let pushed = false;
  if (options.push || result.plan.record.push) {
    // After a rebase onto someone else's push, what is checked out changed: gate it again before pushing.
    const regate = async () => {
      await assertFrozen({
        root,
        planFile: { path: resolve(root, result.planFile), display: result.planFile, bytes: await readFile(resolve(root, result.planFile)) },
        plan: result.plan,
      });
    };
    await pushRecord({ root, beforeRetry: regate });
    pushed = true;
  }
  emit({ type: 'record', dir: written.dir, root: result.runRoot, commit, pushed });
}

/**
 * The one JSON document `--format json` prints for a run: with the record's commit (null with
 * `--no-commit`), and for each step that failed the last lines of its output and where its log is.
 */
function summarize(result: RunResult, record: { commit?: string; pushed?: boolean } | undefined) {
  const step = (s: StepRecord) => {
    const log = recordLogPath(result.plan, s);
    return {
      phase: s.phase,
      id: s.id,
      outcome: s.outcome,
      attempts: s.attempts,
      exitCode: s.exitCode,
      durationMs: s.durationMs,
      ...(s.reason ? { reason: s.reason } : {}),
      ...(s.tail ? { tail: s.tail } : {}),
      ...(log ? { log } : {}),
    };
  };
  return {
    ok: result.outcome === 'success',
    outcome: result.outcome,
    exitCode: result.exitCode,
    plan: result.planFile,
    runId: result.runId,
    record: result.plan.record.dir,
    recordCommit: record?.commit ?? null,
    pushed: record?.pushed ?? false,
    runRoot: result.runRoot,
    counts: countSteps(result.steps),
    boundaries: result.boundaries,
    steps: result.steps.map(step),
    artifacts: result.artifacts.map((a) => artifactSummary(a)),
    ...(result.problems ? { problems: result.problems } : {}),
  };
}

/**
 * First SIGINT/SIGTERM/SIGHUP: abort the run (the step's group is stopped, finally runs, the record
 * is written); a dropped terminal session (SIGHUP) no longer kills cutover mid-step. A second one
 * exits at once; the process runner's exit hook kills any group left.
 */
function onSignals(controller: AbortController, io: CommandIo): () => void {
  const handler = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      io.stderr.write(`cutover: second ${signal}, exiting now\n`);
      process.exit(signalExit(signal));
    }
    io.stderr.write(`cutover: ${signal} received; stopping the current step, then running finally steps (send it again to exit at once)\n`);
    controller.abort(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  process.on('SIGHUP', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
    process.off('SIGHUP', handler);
  };
}
