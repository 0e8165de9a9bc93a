// The closed expression language of `${{ }}` and `if:`: names, string literals, `??`, comparisons, `&&`, `||`, `!`.
// It is small enough that a parser of our own is clearer than bending a general one; nothing is ever evaluated as code.

/** A parsed expression. Offsets count characters from the start of the expression source. */
export type Expr =
  | { kind: 'literal'; value: string | boolean; start: number }
  | { kind: 'ref'; path: string[]; start: number; end: number }
  | { kind: 'call'; name: string; start: number }
  | { kind: 'not'; operand: Expr; start: number }
  | { kind: 'binary'; op: '??' | '==' | '!=' | '&&' | '||'; left: Expr; right: Expr; start: number };

/** A syntax error at an offset in the expression source. */
export class ExpressionError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

type Token = { type: 'str' | 'name' | 'op' | 'end'; value: string; start: number };

const NAME = /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_][A-Za-z0-9_-]*)*/y;
const OPS = ['??', '==', '!=', '&&', '||', '!', '(', ')'];

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === "'" || c === '"') {
      // Quotes are escaped by doubling them, as in GitHub's expressions.
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= source.length) throw new ExpressionError('unterminated string literal', i);
        if (source[j] === c) {
          if (source[j + 1] === c) {
            value += c;
            j += 2;
            continue;
          }
          break;
        }
        value += source[j];
        j++;
      }
      tokens.push({ type: 'str', value, start: i });
      i = j + 1;
      continue;
    }
    const op = OPS.find((o) => source.startsWith(o, i));
    if (op) {
      tokens.push({ type: 'op', value: op, start: i });
      i += op.length;
      continue;
    }
    NAME.lastIndex = i;
    const m = NAME.exec(source);
    if (m) {
      tokens.push({ type: 'name', value: m[0], start: i });
      i += m[0].length;
      continue;
    }
    throw new ExpressionError(`unexpected character ${JSON.stringify(c)}`, i);
  }
  tokens.push({ type: 'end', value: '', start: source.length });
  return tokens;
}

/** Parses an expression; throws ExpressionError with the offset of the mistake. */
export function parseExpression(source: string): Expr {
  const tokens = tokenize(source);
  let pos = 0;
  const peek = () => tokens[pos]!;
  const take = () => tokens[pos++]!;
  const isOp = (v: string) => peek().type === 'op' && peek().value === v;

  const binary = (ops: string[], next: () => Expr) => (): Expr => {
    let left = next();
    while (peek().type === 'op' && ops.includes(peek().value)) {
      const op = take().value as '??';
      left = { kind: 'binary', op, left, right: next(), start: left.start };
    }
    return left;
  };
  const primary = (): Expr => {
    const t = take();
    if (t.type === 'str') return { kind: 'literal', value: t.value, start: t.start };
    if (t.type === 'op' && t.value === '!') return { kind: 'not', operand: primary(), start: t.start };
    if (t.type === 'op' && t.value === '(') {
      const inner = or();
      if (!isOp(')')) throw new ExpressionError('expected `)`', peek().start);
      take();
      return inner;
    }
    if (t.type === 'name') {
      if (t.value === 'true' || t.value === 'false') return { kind: 'literal', value: t.value === 'true', start: t.start };
      if (isOp('(')) {
        take();
        if (!isOp(')')) throw new ExpressionError('functions take no arguments', peek().start);
        take();
        return { kind: 'call', name: t.value, start: t.start };
      }
      return { kind: 'ref', path: t.value.split('.'), start: t.start, end: t.start + t.value.length };
    }
    throw new ExpressionError(t.type === 'end' ? 'expression ends too soon' : `unexpected ${JSON.stringify(t.value)}`, t.start);
  };
  const coalesce = binary(['??'], primary);
  const compare = binary(['==', '!='], coalesce);
  const and = binary(['&&'], compare);
  const or: () => Expr = binary(['||'], and);

  const expr = or();
  if (peek().type !== 'end') throw new ExpressionError(`unexpected ${JSON.stringify(peek().value)}`, peek().start);
  return expr;
}

/** Every node of an expression, depth first. */
export function walkExpression(expr: Expr): Expr[] {
  if (expr.kind === 'not') return [expr, ...walkExpression(expr.operand)];
  if (expr.kind === 'binary') return [expr, ...walkExpression(expr.left), ...walkExpression(expr.right)];
  return [expr];
}

/** The values names resolve to when an expression is evaluated. */
export interface Scope {
  env: Record<string, string | undefined>;
  run: { id: string };
  plan: { name: string };
  git: { sha: string; branch: string };
  /** Outcomes of steps so far (conditions only). */
  steps?: Record<string, { outcome: string }>;
  /** Whether the run has failed so far (conditions only). */
  failed?: boolean;
  /** A matrix shard's values (`run`, `env`, `produces` and `expect` of a matrix step only). */
  matrix?: Record<string, string>;
}

type Value = string | boolean | undefined;

/** Evaluates a parsed expression against a scope. */
export function evaluate(expr: Expr, scope: Scope): Value {
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'ref':
      return lookup(expr.path, scope);
    case 'call':
      if (expr.name === 'always') return true;
      if (expr.name === 'failure') return scope.failed === true;
      return scope.failed !== true; // success()
    case 'not':
      return !truthy(evaluate(expr.operand, scope));
    case 'binary': {
      const left = evaluate(expr.left, scope);
      if (expr.op === '??') return left === undefined || left === '' ? evaluate(expr.right, scope) : left;
      if (expr.op === '&&') return truthy(left) && truthy(evaluate(expr.right, scope));
      if (expr.op === '||') return truthy(left) || truthy(evaluate(expr.right, scope));
      const right = evaluate(expr.right, scope);
      const same = String(left ?? '') === String(right ?? '');
      return expr.op === '==' ? same : !same;
    }
  }
}

function lookup(path: string[], scope: Scope): Value {
  const [root, a, b] = path;
  if (root === 'env' && a) return scope.env[a];
  if (root === 'run' && a === 'id') return scope.run.id;
  if (root === 'plan' && a === 'name') return scope.plan.name;
  if (root === 'git' && (a === 'sha' || a === 'branch')) return scope.git[a];
  if (root === 'steps' && a && b === 'outcome') return scope.steps?.[a]?.outcome ?? 'pending';
  if (root === 'matrix' && a && b === undefined) return scope.matrix?.[a];
  return undefined;
}

/** Truthiness of a value in a condition: false, undefined and '' are false. */
export function truthy(value: Value): boolean {
  return value !== undefined && value !== false && value !== '';
}

/** Turns a value into the text `${{ }}` substitutes. */
export function stringify(value: Value): string {
  return value === undefined ? '' : String(value);
}
