// Hand-off and shard bundles: the files one run spread over several runners passes between its jobs
// (docs/runs.md, "One run over many runners").
import { readdir, readFile, mkdir, writeFile, copyFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { CutoverError } from '../errors.js';
import type { ManifestEntry } from '../integrity/manifest.js';
import { canonicalJson } from '../text/json.js';
import { sha256Hex } from '../text/digest.js';
import type { StepRecord } from './events.js';
import type { JournalEntry } from './journal.js';

export const HANDOFF_FORMAT = 'cutover-handoff/v1';
export const SHARD_FORMAT = 'cutover-shard/v1';
const HANDOFF_FILE = 'handoff.json';
const SHARD_FILE = 'shard.json';

/** The files one runner's tree held under one declared artifact when its part of the run ended. */
export interface PartialArtifact {
  name: string;
  entries: ManifestEntry[];
}

/** What every bundle binds: the run, the plan and lock it ran, the freeze it passed, where it ran. */
interface Binding {
  runId: string;
  planDigest: string;
  lockDigest: string;
  freezeDigest: string;
  /** SHA-256 of each file under `logs/`, by name. */
  logs: Record<string, string>;
  artifacts: PartialArtifact[];
  runner: Record<string, string>;
  toolVersion: string;
  /** Run-level problems this part found (frozen files changed during it). */
  problems?: string[];
}

/** The coordinator's hand-off: the run's start, what ran before the matrix step, and the shards to run. */
export interface Handoff extends Binding {
  format: typeof HANDOFF_FORMAT;
  plan: string;
  commit: string;
  branch: string;
  startedAt: string;
  /** The matrix step the shard jobs run, and its shard ids. */
  step: string;
  shards: string[];
  /** The coordinator's journal: step ends and boundaries (masked). */
  journal: JournalEntry[];
}

/** One shard job's bundle: its step record, log and partial manifests. */
export interface ShardBundle extends Binding {
  format: typeof SHARD_FORMAT;
  /** SHA-256 of the hand-off's `handoff.json` it ran from. */
  handoff: string;
  shard: string;
  record: StepRecord;
}

/** A bundle read from a folder: its parsed document, the digest of its file, and where it was. */
export interface ReadBundle<T> {
  dir: string;
  doc: T;
  digest: string;
}

/** Writes a bundle folder: its document (with a digest over its own content) and the logs it names. */
export async function writeBundle(dir: string, doc: Handoff | ShardBundle, logsDir: string): Promise<string> {
  await assertEmptyFolder(dir);
  await mkdir(join(dir, 'logs'), { recursive: true });
  for (const name of Object.keys(doc.logs)) await copyFile(join(logsDir, name), join(dir, 'logs', name));
  const text = canonicalJson({ ...doc, digest: selfDigest(doc) });
  await writeFile(join(dir, doc.format === HANDOFF_FORMAT ? HANDOFF_FILE : SHARD_FILE), text);
  return sha256Hex(text);
}

/** The SHA-256 of each named log in a folder. */
export async function digestLogs(logsDir: string, names: readonly string[]): Promise<Record<string, string>> {
  const digests: Record<string, string> = {};
  for (const name of names) digests[name] = sha256Hex(await readFile(join(logsDir, name)));
  return digests;
}

/** Reads a folder as a hand-off or a shard bundle; refuses (exit 2) one that is neither. */
export async function readBundle(dir: string): Promise<ReadBundle<Handoff> | ReadBundle<ShardBundle>> {
  const abs = resolve(dir);
  const names = await readdir(abs).catch(() => undefined);
  if (!names)
    throw new CutoverError('HANDOFF_INVALID', `${dir} is not a folder`, { hint: 'pass the folders the coordinator and shard jobs wrote' });
  const file = names.includes(HANDOFF_FILE) ? HANDOFF_FILE : names.includes(SHARD_FILE) ? SHARD_FILE : undefined;
  if (!file)
    throw new CutoverError('HANDOFF_INVALID', `${dir} holds neither ${HANDOFF_FILE} nor ${SHARD_FILE}`, {
      hint: 'pass the folders `--handoff` and `--out` wrote, one per job',
    });
  const text = await readFile(join(abs, file), 'utf8');
  let doc: (Handoff | ShardBundle) & { digest?: string };
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new CutoverError('HANDOFF_INVALID', `${join(dir, file)} is not JSON: ${(error as Error).message}`);
  }
  return { dir: abs, doc, digest: sha256Hex(text) } as ReadBundle<Handoff> | ReadBundle<ShardBundle>;
}

/** Why a bundle cannot be taken as it is: its format, its own digest, or a log that is not the one it names. */
export async function bundleProblem(bundle: ReadBundle<Handoff | ShardBundle>): Promise<string | undefined> {
  const { digest, ...doc } = bundle.doc as (Handoff | ShardBundle) & { digest?: string };
  const format: string = doc.format;
  if (format !== HANDOFF_FORMAT && format !== SHARD_FORMAT) return `unknown format ${JSON.stringify(format)}`;
  if (digest !== selfDigest(doc)) return 'its content does not match its digest (edited after it was written)';
  for (const [name, expected] of Object.entries(doc.logs ?? {})) {
    if (basename(name) !== name) return `its log name ${JSON.stringify(name)} is not a file name`;
    const bytes = await readFile(join(bundle.dir, 'logs', name)).catch(() => undefined);
    if (!bytes) return `its log ${name} is missing`;
    if (sha256Hex(bytes) !== expected) return `its log ${name} does not match its digest`;
  }
  return undefined;
}

/** Refuses a hand-off that is not sound (exit 2) or not of the run `runId` names (exit 3); returns it checked. */
export async function usableHandoff(bundle: ReadBundle<Handoff>, runId: string | undefined): Promise<ReadBundle<Handoff>> {
  const problem = await bundleProblem(bundle);
  if (problem) throw new CutoverError('HANDOFF_INVALID', `the hand-off ${bundle.dir} cannot be used: ${problem}`);
  if (runId && runId !== bundle.doc.runId)
    throw new CutoverError('HANDOFF_MISMATCH', `--run-id ${runId} is not the hand-off's run ${bundle.doc.runId}`);
  return bundle;
}

/** Why a shard bundle does not belong to this hand-off's run, or undefined when it does. */
export function shardMismatch(bundle: ShardBundle, handoff: ReadBundle<Handoff>): string | undefined {
  const h = handoff.doc;
  if (bundle.runId !== h.runId) return `it belongs to run ${bundle.runId}, not ${h.runId}`;
  if (bundle.handoff !== handoff.digest) return 'it ran from another hand-off';
  if (bundle.planDigest !== h.planDigest) return 'it ran another plan';
  if (bundle.lockDigest !== h.lockDigest) return 'it ran against another lock';
  if (!h.shards.includes(bundle.shard)) return `${bundle.shard} is not a shard of ${h.step}`;
  if (bundle.record?.id !== bundle.shard) return 'its step record is for another step';
  return undefined;
}

/** Refuses to write a bundle over anything: the folder must not exist or be empty. */
export async function assertEmptyFolder(dir: string): Promise<void> {
  const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? [] : Promise.reject(error)));
  if (names.length)
    throw new CutoverError('FILE_EXISTS', `${dir} is not empty`, {
      hint: 'write a bundle into a new or empty folder; nothing was written',
    });
}

function selfDigest(doc: object): string {
  const { digest: _digest, ...rest } = doc as { digest?: string };
  return sha256Hex(canonicalJson(rest));
}
