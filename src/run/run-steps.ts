// Running a prepared run's steps: the journal's start, the ledger and phase runner, the phases, the hashes and the result.
import { hostname } from 'node:os';
import { CutoverError, oneLine } from '../errors.js';
import { runRoot } from '../integrity/merkle.js';
import { normaliseRecordDir } from '../plan/paths.js';
import type { ResolvedStep } from '../plan/resolve.js';
import { createMasker } from '../text/mask.js';
import { hashArtifacts } from './artifacts.js';
import type { EventSink, StepRecord } from './events.js';
import type { Journal } from './journal.js';
import { stagedRemote } from './join-seed.js';
import { Ledger } from './ledger.js';
import { secretsOf, type FreezeChecks, type RunOptions } from './run-options.js';
import { createPhaseRunner } from './phase-runner.js';
import { phaseOrder, runPhases, type PhaseRunner } from './phases.js';
import type { Prepared } from './preflight.js';
import { keptOnResume, replayJournal } from './replay.js';
import { assembleResult, concludeRun, runnerFacts, type RunResult } from './result.js';
import { stepEndEvent } from './step-runner.js';

/** A run whose steps are ready to run: its ledger, its phase runner, when it started, what it masks. */
export interface Started {
  ledger: Ledger;
  runner: PhaseRunner;
  startedAt: string;
  secretValues: string[];
}

/**
 * Journals the run's start (unless the journal already holds it), announces the steps this runner
 * runs (`shown`), and builds the ledger (holding what the journal, or `kept`, says ended) and the phase runner.
 */
export function startSteps(
  prepared: Prepared,
  options: RunOptions,
  checks: FreezeChecks,
  journal: Journal,
  run: { freezeDigest: string; shown: readonly ResolvedStep[]; resumed: boolean; kept?: ReadonlyMap<string, StepRecord>; part?: string },
): Started {
  const { resolved } = prepared;
  const replayed = replayJournal(prepared.journal);
  const startedAt = replayed.start?.startedAt ?? options.now().toISOString();
  if (!replayed.start)
    journal.append({
      type: 'run-start',
      runId: resolved.runId,
      planDigest: prepared.planDigest,
      lockDigest: prepared.lockDigest,
      startedAt,
      commit: prepared.git.sha,
    });
  options.emit({
    type: 'run-start',
    plan: prepared.planFile,
    runId: resolved.runId,
    resumed: run.resumed,
    record: normaliseRecordDir(resolved.record.dir),
    freezeDigest: run.freezeDigest,
    steps: run.shown.map((s) => ({ phase: s.phase, id: s.id, name: s.name })),
    ...(run.part ? { part: run.part } : {}),
  });
  const secretValues = secretsOf(resolved, options.env);
  const masker = createMasker(secretValues);
  // A step's end says where the record will keep its log; a reason is masked and one line, so it
  // cannot start a line of its own in any output.
  const emit: EventSink = (event) => options.emit(event.type === 'step-end' ? stepEndEvent(resolved, event.step) : event);
  const ledger = new Ledger(
    { journal, emit, mask: (text) => oneLine(masker.mask(text)) },
    { records: new Map([...(run.kept ?? []), ...keptOnResume(replayed)]), boundaries: replayed.boundaries },
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
    steps: phaseOrder(resolved),
    journal,
    recheck: () => checks.recheck(),
    signal: options.signal,
  });
  return { ledger, runner, startedAt, secretValues };
}

/**
 * Runs the phases of a prepared run (the steps an earlier attempt, or the other runners of a spread
 * run, finished are kept), then hashes its artifacts (with the other runners' files) into the result.
 */
export async function runAll(
  prepared: Prepared,
  options: RunOptions,
  checks: FreezeChecks,
  journal: Journal,
  run: { freezeDigest: string; resumed: boolean },
): Promise<RunResult> {
  const { resolved } = prepared;
  const ordered = phaseOrder(resolved);
  // A join's journal says which runners ran the other parts, and what they found.
  const replayed = replayJournal(prepared.journal);
  const joined = replayed.join;
  const { ledger, runner, startedAt, secretValues } = startSteps(prepared, options, checks, journal, {
    ...run,
    shown: ordered,
    ...(joined ? { part: 'join' } : {}),
  });
  // What the other runners did is shown first, as it ended there.
  if (joined && !run.resumed) for (const record of replayed.records.values()) options.emit(stepEndEvent(resolved, record));
  const { interrupted } = await runPhases(resolved, runner, options.signal);

  const drift = await checks.rehash();
  const remote = await stagedRemote(prepared.paths.scratch);
  const { artifacts, conflicts } = await hashArtifacts(options.root, resolved, options.emit, remote).catch((error: unknown) => {
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
    problems: [
      ...(joined?.problems ?? []),
      ...(drift.length ? [`frozen files changed during the run: ${drift.join(', ')}`] : []),
      ...(conflicts.length ? [`artifact files the runners hold differently: ${conflicts.join('; ')}`] : []),
    ],
    artifacts,
  });
  const steps = ledger.inOrder(ordered);
  // A spread run's drill is given to the part that runs its step: the join finds it in that step's record.
  const drill = options.failAt ?? (joined ? steps.find((s) => s.drill)?.id : undefined);
  const result = {
    freezeDigest: run.freezeDigest,
    commit: prepared.git.sha,
    branch: prepared.git.branch,
    startedAt,
    endedAt: options.now().toISOString(),
    outcome,
    exitCode,
    ...(drill ? { drill } : {}),
    resumed: run.resumed,
    artifacts,
    runRoot: runRoot(artifacts.map((a) => ({ name: a.name, root: a.root }))),
    runner: runnerFacts(options.env, hostname()),
    ...(problems.length ? { problems } : {}),
    ...(options.rehearsal ? { rehearsal: true } : {}),
    ...(joined ? { distributed: joined.distributed } : {}),
  };
  return assembleResult({
    prepared,
    run: result,
    steps,
    boundaries: ledger.boundaries,
    toolVersion: options.toolVersion,
    secretValues,
  });
}
