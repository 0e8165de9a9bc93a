// Which words of a command are code an interpreter runs, and every `${{` a plan would paste into code.
import { describe, expect, it } from 'vitest';
import { codeWords, splitRun, templatesInCode } from '../../../src/plan/command.js';
import { validatePlan } from '../../../src/plan/validate.js';
import type { Plan, Step } from '../../../src/plan/types.js';

const planOf = (steps: Step[], phase: 'steps' | 'finally' = 'steps'): Plan => ({
  apiVersion: 'cutover/v1',
  kind: 'Plan',
  metadata: { name: 'p' },
  spec: { steps: [], [phase]: steps },
});

describe('codeWords', () => {
  it.each([
    [['bash', '-c', 'CODE'], 2, 'bash -c'],
    [['sh', '-ec', 'CODE'], 2, 'sh -c'],
    [['/bin/dash', '-e', '-c', 'CODE', 'name', 'arg'], 3, 'dash -c'],
    [['zsh', '-c', '--', 'CODE'], 3, 'zsh -c'],
    [['bash', '-o', 'pipefail', '-c', 'CODE'], 4, 'bash -c'],
    [['bash', '-eo', 'pipefail', '-c', 'CODE'], 4, 'bash -c'],
    [['bash', '--norc', '-c', 'CODE'], 3, 'bash -c'],
    [['/usr/bin/env', 'ksh', '-c', 'CODE'], 3, 'ksh -c'],
    [['sudo', '-u', 'app', 'sh', '-c', 'CODE'], 5, 'sh -c'],
    [['busybox', 'ash', '-c', 'CODE'], 3, 'ash -c'],
    [['fish', '--command=CODE'], 1, 'fish --command'],
    [['node', '-e', 'CODE'], 2, 'node -e'],
    [['node', '--eval', 'CODE'], 2, 'node --eval'],
    [['node', '--eval=CODE'], 1, 'node --eval'],
    [['node', '-r', 'dotenv/config', '-p', 'CODE'], 4, 'node -p'],
    [['python3', '-c', 'CODE'], 2, 'python3 -c'],
    [['python3.12', '-Ic', 'CODE'], 2, 'python3.12 -Ic'],
    [['perl', '-ne', 'CODE', 'file'], 2, 'perl -ne'],
    [['ruby', '-e', 'CODE'], 2, 'ruby -e'],
    [['php', '-r', 'CODE'], 2, 'php -r'],
    [['pwsh', '-Command', 'CODE'], 2, 'pwsh -Command'],
  ])('%j: word %i is code run by %s', (argv, index, runner) => {
    expect(codeWords(argv)).toEqual([{ index, runner, shell: expect.any(Boolean) }]);
  });

  it.each([
    [['bash', 'script.sh', 'ARG']],
    [['bash', '-e', 'script.sh', '-c', 'ARG']],
    [['node', 'tools/cli.js', '-c', 'ARG']],
    [['node', 'tools/cli.js', '-e', 'ARG']],
    [['python3', 'tool.py', '-c', 'ARG']],
    [['tools/bash-helper', '-c', 'ARG']],
    [['git', 'commit', '-c', 'ARG']],
    [['bash']],
  ])('%j: no word is inline code', (argv) => {
    expect(codeWords(argv)).toEqual([]);
  });
});

describe('templatesInCode', () => {
  it('finds every `${{` of a shell script, with its offset and the name to pass it as', () => {
    const found = templatesInCode(
      planOf([{ id: 'a', shell: 'bash', run: "echo ${{ env.A }} ${{ run.id }}\n${{ env.B ?? 'x' }}" }], 'finally'),
    );
    expect(found.map((t) => [t.path, t.offset, t.expr, t.runner])).toEqual([
      [['spec', 'finally', 0, 'run'], 5, 'env.A', 'bash'],
      [['spec', 'finally', 0, 'run'], 18, 'run.id', 'bash'],
      [['spec', 'finally', 0, 'run'], 32, "env.B ?? 'x'", 'bash'],
    ]);
  });

  it('in a run string, only the code word counts; its offsets are in the whole string', () => {
    const run = `sh -c 'echo \${{ env.A }}' name \${{ env.SAFE }}`;
    expect(templatesInCode(planOf([{ id: 'a', run }])).map((t) => [t.offset, t.expr])).toEqual([[run.indexOf('${{'), 'env.A']]);
  });

  it('in an argv list, the element is the path', () => {
    expect(
      templatesInCode(planOf([{ id: 'a', run: ['bash', '-c', 'x ${{ env.A }}', '_', '${{ env.SAFE }}'] }])).map((t) => [t.path, t.offset]),
    ).toEqual([[['spec', 'steps', 0, 'run', 2], 2]]);
  });

  it('an unclosed expression in a script is still found (its own problem is reported elsewhere)', () => {
    expect(templatesInCode(planOf([{ id: 'a', shell: 'sh', run: 'echo ${{ env.A' }])).map((t) => t.expr)).toEqual(['']);
  });

  it('leaves argv words, env values and scripts without expressions alone', () => {
    expect(
      templatesInCode(
        planOf([
          { id: 'a', run: 'node tool.js ${{ env.A }}' },
          { id: 'b', shell: 'bash', run: 'echo "$A"', env: { A: '${{ env.A }}' } },
          { id: 'c', uses: 'assert', expect: { exists: ['${{ env.A }}'] } },
        ]),
      ),
    ).toEqual([]);
  });
});

describe('splitRun', () => {
  it('keeps an expression whole inside its word', () => {
    expect(splitRun("node a.js ${{ env.A ?? 'x y' }} 'b c'")).toEqual({ argv: ['node', 'a.js', "${{ env.A ?? 'x y' }}", 'b c'] });
  });
});

describe('the rule in validation', () => {
  const plan = (steps: string) => `apiVersion: cutover/v1\nkind: Plan\nmetadata: { name: p }\nspec:\n  steps:\n${steps}`;

  it('points at the `${{` inside a block script and proposes the env name', () => {
    const result = validatePlan(
      Buffer.from(plan('    - id: a\n      shell: bash\n      run: |\n        set -e\n        echo "${{ env.TARGET }}"\n')),
      'p.yaml',
    );
    expect(result.ok ? [] : result.problems.map((p) => [p.code, p.line, p.col, p.hint])).toEqual([
      [
        'PLAN_INTERPOLATION',
        10,
        15,
        'pass the value through the step\'s env: (env: { TARGET: "${{ env.TARGET }}" }) and use "$TARGET" (in double quotes) in the script',
      ],
    ]);
  });

  it('reports each expression of a script, not only the first', () => {
    const result = validatePlan(Buffer.from(plan('    - { id: a, shell: sh, run: "echo ${{ env.A }} ${{ git.sha }}" }\n')), 'p.yaml');
    expect(result.ok ? [] : result.problems.map((p) => [p.line, p.col])).toEqual([
      [6, 38],
      [6, 51],
    ]);
  });
});
