// `${{ expr }}` templates in string values: parsing, checking names against the closed grammar, substituting.
import { nameHint } from '../text/nearest.js';
import { ExpressionError, evaluate, parseExpression, stringify, truthy, walkExpression, type Expr, type Scope } from './expression.js';

/** A template split into literal text and expressions (with their offsets in the string). */
export type TemplatePart = string | { expr: Expr; source: string; offset: number };

/** A mistake inside a string value, at a character offset of that string. */
export interface TemplateIssue {
  offset: number;
  message: string;
  code: 'PLAN_INTERPOLATION' | 'PLAN_EXPRESSION' | 'PLAN_REFERENCE';
  hint?: string;
}

/** Where an expression appears: `${{ }}` in a value, or an `if:` condition. */
export type ExpressionKind = 'value' | 'condition';

const OPEN = '${{';
const CLOSE = '}}';

/** True when a string contains interpolation. */
export function hasTemplate(value: string): boolean {
  return value.includes(OPEN);
}

/** Splits a string into literal parts and parsed expressions. Throws TemplateIssue-shaped errors. */
export function parseTemplate(value: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let i = 0;
  while (i < value.length) {
    const open = value.indexOf(OPEN, i);
    if (open < 0) {
      parts.push(value.slice(i));
      break;
    }
    if (open > i) parts.push(value.slice(i, open));
    const close = value.indexOf(CLOSE, open + OPEN.length);
    if (close < 0) throw issue(open, 'PLAN_INTERPOLATION', 'unterminated `${{`: no closing `}}`', 'close the expression with `}}`');
    const source = value.slice(open + OPEN.length, close);
    const lead = source.length - source.trimStart().length;
    if (source.trim() === '') throw issue(open, 'PLAN_INTERPOLATION', 'empty `${{ }}`');
    try {
      parts.push({ expr: parseExpression(source), source, offset: open + OPEN.length });
    } catch (e) {
      if (e instanceof ExpressionError) throw issue(open + OPEN.length + Math.max(e.offset, lead), 'PLAN_EXPRESSION', e.message);
      throw e;
    }
    i = close + CLOSE.length;
  }
  return parts;
}

function issue(offset: number, code: TemplateIssue['code'], message: string, hint?: string): TemplateIssue {
  return { offset, code, message, ...(hint ? { hint } : {}) };
}

/** True for a TemplateIssue thrown by parseTemplate or parseCondition. */
export function isTemplateIssue(e: unknown): e is TemplateIssue {
  return typeof e === 'object' && e !== null && 'offset' in e && 'code' in e && !(e instanceof Error);
}

/** Parses an `if:` condition, written bare or wrapped in one `${{ }}`. */
export function parseCondition(value: string): { expr: Expr; offset: number } {
  const trimmed = value.trim();
  if (trimmed.startsWith(OPEN) && trimmed.endsWith(CLOSE)) {
    const parts = parseTemplate(trimmed).filter((p) => typeof p !== 'string');
    const only = parts[0];
    if (parts.length === 1 && only && typeof only !== 'string') return { expr: only.expr, offset: value.indexOf(OPEN) + only.offset };
  }
  try {
    return { expr: parseExpression(value), offset: 0 };
  } catch (e) {
    if (e instanceof ExpressionError) throw issue(e.offset, 'PLAN_EXPRESSION', e.message);
    throw e;
  }
}

const VALUE_NAMES = 'env.NAME, run.id, plan.name, git.sha, git.branch';
const FUNCTIONS = ['success', 'failure', 'always'];

/**
 * Names in an expression that the grammar does not know (or, for steps, that the plan does not
 * define). `matrix.<name>` is known only for the names in `matrixNames` (where a matrix value may go).
 */
export function checkNames(
  expr: Expr,
  kind: ExpressionKind,
  stepIds: ReadonlySet<string>,
  matrixNames: ReadonlySet<string> = new Set(),
): TemplateIssue[] {
  const issues: TemplateIssue[] = [];
  for (const node of walkExpression(expr)) {
    if (node.kind === 'call') {
      if (kind === 'value' || !FUNCTIONS.includes(node.name)) {
        issues.push(
          issue(
            node.start,
            'PLAN_INTERPOLATION',
            `unknown function ${node.name}()`,
            kind === 'condition' ? 'conditions know success(), failure() and always()' : `values know ${VALUE_NAMES}`,
          ),
        );
      }
      continue;
    }
    if (node.kind !== 'ref') continue;
    const [root, a, b, ...rest] = node.path;
    const name = node.path.join('.');
    const known =
      (root === 'env' && a !== undefined && /^[A-Za-z_][A-Za-z0-9_]*$/.test(a) && b === undefined) ||
      (root === 'run' && a === 'id' && b === undefined) ||
      (root === 'plan' && a === 'name' && b === undefined) ||
      (root === 'git' && (a === 'sha' || a === 'branch') && b === undefined) ||
      (root === 'matrix' && a !== undefined && matrixNames.has(a) && b === undefined);
    if (known) continue;
    if (root === 'matrix') {
      issues.push(
        issue(
          node.start,
          'PLAN_INTERPOLATION',
          `unknown name ${JSON.stringify(name)}`,
          matrixNames.size
            ? `this step's matrix is ${[...matrixNames].map((m) => `matrix.${m}`).join(', ')}`
            : 'matrix values may appear in run, env, produces and expect of a step with a matrix',
        ),
      );
      continue;
    }
    if (kind === 'condition' && root === 'steps' && a !== undefined && b === 'outcome' && rest.length === 0) {
      if (!stepIds.has(a))
        issues.push(issue(node.start, 'PLAN_REFERENCE', `no step has the id ${JSON.stringify(a)}`, nameHint(a, [...stepIds], 'step ids')));
      continue;
    }
    issues.push(
      issue(
        node.start,
        'PLAN_INTERPOLATION',
        `unknown name ${JSON.stringify(name)}`,
        kind === 'condition' ? `conditions know ${VALUE_NAMES}, steps.<id>.outcome` : `values know ${VALUE_NAMES}`,
      ),
    );
  }
  return issues;
}

/** A `${{ env.NAME }}` that would be substituted while NAME is unset, at its offset in the string. */
export interface UnsetVariable {
  name: string;
  offset: number;
}

/**
 * The environment variables a string's `${{ }}` would substitute while they are unset: a bare
 * `env.NAME`, or the right side of `??` when the left is empty. `env.NAME ?? 'default'` has a
 * default and counts as set; a comparison (`env.A == 'x'`) substitutes `true` or `false`, never A.
 */
export function unsetVariables(value: string, scope: Scope): UnsetVariable[] {
  if (!hasTemplate(value)) return [];
  const unset: UnsetVariable[] = [];
  const visit = (expr: Expr, base: number) => {
    if (expr.kind === 'ref' && expr.path[0] === 'env' && expr.path[1] !== undefined && scope.env[expr.path[1]] === undefined) {
      unset.push({ name: expr.path[1], offset: base + expr.start });
    } else if (expr.kind === 'binary' && expr.op === '??') {
      const left = evaluate(expr.left, scope);
      if (left === undefined || left === '') visit(expr.right, base);
    }
  };
  for (const part of parseTemplate(value)) if (typeof part !== 'string') visit(part.expr, part.offset);
  return unset;
}

/** Substitutes every `${{ }}` of a string. */
export function interpolate(value: string, scope: Scope): string {
  if (!hasTemplate(value)) return value;
  return parseTemplate(value)
    .map((part) => (typeof part === 'string' ? part : stringify(evaluate(part.expr, scope))))
    .join('');
}

/** Evaluates an `if:` condition to a boolean. */
export function evaluateCondition(value: string, scope: Scope): boolean {
  return truthy(evaluate(parseCondition(value).expr, scope));
}
