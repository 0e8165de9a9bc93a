// `cutover run PLAN`: the full lifecycle with progress, signals, the record and its commit.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { findRepositoryRoot } from '../adapters/git.js';
import { publishRun, type RecordPlace } from '../github/report.js';
import { maskPreamble, readGithubRunFacts } from '../github/preview.js';
import { writeJson } from '../ui/output.js';
import { createRenderer } from '../ui/terminal.js';
import { assertFrozen, compareStats, rehashFrozen, statFiles, type FileStat } from '../integrity/freeze-gate.js';
import { lockedPaths, parseLock } from '../integrity/lock.js';
import { commitRecord, pushRecord } from '../record/commit-record.js';
import { writeRecord } from '../record/write-record.js';
import { checkRecordFolder } from '../record/record-folder.js';
import type { EventSink } from '../run/events.js';
import { findCommittedRecord } from '../record/committed.js';
import { executeRun, type FreezeChecks } from '../run/lifecycle.js';
import type { Prepared } from '../run/preflight.js';
import type { RunResult } from '../run/result.js';
import type { CommandIo } from '../adapters/io.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

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
}

/** Runs a plan; the exit code follows DESIGN §3 (0, 1, 130/143; refusals throw with 2 or 3). */
export async function run(options: RunCommandOptions, io: CommandIo): Promise<number> {
  // In GitHub's format the secrets are masked before anything else is printed (DESIGN §12).
  const github = io.format === 'github' ? await readGithubRunFacts(options.plan, io, options.runId) : undefined;
  if (github) io.stdout.write(maskPreamble(github.secrets));
  const root = await findRepositoryRoot({ cwd: io.cwd });
  const renderer = createRenderer(io, { stepAt: (id) => github?.steps.get(id) });
  const controller = new AbortController();
  const removeSignals = onSignals(controller, io);
  let record: RecordPlace | undefined;
  let committed: { result: RunResult; place: RecordPlace } | undefined;
  const emit: EventSink = (event) => {
    if (event.type === 'record') record = { dir: event.dir, root: event.root, ...(event.commit ? { commit: event.commit } : {}) };
    renderer.sink(event);
  };
  try {
    const summary = await executeRun(
      {
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
        signal: controller.signal,
        verbose: io.verbose,
        ...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {}),
        toolVersion: version,
      },
      freezeChecks(root),
      (result, sink) => finish(root, result, options, sink, (place) => (committed = { result, place })),
    );
    emit({ type: 'run-end', outcome: summary.result.outcome, exitCode: summary.exitCode });
    await renderer.done();
    if (io.format === 'json') writeJson(io, summarize(summary.result));
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

/** The freeze gate before the run, a stat check after each step, a full re-hash at the end. */
function freezeChecks(root: string): FreezeChecks {
  let prepared: Prepared | undefined;
  let paths: string[] = [];
  let before = new Map<string, FileStat>();
  return {
    async assertFrozen(p) {
      prepared = p;
      const verdict = await assertFrozen({ root, planFile: { path: resolve(root, p.planFile), display: p.planFile, bytes: await readFile(resolve(root, p.planFile)) }, plan: p.resolved });
      paths = verdict.lock ? lockedPaths(verdict.lock) : [];
      before = statFiles(root, paths);
      return { freezeDigest: verdict.freezeDigest };
    },
    async recheck() {
      return compareStats(before, statFiles(root, paths)).map((d) => d.path);
    },
    async rehash() {
      if (!prepared) return [];
      const lock = parseLock(await readFile(resolve(root, prepared.lockFile), 'utf8'), prepared.lockFile);
      return (await rehashFrozen({ root, plan: prepared.resolved, lock })).map((d) => d.path);
    },
  };
}

/** Writes the record, commits it unless told not to, and pushes when asked. */
async function finish(root: string, result: RunResult, options: RunCommandOptions, emit: EventSink, onCommitted: (place: RecordPlace) => void): Promise<void> {
  const written = await writeRecord(root, result);
  if (options.commit === false) {
    emit({ type: 'record', dir: written.dir, root: result.runRoot });
    return;
  }
  const { commit } = await commitRecord({ root, result, recordFiles: written.files, ...(options.author ? { author: options.author } : {}) });
  onCommitted({ dir: written.dir, root: result.runRoot, commit });
  let pushed = false;
  if (options.push || result.plan.record.push) {
    // After a rebase onto someone else's push, what is checked out changed: gate it again before pushing.
    const regate = async () => {
      await assertFrozen({ root, planFile: { path: resolve(root, result.planFile), display: result.planFile, bytes: await readFile(resolve(root, result.planFile)) }, plan: result.plan });
    };
    await pushRecord({ root, beforeRetry: regate });
    pushed = true;
  }
  emit({ type: 'record', dir: written.dir, root: result.runRoot, commit, pushed });
}

/** The one JSON document `--format json` prints for a run. */
function summarize(result: RunResult) {
  return {
    ok: result.outcome === 'success',
    outcome: result.outcome,
    exitCode: result.exitCode,
    plan: result.planFile,
    runId: result.runId,
    record: result.plan.record.dir,
    runRoot: result.runRoot,
    boundaries: result.boundaries,
    steps: result.steps.map((s) => ({ phase: s.phase, id: s.id, outcome: s.outcome, attempts: s.attempts, exitCode: s.exitCode, durationMs: s.durationMs, ...(s.reason ? { reason: s.reason } : {}) })),
    artifacts: result.artifacts.map((a) => ({ name: a.name, path: a.path, present: a.present, files: a.files, bytes: a.bytes, root: a.root })),
    ...(result.problems ? { problems: result.problems } : {}),
  };
}

/**
 * First SIGINT/SIGTERM: abort the run (the step's group is stopped, finally runs, the record is
 * written). A second one exits at once; the process runner's exit hook kills any group left.
 */
function onSignals(controller: AbortController, io: CommandIo): () => void {
  const handler = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      io.stderr.write(`cutover: second ${signal}, exiting now\n`);
      process.exit(signal === 'SIGTERM' ? 143 : 130);
    }
    io.stderr.write(`cutover: ${signal} received; stopping the current step, then running finally steps (send it again to exit at once)\n`);
    controller.abort(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
