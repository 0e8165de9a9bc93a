// Abandoning an unfinished run (after a crash) without running anything: the run's result as its
// journal tells it, outcome `abandoned`, handed on to be recorded; then its journal is cleared.
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CutoverError, EXIT, problemsError } from '../errors.js';
import { existsAtRevision, readAtRevision, readGitFacts } from '../adapters/git.js';
import { parseLock } from '../integrity/lock-parse.js';
import { runRoot } from '../integrity/merkle.js';
import { normaliseRecordDir } from '../plan/paths.js';
import { resolvePlan, type ResolvedPlan } from '../plan/resolve.js';
import { validatePlan } from '../plan/validate.js';
import type { EventSink, StepRecord } from './events.js';
import type { Finish } from './lifecycle.js';
import { locateRun, type Located, type PreflightOptions } from './preflight.js';
import { sha256Hex } from '../text/digest.js';
import { runnerFacts, type RunResult } from './result.js';
import { notRun } from './step-record.js';
import { secretValuesOf } from '../plan/resolve.js';
import { acquireRunLock, releaseRunLock } from './run-lock.js';
import { closeRun, endOrphans } from './unfinished.js';
import { possibleOrphans, replayJournal, type RunStart } from './replay.js';

/** What abandoning needs: the plan, the caller's environment and clock, and how to find a record already committed. */
export interface AbandonOptions extends Pick<PreflightOptions, 'root' | 'plan' | 'env' | 'findCommitted'> {
  now: () => Date;
  emit: EventSink;
  graceMs?: number;
  toolVersion: string;
}

/**
 * Ends the unfinished run of a plan: takes the run lock, ends what the killed run left running,
 * builds its result from the journal (outcome `abandoned`, no artifacts hashed), hands it to
 * `finish` (write and commit the record), then clears the journal and scratch space. Refuses when
 * there is no unfinished run (NO_UNFINISHED_RUN) or a live run holds the lock (RUN_LOCKED).
 */
export async function abandonRun(options: AbandonOptions, finish: Finish): Promise<RunResult> {
  const located = await locateRun({ ...options, state: 'run' });
  const name = located.valid.plan.metadata.name;
  const started = replayJournal(located.journal).start;
  if (!started)
    throw new CutoverError('NO_UNFINISHED_RUN', `no unfinished run of ${name} to abandon`, {
      hint: `a run that ended has its record already; start a new one with \`cutover run ${located.planFile}\``,
    });
  const lock = await acquireRunLock(located.paths.runLock, started.runId);
  try {
    await endOrphans(located.journal, options);
    const resolved = await planAsRun(located, started, options);
    const recordDir = normaliseRecordDir(resolved.record.dir);
    if (await existsAtRevision(recordDir, 'HEAD', { cwd: options.root })) {
      const committed = await options.findCommitted(recordDir, started, options.root);
      if (committed)
        throw new CutoverError(
          'NO_UNFINISHED_RUN',
          `run ${started.runId} of ${name} ended: its record is committed as ${committed.commit.slice(0, 12)}`,
          { hint: `\`cutover run ${located.planFile} --resume\` closes it without running anything` },
        );
      throw new CutoverError('RECORD_EXISTS', `the record ${recordDir} is already committed; a committed record is immutable`, {
        hint: 'move it away in a commit of its own, then abandon again',
      });
    }
    const scratch = join(located.paths.runs, started.runId);
    const result = await abandonedResult(located, started, resolved, scratch, options);
    await finish(result, options.emit);
    await closeRun({ scratch, journal: located.paths.journal });
    return result;
  } finally {
    await releaseRunLock(located.paths.runLock, lock);
  }
}

/**
 * The plan exactly as the run ran it: from the commit it started on (the freeze gate had it
 * committed there), else the work tree's, as long as its digest is the journal's.
 */
async function planAsRun(located: Located, started: RunStart, options: AbandonOptions): Promise<ResolvedPlan> {
  const atCommit = started.commit ? await readAtRevision(located.planFile, started.commit, { cwd: options.root }) : undefined;
  const bytes = [atCommit, Buffer.from(located.valid.file.bytes)].find((b) => b !== undefined && sha256Hex(b) === started.planDigest);
  if (!bytes) {
    throw new CutoverError(
      'PLAN_IO',
      `the plan run ${started.runId} ran (sha256:${started.planDigest}) is neither in commit ${started.commit.slice(0, 12)} nor in the work tree`,
      {
        position: { file: located.planFile },
        hint: 'check out the commit the run started on, then abandon it there',
      },
    );
  }
  const checked = validatePlan(bytes, located.valid.file.display);
  if (!checked.ok) throw problemsError(checked.problems);
  const git = { sha: started.commit, branch: (await readGitFacts({ cwd: options.root })).branch };
  const { plan, problems } = resolvePlan(checked.valid.plan, located.valid.file.display, {
    env: options.env,
    git,
    now: new Date(started.startedAt),
    runId: started.runId,
  });
  if (problems.length) throw problemsError(problems);
  return plan;
}

/** The run as its journal tells it: ended steps as journaled, the one in flight interrupted, the rest not run. */
async function abandonedResult(
  located: Located,
  started: RunStart,
  resolved: ResolvedPlan,
  scratch: string,
  options: AbandonOptions,
): Promise<RunResult> {
  const { records, boundaries } = replayJournal(located.journal);
  const inFlight = new Set(possibleOrphans(located.journal).map((e) => e.id));
  const ordered = [...resolved.phases.preconditions, ...resolved.phases.steps, ...resolved.phases.rollback, ...resolved.phases.finally];
  const steps = ordered.map((step): StepRecord => {
    const ended = records.get(step.id);
    if (ended) return ended;
    // Only the step's phase, id and name (continueOnError false adds nothing): abandoned records never carried its flags.
    const bare = { phase: step.phase, id: step.id, name: step.name, continueOnError: false };
    if (inFlight.has(step.id))
      return { ...notRun(bare, 'interrupted', 'the run stopped while this step ran; it was abandoned'), attempts: 1 };
    return notRun(bare, 'skipped', 'not run: the run was abandoned');
  });
  const lockText = started.commit ? await readAtRevision(located.lockFile, started.commit, { cwd: options.root }) : undefined;
  const { branch } = await readGitFacts({ cwd: options.root });
  return {
    plan: resolved,
    planFile: located.planFile,
    planDigest: started.planDigest,
    lockFile: located.lockFile,
    lockDigest: started.lockDigest,
    freezeDigest: lockText ? parseLock(lockText.toString('utf8'), located.lockFile).freezeDigest : '',
    runId: started.runId,
    commit: started.commit,
    branch,
    startedAt: started.startedAt,
    endedAt: options.now().toISOString(),
    outcome: 'abandoned',
    // Not a success; the run never reached an exit of its own.
    exitCode: EXIT.stepFailed,
    resumed: false,
    boundaries,
    steps,
    // What a stopped run left behind is no result of it: nothing is hashed or committed as an artifact.
    artifacts: [],
    runRoot: runRoot([]),
    logsDir: join(scratch, 'logs'),
    runner: runnerFacts(options.env, hostname()),
    toolVersion: options.toolVersion,
    secretValues: secretValuesOf(resolved, options.env).map((s) => s.value),
  };
}
