// The join of a run spread over runners: the hand-off and shard bundles read, checked and turned into
// the journal the join continues from (docs/runs.md, "One run over many runners").
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CutoverError } from '../errors.js';
import type { ResolvedPlan } from '../plan/resolve.js';
import { prefixedDigest } from '../text/digest.js';
import type { RemoteParts } from './artifacts.js';
import type { StepRecord } from './events.js';
import {
  bundleProblem,
  type Handoff,
  HANDOFF_FORMAT,
  readBundle,
  type ReadBundle,
  type ShardBundle,
  shardMismatch,
  usableHandoff,
} from './handoff.js';
import type { JournalEntry } from './journal.js';
import type { Distributed } from './result.js';
import { logName, notRun } from './step-record.js';

/** The bundles passed to a join: exactly one hand-off, any number of shard bundles. */
export interface JoinBundles {
  handoff: ReadBundle<Handoff>;
  shards: ReadBundle<ShardBundle>[];
}

/** What a join starts from: the journal entries it adds (the last says what the record tells of the runners), the logs and remote manifests it stages. */
export interface JoinSeed {
  entries: JournalEntry[];
  logs: { from: string; name: string }[];
  remote: RemoteParts[];
}

const REMOTE_FILE = 'remote-parts.json';

/** Reads the folders given to `--join`; refuses (exit 2) anything but one sound hand-off and bundles. */
export async function readJoinBundles(dirs: readonly string[], runId: string | undefined): Promise<JoinBundles> {
  const read = await Promise.all(dirs.map((dir) => readBundle(dir)));
  const handoffs = read.filter((b): b is ReadBundle<Handoff> => b.doc.format === HANDOFF_FORMAT);
  if (handoffs.length !== 1)
    throw new CutoverError('HANDOFF_INVALID', `--join needs exactly one hand-off folder; ${handoffs.length} given`, {
      hint: 'pass the folder the coordinator wrote with --handoff, and the shard jobs’ --out folders',
    });
  const handoff = await usableHandoff(handoffs[0]!, runId);
  return { handoff, shards: read.filter((b): b is ReadBundle<ShardBundle> => b.doc.format !== HANDOFF_FORMAT) };
}

/**
 * The journal a join continues from: the coordinator's entries, then one end for each shard of the
 * matrix step, from its bundle when the bundle is sound and belongs to this run, otherwise a failure
 * naming why (a missing shard fails, or is skipped when the coordinator's part already failed).
 * A step interrupted on its runner counts as failed: the join never runs another runner's step.
 */
export async function seedJoin(bundles: JoinBundles, plan: Pick<ResolvedPlan, 'phases'>): Promise<JoinSeed> {
  const { handoff } = bundles;
  const h = handoff.doc;
  const coordinatorFailed = h.journal.some(
    (e) => e.type === 'step-end' && settled(e.step).outcome === 'failure' && !e.step.continueOnError,
  );
  const entries = h.journal.map((e) => (e.type === 'step-end' ? { ...e, step: settled(e.step) } : e));
  const logs = Object.keys(h.logs).map((name) => ({ from: handoff.dir, name }));
  const remote: RemoteParts[] = [{ from: 'coordinator', artifacts: h.artifacts }];
  const problems = [...(h.problems ?? [])];
  const distributed: Distributed = { step: h.step, handoff: prefixedDigest(handoff.digest), coordinator: h.runner, shards: [] };
  const byShard = await sortBundles(bundles, problems);
  for (const step of plan.phases.steps.filter((s) => s.matrix?.of === h.step)) {
    const { accepted, rejected } = byShard.get(step.id) ?? { accepted: [], rejected: [] };
    const distinct = [...new Map(accepted.map((b) => [b.digest, b])).values()];
    const bundle = distinct.length === 1 ? distinct[0] : undefined;
    if (bundle) {
      entries.push({ type: 'step-end', step: settled(bundle.doc.record) });
      if (bundle.doc.record.logDigest) logs.push({ from: bundle.dir, name: logName(step) });
      remote.push({ from: step.id, artifacts: bundle.doc.artifacts });
      problems.push(...(bundle.doc.problems ?? []).map((p) => `${step.id}: ${p}`));
      distributed.shards.push({ id: step.id, bundle: prefixedDigest(bundle.digest), runner: bundle.doc.runner });
      continue;
    }
    const why =
      distinct.length > 1
        ? `${distinct.length} different bundles were given for it`
        : (rejected[0] ?? 'no bundle was given for it (its job did not finish, was refused, or its bundle was not downloaded)');
    const record =
      !rejected.length && !distinct.length && coordinatorFailed
        ? notRun(step, 'skipped', 'not run: a step before it failed on the coordinator')
        : notRun(step, 'failure', `shard bundle: ${why}`);
    entries.push({ type: 'step-end', step: record });
    distributed.shards.push({ id: step.id, bundle: null, ...(record.outcome === 'failure' ? { problem: why } : {}) });
  }
  entries.push({ type: 'join', distributed, problems });
  return { entries, logs, remote };
}

/** Copies the logs a join takes from the bundles into its scratch space, with the remote manifests (kept for a resumed join). */
export async function stageJoin(seed: JoinSeed, scratch: string): Promise<void> {
  await mkdir(join(scratch, 'logs'), { recursive: true });
  for (const log of seed.logs) await copyFile(join(log.from, 'logs', log.name), join(scratch, 'logs', log.name));
  await writeFile(join(scratch, REMOTE_FILE), JSON.stringify(seed.remote));
}

/** The remote manifests a join staged, or none for a run on one machine. */
export async function stagedRemote(scratch: string): Promise<RemoteParts[]> {
  const text = await readFile(join(scratch, REMOTE_FILE), 'utf8').catch(() => undefined);
  return text ? (JSON.parse(text) as RemoteParts[]) : [];
}

/** Groups the shard bundles by the shard they name: sound ones accepted, the others with why not. */
async function sortBundles(bundles: JoinBundles, problems: string[]) {
  const byShard = new Map<string, { accepted: ReadBundle<ShardBundle>[]; rejected: string[] }>();
  for (const bundle of bundles.shards) {
    const shard = typeof bundle.doc.shard === 'string' ? bundle.doc.shard : '';
    const why = (await bundleProblem(bundle)) ?? shardMismatch(bundle.doc, bundles.handoff);
    if (!bundles.handoff.doc.shards.includes(shard)) {
      problems.push(`the bundle ${bundle.dir} is not a shard of this run${why ? `: ${why}` : ''}`);
      continue;
    }
    const slot = byShard.get(shard) ?? { accepted: [], rejected: [] };
    byShard.set(shard, slot);
    if (why) slot.rejected.push(`the bundle ${bundle.dir} was rejected: ${why}`);
    else slot.accepted.push(bundle);
  }
  return byShard;
}

/** A record as the join takes it: a step interrupted on its runner failed there. */
function settled(record: StepRecord): StepRecord {
  if (record.outcome !== 'interrupted') return record;
  return { ...record, outcome: 'failure', reason: `interrupted on its runner${record.reason ? `: ${record.reason}` : ''}` };
}
