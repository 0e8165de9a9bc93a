// The run lifecycle (docs/runs.md): preflight, the phases, hashing, the record and its commit, resume.
import { rm } from 'node:fs/promises';
import { relative } from 'node:path';
import { CutoverError } from '../errors.js';
import { normaliseRecordDir } from '../plan/paths.js';
import { createMasker, maskDeep, type Masker } from '../text/mask.js';
import type { EventSink, StepRecord } from './events.js';
import { assertEmptyFolder, type Handoff, HANDOFF_FORMAT, readBundle, type ReadBundle, usableHandoff } from './handoff.js';
import { readJoinBundles, seedJoin, stageJoin } from './join-seed.js';
import { openJournal, removeJournal, type Journal } from './journal.js';
import { phaseOrder } from './phases.js';
import { checkRunnable, journaledRunId, locateRun, prepareRun, type Prepared } from './preflight.js';
import { pendingAside, recoverAside } from './produces.js';
import { replayJournal } from './replay.js';
import { assembleResult, type RunResult } from './result.js';
import { secretsOf, type Finish, type FreezeChecks, type RunOptions } from './run-options.js';
import { acquireRunLock, releaseRunLock } from './run-lock.js';
import { runAll } from './run-steps.js';
import { assertSameFreeze, assertSpreadable, partSteps, runPart, type PartSummary } from './spread.js';
import { stepEndEvent } from './step-runner.js';
import { closeRun, endOrphans } from './unfinished.js';

export type { Finish, FreezeChecks, RunOptions } from './run-options.js';

/** A finished run: its outcome, exit code and result. */
export interface RunSummary {
  result: RunResult;
  exitCode: number;
}

/** Runs a plan through its whole lifecycle; refusals throw before anything runs, step failures do not. */
export async function executeRun(options: RunOptions, checks: FreezeChecks, finish: Finish): Promise<RunSummary> {
  const d = options.distribution;
  const bundles = d?.mode === 'join' ? await readJoinBundles(d.bundles, options.runId) : undefined;
  return withOpenRun<RunSummary>(
    options,
    checks,
    { ...(bundles ? { handoff: bundles.handoff } : {}) },
    {
      committed: (prepared, opts) => finishCommitted(prepared, opts, finish),
      body: async ({ prepared, options, journal, freezeDigest, resumed }) => {
        if (bundles && !resumed) {
          // A join starts from what the coordinator and the shards did: their ends are journaled here
          // first, their logs and manifests staged, so a killed join resumes like any run.
          const seed = await seedJoin(bundles, prepared.resolved);
          await stageJoin(seed, prepared.paths.scratch);
          for (const entry of seed.entries) if (entry.type !== 'run-start') journal.append(entry);
          prepared.journal = [...prepared.journal, ...seed.entries.filter((e) => e.type !== 'run-start')];
        }
        const result = await runAll(prepared, options, checks, journal, { freezeDigest, resumed });
        try {
          await finish(result, options.emit);
        } catch (error) {
          // Once its record is committed the run is over: what failed after it (the push, the index)
          // carries its own by-hand hint, and a --resume would have nothing left to do.
          if (await options.findCommitted(normaliseRecordDir(result.plan.record.dir), result, options.root)) return { closed: true, error };
          throw error;
        }
        journal.append({ type: 'run-end', outcome: result.outcome, endedAt: result.endedAt });
        return { closed: true, value: { result, exitCode: result.exitCode } };
      },
    },
  );
}

/** Runs the coordinator's part of a spread run (`--until`) or one shard (`--shard`): a bundle, no record. */
export async function executePart(options: RunOptions, checks: FreezeChecks): Promise<PartSummary> {
  const d = options.distribution;
  if (!d || d.mode === 'join') throw new Error('executePart runs the coordinator or a shard');
  const handoff = d.mode === 'shard' ? await readHandoff(d.handoff, options.runId) : undefined;
  return withOpenRun<PartSummary>(
    options,
    checks,
    { ...(handoff ? { handoff } : {}) },
    {
      body: async ({ prepared, options, journal, freezeDigest }) => {
        const summary = await runPart(prepared, options, checks, journal, {
          freezeDigest,
          distribution: d,
          ...(handoff ? { handoff } : {}),
        });
        return { closed: true, value: summary };
      },
    },
  );
}

/** An opened run: prepared, gated, its journal open; `resumed` when this machine's journal held it already. */
interface OpenRun {
  prepared: Prepared;
  options: RunOptions;
  journal: Journal;
  freezeDigest: string;
  resumed: boolean;
}

/** What a run's body returns: its value, or the error to throw once the run is closed (its record committed). */
type BodyEnd<T> = { closed: true; value: T } | { closed: true; error: unknown };

/**
 * Takes the run lock, runs preflight and the freeze gate, opens the journal and runs `body`; the
 * run's journal and scratch space are removed once the body says it ended. A part of a spread run
 * (`handoff`) runs the coordinator's run id, and only against the plan and lock it froze.
 */
async function withOpenRun<T>(
  options: RunOptions,
  checks: FreezeChecks,
  spread: { handoff?: ReadBundle<Handoff> },
  how: { committed?: (prepared: Prepared, options: RunOptions) => Promise<T>; body: (run: OpenRun) => Promise<BodyEnd<T>> },
): Promise<T> {
  const d = options.distribution;
  const located = await locateRun({ ...options, state: options.rehearsal ? 'rehearsal' : d?.mode === 'shard' ? 'shard' : 'run' });
  const handoff = spread.handoff?.doc;
  if (handoff) await assertSameFreeze(options.root, located, handoff);
  const local = options.rehearsal ? [] : located.journal;
  const runId = journaledRunId(local) ?? handoff?.runId ?? options.runId;
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
    // A join continues the coordinator's journal, unless this machine already holds its own.
    const joining = d?.mode === 'join' && local.length === 0;
    if (joining) located.journal = handoff!.journal;
    const preflight = { ...options, ...(runId ? { runId } : {}), ...(joining ? { resume: true } : {}), now: options.now() };
    const prepared = await prepareRun(located, preflight);
    if (d && d.mode !== 'join') {
      partSteps(prepared.resolved, d, handoff);
      await assertEmptyFolder(d.mode === 'until' ? d.handoff : d.out);
    } else if (d) assertSpreadable(prepared.resolved);
    // From here every event and journal line passes the masker: a reason or note may quote what a step wrote.
    const masker = createMasker(secretsOf(prepared.resolved, options.env));
    options = { ...options, emit: maskedSink(options.emit, masker) };
    if (prepared.committed && how.committed) {
      await checkRunnable(prepared, preflight);
      return await how.committed(prepared, options);
    }
    // The preflight order of docs/runs.md: the freeze gate, then the window, the tree and the merge.
    const { freezeDigest } = await checks.assertFrozen(prepared);
    if (!options.rehearsal) options.emit({ type: 'preflight', check: 'freeze gate', ok: true, detail: freezeDigest });
    // A rehearsal commits nothing and is no production run: no window, clean tree or branch needed.
    // Only the join commits; it continues a run whose window was checked when the coordinator started it.
    if (!options.rehearsal)
      await checkRunnable(prepared, { ...preflight, commit: d && d.mode !== 'join' ? false : preflight.commit, window: !joining });
    if (local.length === 0) {
      // A fresh run: nothing of an abandoned attempt (one that never finished a step) carries over,
      // but what one of its steps set aside (a journal removed by hand) is put back, never discarded.
      await removeJournal(prepared.paths.journal);
      for (const aside of await pendingAside(prepared.paths.scratch)) await recoverAside(aside);
      await rm(prepared.paths.scratch, { recursive: true, force: true });
    }
    journal = await openJournal(prepared.paths.journal, masker);
    opened = true;
    if (joining) for (const entry of prepared.journal) journal.append(entry);
    const end = await how.body({ prepared, options, journal, freezeDigest, resumed: local.length > 0 });
    journal.close();
    journal = undefined;
    await closeRun(prepared.paths);
    if ('error' in end) throw end.error;
    return end.value;
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

/** Reads the coordinator's hand-off for a shard; refuses (exit 2) one that is not a sound hand-off of this run. */
async function readHandoff(dir: string, runId: string | undefined): Promise<ReadBundle<Handoff>> {
  const bundle = await readBundle(dir);
  if (bundle.doc.format !== HANDOFF_FORMAT)
    throw new CutoverError('HANDOFF_INVALID', `${dir} is a shard bundle, not a hand-off`, {
      hint: "pass the coordinator's --handoff folder",
    });
  return usableHandoff(bundle as ReadBundle<Handoff>, runId);
}

/** An event sink that masks secret values in every string of every event. */
function maskedSink(sink: EventSink, masker: Masker): EventSink {
  if (masker.identity) return sink;
  return (event) => sink(maskDeep(event, masker));
}
