// `cutover changed BASE [HEAD]`: the plans a change touches (its plan file, its lock, or a file its
// registries or inputs match), from where BASE and HEAD meet to HEAD; what a workflow runs or reviews.
import { findRepositoryRoot } from '../adapters/git.js';
import type { CommandIo } from '../adapters/io.js';
import { describeReason, findTouchedPlans } from '../integrity/touched.js';
import { publishToGithub } from '../github/report.js';
import { writeJson } from '../ui/output.js';

/** Options of `cutover changed`. */
export interface ChangedOptions {
  base: string;
  head?: string;
}

/**
 * Lists the touched plans, repository-relative: one a line (text), one document (json), or lines with
 * their reasons and the `plans` output, a JSON array a job matrix takes (github). Exit 0, touched or not.
 */
export async function changed(options: ChangedOptions, io: CommandIo): Promise<number> {
  const root = await findRepositoryRoot({ cwd: io.cwd });
  const touched = await findTouchedPlans({ root, base: options.base, head: options.head ?? 'HEAD' });
  const plans = touched.plans.map((p) => p.path);
  if (io.format === 'json') {
    writeJson(io, {
      base: touched.range.base,
      head: touched.range.head,
      mergeBase: touched.range.from,
      plans: touched.plans.map((p) => ({ plan: p.path, lock: p.lock, valid: p.plan !== null, reasons: p.reasons })),
      removed: touched.removed,
    });
  } else if (io.format === 'github') {
    for (const p of touched.plans) io.stdout.write(`${p.path}: ${p.reasons.map(describeReason).join(', ')}\n`);
    if (plans.length === 0) io.stdout.write('no plan is touched\n');
  } else {
    for (const path of plans) io.stdout.write(`${path}\n`);
  }
  await publishToGithub(io, { outputs: { plans: JSON.stringify(plans) } });
  return 0;
}
