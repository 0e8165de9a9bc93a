// `cutover validate [PLAN…]`: schema and semantic checks of plans; all plans under plans/ when none is named.
import { glob } from 'tinyglobby';
import { CutoverError, EXIT, isCutoverError, type Problem } from '../errors.js';
import { publishToGithub } from '../github/report.js';
import { validateSummary } from '../github/summary.js';
import { colors, writeJson, writeProblems } from '../ui/output.js';
import { readPlanFile } from '../adapters/plan-file.js';
import { isPlanPath, PLANS_DIR } from '../plan/paths.js';
import { validatePlan } from '../plan/validate.js';
import type { CommandIo } from '../adapters/io.js';

/** Options of `cutover validate`. */
export interface ValidateOptions {
  plans: string[];
}

/** Validates each plan and reports every problem; exit 2 when any plan is invalid. */
export async function validate(options: ValidateOptions, io: CommandIo): Promise<number> {
  const files = options.plans.length ? options.plans : await defaultPlans(io.cwd);
  const results: { file: string; problems: Problem[] }[] = [];
  for (const file of files) results.push({ file, problems: await problemsOf(file, io.cwd) });

  const invalid = results.filter((r) => r.problems.length > 0);
  if (io.format === 'json') {
    writeJson(io, {
      ok: invalid.length === 0,
      plans: results.map((r) => ({ file: r.file, ok: r.problems.length === 0, problems: r.problems })),
    });
  } else {
    const c = colors(io);
    for (const r of results) {
      if (r.problems.length) writeProblems(r.problems, io);
      else if (!io.quiet) io.stdout.write(io.format === 'github' ? `${r.file}: valid\n` : `${c.green('✓')} ${r.file}\n`);
    }
    if (!io.quiet && results.length > 1) io.stdout.write(`${results.length - invalid.length} of ${results.length} plans valid\n`);
  }
  await publishToGithub(io, { summary: { markdown: validateSummary(results), truncatedNote: 'the log annotates every problem' } });
  return invalid.length ? EXIT.invalid : EXIT.ok;
}

async function problemsOf(file: string, cwd: string): Promise<Problem[]> {
  try {
    const planFile = await readPlanFile(file, cwd);
    const result = validatePlan(planFile.bytes, planFile.display);
    return result.ok ? [] : result.problems;
  } catch (e) {
    if (isCutoverError(e)) return e.problems;
    throw e;
  }
}

async function defaultPlans(cwd: string): Promise<string[]> {
  const found = (await glob([`${PLANS_DIR}/**`], { cwd, onlyFiles: true, dot: false })).filter(isPlanPath);
  if (found.length === 0)
    throw new CutoverError('USAGE', 'no plans found under plans/', { hint: 'name a plan file, or create one with `cutover init`' });
  return found.sort();
}
