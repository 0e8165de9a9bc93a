// `cutover unlock PLAN ID`: removes a stale run lock, only with the id its refusal printed.
import { join } from 'node:path';
import { findRepositoryRoot, readGitDir } from '../adapters/git.js';
import { writeJson } from '../ui/output.js';
import { readValidPlan } from '../adapters/plan-file.js';
import { removeRunLock } from '../run/run-lock.js';
import type { CommandIo } from '../adapters/io.js';

/** Options of `cutover unlock`. */
export interface UnlockOptions {
  plan: string;
  id: string;
}

/** Removes the plan's run lock when its id matches and its run is gone. */
export async function unlock(options: UnlockOptions, io: CommandIo): Promise<number> {
  const root = await findRepositoryRoot({ cwd: io.cwd });
  const { plan } = await readValidPlan(options.plan, io.cwd);
  const gitDir = await readGitDir({ cwd: root });
  const removed = await removeRunLock(join(gitDir, 'cutover', 'locks', `${plan.metadata.name}.lock`), options.id);
  if (io.format === 'json') writeJson(io, { ok: true, removed });
  else io.stdout.write(`removed the run lock ${removed.id} of run ${removed.runId} (pid ${removed.pid} on ${removed.host})\n`);
  return 0;
}
