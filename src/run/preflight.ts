// Preflight: every refusal happens here, before anything runs or is written (docs/runs.md, "Preflight").
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathExists } from '../adapters/fs.js';
import { join, relative } from 'node:path';
import { CutoverError, problemsError } from '../errors.js';
import { dirtyPaths, existsAtRevision, readAtRevision, readGitDir, readGitFacts, revisionExists } from '../adapters/git.js';
import { readValidPlan } from '../adapters/plan-file.js';
import { lockPathFor } from '../integrity/lock.js';
import { readMatrixFiles } from '../adapters/matrix-files.js';
import { resolvePlan, unknownRunStep, type ResolvedPlan } from '../plan/resolve.js';
import type { Plan } from '../plan/types.js';
import { normaliseRecordDir } from '../plan/paths.js';
import type { CommittedRecord, CommittedRecordLookup, RecordFolderCheck } from './result.js';
import { readJournal, type JournalEntry } from './journal.js';
import { assertMatrixFrozen } from './matrix-frozen.js';
import { checkNothingInTheWay, checkPlanPaths } from './path-checks.js';
import { pendingAside } from './produces.js';
import { sha256Hex } from '../text/digest.js';

/** Where a plan's run lock, journal and scratch space live, inside the git directory. */
export interface RunPaths {
  gitDir: string;
  runLock: string;
  journal: string;
  scratch: string;
}

/** What the run needs to know once preflight passed. */
export interface Prepared {
  plan: Plan;
  resolved: ResolvedPlan;
  planFile: string;
  lockFile: string;
  planDigest: string;
  lockDigest: string;
  git: { sha: string; branch: string };
  paths: RunPaths;
  /** Entries of the unfinished run being resumed. */
  journal: JournalEntry[];
  /** The record this very run already committed before it was killed: nothing is left to run. */
  committed?: CommittedRecord;
}

/** Options of a run that preflight checks. */
export interface PreflightOptions {
  root: string;
  plan: string;
  runId?: string;
  resume?: boolean;
  failAt?: string;
  requireMerged?: string;
  /** False with `--no-commit`: the run does not need a branch to commit to. */
  commit?: boolean;
  env: Record<string, string | undefined>;
  now: Date;
  /** Finds a record this very run already committed (a run killed after its commit). */
  findCommitted: CommittedRecordLookup;
  /** `cutover rehearse`: a journal and scratch space of its own, and no committed record to clash with. */
  rehearsal?: boolean;
  /** Refuses a record folder holding anything but an uncommitted record of this run. */
  checkRecordFolder: RecordFolderCheck;
}

/** A validated plan located in its repository, before the run lock is taken. */
export interface Located {
  valid: Awaited<ReturnType<typeof readValidPlan>>;
  planFile: string;
  lockFile: string;
  /** `runs`: the folder holding each run's scratch space (`<runs>/<run id>`). */
  paths: Omit<RunPaths, 'scratch'> & { runs: string };
  journal: JournalEntry[];
}

/** Validates the plan and finds its run lock and journal; refuses nothing but an invalid plan. */
export async function locateRun(
  options: Pick<PreflightOptions, 'root' | 'plan'> & { state: 'run' | 'rehearsal' | 'shard' },
): Promise<Located> {
  const { root } = options;
  const valid = await readValidPlan(options.plan, root);
  const planFile = relative(root, valid.file.path);
  const gitDir = await readGitDir({ cwd: root });
  const name = valid.plan.metadata.name;
  // One run lock for the work tree; a rehearsal's or a shard's journal and scratch apart, so neither
  // is ever resumed as a run.
  const state = options.state === 'run' ? join(gitDir, 'cutover') : join(gitDir, 'cutover', options.state);
  const paths = {
    gitDir,
    runLock: join(gitDir, 'cutover', 'locks', `${name}.lock`),
    journal: join(state, 'journal', `${name}.jsonl`),
    runs: join(state, 'runs', name),
  };
  return { valid, planFile, lockFile: lockPathFor(planFile), paths, journal: await readJournal(paths.journal) };
}

/** The run id an unfinished run's journal holds, if any. */
export function journaledRunId(journal: JournalEntry[]): string | undefined {
  return journal.find((e): e is Extract<JournalEntry, { type: 'run-start' }> => e.type === 'run-start')?.runId;
}

/** Checks what the run is after the run lock is held: flags, journal, digests, the record. */
export async function prepareRun(located: Located, options: PreflightOptions): Promise<Prepared> {
  const { root } = options;
  const { valid, planFile, lockFile, paths, journal } = located;
  const name = valid.plan.metadata.name;
  // A journal without a finished step is a run that never got going: a fresh run may replace it,
  // unless a step was stopped with its produces set aside (only a resume puts them back).
  const anyStepEnded = journal.some((e) => e.type === 'step-end');
  const journaled = journaledRunId(journal);
  const setAside = !anyStepEnded && journaled !== undefined && (await pendingAside(join(paths.runs, journaled))).length > 0;
  const started =
    anyStepEnded || setAside || options.resume
      ? journal.find((e): e is Extract<JournalEntry, { type: 'run-start' }> => e.type === 'run-start')
      : undefined;
  if (options.resume && !started)
    throw new CutoverError('RESUME_REFUSED', `no unfinished run of ${name} to resume`, { hint: 'start a new run without --resume' });
  if (!options.resume && started) {
    const why = anyStepEnded ? 'did not finish' : 'was stopped while a step had its produces set aside';
    throw new CutoverError('RESUME_REFUSED', `run ${started.runId} of ${name} ${why}`, {
      hint: `continue it with \`cutover run ${planFile} --resume\`${anyStepEnded ? '' : ', which first puts the earlier content back'}, or end it without running anything with \`cutover abandon ${planFile}\``,
    });
  }
  if (options.resume && options.runId && options.runId !== started!.runId) {
    throw new CutoverError('RESUME_REFUSED', `--run-id ${options.runId} does not match the unfinished run ${started!.runId}`);
  }

  await checkIndexLock(paths.gitDir, root);
  const git = await readGitFacts({ cwd: root });
  const runId = started?.runId ?? options.runId;
  const matrix = await readMatrixFiles(root, valid.plan);
  const { plan: resolved, problems } = resolvePlan(valid.plan, valid.file.display, {
    env: options.env,
    git: started ? { sha: started.commit, branch: git.branch } : git,
    now: options.now,
    source: valid.source,
    matrixFiles: matrix.documents,
    ...(runId ? { runId } : {}),
  });
  if (problems.length) throw problemsError(problems);
  if (options.failAt) {
    const unknown = unknownRunStep(resolved, options.failAt);
    if (unknown) throw new CutoverError('USAGE', `--fail-at: ${unknown.message}`, { hint: unknown.hint });
  }
  const pathInput = { root, plan: valid.plan, source: valid.source, resolved };
  const planPaths = await checkPlanPaths(pathInput);

  const planBytes = valid.file.bytes;
  const lockBytes = await readFile(join(root, lockFile)).catch(() => undefined);
  const planDigest = sha256Hex(planBytes);
  const lockDigest = lockBytes ? sha256Hex(lockBytes) : '';
  assertMatrixFrozen(matrix.bytes, lockBytes, lockFile);
  if (started && (started.planDigest !== planDigest || started.lockDigest !== lockDigest)) {
    throw new CutoverError(
      'RESUME_REFUSED',
      `the ${started.planDigest !== planDigest ? 'plan' : 'lock'} changed since run ${started.runId} started`,
      { hint: 'a resumed run must run what was approved; restore it, or remove the journal and start over' },
    );
  }

  let committed: CommittedRecord | undefined;
  const recordDir = normaliseRecordDir(resolved.record.dir);
  // A rehearsal's record is written outside the work tree and never committed: nothing to clash with.
  if (!options.rehearsal && (await existsAtRevision(`${recordDir}/run.json`, 'HEAD', { cwd: root }))) {
    // Killed after its commit, before it could close its journal: the run is done but for that.
    committed = started ? await options.findCommitted(recordDir, started, root) : undefined;
    if (!committed)
      throw new CutoverError('RECORD_EXISTS', `the record ${resolved.record.dir} is already committed; a committed record is immutable`, {
        hint: 'use another --run-id',
      });
  }
  if (!committed) await checkNothingInTheWay(pathInput, planPaths, { fresh: !started, checkRecordFolder: options.checkRecordFolder });
  return {
    plan: valid.plan,
    resolved,
    planFile,
    lockFile,
    planDigest,
    lockDigest,
    git: started ? { sha: started.commit, branch: git.branch } : git,
    paths: { gitDir: paths.gitDir, runLock: paths.runLock, journal: paths.journal, scratch: join(paths.runs, resolved.runId) },
    journal: started ? journal : [],
    ...(committed ? { committed } : {}),
  };
}

/**
 * Checks, after the freeze gate, that the run may start here and now: the window, a clean tree where
 * it will commit its `files` artifacts, a branch to commit to, and `--require-merged`.
 */
export async function checkRunnable(
  prepared: Prepared,
  options: Pick<PreflightOptions, 'root' | 'commit' | 'requireMerged' | 'now'> & { window?: boolean },
): Promise<void> {
  const { root } = options;
  const { resolved, committed } = prepared;
  const started = prepared.journal.length > 0;
  if (!committed && options.window !== false) checkWindow(resolved, options.now);
  if (!started) {
    // The record folder was checked in prepareRun: nothing in it but this run's own record, which it replaces.
    const commitPaths = resolved.artifacts.filter((a) => a.commit === 'files').map((a) => a.path);
    const dirty = await dirtyPaths(commitPaths, { cwd: root });
    if (dirty.length) {
      throw new CutoverError(
        'TREE_DIRTY',
        `uncommitted changes where the run will commit: ${dirty.slice(0, 5).join(', ')}${dirty.length > 5 ? ', …' : ''}`,
        { hint: 'commit or remove them first; the run commits only what it writes' },
      );
    }
  }
  if (options.commit !== false && !committed && !prepared.git.branch) {
    throw new CutoverError('NOT_ON_BRANCH', 'HEAD is detached: the record commit would belong to no branch', {
      hint: 'switch to a branch first (`git switch -c NAME`), or run with --no-commit',
    });
  }
  if (options.requireMerged) await checkMerged(options.requireMerged, [prepared.planFile, prepared.lockFile], root);
}

/**
 * Refuses while git's index lock stays held: a git command is running in this repository, or one
 * was killed and left it, and the record could not be committed at the end. A lock that goes away
 * within a moment (an editor's `git status`) is waited out.
 */
async function checkIndexLock(gitDir: string, root: string): Promise<void> {
  const lock = join(gitDir, 'index.lock');
  const shown = relative(root, lock);
  for (let waited = 0; await pathExists(lock); waited += 100) {
    if (waited >= 2000) {
      throw new CutoverError(
        'GIT_LOCKED',
        `git's index is locked (${shown} exists): another git command is running here, or one was killed and left the lock`,
        {
          hint: `if no git command is running, remove ${shown} and run again; nothing was run or written`,
        },
      );
    }
    await sleep(100);
  }
}

function checkWindow(plan: ResolvedPlan, now: Date): void {
  const w = plan.window;
  if (!w) return;
  if (w.notBefore && now < new Date(w.notBefore))
    throw new CutoverError('WINDOW_CLOSED', `the window opens at ${w.notBefore}; it is ${now.toISOString()}`, {
      hint: 'run it inside spec.window',
    });
  if (w.notAfter && now > new Date(w.notAfter))
    throw new CutoverError('WINDOW_CLOSED', `the window closed at ${w.notAfter}; it is ${now.toISOString()}`, {
      hint: 'agree a new window and change spec.window in a reviewed commit',
    });
}

async function checkMerged(ref: string, files: string[], root: string): Promise<void> {
  if (!(await revisionExists(ref, { cwd: root })))
    throw new CutoverError('NOT_MERGED', `${ref} is not a known revision`, {
      hint: 'fetch it first (for example `git fetch origin main`)',
    });
  for (const file of files) {
    const merged = await readAtRevision(file, ref, { cwd: root });
    const local = await readFile(join(root, file)).catch(() => undefined);
    if (!merged)
      throw new CutoverError('NOT_MERGED', `${file} is not in ${ref}`, {
        position: { file },
        hint: 'run plans only after they are merged',
      });
    if (!local || !merged.equals(local))
      throw new CutoverError('NOT_MERGED', `${file} differs from ${ref}`, { position: { file }, hint: 'run exactly what was merged' });
  }
}
