// The closed expression grammar: parsing, names, evaluation, templates.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ExpressionError, evaluate, parseExpression, type Scope } from '../../../src/plan/expression.js';
import { checkNames, evaluateCondition, interpolate, parseTemplate } from '../../../src/plan/interpolate.js';

const scope: Scope = { env: { A: 'alpha', EMPTY: '' }, run: { id: 'r1' }, plan: { name: 'p' }, git: { sha: 'abc', branch: 'main' } };

describe('expressions', () => {
  it('substitutes names and falls back with ??', () => {
    expect(interpolate("x-${{ env.A }}-${{ env.NOPE ?? 'd' }}-${{ env.EMPTY ?? 'e' }}-${{ run.id }}", scope)).toBe('x-alpha-d-e-r1');
    expect(interpolate('${{ plan.name }}/${{ git.branch }}@${{ git.sha }}', scope)).toBe('p/main@abc');
  });

  it('evaluates conditions with step outcomes and functions', () => {
    const s = { ...scope, steps: { 'dry-run': { outcome: 'success' } }, failed: true };
    expect(evaluateCondition("steps.dry-run.outcome == 'success' && failure()", s)).toBe(true);
    expect(evaluateCondition('success()', s)).toBe(false);
    expect(evaluateCondition("!(env.A == 'beta') || always()", s)).toBe(true);
    expect(evaluateCondition("${{ env.A != 'alpha' }}", s)).toBe(false);
  });

  it('knows only the closed set of names', () => {
    const names = (source: string, kind: 'value' | 'condition' = 'value') =>
      checkNames(parseExpression(source), kind, new Set(['a'])).map((i) => i.message);
    expect(names('env.X ?? run.id')).toEqual([]);
    expect(names('secrets.TOKEN')).toEqual(['unknown name "secrets.TOKEN"']);
    expect(names('run.number')).toEqual(['unknown name "run.number"']);
    expect(names('steps.a.outcome')).toEqual(['unknown name "steps.a.outcome"']);
    expect(names("steps.a.outcome == 'x'", 'condition')).toEqual([]);
    expect(names("steps.b.outcome == 'x'", 'condition')).toEqual(['no step has the id "b"']);
    expect(names('toJSON()', 'condition')).toEqual(['unknown function toJSON()']);
  });

  it('reports the offset of a syntax error', () => {
    expect(() => parseExpression('env.A ?? ')).toThrow(ExpressionError);
    try {
      parseExpression("env.A == 'x");
    } catch (e) {
      expect((e as ExpressionError).offset).toBe(9);
    }
    expect(() => parseTemplate('a ${{ run.id')).toThrowError();
  });

  it('never evaluates code: any printable input either parses to the closed grammar or is refused', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (source) => {
        try {
          const value = evaluate(parseExpression(source), scope);
          expect(['string', 'boolean', 'undefined']).toContain(typeof value);
        } catch (e) {
          expect(e).toBeInstanceOf(ExpressionError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
