// Every path a resolved plan names, where the plan writes it, and the lexical check each needs once
// interpolation is done: a value from the environment may hold anything.
import type { Problem } from '../errors.js';
import { quote } from '../text/quote.js';
import { pathProblem } from './paths.js';
import { positionOf, type DataPath, type SourceDoc } from './position.js';
import type { ResolvedPlan } from './resolve.js';
import type { Plan } from './types.js';

/** What a run does at a path: writes the record, hashes, sets aside and discards, compares, reads, or runs in it. */
export type PathUse = 'record' | 'artifact' | 'produces' | 'determinism' | 'snapshot' | 'expect' | 'cwd';

/** One path of a resolved plan and where it is written in the plan. */
export interface PlanPath {
  use: PathUse;
  /** The resolved, normalised, repository-relative path. */
  path: string;
  /** Where the value sits in the plan (for `file:line:col`). */
  at: DataPath;
  /** The step it belongs to, for step paths. */
  step?: string;
}

/** Every path of a resolved plan (record folder, artifacts, each step's produces, built-in paths, expectations, cwd). */
export function planPaths(plan: Plan, resolved: ResolvedPlan): PlanPath[] {
  // The default record folder is built from the run id: point there when the plan sets one.
  const recordAt: DataPath =
    plan.spec.record?.dir !== undefined ? ['spec', 'record', 'dir'] : plan.spec.runId !== undefined ? ['spec', 'runId'] : ['spec'];
  const paths: PlanPath[] = [{ use: 'record', path: resolved.record.dir, at: recordAt }];
  resolved.artifacts.forEach((a, i) => paths.push({ use: 'artifact', path: a.path, at: ['spec', 'artifacts', i, 'path'] }));
  for (const step of Object.values(resolved.phases).flat()) {
    const at = ['spec', step.phase, step.index];
    const add = (use: PathUse, path: string, ...rest: (string | number)[]) =>
      paths.push({ use, path, at: [...at, ...rest], step: step.id });
    if (step.cwd !== '.') add('cwd', step.cwd, 'cwd');
    step.produces.forEach((p, i) => add('produces', p, 'produces', i));
    const builtIn: PathUse | undefined = step.uses === 'determinism' ? 'determinism' : step.uses === 'snapshot' ? 'snapshot' : undefined;
    if (builtIn) step.with.paths.forEach((p, i) => add(builtIn, p, 'with', 'paths', i));
    for (const key of ['exists', 'absent'] as const) step.expect[key].forEach((p, i) => add('expect', p, 'expect', key, i));
    step.expect.json.forEach((j, i) => add('expect', j.file, 'expect', 'json', i, 'file'));
  }
  return paths;
}

/** A short name of what a path is, for messages: `the record folder`, `produces of step migrate`. */
export function describePath(p: PlanPath): string {
  const of = p.step ? ` of step ${p.step}` : '';
  switch (p.use) {
    case 'record':
      return 'the record folder';
    case 'artifact':
      return 'artifact path';
    case 'determinism':
    case 'snapshot':
      return `with.paths${of}`;
    default:
      return `${p.use}${of}`;
  }
}

/**
 * Lexical problems of the resolved paths, each at its place in the plan (PATH_UNSAFE, exit 2):
 * absolute, leaving the repository, inside `.git`, a control character, or the repository root
 * itself (a step's cwd may be the root). The literal parts were checked by `validate`; this checks
 * what interpolation made of them.
 */
export function resolvedPathProblems(source: SourceDoc, paths: readonly PlanPath[]): Problem[] {
  const problems: Problem[] = [];
  for (const p of paths) {
    const why = pathProblem(p.path, { allowRoot: p.use === 'cwd' });
    if (!why) continue;
    problems.push({
      code: 'PATH_UNSAFE',
      file: source.file,
      ...positionOf(source, p.at),
      message: `${describePath(p)} resolves to ${quote(p.path)}, which ${why}`,
      hint: 'paths stay inside the repository, outside .git, with no control character, after `${{ }}` is substituted: check the values the plan reads from the environment',
    });
  }
  return problems;
}
