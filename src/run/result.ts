// Everything a finished run knows, handed to the record writer.
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
  /** `sha256:<hex>` Merkle root (DESIGN §6); the empty tree's root when absent. */
  root: string;
  /** The manifest text (`sha256sum` format), empty when absent. */
  manifest: string;
  /** Roots of immediate subfolders, for `roots: children`. */
  children?: Record<string, string>;
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
  boundaries: Record<string, string>;
  steps: StepRecord[];
  artifacts: ArtifactResult[];
  /** Root over the artifacts' roots (DESIGN §6). */
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
export type CommittedRun = Pick<RunResult, 'freezeDigest' | 'commit' | 'branch' | 'startedAt' | 'endedAt' | 'outcome' | 'exitCode' | 'drill' | 'resumed' | 'artifacts' | 'runRoot' | 'runner' | 'problems'>;

/** A record committed by an earlier attempt of the run being resumed, and its commit. */
export interface CommittedRecord {
  run: CommittedRun;
  commit: string;
}

/** Finds the committed record of this very run (same run id, start time and commit as its journal); reading records is record/'s job. */
export type CommittedRecordLookup = (dir: string, started: { runId: string; startedAt: string; commit: string }, root: string) => Promise<CommittedRecord | undefined>;

/** Refuses (exit 3, naming the files) a record folder holding anything but an uncommitted record of this plan and run id; reading records is record/'s job. */
export type RecordFolderCheck = (root: string, dir: string, owner: { plan: string; runId: string }) => Promise<unknown>;
