// Everything a finished run knows, handed to the record writer, and the one place it is assembled.
import { join } from 'node:path';
import { EXIT, signalExit } from '../errors.js';
import type { ResolvedPlan } from '../plan/resolve.js';
import type { RunOutcome, StepRecord } from './events.js';

/** One hashed artifact of a run. */
export interface ArtifactResult {
  name: string;
  /** Repository-relative path of the file or folder. */
  path: string;
  commit: 'manifest' | 'files';
  /** False when the artifact did not exist at the end of the run (then no manifest). */
  present: boolean;
  files: number;
  bytes: number;
  /** `sha256:<hex>` Merkle root (docs/integrity.md); the empty tree's root when absent. */
  root: string;
  /** The manifest text (`sha256sum` format), empty when absent. */
  manifest: string;
  /** Roots of immediate subfolders, for `roots: children`. */
  children?: Record<string, string>;
}

/** What the record says of a run spread over runners: the matrix step, the hand-off, each shard's bundle. */
export interface Distributed {
  step: string;
  /** `sha256:` of the hand-off's handoff.json. */
  handoff: string;
  coordinator: Record<string, string>;
  shards: { id: string; bundle: string | null; runner?: Record<string, string>; problem?: string }[];
}

/** A finished run, ready to be written as a record. */
export interface RunResult {
  plan: ResolvedPlan;
  /** Repository-relative path of the plan file, its SHA-256 and the lock's. */
  planFile: string;
  planDigest: string;
  lockFile: string;
  lockDigest: string;
  /** The freeze digest the run was gated on. */
  freezeDigest: string;
  runId: string;
  /** The commit checked out when the run started. */
  commit: string;
  branch: string;
  startedAt: string;
  endedAt: string;
  outcome: RunOutcome;
  exitCode: number;
  /** `--fail-at` step id when this run was a drill. */
  drill?: string;
  resumed: boolean;
  /** Set by `cutover rehearse`: the plan ran as the work tree holds it, unfrozen; not evidence. */
  rehearsal?: boolean;
  /** Set when the run was spread over runners: which ran the other parts (docs/runs.md). */
  distributed?: Distributed;
  boundaries: Record<string, string>;
  steps: StepRecord[];
  artifacts: ArtifactResult[];
  /** Root over the artifacts' roots (docs/integrity.md). */
  runRoot: string;
  /** Absolute path of the scratch folder holding each step's full log (`logs/<phase>-<nn>-<id>.log`). */
  logsDir: string;
  /** Runner facts: GitHub run id, attempt, actor, workflow when present; host name. */
  runner: Record<string, string>;
  toolVersion: string;
  /** Secret values to mask in everything written. */
  secretValues: string[];
  /** Run-level problems beyond step failures (frozen files changed, artifacts missing). */
  problems?: string[];
  /**
   * Set when a resumed run finds its record already committed (a crash after the commit): the
   * record layer writes and commits nothing again, it only brings the index up to the commit.
   */
  committed?: { commit: string };
}

/** What a committed record says of its run: all `--resume` needs to finish a run killed after its commit. */
export type CommittedRun = Pick<
  RunResult,
  | 'freezeDigest'
  | 'commit'
  | 'branch'
  | 'startedAt'
  | 'endedAt'
  | 'outcome'
  | 'exitCode'
  | 'drill'
  | 'resumed'
  | 'artifacts'
  | 'runRoot'
  | 'runner'
  | 'problems'
  | 'distributed'
>;

/** A record committed by an earlier attempt of the run being resumed, and its commit. */
export interface CommittedRecord {
  run: CommittedRun;
  commit: string;
}

/** Finds the committed record of this very run (same run id, start time and commit as its journal); reading records is record/'s job. */
export type CommittedRecordLookup = (
  dir: string,
  started: { runId: string; startedAt: string; commit: string },
  root: string,
) => Promise<CommittedRecord | undefined>;

/** What a run's result is made of besides its outcome: the plan's facts, the steps, the tool. */
export interface ResultParts {
  prepared: {
    resolved: ResolvedPlan;
    planFile: string;
    planDigest: string;
    lockFile: string;
    lockDigest: string;
    paths: { scratch: string };
  };
  run: CommittedRun;
  steps: StepRecord[];
  boundaries: Record<string, string>;
  toolVersion: string;
  secretValues: string[];
  committed?: { commit: string };
}

/** Assembles the result of a run: the one place a RunResult is built, for a finished or an already committed run. */
export function assembleResult(parts: ResultParts): RunResult {
  const { prepared, run } = parts;
  return {
    plan: prepared.resolved,
    planFile: prepared.planFile,
    planDigest: prepared.planDigest,
    lockFile: prepared.lockFile,
    lockDigest: prepared.lockDigest,
    ...run,
    runId: prepared.resolved.runId,
    boundaries: parts.boundaries,
    steps: parts.steps,
    logsDir: join(prepared.paths.scratch, 'logs'),
    toolVersion: parts.toolVersion,
    secretValues: parts.secretValues,
    ...(parts.committed ? { committed: parts.committed } : {}),
  };
}

/** How the steps went, and what the end of the run found. */
export interface Ending {
  interrupted: boolean;
  /** The signal that interrupted the run (its exit code is 143 for SIGTERM, 129 for SIGHUP, 130 otherwise). */
  signal?: unknown;
  /** Whether a step without `continueOnError` failed. */
  stepFailed: boolean;
  /** Run-level problems found so far (frozen files that changed). */
  problems: string[];
  artifacts: readonly Pick<ArtifactResult, 'path' | 'present'>[];
}

/** The outcome, exit code and problems of a run: a missing artifact fails a run that otherwise succeeded. */
export function concludeRun(ending: Ending): { outcome: RunOutcome; exitCode: number; problems: string[] } {
  const problems = [...ending.problems];
  let outcome: RunOutcome = ending.interrupted ? 'interrupted' : ending.stepFailed || problems.length ? 'failure' : 'success';
  if (outcome === 'success') {
    const missing = ending.artifacts.filter((a) => !a.present).map((a) => a.path);
    if (missing.length) {
      problems.push(`artifacts missing at the end of the run: ${missing.join(', ')}`);
      outcome = 'failure';
    }
  }
  const exitCode = outcome === 'success' ? EXIT.ok : outcome === 'failure' ? EXIT.stepFailed : signalExit(ending.signal);
  return { outcome, exitCode, problems };
}

/** Facts about where the run ran: GitHub's run id, attempt, actor and workflow when present; the host. */
export function runnerFacts(env: Record<string, string | undefined>, host: string): Record<string, string> {
  const facts: Record<string, string> = { host };
  const map: Record<string, string> = {
    GITHUB_RUN_ID: 'githubRunId',
    GITHUB_RUN_ATTEMPT: 'githubRunAttempt',
    GITHUB_ACTOR: 'githubActor',
    GITHUB_WORKFLOW: 'githubWorkflow',
    GITHUB_REPOSITORY: 'githubRepository',
    GITHUB_SERVER_URL: 'githubServerUrl',
  };
  for (const [k, v] of Object.entries(map)) if (env[k]) facts[v] = env[k]!;
  return facts;
}

/** Refuses (exit 3, naming the files) a record folder holding anything but an uncommitted record of this plan and run id; reading records is record/'s job. */
export type RecordFolderCheck = (root: string, dir: string, owner: { plan: string; runId: string }) => Promise<unknown>;
