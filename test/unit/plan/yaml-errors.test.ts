// YAML syntax errors point at the line the author has to change, in plain words, with a hint.
import { describe, expect, it } from 'vitest';
import { validatePlan } from '../../../src/plan/validate.js';

const head = 'apiVersion: cutover/v1\nkind: Plan\nmetadata:\n  name: fixture\nspec:\n  steps:\n';

function firstProblem(text: string) {
  const result = validatePlan(Buffer.from(text), 'p.yaml');
  expect(result.ok).toBe(false);
  if (result.ok) throw new Error('valid');
  return result.problems[0]!;
}

describe('YAML syntax errors', () => {
  it('an over-indented key is reported on its own line, not as a compact mapping on the line above', () => {
    const p = firstProblem(`${head}    - id: migrate\n      run: node x.js\n        timeout: 10m\n`);
    expect(p).toMatchObject({ code: 'PLAN_SYNTAX', line: 9, col: 9 });
    expect(p.message).toContain('`timeout:` is indented more than `run:`');
    expect(p.message).not.toMatch(/compact/);
    expect(p.hint).toBe('indent it by 6 spaces, like `run:`');
  });

  it('a key indented deeper than its neighbours after a quoted value', () => {
    const p = firstProblem(`${head}    - id: migrate\n      run: "node x.js"\n        timeout: 10m\n`);
    expect(p).toMatchObject({ code: 'PLAN_SYNTAX', line: 9, col: 9 });
    expect(p.message).toContain('`timeout:` starts in column 9, but `run:` on the line above starts in column 7');
  });

  it('a key indented less than the keys of its list item', () => {
    const p = firstProblem(`${head}    - id: migrate\n      run: node x.js\n     timeout: 10m\n`);
    expect(p).toMatchObject({ code: 'PLAN_SYNTAX', line: 9, col: 6 });
    expect(p.message).toContain('`timeout:` is inside a list');
  });

  it('a value holding ": " is pointed at, with quoting as the hint', () => {
    const p = firstProblem(`${head}    - id: migrate\n      run: node x.js --note a: b\n`);
    expect(p).toMatchObject({ code: 'PLAN_SYNTAX', line: 8, col: 12 });
    expect(p.hint).toBe('put the whole value in quotes: run: "node x.js --note a: b"');
  });

  it('an unclosed quote and an unclosed [ are reported where they open', () => {
    const quote = firstProblem(`${head}    - id: migrate\n      run: "node x.js\n    - id: two\n      run: y\n`);
    expect(quote).toMatchObject({ code: 'PLAN_SYNTAX', line: 8, col: 12 });
    expect(quote.message).toBe('the double quote opened here is never closed');
    const flow = firstProblem(`${head}    - id: migrate\n      run: [node, x.js\n    - id: two\n      run: y\n`);
    expect(flow).toMatchObject({ code: 'PLAN_SYNTAX', line: 8, col: 12 });
    expect(flow.message).toBe('the `[` opened here is never closed with `]`');
  });

  it('a key without a space after its colon', () => {
    const p = firstProblem(`${head}    - id:migrate\n      run: x\n`);
    expect(p).toMatchObject({ code: 'PLAN_SYNTAX', line: 7 });
    expect(p.hint).toBe('write `id: migrate`');
  });

  it('every syntax problem has a hint', () => {
    for (const text of [`${head}    - id: a\n\t  run: x\n`, `${head}  - [a,, b]\n`, `${head}    - { id: a, run: x\n`]) {
      const result = validatePlan(Buffer.from(text), 'p.yaml');
      if (result.ok) throw new Error('valid');
      for (const p of result.problems.filter((q) => q.code === 'PLAN_SYNTAX')) expect(p.hint, p.message).toBeTruthy();
    }
  });
});
