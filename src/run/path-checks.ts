// Preflight over every path of the resolved plan, before any step runs: lexically safe after
// interpolation, no symbolic link on the way, and nothing in the way that cutover did not write.
import { type CutoverError, isCutoverError, problemsError, type Problem } from '../errors.js';
import { resolveInside } from '../adapters/fs.js';
import { nameFiles, unsavedFiles } from '../adapters/unsaved.js';
import { positionOf, type SourceDoc } from '../plan/position.js';
import type { ResolvedPlan } from '../plan/resolve.js';
import { describePath, planPaths, resolvedPathProblems, type PlanPath } from '../plan/resolved-paths.js';
import type { Plan } from '../plan/types.js';
import type { RecordFolderCheck } from './result.js';
import { quote } from '../text/quote.js';

/** What the path checks need: the validated plan with its source (for positions) and the resolved one. */
export interface PathCheckInput {
  root: string;
  plan: Plan;
  source: SourceDoc;
  resolved: ResolvedPlan;
}

/**
 * Refuses (exit 2, PATH_UNSAFE, every problem at its place in the plan) a resolved path that is
 * absolute, leaves the repository, enters `.git`, holds a control character, or passes through a
 * symbolic link present now (a step's cwd only through one that leads outside).
 */
export async function checkPlanPaths({ root, plan, source, resolved }: PathCheckInput): Promise<PlanPath[]> {
  const paths = planPaths(plan, resolved);
  const lexical = resolvedPathProblems(source, paths);
  if (lexical.length) throw problemsError(lexical);
  const problems: Problem[] = [];
  for (const p of paths) {
    try {
      await resolveInside(root, p.path, { links: p.use === 'cwd' ? 'inside' : 'none' });
    } catch (error) {
      if (!isCutoverError(error)) throw error;
      problems.push(at(source, p, error));
    }
  }
  if (problems.length) throw problemsError(problems);
  return paths;
}

/**
 * Refuses (exit 3) what a run would have to remove or replace but did not write: a record folder
 * holding anything but an uncommitted record of this very run, and, for a fresh run, a `produces`
 * or determinism path holding files git does not keep (untracked, ignored, changed). Names the files.
 * A resumed run's produces hold what its own steps wrote since the first preflight found them empty.
 */
export async function checkNothingInTheWay(
  input: PathCheckInput,
  paths: readonly PlanPath[],
  options: { fresh: boolean; checkRecordFolder: RecordFolderCheck },
): Promise<void> {
  const { root, source, resolved } = input;
  const problems: Problem[] = [];
  const record = paths.find((p) => p.use === 'record')!;
  await options.checkRecordFolder(root, resolved.record.dir, { plan: resolved.name, runId: resolved.runId }).catch((error: unknown) => {
    if (!isCutoverError(error)) throw error;
    problems.push(at(source, record, error));
  });
  if (options.fresh) {
    const seen = new Set<string>();
    for (const p of paths) {
      if ((p.use !== 'produces' && p.use !== 'determinism') || seen.has(p.path)) continue;
      seen.add(p.path);
      const unsaved = await unsavedFiles(root, p.path);
      if (unsaved.length === 0) continue;
      problems.push({
        code: 'FILE_EXISTS',
        file: source.file,
        ...positionOf(source, p.at),
        message: `${describePath(p)} ${quote(p.path)} holds files cutover did not write and git does not keep: ${nameFiles(unsaved)}`,
        hint:
          p.use === 'produces'
            ? "a step's produces are set aside before it runs and discarded when it succeeds; cutover never removes what it did not write: move them away (or commit them) first"
            : 'a determinism check moves its paths aside and reruns the steps that write them; they must hold only what this run writes: move them away (or commit them) first',
      });
    }
  }
  if (problems.length) throw problemsError(problems);
}

/** A problem from an error, placed at the path's value in the plan. */
function at(source: SourceDoc, p: PlanPath, error: CutoverError): Problem {
  // The record folder's own refusals already say which folder they mean.
  const message = error.message.startsWith(describePath(p)) ? error.message : `${describePath(p)}: ${error.message}`;
  return { code: error.code, file: source.file, ...positionOf(source, p.at), message, ...(error.hint ? { hint: error.hint } : {}) };
}
