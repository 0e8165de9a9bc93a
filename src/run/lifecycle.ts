// The run lifecycle (DESIGN §5): preflight, preconditions, steps, rollback, finally, hashing, record, commit.
import { rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, relative } from 'node:path';
import { CutoverError, EXIT } from '../errors.js';
import { pathExists, resolveInside } from '../adapters/fs.js';
import { readAtRevision } from '../adapters/git.js';
import { endOrphanGroup, processStartTime } from '../adapters/process.js';
import { hashArtifact } from '../integrity/hash-artifact.js';
import { manifestRoot, runRoot } from '../integrity/merkle.js';
import type { Scope } from '../plan/expression.js';
import type { ResolvedPlan, ResolvedStep } from '../plan/resolve.js';
import { normaliseRecordDir } from '../plan/paths.js';
import { createMasker, maskDeep } from '../text/mask.js';
import type { EventSink, RunOutcome, StepRecord } from './events.js';
import { openJournal, removeJournal, type Journal, type JournalEntry } from './journal.js';
import { checkRunnable, journaledRunId, locateRun, prepareRun, type Prepared, type PreflightOptions, type RunPaths } from './preflight.js';
import type { ArtifactResult, RunResult } from './result.js';
import { pendingAside, recoverAside } from './produces.js';
import { acquireRunLock, releaseRunLock } from './run-lock.js';
import { runStep, type StepContext } from './step-runner.js';

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
  const runId = journaledRunId(located.journal) ?? options.runId;
  const lock = await acquireRunLock(located.paths.runLock, runId ?? '(new)', (old) =>
    options.emit({ type: 'preflight', check: 'run lock', ok: true, detail: `replaced the stale lock ${old.id} of pid ${old.pid}` }),
  );
  let journal: Journal | undefined;
  let opened = false;
  try {
    // The run lock is ours, so whoever wrote the journal is gone: end what its steps left running.
    await endOrphans(located.journal, options);
    const preflight = { ...options, now: options.now() };
    const prepared = await prepareRun(located, preflight);
    // From here every event passes the masker: a reason or note may quote what a step wrote.
    options = { ...options, emit: maskedSink(options.emit, secretValuesOf(prepared.resolved, options.env)) };
    if (prepared.committed) {
      await checkRunnable(prepared, preflight);
      return await finishCommitted(prepared, options, finish);
    }
    // The preflight order of DESIGN §5: the freeze gate, then the window, the tree and the merge.
    const { freezeDigest } = await checks.assertFrozen(prepared);
    options.emit({ type: 'preflight', check: 'freeze gate', ok: true, detail: freezeDigest });
    await checkRunnable(prepared, preflight);
    if (prepared.journal.length === 0) {
      // A fresh run: nothing of an abandoned attempt (one that never finished a step) carries over,
      // but what one of its steps set aside (a journal removed by hand) is put back, never discarded.
      await removeJournal(prepared.paths.journal);
      for (const aside of await pendingAside(prepared.paths.scratch)) await recoverAside(aside);
      await rm(prepared.paths.scratch, { recursive: true, force: true });
    }
    journal = await openJournal(prepared.paths.journal);
    opened = true;
    const result = await runPhases(prepared, options, checks, journal, freezeDigest);
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
    // A file system failing under a started run (full disk, a folder made read-only) is the
    // operator's to fix, and the journal keeps what finished: not a bug with a stack trace.
    const e = error as NodeJS.ErrnoException;
    if (!opened || error instanceof CutoverError || typeof e?.code !== 'string' || !e.syscall) throw error;
    throw new CutoverError('IO_FAILED', `${e.syscall} ${e.path ? `${JSON.stringify(relative(options.root, e.path))} ` : ''}failed: ${e.code}`, {
      cause: error,
      hint: `the steps that finished are journaled; fix the cause, then \`cutover run ${located.planFile} --resume\``,
    });
  } finally {
    journal?.close();
    await releaseRunLock(located.paths.runLock, lock);
  }
}

/** Ends the process groups of steps a killed run left running, before anything of this run starts. */
async function endOrphans(entries: JournalEntry[], options: RunOptions): Promise<void> {
  // Steps run one at a time and a step's end is journaled after its groups were ended: only what
  // started after the last journaled end can still be running.
  const lastEnd = entries.findLastIndex((e) => e.type === 'step-end');
  for (const e of entries.slice(lastEnd + 1)) {
    if (e.type !== 'step-spawn') continue;
    if (await endOrphanGroup(e.pgid, e.startTime, options.graceMs ?? 5000)) {
      options.emit({ type: 'preflight', check: 'orphans', ok: true, detail: `ended process group ${e.pgid} of step ${e.id}, left running by the killed run` });
    }
  }
}

/** Removes a finished run's journal and scratch space. */
async function closeRun(paths: RunPaths): Promise<void> {
  // The journal goes last: while it exists, the run counts as unfinished and --resume finishes it.
  await rm(paths.scratch, { recursive: true, force: true });
  await removeJournal(paths.journal);
}

/**
 * Finishes a run whose record an earlier attempt committed before it was killed: nothing runs
 * again and the record is not rewritten; the finish step only brings the index up to the commit
 * (and pushes when asked). The outcome and exit code are the committed record's.
 */
async function finishCommitted(prepared: Prepared, options: RunOptions, finish: Finish): Promise<RunSummary> {
  const { run, commit } = prepared.committed!;
  const { resolved, journal: entries } = prepared;
  options.emit({ type: 'preflight', check: 'record', ok: true, detail: `already committed as ${commit.slice(0, 12)} before the run was interrupted` });
  const ordered = [...resolved.phases.preconditions, ...resolved.phases.steps, ...resolved.phases.rollback, ...resolved.phases.finally];
  options.emit({ type: 'run-start', plan: prepared.planFile, runId: resolved.runId, resumed: true, steps: ordered.map((s) => ({ phase: s.phase, id: s.id, name: s.name })) });
  const records = new Map<string, StepRecord>();
  const boundaries: Record<string, string> = {};
  for (const e of entries) {
    if (e.type === 'step-end') records.set(e.step.id, e.step);
    if (e.type === 'boundary') boundaries[e.name] = e.at;
  }
  const steps = ordered.map((s) => records.get(s.id)).filter((r): r is StepRecord => r !== undefined);
  for (const step of steps) options.emit({ type: 'step-end', step });
  const result: RunResult = {
    plan: resolved,
    planFile: prepared.planFile,
    planDigest: prepared.planDigest,
    lockFile: prepared.lockFile,
    lockDigest: prepared.lockDigest,
    ...run,
    runId: resolved.runId,
    boundaries,
    steps,
    logsDir: join(prepared.paths.scratch, 'logs'),
    toolVersion: options.toolVersion,
    secretValues: secretValuesOf(resolved, options.env),
    committed: { commit },
  };
  try {
    await finish(result, options.emit);
  } finally {
    // The record is committed whatever the push or the index do: the run is over either way.
    await closeRun(prepared.paths);
  }
  return { result, exitCode: result.exitCode };
}

/** An event sink that masks secret values in every string of every event. */
function maskedSink(sink: EventSink, secrets: string[]): EventSink {
  if (secrets.length === 0) return sink;
  const masker = createMasker(secrets);
  return (event) => sink(maskDeep(event, masker));
}

/** The values of the plan's `secrets:` (from the caller's environment or the plan's), to mask everywhere. */
function secretValuesOf(resolved: ResolvedPlan, env: Record<string, string | undefined>): string[] {
  return resolved.secrets.map((name) => env[name] ?? resolved.env[name] ?? '').filter(Boolean);
}

async function runPhases(prepared: Prepared, options: RunOptions, checks: FreezeChecks, journal: Journal, freezeDigest: string): Promise<RunResult> {
  const { resolved, journal: previous } = prepared;
  const resumed = previous.length > 0;
  const start = previous.find((e): e is Extract<JournalEntry, { type: 'run-start' }> => e.type === 'run-start');
  const startedAt = start?.startedAt ?? options.now().toISOString();
  if (!resumed) journal.append({ type: 'run-start', runId: resolved.runId, planDigest: prepared.planDigest, lockDigest: prepared.lockDigest, startedAt, commit: prepared.git.sha });

  const records = new StepRecords();
  const boundaries: Record<string, string> = {};
  for (const e of previous) {
    if (e.type === 'step-end' && e.step.outcome !== 'interrupted') records.set(e.step.id, e.step);
    if (e.type === 'boundary') boundaries[e.name] = e.at;
  }
  const ordered = [...resolved.phases.preconditions, ...resolved.phases.steps, ...resolved.phases.rollback, ...resolved.phases.finally];
  options.emit({ type: 'run-start', plan: prepared.planFile, runId: resolved.runId, resumed, steps: ordered.map((s) => ({ phase: s.phase, id: s.id, name: s.name })) });

  const secretValues = secretValuesOf(resolved, options.env);
  const masker = createMasker(secretValues);
  const failedSoFar = () => records.failed || problems.length > 0;
  const problems: string[] = [];
  const scopeEnv = { ...options.env, ...resolved.env };
  const scope = (): Scope => ({ env: scopeEnv, run: { id: resolved.runId }, plan: { name: resolved.name }, git: prepared.git, steps: records.outcomes, failed: failedSoFar() });
  const byId = new Map(ordered.map((s) => [s.id, s]));
  const finallySignal = new AbortController();
  const base: Omit<StepContext, 'signal'> = {
    root: options.root,
    scratch: prepared.paths.scratch,
    callerEnv: options.env,
    secrets: secretValues,
    emit: options.emit,
    ...(options.failAt ? { failAt: options.failAt } : {}),
    verbose: Boolean(options.verbose),
    graceMs: options.graceMs ?? 5000,
    onSpawn: (step, pid) => {
      const startTime = processStartTime(pid);
      journal.append({ type: 'step-spawn', id: step.id, pgid: pid, ...(startTime ? { startTime } : {}) });
    },
    scope,
    rerun: async (id) => {
      const step = byId.get(id)!;
      // The rerun logs in a scratch folder of its own: the step's log in the record stays its own run's.
      const record = await runStep({ ...step, if: 'always()', boundary: undefined as never, produces: [] } as ResolvedStep, { ...base, scratch: join(base.scratch, 'reruns'), signal: options.signal, failAt: undefined as never });
      return { ok: record.outcome === 'success', ...(record.reason ? { reason: record.reason } : {}) };
    },
  };

  const run = async (step: ResolvedStep, signal: AbortSignal, interruptible = true) => {
    if (records.has(step.id)) return;
    // A step that cannot even be set up or checked (a path through a link that leads outside, a log
    // we cannot write) fails as a step: rollback and finally still run, the record says why.
    const record = await runStep(step, { ...base, signal }, { interruptible }).catch((error: unknown) => setupFailure(step, error));
    const changed = record.outcome === 'success' ? await checks.recheck() : [];
    const checked: StepRecord = changed.length ? { ...record, outcome: 'failure', reason: `changed frozen file(s): ${changed.join(', ')}` } : record;
    // The journal is on disk until the run ends (for ever, after a crash): nothing secret goes in.
    const final: StepRecord = checked.reason === undefined ? checked : { ...checked, reason: masker.mask(checked.reason) };
    records.set(step.id, final);
    journal.append({ type: 'step-end', step: final });
    if (final.outcome === 'success' && step.boundary) {
      boundaries[step.boundary] = final.endedAt!;
      journal.append({ type: 'boundary', name: step.boundary, at: final.endedAt! });
    }
    options.emit({ type: 'step-end', step: final });
  };

  for (const step of resolved.phases.preconditions) await run(step, options.signal);
  const preconditionFailed = failedSoFar();
  for (const step of resolved.phases.steps) await run(step, options.signal);
  const interrupted = options.signal.aborted;
  for (const step of resolved.phases.rollback) {
    // Rollback undoes steps; after a failed precondition or an interrupt nothing is rolled back.
    if (preconditionFailed || interrupted) await skip(step, records, journal, options.emit, preconditionFailed ? 'a precondition failed; nothing to roll back' : 'the run was interrupted');
    else await run(step, options.signal);
  }
  // finally runs on every path, interrupt included; only a second signal stops it (by exiting).
  for (const step of resolved.phases.finally) await run(step, finallySignal.signal, false);

  const drift = await checks.rehash();
  if (drift.length) problems.push(`frozen files changed during the run: ${drift.join(', ')}`);
  const artifacts = await hashArtifacts(options.root, resolved, options.emit).catch((error: unknown) => {
    // An artifact the record cannot describe (a link, a device, a name with a newline): its own hint
    // says what to fix; the steps are done and journaled.
    if (!(error instanceof CutoverError)) throw error;
    throw new CutoverError(error.code, error.message, {
      cause: error,
      hint: `${error.hint ? `${error.hint}; ` : ''}the steps are done and will not run again: once it is fixed, \`cutover run ${prepared.planFile} --resume\` records the run`,
    });
  });
  const outcome: RunOutcome = interrupted ? 'interrupted' : failedSoFar() ? 'failure' : 'success';
  if (outcome === 'success') {
    const missing = artifacts.filter((a) => !a.present).map((a) => a.path);
    if (missing.length) problems.push(`artifacts missing at the end of the run: ${missing.join(', ')}`);
  }
  const finalOutcome: RunOutcome = outcome === 'success' && problems.length ? 'failure' : outcome;
  const exitCode = finalOutcome === 'success' ? EXIT.ok : finalOutcome === 'failure' ? EXIT.stepFailed : options.signal.reason === 'SIGTERM' ? EXIT.sigterm : EXIT.sigint;

  return {
    plan: resolved,
    planFile: prepared.planFile,
    planDigest: prepared.planDigest,
    lockFile: prepared.lockFile,
    lockDigest: prepared.lockDigest,
    freezeDigest,
    runId: resolved.runId,
    commit: prepared.git.sha,
    branch: prepared.git.branch,
    startedAt,
    endedAt: options.now().toISOString(),
    outcome: finalOutcome,
    exitCode,
    ...(options.failAt ? { drill: options.failAt } : {}),
    resumed,
    boundaries,
    steps: ordered.map((s) => records.get(s.id)).filter((r): r is StepRecord => r !== undefined),
    artifacts,
    runRoot: runRoot(artifacts.map((a) => ({ name: a.name, root: a.root }))),
    logsDir: join(prepared.paths.scratch, 'logs'),
    runner: runnerFacts(options.env),
    toolVersion: options.toolVersion,
    secretValues,
    ...(problems.length ? { problems } : {}),
  };
}

function setupFailure(step: ResolvedStep, error: unknown): StepRecord {
  const reason = error instanceof CutoverError ? `${error.code}: ${error.message}` : `unexpected error: ${(error as Error)?.message ?? String(error)}`;
  const now = new Date().toISOString();
  return { phase: step.phase, id: step.id, name: step.name, outcome: 'failure', attempts: 1, exitCode: null, signal: null, timedOut: false, startedAt: now, endedAt: now, durationMs: 0, logDigest: null, logBytes: 0, reason: reason.split('\n')[0]! };
}

/** Step records by id, keeping the outcomes conditions read (and whether the run failed) up to date as they arrive. */
class StepRecords extends Map<string, StepRecord> {
  readonly outcomes: Record<string, { outcome: string }> = {};
  failed = false;

  override set(id: string, record: StepRecord): this {
    this.outcomes[id] = { outcome: record.outcome };
    if (record.outcome === 'failure' && !record.continueOnError) this.failed = true;
    return super.set(id, record);
  }
}

async function skip(step: ResolvedStep, records: StepRecords, journal: Journal, emit: EventSink, reason: string): Promise<void> {
  if (records.has(step.id)) return;
  const record: StepRecord = { phase: step.phase, id: step.id, name: step.name, outcome: 'skipped', attempts: 0, exitCode: null, signal: null, timedOut: false, startedAt: null, endedAt: null, durationMs: 0, logDigest: null, logBytes: 0, reason };
  records.set(step.id, record);
  journal.append({ type: 'step-end', step: record });
  emit({ type: 'step-end', step: record });
}

/** Hashes every declared artifact (an absent one is recorded as absent, with the empty root). */
async function hashArtifacts(root: string, plan: ResolvedPlan, emit: EventSink): Promise<ArtifactResult[]> {
  const results: ArtifactResult[] = [];
  for (const a of plan.artifacts) {
    const abs = await resolveInside(root, a.path, { links: 'none' });
    if (!(await pathExists(abs))) {
      results.push({ name: a.name, path: a.path, commit: a.commit, present: false, files: 0, bytes: 0, root: manifestRoot([]), manifest: '' });
      continue;
    }
    const hash = await hashArtifact(abs, {
      children: a.roots === 'children',
      onProgress: (p) => emit({ type: 'hash-progress', artifact: a.name, files: p.files, bytes: p.bytes, totalFiles: p.totalFiles, totalBytes: p.totalBytes }),
    });
    results.push({ name: a.name, path: a.path, commit: a.commit, present: true, files: hash.files, bytes: hash.bytes, root: hash.root, manifest: hash.manifest, ...(hash.children ? { children: hash.children } : {}) });
  }
  return results;
}

/** Facts about where the run ran: GitHub's run id, attempt, actor and workflow when present; the host. */
function runnerFacts(env: Record<string, string | undefined>): Record<string, string> {
  const facts: Record<string, string> = { host: hostname() };
  const map: Record<string, string> = { GITHUB_RUN_ID: 'githubRunId', GITHUB_RUN_ATTEMPT: 'githubRunAttempt', GITHUB_ACTOR: 'githubActor', GITHUB_WORKFLOW: 'githubWorkflow', GITHUB_REPOSITORY: 'githubRepository', GITHUB_SERVER_URL: 'githubServerUrl' };
  for (const [k, v] of Object.entries(map)) if (env[k]) facts[v] = env[k]!;
  return facts;
}

