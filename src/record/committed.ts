// Reading back the record a run already committed: what `--resume` needs after a kill that came
// between the record's commit and the journal's close.
import { lastCommitTouching, readAtRevision } from '../adapters/git.js';
import type { ArtifactResult, CommittedRecord } from '../run/result.js';
import { artifactFacts, type RunJson } from './run-record.js';

/** The committed record of this very run (same run id, start time and commit as its journal), if that is what HEAD holds. */
export async function findCommittedRecord(
  dir: string,
  started: { runId: string; startedAt: string; commit: string },
  root: string,
): Promise<CommittedRecord | undefined> {
  const text = await readAtRevision(`${dir}/run.json`, 'HEAD', { cwd: root });
  if (!text) return undefined;
  let run: Partial<RunJson>;
  try {
    run = JSON.parse(text.toString('utf8')) as Partial<RunJson>;
  } catch {
    return undefined;
  }
  if (run.runId !== started.runId || run.startedAt !== started.startedAt || run.commit !== started.commit) return undefined;
  const commit = await lastCommitTouching(dir, { cwd: root });
  if (!commit) return undefined;
  const full = run as RunJson;
  const artifacts: ArtifactResult[] = [];
  for (const a of full.artifacts) {
    const manifest = a.manifest ? ((await readAtRevision(`${dir}/${a.manifest}`, commit, { cwd: root }))?.toString('utf8') ?? '') : '';
    artifacts.push({
      ...artifactFacts(a),
      manifest,
      ...(a.children ? { children: a.children } : {}),
    });
  }
  const { freezeDigest, branch, startedAt, endedAt, outcome, exitCode, drill, resumed, runRoot, runner, problems, distributed } = full;
  return {
    commit,
    run: {
      freezeDigest,
      commit: full.commit,
      branch,
      startedAt,
      endedAt,
      outcome,
      exitCode,
      resumed,
      runRoot,
      runner,
      artifacts,
      ...(drill !== undefined ? { drill } : {}),
      ...(problems?.length ? { problems } : {}),
      ...(distributed ? { distributed } : {}),
    },
  };
}
