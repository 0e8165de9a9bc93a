// `${{ env.NAME }}` with NAME unset and no `??` default: a refusal at the expression, naming the variable.
// Unchecked, it becomes an empty string, and a step runs with an empty argument or path.
import type { Problem } from '../errors.js';
import type { UnsetVariable } from './interpolate.js';
import { positionInString, type DataPath, type SourceDoc } from './position.js';
import { forEachTemplate } from './expression-rules.js';
import type { Plan } from './types.js';

/** An unset variable found in one substituted string value of the plan. */
export interface UnsetIn extends UnsetVariable {
  value: string;
}

/** Variables GitHub Actions sets on its runners (and nothing sets elsewhere). */
const GITHUB_PROVIDED = /^(GITHUB_|RUNNER_|ACTIONS_)|^CI$/;

/**
 * One problem per unset variable and place, at the expression (when the source is given), naming the
 * variable and saying what sets it: the caller, a secret, GitHub Actions, or a step's own `env:`,
 * which reaches the command but not `${{ }}`.
 */
export function unsetProblems(
  plan: Plan,
  file: string,
  unset: readonly UnsetIn[],
  options: { source?: SourceDoc; preview?: boolean } = {},
): { problems: Problem[]; warnings: Problem[] } {
  const { source, preview } = options;
  const warnings: Problem[] = [];
  if (unset.length === 0) return { problems: [], warnings };
  // Each place a string is written, in order: the same text in two places is two problems.
  const paths = new Map<string, DataPath[]>();
  forEachTemplate(plan, (value, path) => paths.set(value, [...(paths.get(value) ?? []), path]));
  const met = new Map<string, number>();
  const problems: Problem[] = [];
  for (const u of unset) {
    const key = `${u.offset}:${u.value}`;
    const nth = met.get(key) ?? 0;
    met.set(key, nth + 1);
    const places = paths.get(u.value) ?? [];
    if (nth > 0 && nth >= places.length) continue;
    const path = places[nth];
    const at = source && path ? positionInString(source, path, u.offset) : {};
    // A preview runs where secrets are withheld on purpose (a pull request): there it is a warning.
    (preview && isSecret(plan, u.name) ? warnings : problems).push({
      code: 'PLAN_INTERPOLATION',
      file,
      ...at,
      message: `${u.name} is not set, so \`env.${u.name}\` would be substituted as an empty string`,
      hint: hintFor(u.name, plan, path),
    });
  }
  return { problems, warnings };
}

/** Whether an unset variable is one of the plan's secrets (withheld where a preview runs, such as a pull request). */
export function isSecret(plan: Plan, name: string): boolean {
  return (plan.spec.secrets ?? []).includes(name);
}

function hintFor(name: string, plan: Plan, path: DataPath | undefined): string {
  const fallback = `\${{ env.${name} ?? '…' }}`;
  if (isSecret(plan, name))
    return `${name} is a secret of this plan: set it in the environment (in GitHub Actions, in the step's env: from secrets), or give a default: ${fallback}`;
  if (GITHUB_PROVIDED.test(name)) return `${name} is set by GitHub Actions only: for runs elsewhere give a default: ${fallback}`;
  const [spec, phase, index] = path ?? [];
  const step = spec === 'spec' && typeof index === 'number' ? (plan.spec[phase as 'steps'] ?? [])[index] : undefined;
  if (step?.env && Object.hasOwn(step.env, name))
    return `the step's own env: reaches its command, not \`\${{ }}\`: move ${name} to spec.env, or set it in the environment`;
  return `set ${name} in the environment, define it in spec.env, or give a default: ${fallback}`;
}
