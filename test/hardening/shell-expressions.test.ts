// `${{ }}` is never pasted into code. An expression in the script of a `shell:` step, or in the code a
// shell or interpreter named in the argv runs (`bash -c`, `sh -ec`, `node -e`), is a validation error at
// its position, before anything runs. Each variant carries a payload that would leave a marker file if
// it ever reached a shell; the markers folder must stay empty. The advised form (the value through
// `env:`, `"$NAME"` in the script) runs, and the payload stays text.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cutover, type CliResult } from '../helpers/cli.js';
import { git, gitRepo, tempDir } from '../helpers/git-repo.js';
import { planHead, planRepo } from '../helpers/run-repo.js';

const stepProgram = readFileSync(join(import.meta.dirname, '../fixtures/steps/step.js'), 'utf8');

/** A repository holding the plan, frozen and committed when freeze accepts it (it refuses a plan that does not validate). */
function repoWith(plan: string): string {
  const dir = gitRepo({
    'plans/p.yaml': plan,
    'tools/step.js': stepProgram,
    'tools/package.json': '{ "type": "module" }\n',
    'config/a.json': '{ "a": 1 }\n',
  });
  if (cutover(['freeze', 'plans/p.yaml'], { cwd: dir }).code === 0) {
    git(dir, 'add', 'plans/p.lock.json');
    git(dir, 'commit', '-q', '-m', 'freeze');
  }
  return dir;
}

/** A folder outside the repository where a payload that ran would leave files. */
function markers(): { dir: string; shell: string; js: string; left: () => string[] } {
  const dir = tempDir('cutover-pwned-');
  return {
    dir,
    // Command substitution, backquotes and a quote breaking out of "…": three ways into a shell.
    shell: `a $(touch ${dir}/dollar) \`touch ${dir}/backquote\` "; touch ${dir}/quote; echo "`,
    js: `x'); require('fs').writeFileSync('${dir}/js', ''); ('`,
    left: () => readdirSync(dir),
  };
}

/** Line and column (1-based) of the first `${{` on the line that holds `needle` in the plan text. */
function whereIs(plan: string, needle: string): string {
  const lines = plan.split('\n');
  const line = lines.findIndex((l) => l.includes(needle));
  return `${line + 1}:${lines[line]!.indexOf('${{') + 1}`;
}

function expectRefusedAt(result: CliResult, plan: string, needle: string, name: string): void {
  const context = `${result.stdout}\n${result.stderr}`;
  expect(result.code, context).toBe(2);
  const [first, hint] = result.stderr.split('\n');
  expect(first, context).toMatch(new RegExp(`^plans/p\\.yaml:${whereIs(plan, needle)}: error PLAN_INTERPOLATION: `));
  expect(hint, context).toContain(`env: { ${name}: "`);
  expect(context).not.toMatch(/internal error|\n\s+at .+:\d+:\d+\)?$/m);
}

const recordCommits = (dir: string) => git(dir, 'log', '--format=%H', '--grep=^Cutover-Run-Id:').split('\n').filter(Boolean);

describe('an expression is never pasted into code', () => {
  it('the reproduction: an env value with $(…) and backquotes in a bash script is refused by validate and run; nothing runs', () => {
    const m = markers();
    const plan = `${planHead()}  env: { LABEL: "\${{ env.LABEL ?? 'none' }}" }
  steps:
    - { id: ran, run: node tools/step.js append ran.txt yes }
    - { id: label, shell: bash, run: "echo label=\${{ env.LABEL }}" }
`;
    const dir = repoWith(plan);
    const env = { LABEL: m.shell };
    expectRefusedAt(cutover(['validate', 'plans/p.yaml'], { cwd: dir, env }), plan, 'echo label=', 'LABEL');
    const run = cutover(['run', 'plans/p.yaml'], { cwd: dir, env });
    expectRefusedAt(run, plan, 'echo label=', 'LABEL');
    expect(run.stderr).toContain('use "$LABEL"');
    expect(m.left()).toEqual([]);
    expect(existsSync(join(dir, 'ran.txt'))).toBe(false);
    expect(recordCommits(dir)).toEqual([]);
    const json = cutover(['validate', 'plans/p.yaml', '--format', 'json'], { cwd: dir, env });
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout).plans[0].problems[0]).toMatchObject({ code: 'PLAN_INTERPOLATION', file: 'plans/p.yaml' });
  });

  // Each variant: the steps (an expression in code somewhere), the line that holds it, the name the hint proposes.
  const variants: [string, string, string, string][] = [
    [
      'a sh block script in preconditions',
      `  preconditions:\n    - id: check\n      shell: sh\n      run: |\n        set -e\n        echo checking\n        test -n "\${{ env.PAYLOAD }}"\n  steps:\n    - { id: ran, run: node tools/step.js append ran.txt yes }\n`,
      'test -n',
      'PAYLOAD',
    ],
    [
      'a folded bash script in finally',
      `  steps:\n    - { id: ran, run: node tools/step.js append ran.txt yes }\n  finally:\n    - id: tidy\n      shell: bash\n      run: >\n        echo tidying\n        \${{ env.PAYLOAD }}\n`,
      '        ${{ env.PAYLOAD }}',
      'PAYLOAD',
    ],
    [
      'a single-quoted script in rollback',
      `  steps:\n    - { id: ran, run: node tools/step.js append ran.txt yes }\n  rollback:\n    - { id: undo, shell: bash, run: 'rm -f "\${{ env.PAYLOAD }}.tmp"' }\n`,
      'id: undo',
      'PAYLOAD',
    ],
    [
      'bash -c in an argv list',
      `  steps:\n    - { id: ran, run: node tools/step.js append ran.txt yes }\n    - { id: argv, run: [bash, -c, "echo \${{ env.PAYLOAD }}"] }\n`,
      'id: argv',
      'PAYLOAD',
    ],
    [
      'sh -ec in a run string',
      `  steps:\n    - { id: ran, run: node tools/step.js append ran.txt yes }\n    - { id: words, run: "sh -ec 'echo \${{ env.PAYLOAD }}'" }\n`,
      'id: words',
      'PAYLOAD',
    ],
    [
      '/usr/bin/env bash -o pipefail -c',
      `  steps:\n    - { id: ran, run: node tools/step.js append ran.txt yes }\n    - { id: wrapped, run: [/usr/bin/env, bash, -o, pipefail, -c, "echo \${{ env.PAYLOAD }} | cat"] }\n`,
      'id: wrapped',
      'PAYLOAD',
    ],
    [
      'a second expression after a safe one',
      `  steps:\n    - { id: ran, run: node tools/step.js append ran.txt yes }\n    - id: two\n      shell: bash\n      env: { SAFE: "\${{ env.PAYLOAD }}" }\n      run: echo "$SAFE" \${{ env.PAYLOAD }}\n`,
      'run: echo "$SAFE"',
      'PAYLOAD',
    ],
  ];

  it.each(variants)('%s: refused at its position, the payload never runs', (_label, steps, needle, name) => {
    const m = markers();
    const plan = `${planHead()}${steps}`;
    const dir = repoWith(plan);
    const run = cutover(['run', 'plans/p.yaml'], { cwd: dir, env: { PAYLOAD: m.shell } });
    expectRefusedAt(run, plan, needle, name);
    expect(m.left()).toEqual([]);
    expect(existsSync(join(dir, 'ran.txt'))).toBe(false);
    expect(recordCommits(dir)).toEqual([]);
  });

  it('a branch name is input too: ${{ git.branch }} in a script is refused, the branch’s $(…) never runs', () => {
    const m = markers();
    const plan = `${planHead()}  steps:\n    - { id: deploy, shell: bash, run: "echo deploying \${{ git.branch }}" }\n`;
    const dir = repoWith(plan);
    // A valid ref name: git forbids spaces, not `$`, `(`, `)` or `{`.
    git(dir, 'switch', '-q', '-c', `b$(touch\${IFS}${m.dir}/branch)`);
    expectRefusedAt(cutover(['run', 'plans/p.yaml'], { cwd: dir }), plan, 'echo deploying', 'GIT_BRANCH');
    expect(m.left()).toEqual([]);
  });

  it('node -e with an expression in its code is refused; a quote in the value never becomes JavaScript', () => {
    const m = markers();
    const plan = `${planHead()}  steps:\n    - { id: js, run: [node, -e, "console.log('\${{ env.PAYLOAD }}')"] }\n`;
    const dir = repoWith(plan);
    const run = cutover(['run', 'plans/p.yaml'], { cwd: dir, env: { PAYLOAD: m.js } });
    expectRefusedAt(run, plan, 'id: js', 'PAYLOAD');
    expect(run.stderr).toContain('read PAYLOAD from the environment');
    expect(m.left()).toEqual([]);
  });

  it('the advised forms run, and the payload stays text: env + "$NAME", a positional argument, an argv word', () => {
    const m = markers();
    const plan = `${planHead()}  steps:
    - { id: via-env, shell: bash, env: { LABEL: "\${{ env.PAYLOAD }}" }, run: 'printf "%s\\n" "label=$LABEL" > via-env.txt' }
    - { id: positional, run: [bash, -c, 'printf "%s\\n" "$1" > positional.txt', bash, "\${{ env.PAYLOAD }}"] }
    - { id: argv, run: "node tools/step.js write argv.txt \${{ env.PAYLOAD }}" }
    - { id: script-arg, run: "node -e 'require(\\"fs\\").writeFileSync(\\"script-arg.txt\\", process.argv[1])' \${{ env.PAYLOAD }}" }
`;
    const dir = planRepo(plan);
    expect(cutover(['validate', 'plans/p.yaml'], { cwd: dir }).code).toBe(0);
    const run = cutover(['run', 'plans/p.yaml'], { cwd: dir, env: { PAYLOAD: m.shell } });
    expect(run.code, run.stderr).toBe(0);
    expect(m.left()).toEqual([]);
    expect(readFileSync(join(dir, 'via-env.txt'), 'utf8')).toBe(`label=${m.shell}\n`);
    expect(readFileSync(join(dir, 'positional.txt'), 'utf8')).toBe(`${m.shell}\n`);
    expect(readFileSync(join(dir, 'argv.txt'), 'utf8')).toBe(m.shell);
    expect(readFileSync(join(dir, 'script-arg.txt'), 'utf8')).toBe(m.shell);
    // The same payload pasted into a shell script by hand does run: the markers prove the payload is live.
    execFileSync('bash', ['-c', `echo "${m.shell}"`], { stdio: 'ignore' });
    expect(m.left().sort()).toEqual(['backquote', 'dollar', 'quote']);
  });
});
