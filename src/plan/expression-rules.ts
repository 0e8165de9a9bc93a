// The rules on `${{ }}` expressions: where they may stand, the names they use, none pasted into code, step conditions.
import type { Problem } from '../errors.js';
import { templatesInCode, type CodeTemplate } from './command.js';
import { checkNames, hasTemplate, isTemplateIssue, parseCondition, parseTemplate, type ExpressionKind } from './interpolate.js';
import { positionInString, type DataPath, type SourceDoc } from './position.js';
import { PHASES, type Phase, type Plan, type Step } from './types.js';

/** Fields where `${{ }}` is not allowed: names and what the lock must pin. */
const NO_TEMPLATE = [
  /^metadata\./,
  /\.id$/,
  /\.needs\./,
  /\.matrix\./,
  /\.uses$/,
  /\.shell$/,
  /\.boundary$/,
  /\.if$/,
  /^spec\.(inputs|registries)\./,
  /^spec\.artifacts\.\d+\.name$/,
  /^spec\.secrets\./,
  /\.with\.(rerun|name)/,
  /^spec\.window\./,
  /^spec\.approvals\./,
];

/** Calls `visit` for every string value holding `${{`, with its path (one shared stack, copied only on a hit). */
export function forEachTemplate(
  value: unknown,
  visit: (value: string, path: (string | number)[]) => void,
  path: (string | number)[] = [],
): void {
  if (typeof value === 'string') {
    if (hasTemplate(value)) visit(value, [...path]);
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      forEachTemplate(value[i], visit, path);
      path.pop();
    }
  } else if (value && typeof value === 'object') {
    for (const key in value) {
      path.push(key);
      forEachTemplate((value as Record<string, unknown>)[key], visit, path);
      path.pop();
    }
  }
}

export function checkTemplates(source: SourceDoc, plan: Plan, ids: ReadonlySet<string>, problems: Problem[]): void {
  forEachTemplate(plan, (value, path) => {
    const dotted = path.join('.');
    if (NO_TEMPLATE.some((re) => re.test(dotted)) && !dotted.endsWith('.if')) {
      problems.push({
        code: 'PLAN_INTERPOLATION',
        file: source.file,
        ...positionInString(source, path, value.indexOf('${{')),
        message: `\`\${{ }}\` is not allowed in ${dotted}`,
        hint: 'names, ids and frozen paths are written literally',
      });
      return;
    }
    if (dotted.endsWith('.if')) return;
    const matrix = matrixNamesAt(plan, path);
    collect(source, path, value, problems, () =>
      parseTemplate(value).flatMap((p) =>
        typeof p === 'string' ? [] : checkNames(p.expr, 'value', ids, matrix).map((i) => ({ ...i, offset: i.offset + p.offset })),
      ),
    );
  });
}

// GitHub's hardening advice: an expression is never pasted into code, where a value holding `$(…)`,
// a backquote or a quote would run as a command; it reaches the code through the environment.
export function checkCodeTemplates(source: SourceDoc, plan: Plan, problems: Problem[]): void {
  for (const t of templatesInCode(plan)) {
    const shown = t.expr ? `\`\${{ ${t.expr} }}\`` : '`${{`';
    problems.push({
      code: 'PLAN_INTERPOLATION',
      file: source.file,
      ...positionInString(source, t.path, t.offset),
      message: `${shown} would be pasted into code that ${t.runner} runs: ${t.shell ? 'a value holding $(…), a backquote or a quote would run as a command' : 'a value holding a quote would run as code'}`,
      hint: codeHint(t),
    });
  }
}

/** The hint for an expression in code: the same value through `env:`, with a name to use. */
function codeHint(t: CodeTemplate): string {
  const env = /^env\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(t.expr)?.[1];
  const name = env ?? (/^[a-z]+\.[a-z]+$/.test(t.expr) ? t.expr.replace('.', '_').toUpperCase() : 'VALUE');
  const value = t.expr ? `\${{ ${t.expr} }}` : '${{ … }}';
  const use = t.shell ? `use "$${name}" (in double quotes) in the script` : `read ${name} from the environment in the code`;
  return `pass the value through the step's env: (env: { ${name}: "${value}" }) and ${use}`;
}

/** The fields of a step where its matrix values may be substituted. */
const MATRIX_FIELDS = ['run', 'env', 'produces', 'expect'];

/** The matrix names a value at `path` may use: those of its step, in `run`, `env`, `produces` and `expect`. */
function matrixNamesAt(plan: Plan, path: (string | number)[]): Set<string> {
  const [spec, phase, index, field] = path;
  if (
    spec !== 'spec' ||
    typeof index !== 'number' ||
    !MATRIX_FIELDS.includes(String(field)) ||
    !(PHASES as readonly unknown[]).includes(phase)
  )
    return new Set();
  return new Set(Object.keys(plan.spec[phase as Phase]?.[index]?.matrix ?? {}));
}

export function checkConditions(
  source: SourceDoc,
  steps: readonly { step: Step; path: DataPath }[],
  ids: ReadonlySet<string>,
  problems: Problem[],
): void {
  for (const { step, path } of steps) {
    if (step.if === undefined) continue;
    const condition = step.if;
    collect(source, [...path, 'if'], condition, problems, () => {
      const { expr, offset } = parseCondition(condition);
      return checkNames(expr, 'condition' as ExpressionKind, ids).map((i) => ({ ...i, offset: i.offset + offset }));
    });
  }
}

/** Runs an expression check, turning thrown and returned issues into positioned problems. */
function collect(
  source: SourceDoc,
  path: DataPath,
  _value: string,
  problems: Problem[],
  check: () => { offset: number; code: Problem['code']; message: string; hint?: string }[],
): void {
  let issues: ReturnType<typeof check>;
  try {
    issues = check();
  } catch (e) {
    if (!isTemplateIssue(e)) throw e;
    issues = [e];
  }
  for (const i of issues)
    problems.push({
      code: i.code,
      file: source.file,
      ...positionInString(source, path, i.offset),
      message: i.message,
      ...(i.hint ? { hint: i.hint } : {}),
    });
}
