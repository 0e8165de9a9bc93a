// The run.json document (cutover-record/v1): what a finished run claims, masked, ready for canonical JSON.
import { oneLine } from '../errors.js';
import { MANIFEST_FORMAT } from '../integrity/manifest.js';
import type { ResolvedPlan } from '../plan/resolve.js';
import type { Phase } from '../plan/types.js';
import type { RunOutcome, StepRecord } from '../run/events.js';
import { normaliseRecordDir } from '../plan/paths.js';
import { createMasker, maskDeep } from '../text/mask.js';
import { type PauseWindow, pauseWindow } from './window.js';
import type { ArtifactResult, Distributed, RunResult } from '../run/result.js';
import { logName } from '../run/step-record.js';
import { prefixedDigest } from '../text/digest.js';

/** run.json is read only up to this size (a record's own is far smaller): a planted huge file is not loaded. */
export const RUN_JSON_LIMIT = 64 * 1024 * 1024;

/** Version of the record layout; verify refuses records of another version. */
export const RECORD_VERSION = 'cutover-record/v1';

/** A step's log as kept in the record; `full` is present only when the copy is truncated. */
export interface RecordLog {
  /** Record-relative: `logs/<phase>-<nn>-<id>.log`. */
  path: string;
  /** `sha256:<hex>` of the file in the record. */
  digest: string;
  bytes: number;
  /** The complete log's digest and size when the record keeps only its head and tail. */
  full?: { digest: string; bytes: number };
}

/** One step in run.json: the step's record, its log described by the copy the record keeps. */
export type RunJsonStep = Omit<StepRecord, 'logDigest' | 'logBytes'> & { log: RecordLog | null };

/** One artifact in run.json: the hashed artifact with the manifest's record path instead of its text. */
export type RunJsonArtifact = Omit<ArtifactResult, 'manifest'> & {
  /** Record-relative `manifests/<name>.sha256`, or null when the artifact was absent. */
  manifest: string | null;
  /** A single file or a folder (present artifacts only): where `sha256sum -c` runs. */
  kind?: 'file' | 'directory';
};

/** The whole run.json document. */
export interface RunJson
  extends Pick<
    RunResult,
    'freezeDigest' | 'runId' | 'commit' | 'branch' | 'startedAt' | 'endedAt' | 'outcome' | 'exitCode' | 'drill' | 'resumed' | 'boundaries'
  > {
  recordVersion: typeof RECORD_VERSION;
  tool: { name: 'cutover'; version: string };
  plan: { name: string; path: string; digest: string };
  lock: { path: string; digest: string };
  runner: Record<string, string>;
  record: { dir: string };
  /** `cutover rehearse`: the work tree as it stood, unfrozen, nothing committed; never evidence. */
  rehearsal?: true;
  /** A run spread over runners: the matrix step, the hand-off's digest, each shard's bundle (docs/records.md). */
  distributed?: Distributed;
  /** From `paused_at` to `resumed_at`: how long writes were held, and cutover's own share of it. */
  pauseWindow?: PauseWindow;
  /** Run-level problems beyond step failures (frozen files changed, artifacts missing). */
  problems?: string[];
  steps: RunJsonStep[];
  artifacts: RunJsonArtifact[];
  manifestFormat: typeof MANIFEST_FORMAT;
  runRoot: string;
}

/** What the record writer learnt copying a step's log (keyed by step id in `buildRunJson`). */
export type CopiedLog = Omit<RecordLog, 'path'>;

/** Facts only the record writer knows: the logs it copied (by step id) and each artifact's kind (by name). */
export interface RecordFacts {
  logs?: ReadonlyMap<string, CopiedLog | null>;
  kinds?: ReadonlyMap<string, 'file' | 'directory'>;
}

/** Record-relative path of a step's log: `logs/` and the name the step logged under (nn its 1-based place in its phase). */
export function stepLogPath(plan: Pick<ResolvedPlan, 'phases'>, step: Pick<StepRecord, 'phase' | 'id'>, fallbackIndex = 0): string {
  const found = plan.phases[step.phase]?.find((s) => s.id === step.id);
  return `logs/${logName(found ?? { phase: step.phase, index: fallbackIndex, id: step.id })}`;
}

/** The record-relative files a record holds, by its run.json: run.json, report.md, statement.json, each manifest and log. */
export function recordFiles(run: Pick<RunJson, 'artifacts' | 'steps'>): Set<string> {
  const files = new Set(['run.json', 'report.md', 'statement.json']);
  for (const a of run.artifacts) if (a.manifest) files.add(a.manifest);
  for (const s of run.steps) if (s.log) files.add(s.log.path);
  return files;
}

/** Record-relative path of an artifact's manifest. */
export function manifestPath(name: string): string {
  return `manifests/${name}.sha256`;
}

/** `<name>_at` for a boundary name (kept as is when it already ends so). */
export function boundaryKey(name: string): string {
  return name.endsWith('_at') ? name : `${name}_at`;
}

/**
 * Builds run.json from a finished run, every string (and key) masked with the run's secret values
 * except digests. `facts.logs` gives what the record writer copied (by step id); without it the step
 * records' own log digests are used. Without `facts.kinds` an artifact whose one entry is its own
 * base name is taken for a single file. Deterministic: the same inputs give the same document, and
 * two runs over the same artifacts share every root; times, run id and runner facts differ.
 */
export function buildRunJson(result: RunResult, facts: RecordFacts = {}): RunJson {
  const { logs, kinds } = facts;
  const ordinal = new Map<Phase, number>();
  const steps = result.steps.map((step): RunJsonStep => {
    const seen = ordinal.get(step.phase) ?? 0;
    ordinal.set(step.phase, seen + 1);
    const copied = logs
      ? (logs.get(step.id) ?? null)
      : step.logDigest === null
        ? null
        : { digest: prefixedDigest(step.logDigest), bytes: step.logBytes };
    return {
      phase: step.phase,
      id: step.id,
      name: step.name,
      outcome: step.outcome,
      attempts: step.attempts,
      exitCode: step.exitCode,
      signal: step.signal,
      timedOut: step.timedOut,
      startedAt: step.startedAt,
      endedAt: step.endedAt,
      durationMs: step.durationMs,
      log: copied ? { path: stepLogPath(result.plan, step, seen), ...copied } : null,
      ...(step.reason !== undefined ? { reason: step.reason } : {}),
      ...(step.tail?.length ? { tail: [...step.tail] } : {}),
      ...(step.drill ? { drill: true } : {}),
      ...(step.continueOnError ? { continueOnError: true } : {}),
      ...(step.boundary ? { boundary: step.boundary } : {}),
      ...(step.matrix ? { matrix: { of: step.matrix.of, values: { ...step.matrix.values } } } : {}),
    };
  });
  const artifacts = result.artifacts.map(
    (a): RunJsonArtifact => ({
      ...artifactFacts(a),
      manifest: a.present ? manifestPath(a.name) : null,
      ...(a.present ? { kind: kinds?.get(a.name) ?? guessKind(a.path, a) } : {}),
      ...(a.children ? { children: { ...a.children } } : {}),
    }),
  );
  const boundaries = Object.fromEntries(Object.entries(result.boundaries).map(([k, v]) => [boundaryKey(k), v]));
  const window = pauseWindow(boundaries, result.steps);
  const run: RunJson = {
    recordVersion: RECORD_VERSION,
    tool: { name: 'cutover', version: result.toolVersion },
    plan: { name: result.plan.name, path: result.planFile, digest: prefixedDigest(result.planDigest) },
    lock: { path: result.lockFile, digest: prefixedDigest(result.lockDigest) },
    freezeDigest: result.freezeDigest,
    runId: result.runId,
    commit: result.commit,
    branch: result.branch,
    runner: { ...result.runner },
    record: { dir: normaliseRecordDir(result.plan.record.dir) },
    startedAt: result.startedAt,
    endedAt: result.endedAt,
    outcome: result.outcome,
    exitCode: result.exitCode,
    ...(result.drill !== undefined ? { drill: result.drill } : {}),
    resumed: result.resumed,
    ...(result.rehearsal ? { rehearsal: true as const } : {}),
    ...(result.distributed ? { distributed: result.distributed } : {}),
    boundaries,
    ...(window ? { pauseWindow: window } : {}),
    ...(result.problems?.length ? { problems: [...result.problems] } : {}),
    steps,
    artifacts,
    manifestFormat: MANIFEST_FORMAT,
    runRoot: result.runRoot,
  };
  return maskDeep(run, createMasker(result.secretValues));
}

// A single-file artifact's manifest is one line naming the file's base name. A manifest of more
// lines is not looked at: a large artifact's may not be built as text at all.
function guessKind(path: string, artifact: Pick<ArtifactResult, 'files' | 'manifest'>): 'file' | 'directory' {
  if (artifact.files !== 1) return 'directory';
  const manifest = artifact.manifest;
  const base = path.split('/').filter(Boolean).at(-1) ?? '';
  return manifest.length > 66 && manifest.indexOf('\n') === manifest.length - 1 && manifest.slice(66, -1) === base ? 'file' : 'directory';
}

/** What a record's commit subject, `Cutover-Outcome` trailer and report headline call its outcome. */
export type RecordOutcome = RunOutcome | 'drill';

/** The trailers of a record commit, by what they hold. */
export const TRAILERS = { plan: 'Cutover-Plan', runId: 'Cutover-Run-Id', outcome: 'Cutover-Outcome', root: 'Cutover-Root' } as const;

/** The fields of run.json the commit message is made of. */
export type MessageFacts = Pick<RunJson, 'plan' | 'runId' | 'outcome' | 'runRoot' | 'drill' | 'steps'>;

/**
 * The outcome a record shows: `drill` for a `--fail-at` run that failed where it was told to, so a
 * drill never reads as a plain failure. A drill whose own step was never reached (a real step failed
 * first) stays a `failure`: that failure was not rehearsed.
 */
export function recordOutcome(run: Pick<MessageFacts, 'outcome' | 'drill' | 'steps'>): RecordOutcome {
  const drilled = run.drill !== undefined && run.steps.some((s) => s.drill === true && s.outcome === 'failure');
  return run.outcome === 'failure' && drilled ? 'drill' : run.outcome;
}

/** The commit message of a record: `cutover(<plan>): <runId> <outcome>` and the four trailers. */
export function recordCommitMessage(run: MessageFacts): string {
  return [
    `cutover(${oneLine(run.plan.name)}): ${oneLine(run.runId)} ${recordOutcome(run)}`,
    '',
    ...recordTrailers(run).map(([key, value]) => `${key}: ${oneLine(value)}`),
    '',
  ].join('\n');
}

/** The trailers a record commit carries, in order. */
export function recordTrailers(run: MessageFacts): [string, string][] {
  return [
    [TRAILERS.plan, run.plan.path],
    [TRAILERS.runId, run.runId],
    [TRAILERS.outcome, recordOutcome(run)],
    [TRAILERS.root, run.runRoot],
  ];
}

/** The fields an artifact has alike in a run's result and in run.json, in run.json's order. */
export function artifactFacts(
  a: Pick<ArtifactResult, 'name' | 'path' | 'commit' | 'present' | 'files' | 'bytes' | 'root'>,
): Pick<ArtifactResult, 'name' | 'path' | 'commit' | 'present' | 'files' | 'bytes' | 'root'> {
  return { name: a.name, path: a.path, commit: a.commit, present: a.present, files: a.files, bytes: a.bytes, root: a.root };
}
