// Paths after interpolation (issue 12, finding 7): every path kind of a plan, filled from the
// environment with every kind of unsafe value, is a PATH_UNSAFE problem at that value's place.
import { describe, expect, it } from 'vitest';
import { planPaths, resolvedPathProblems } from '../../../src/plan/resolved-paths.js';
import { resolvePlan, runIdProblem } from '../../../src/plan/resolve.js';
import { validatePlan } from '../../../src/plan/validate.js';

// One plan naming every kind of path through `${{ env.P }}`; each kind on a line of its own.
const KINDS = {
  record: '  record: { dir: "${{ env.P }}" }',
  artifact: '  artifacts:\n    - { name: a, path: "${{ env.P }}" }',
  produces: '  steps:\n    - { id: s, run: node x.js, produces: ["${{ env.P }}"] }',
  determinism:
    '  steps:\n    - { id: s, run: node x.js }\n    - { id: d, uses: determinism, with: { rerun: [s], paths: ["${{ env.P }}"] } }',
  snapshot: '  steps:\n    - { id: s, uses: snapshot, with: { name: n, paths: ["${{ env.P }}"] } }',
  exists: '  steps:\n    - { id: s, run: node x.js, expect: { exists: ["${{ env.P }}"] } }',
  absent: '  steps:\n    - { id: s, run: node x.js, expect: { absent: ["${{ env.P }}"] } }',
  'json file': '  steps:\n    - { id: s, run: node x.js, expect: { json: [{ file: "${{ env.P }}", path: a, equals: 1 }] } }',
  cwd: '  steps:\n    - { id: s, run: node x.js, cwd: "${{ env.P }}" }',
} as const;

/** Values a hostile environment may hold, with what the problem says. */
const VALUES: [string, string, RegExp][] = [
  ['leaves the repository', '../../../outside', /leaves the repository/],
  ['leaves after a folder', 'reports/../../x', /leaves the repository/],
  ['absolute', '/etc/hostname', /is absolute/],
  ['a newline', 'reports/a\nb', /control character \(U\+000A\)/],
  ['a carriage return', 'out\r', /control character \(U\+000D\)/],
  ['an escape sequence', 'out/\u001b[2Jx', /control character \(U\+001B\)/],
  ['a NUL', 'out/\u0000x', /control character \(U\+0000\)/],
  ['DEL', 'out/\u007f', /control character \(U\+007F\)/],
  ['inside .git', '.git/hooks', /\.git/],
  ['.git further down', 'a/.git/config', /\.git/],
  ['a backslash', 'a\\..\\..\\x', /backslash/],
];

function planWith(kind: keyof typeof KINDS): string {
  const body = KINDS[kind];
  const steps = body.includes('  steps:') ? '' : '  steps:\n    - { id: only, run: node x.js }\n';
  return `apiVersion: cutover/v1\nkind: Plan\nmetadata: { name: p }\nspec:\n  runId: r1\n${steps}${body}\n`;
}

function problemsFor(kind: keyof typeof KINDS, value: string) {
  const text = planWith(kind);
  const checked = validatePlan(Buffer.from(text), 'plans/p.yaml');
  if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
  const { plan, source } = checked.valid;
  const { plan: resolved } = resolvePlan(plan, 'plans/p.yaml', {
    env: { P: value },
    git: { sha: 'abc', branch: 'main' },
    now: new Date(0),
  });
  // Where the value is written: the line holding `${{ env.P }}`, at its opening quote.
  const lines = text.split('\n');
  const line = lines.findIndex((l) => l.includes('"${{ env.P }}"')) + 1;
  const col = lines[line - 1]!.indexOf('"${{ env.P }}"') + 1;
  return { problems: resolvedPathProblems(source, planPaths(plan, resolved)), line, col };
}

describe('paths after interpolation', () => {
  const kinds = Object.keys(KINDS) as (keyof typeof KINDS)[];
  for (const kind of kinds) {
    it.each(VALUES)(`${kind}: %s is PATH_UNSAFE at the value's line and column`, (_label, value, says) => {
      const { problems, line, col } = problemsFor(kind, value);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ code: 'PATH_UNSAFE', file: 'plans/p.yaml', line, col });
      expect(problems[0]!.message).toMatch(says);
      // One line: the value is quoted with its escapes, never printed raw.
      expect(problems[0]!.message).not.toMatch(/[\u0000-\u001f\u007f]/);
    });
  }

  it.each(kinds.filter((k) => k !== 'cwd'))('%s: an empty value (the repository root) is refused; a cwd may be the root', (kind) => {
    expect(problemsFor(kind, '').problems[0]).toMatchObject({
      code: 'PATH_UNSAFE',
      message: expect.stringMatching(/repository root itself/),
    });
  });

  it('accepts paths that stay inside, normalised: a/../b is b, no trailing slash', () => {
    for (const kind of kinds) {
      for (const value of ['out/data', 'reports/../dumps', './out/x/', 'a b/ü €'])
        expect(problemsFor(kind, value).problems, `${kind} ${value}`).toEqual([]);
    }
    const checked = validatePlan(Buffer.from(planWith('record')), 'p.yaml');
    if (!checked.ok) throw new Error('invalid');
    const { plan } = resolvePlan(checked.valid.plan, 'p.yaml', {
      env: { P: 'reports/../dumps/' },
      git: { sha: '', branch: '' },
      now: new Date(0),
    });
    expect(plan.record.dir).toBe('dumps');
  });

  it('the default record folder is placed at spec.runId when the plan sets it', () => {
    const text =
      'apiVersion: cutover/v1\nkind: Plan\nmetadata: { name: p }\nspec:\n  runId: "${{ env.R }}"\n  steps:\n    - { id: s, run: node x.js }\n';
    const checked = validatePlan(Buffer.from(text), 'p.yaml');
    if (!checked.ok) throw new Error('invalid');
    // A run id that passes its own check can still not make the record folder unsafe: only names of one segment.
    const { plan: resolved, problems } = resolvePlan(checked.valid.plan, 'p.yaml', {
      env: { R: '..' },
      git: { sha: '', branch: '' },
      now: new Date(0),
    });
    expect(problems[0]).toMatchObject({ code: 'USAGE', message: expect.stringMatching(/run id "\.\."/) });
    expect(planPaths(checked.valid.plan, resolved)[0]).toMatchObject({ use: 'record', at: ['spec', 'runId'] });
  });
});

describe('run ids', () => {
  it.each(['.', '..'])('%s is never a run id (it would name another folder of the record path)', (id) => {
    expect(runIdProblem(id)).toMatch(/not a folder of its own/);
  });

  it.each(['...', 'r1', '.hidden', 'a..b', 'gh-1-2'])('%s is one', (id) => {
    expect(runIdProblem(id)).toBeUndefined();
  });

  it('refuses `.` and `..` written in the plan too, at spec.runId', () => {
    const checked = validatePlan(
      Buffer.from(
        'apiVersion: cutover/v1\nkind: Plan\nmetadata: { name: p }\nspec:\n  runId: ".."\n  steps:\n    - { id: s, run: node x.js }\n',
      ),
      'p.yaml',
    );
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.problems[0]).toMatchObject({ line: 5, col: 10 });
  });
});
