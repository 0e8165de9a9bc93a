// Past runs as their record commits tell them: the trailers of each commit and where its run.json is.
import { posix } from 'node:path';
import { isShallowRepository, listCommitDates, listTrailerCommits, readAtRevision, type TrailerCommit } from '../adapters/git.js';
import { TRAILERS } from './run-record.js';

/** One past run, as its record commit says. */
export interface HistoryEntry {
  /** The record commit's committer date (ISO 8601). */
  date: string;
  plan: string;
  runId: string;
  /** `Cutover-Outcome`: success, failure, interrupted, abandoned, or drill. */
  outcome: string;
  root: string;
  commit: string;
  /** The record folder: where the commit wrote run.json. */
  record: string;
}

/** How far a clone's history reaches: all of it, or (shallow) this many commits back to a date. */
export interface HistoryDepth {
  shallow: boolean;
  commits: number;
  /** The oldest commit's date, in a shallow clone. */
  since?: string;
}

/**
 * The record commit as a history entry; undefined when it lacks one of the four trailers (or has one
 * twice). The record is where the commit wrote its run.json; `record` is left empty when the commit
 * lists several (the oldest commit of a shallow clone lists every file), for `readHistory` to settle.
 */
export function historyEntry(commit: TrailerCommit): HistoryEntry | undefined {
  const value = (key: string) => {
    const found = commit.trailers.filter(([k]) => k.toLowerCase() === key.toLowerCase());
    return found.length === 1 ? found[0]![1] : undefined;
  };
  const [plan, runId, outcome, root] = [value(TRAILERS.plan), value(TRAILERS.runId), value(TRAILERS.outcome), value(TRAILERS.root)];
  if (plan === undefined || runId === undefined || outcome === undefined || root === undefined) return undefined;
  const runJsons = commit.files.filter((f) => posix.basename(f) === 'run.json');
  return {
    date: commit.date,
    plan,
    runId,
    outcome,
    root,
    commit: commit.commit,
    record: runJsons.length === 1 ? posix.dirname(runJsons[0]!) : '',
  };
}

/** Every run recorded in HEAD's history, newest first; with `plans`, only those plans' (repository-relative paths). */
export async function readHistory(root: string, plans: readonly string[] = []): Promise<HistoryEntry[]> {
  // A record commit always writes its run.json: the pathspec keeps git from listing the rest.
  const commits = await listTrailerCommits(`^${TRAILERS.runId}: `, ':(glob)**/run.json', { cwd: root });
  const wanted = new Set(plans);
  const entries: HistoryEntry[] = [];
  for (const commit of commits) {
    const entry = historyEntry(commit);
    if (!entry || (wanted.size && !wanted.has(entry.plan))) continue;
    entries.push(entry.record === '' ? { ...entry, record: await recordAmong(commit, entry, root) } : entry);
  }
  return entries;
}

/** Of several run.json files a commit lists, the folder of the one that is this run's record. */
async function recordAmong(commit: TrailerCommit, entry: HistoryEntry, root: string): Promise<string> {
  for (const file of commit.files.filter((f) => posix.basename(f) === 'run.json')) {
    const text = await readAtRevision(file, commit.commit, { cwd: root });
    try {
      const run = JSON.parse(text?.toString('utf8') ?? 'null') as { runId?: unknown; plan?: { path?: unknown } } | null;
      if (run?.runId === entry.runId && run.plan?.path === entry.plan) return posix.dirname(file);
    } catch {
      // not a record's run.json: look at the next
    }
  }
  return '';
}

/** How deep the history just read reaches: in a shallow clone, how many commits and since when. */
export async function readHistoryDepth(root: string): Promise<HistoryDepth> {
  if (!(await isShallowRepository({ cwd: root }))) return { shallow: false, commits: 0 };
  const dates = await listCommitDates({ cwd: root });
  return { shallow: true, commits: dates.length, ...(dates.length ? { since: dates.at(-1)! } : {}) };
}
