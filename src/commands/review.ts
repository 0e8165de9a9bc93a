// `cutover review [PLAN…] --base REF`: the Markdown body of a pull-request comment about the plans a
// change touches (or the plans named): what changed, the freeze at HEAD, approvals, refusals, what would run.
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CutoverError, isCutoverError, type Problem } from '../errors.js';
import type { FileChange } from '../adapters/git-diff.js';
import { existsAtRevision, findRepositoryRoot, readAtRevision, readGitFacts } from '../adapters/git.js';
import type { CommandIo } from '../adapters/io.js';
import { readPlanFile, type PlanFile } from '../adapters/plan-file.js';
import { checkFreeze } from '../integrity/freeze-gate.js';
import { locatePlan } from '../integrity/freeze.js';
import { groupKey } from '../integrity/lock.js';
import { findTouchedPlans, type TouchedPlan } from '../integrity/touched.js';
import { publishToGithub } from '../github/report.js';
import { secretValuesOf } from '../plan/resolve.js';
import { renderReview, type PlanReview } from '../github/review.js';
import { diffPlans } from '../plan/diff.js';
import { resolvePlan, type ResolvedPlan } from '../plan/resolve.js';
import { validatePlan } from '../plan/validate.js';
import { refusalsOf } from '../run/refusals.js';
import { createMasker, maskDeep } from '../text/mask.js';
import { writeJson } from '../ui/output.js';

/** Options of `cutover review`. */
export interface ReviewOptions {
  plans: string[];
  base: string;
  /** Also write the body to this file (its absolute path becomes the `comment` output in Actions). */
  out?: string;
}

/** Shown for the run id when the plan leaves it to the run (GitHub's run id and attempt, or the time). */
const RUN_ID_AT_START = '<run id at start>';

/** Prints the review comment's body (and writes it to `out`); exit 0 whatever it found: it is a report. */
export async function review(options: ReviewOptions, io: CommandIo): Promise<number> {
  const root = await findRepositoryRoot({ cwd: io.cwd });
  const only = await Promise.all(options.plans.map(async (p) => (await locatePlan(root, resolve(io.cwd, p))).plan));
  const touched = await findTouchedPlans({ root, base: options.base, head: 'HEAD', ...(only.length ? { only } : {}) });
  const changes = new Map(touched.changes.map((c) => [c.path, c]));
  const git = await readGitFacts({ cwd: root });
  const plans: PlanReview[] = [];
  for (const plan of touched.plans) plans.push(await reviewPlan(plan, { root, io, git, from: touched.range.from, changes }));
  const { body, truncated } = renderReview({ range: touched.range, plans, removed: touched.removed });

  const out = options.out ? resolve(io.cwd, options.out) : undefined;
  if (out) {
    await writeFile(out, body).catch((cause: unknown) => {
      throw new CutoverError('IO_FAILED', `cannot write ${options.out} (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`, {
        cause,
      });
    });
  }
  if (io.format === 'json') {
    const summary = plans.map((p) => ({
      plan: p.path,
      valid: p.problems.length === 0,
      frozen: p.verdict?.frozen ?? false,
      approved: p.verdict?.approved ?? false,
      refusals: p.refusals,
    }));
    writeJson(io, {
      base: touched.range.base,
      head: touched.range.head,
      mergeBase: touched.range.from,
      plans: summary,
      removed: touched.removed,
      truncated,
      body,
    });
  } else io.stdout.write(body);
  await publishToGithub(io, { outputs: out ? { comment: out } : {} });
  return 0;
}

interface Context {
  root: string;
  io: CommandIo;
  git: { sha: string; branch: string };
  from: string;
  changes: ReadonlyMap<string, FileChange>;
}

async function reviewPlan(touched: TouchedPlan, { root, io, git, from, changes }: Context): Promise<PlanReview> {
  const frozenChanges = touched.reasons.flatMap((r) =>
    'paths' in r ? r.paths.map((path) => ({ ...lines(path, changes), group: groupKey(r.kind, r.group) })) : [],
  );
  const base = await readAtRevision(touched.path, from, { cwd: root });
  const before = base ? validatePlan(base, touched.path) : undefined;
  const planChange = changes.has(touched.path)
    ? {
        lines: lines(touched.path, changes),
        isNew: base === undefined,
        ...(before?.ok && touched.plan ? { diff: diffPlans(before.valid.plan, touched.plan) } : {}),
      }
    : null;
  const lockChange = changes.has(touched.lock) ? lines(touched.lock, changes) : null;
  const common = { path: touched.path, lock: touched.lock, planChange, lockChange, frozenChanges };

  // The freeze and the preview are of the work tree, as a run there would see them.
  let file: PlanFile;
  try {
    file = await readPlanFile(touched.path, root);
  } catch (error) {
    if (!isCutoverError(error)) throw error;
    return { ...common, problems: error.problems, refusals: refusalsOf({ problems: error.problems }) };
  }
  const result = validatePlan(file.bytes, touched.path);
  if (!result.ok) return { ...common, problems: result.problems, refusals: refusalsOf({ problems: result.problems }) };
  const plan = result.valid.plan;
  const verdict = await checkFreeze({ root, planFile: file, plan });
  const fixedRunId = plan.spec.runId !== undefined;
  const resolution = resolvePlan(plan, touched.path, {
    env: io.env,
    git,
    now: io.now(),
    ...(fixedRunId ? {} : { runId: RUN_ID_AT_START }),
  });
  // The placeholder is no valid run id; a fixed one that does not fit is a refusal.
  const problems: Problem[] = fixedRunId ? resolution.problems : [];
  const resolved = masked(resolution.plan, io.env);
  const recordExists =
    fixedRunId && problems.length === 0 && (await existsAtRevision(`${resolved.record.dir}/run.json`, 'HEAD', { cwd: root }));
  return {
    ...common,
    name: plan.metadata.name,
    problems,
    verdict,
    resolved,
    refusals: refusalsOf({ problems, verdict, resolved, recordExists }),
  };
}

function lines(path: string, changes: ReadonlyMap<string, FileChange>): FileChange {
  return changes.get(path) ?? { path, added: 0, deleted: 0 };
}

// What the run would mask is masked here too: the comment is as public as the pull request.
function masked(resolved: ResolvedPlan, env: Record<string, string | undefined>): ResolvedPlan {
  // Masked as values, before anything quotes or escapes them (an escaped secret would slip past a mask of the text).
  return maskDeep(resolved, createMasker(secretValuesOf(resolved, env).map((s) => s.value)));
}
