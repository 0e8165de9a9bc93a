// The coordinator's and a shard's part of a run spread over runners (docs/runs.md, "One run over many runners").
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CutoverError } from '../errors.js';
import type { ResolvedPlan, ResolvedStep } from '../plan/resolve.js';
import { sha256Hex } from '../text/digest.js';
import { hashPartials } from './artifacts.js';
import type { RunOutcome, StepRecord } from './events.js';
import { digestLogs, type Handoff, HANDOFF_FORMAT, type ReadBundle, SHARD_FORMAT, writeBundle } from './handoff.js';
import { readJournal, type Journal } from './journal.js';
import type { Located, Prepared } from './preflight.js';
import { replayJournal } from './replay.js';
import { concludeRun, runnerFacts } from './result.js';
import type { Distribution, FreezeChecks, RunOptions } from './run-options.js';
import { startSteps } from './run-steps.js';
import { runGraph } from './schedule.js';
import { logName } from './step-record.js';

/** How the coordinator's or a shard's part ended, and the bundle it wrote. */
export interface PartSummary {
  outcome: RunOutcome;
  exitCode: number;
  steps: StepRecord[];
  bundle: string;
  /** How the part is named in its output. */
  part: string;
}

/**
 * The steps the coordinator runs (every precondition, and the steps written before the matrix step)
 * and the matrix step's shards. Refuses (exit 2) a step that is not a matrix step of `steps`, and a
 * step before it that waits for one after it.
 */
export function splitAt(plan: Pick<ResolvedPlan, 'phases'>, step: string): { before: ResolvedStep[]; shards: ResolvedStep[] } {
  const { steps } = plan.phases;
  const shards = steps.filter((s) => s.matrix?.of === step);
  if (!shards.length) {
    const names = [...new Set(steps.flatMap((s) => (s.matrix ? [s.matrix.of] : [])))];
    throw new CutoverError('USAGE', `${JSON.stringify(step)} is not a matrix step of spec.steps`, {
      hint: names.length
        ? `a run spreads over runners at a matrix step: ${names.join(', ')}`
        : 'a run spreads over runners at a step with `matrix:`',
    });
  }
  const early = steps.slice(0, steps.indexOf(shards[0]!));
  const ids = new Set(early.map((s) => s.id));
  const waiting = early.find((s) => s.needs.some((id) => !ids.has(id)));
  if (waiting)
    throw new CutoverError('USAGE', `${waiting.id} comes before ${step} but needs a step after it`, {
      hint: 'the coordinator runs the steps written before the matrix step: move it after the matrix step',
    });
  return { before: [...plan.phases.preconditions, ...early], shards };
}

/** Refuses (exit 2) a plan a spread run cannot record: the join holds no other runner's files, only their manifests. */
export function assertSpreadable(plan: Pick<ResolvedPlan, 'artifacts'>): void {
  const files = plan.artifacts.filter((a) => a.commit !== 'manifest');
  if (files.length)
    throw new CutoverError(
      'USAGE',
      `artifact ${files.map((a) => a.name).join(', ')} is committed as files; a run spread over runners records manifests`,
      {
        hint: 'set `commit: manifest` on every artifact (the files stay where each runner wrote them)',
      },
    );
}

/** Refuses (exit 3) to run a shard or the join against a plan or lock other than those the coordinator froze. */
export async function assertSameFreeze(root: string, located: Pick<Located, 'valid' | 'lockFile'>, handoff: Handoff): Promise<void> {
  const planDigest = sha256Hex(located.valid.file.bytes);
  const lock = await readFile(join(root, located.lockFile)).catch(() => undefined);
  const which = planDigest !== handoff.planDigest ? 'plan' : (lock ? sha256Hex(lock) : '') !== handoff.lockDigest ? 'lock' : undefined;
  if (which)
    throw new CutoverError('HANDOFF_MISMATCH', `the ${which} here is not the one the coordinator of run ${handoff.runId} froze`, {
      hint: "every job of a spread run checks out the coordinator's commit; a re-frozen lock starts a new run",
    });
}

/** Runs the coordinator's part, or one shard, and writes its bundle; the join runs the rest. */
export async function runPart(
  prepared: Prepared,
  options: RunOptions,
  checks: FreezeChecks,
  journal: Journal,
  part: { freezeDigest: string; distribution: Exclude<Distribution, { mode: 'join' }>; handoff?: ReadBundle<Handoff> },
): Promise<PartSummary> {
  const { resolved } = prepared;
  const d = part.distribution;
  const resumed = prepared.journal.length > 0;
  const h = part.handoff;
  const { mine, shards } = partSteps(resolved, d, h?.doc);
  const kept = h ? replayJournal(h.doc.journal).records : undefined;
  const { ledger, runner } = startSteps(prepared, options, checks, journal, {
    freezeDigest: part.freezeDigest,
    shown: mine,
    resumed,
    part: partName(d),
    ...(kept ? { kept } : {}),
  });
  // Preconditions first, then the steps, each as their needs allow (docs/runs.md, "Order and concurrency").
  for (const phase of ['preconditions', 'steps'] as const)
    await runGraph(
      mine.filter((s) => s.phase === phase),
      resolved.concurrency,
      (step) => runner.run(step, options.signal, true),
    );
  const interrupted = options.signal.aborted;
  const drift = await checks.rehash();
  const problems = drift.length ? [`frozen files changed during the run: ${drift.join(', ')}`] : [];
  const steps = ledger.inOrder(mine);
  const logsDir = join(prepared.paths.scratch, 'logs');
  const common = {
    runId: resolved.runId,
    planDigest: prepared.planDigest,
    lockDigest: prepared.lockDigest,
    freezeDigest: part.freezeDigest,
    logs: await digestLogs(logsDir, mine.filter((s) => steps.some((r) => r.id === s.id && r.logDigest)).map(logName)),
    artifacts: await hashPartials(options.root, resolved, options.emit),
    runner: runnerFacts(options.env, hostname()),
    toolVersion: options.toolVersion,
    ...(problems.length ? { problems } : {}),
  };
  if (d.mode === 'until') {
    // The coordinator's journal travels in the hand-off: the join continues it (its step starts stay here).
    const entries = await readJournal(prepared.paths.journal);
    const started = replayJournal(entries).start!;
    const handoff: Handoff = {
      ...common,
      format: HANDOFF_FORMAT,
      plan: prepared.planFile,
      commit: started.commit,
      branch: prepared.git.branch,
      startedAt: started.startedAt,
      step: d.step,
      shards: shards.map((s) => s.id),
      journal: entries.filter((e) => e.type !== 'step-spawn' && e.type !== 'run-end'),
    };
    await writeBundle(d.handoff, handoff, logsDir);
  } else await writeBundle(d.out, { ...common, format: SHARD_FORMAT, handoff: h!.digest, shard: d.shard, record: steps[0]! }, logsDir);
  const stepFailed = d.mode === 'shard' ? steps[0]?.outcome === 'failure' : ledger.failed;
  const { outcome, exitCode } = concludeRun({ interrupted, signal: options.signal.reason, stepFailed, problems, artifacts: [] });
  return { outcome, exitCode, steps, bundle: d.mode === 'until' ? d.handoff : d.out, part: partName(d) };
}

/**
 * The steps a part runs (the coordinator's, or one shard) and the matrix step's shards; refuses
 * (exit 2) what cannot be spread, before anything runs.
 */
export function partSteps(
  plan: Pick<ResolvedPlan, 'phases' | 'artifacts'>,
  d: Exclude<Distribution, { mode: 'join' }>,
  handoff: Handoff | undefined,
): { mine: ResolvedStep[]; shards: ResolvedStep[] } {
  assertSpreadable(plan);
  const { before, shards } = splitAt(plan, d.mode === 'shard' ? handoff!.step : d.step);
  return { mine: d.mode === 'shard' ? [shardNamed(shards, d.shard)] : before, shards };
}

/** How a part is named in its output: `coordinator` or `shard migrate[kurse]`. */
export function partName(d: Exclude<Distribution, { mode: 'join' }>): string {
  return d.mode === 'until' ? 'coordinator' : `shard ${d.shard}`;
}

function shardNamed(shards: readonly ResolvedStep[], id: string): ResolvedStep {
  const found = shards.find((s) => s.id === id);
  if (!found)
    throw new CutoverError('USAGE', `--shard ${JSON.stringify(id)} is not a shard of ${shards[0]!.matrix!.of}`, {
      hint: `name one of: ${shards.map((s) => s.id).join(', ')}`,
    });
  return found;
}
