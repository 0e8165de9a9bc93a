// Every message of cutover's is one line: quoted text cannot start a line of its own in any output.
import { expect, it } from 'vitest';
import { CutoverError, formatProblem, problemsError } from '../../src/errors.js';

it('makes an error’s message, hint and problems one line each', () => {
  const error = new CutoverError('USAGE', 'bad value "a\n::error::PWNED"', {
    hint: 'fix\r\nit',
    position: { file: 'plans/a\nb.yaml', line: 2 },
  });
  expect(error.message).toBe('bad value "a ::error::PWNED"');
  expect(error.hint).toBe('fix it');
  expect(error.problems).toEqual([
    { code: 'USAGE', message: 'bad value "a ::error::PWNED"', file: 'plans/a b.yaml', line: 2, hint: 'fix it' },
  ]);
  const many = problemsError([{ code: 'PLAN_SCHEMA', message: 'unknown key "x\n::warning::y"', file: 'p.yaml', line: 1, col: 1 }]);
  expect(many.problems[0]?.message).toBe('unknown key "x ::warning::y"');
});

it('formats any problem on one line, also one not made by an error', () => {
  expect(formatProblem({ code: 'PLAN_SYNTAX', message: 'at\nline\r\ntwo', file: 'p.yaml', line: 3, col: 4 })).toBe(
    'p.yaml:3:4: error PLAN_SYNTAX: at line two',
  );
});
