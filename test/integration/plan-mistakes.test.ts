// Plan mistakes are caught before they cost a run, in real repositories through the built CLI: an
// unset `${{ env.X }}`, shell operators without `shell:`, YAML syntax at the line to change, and
// "did you mean" for a mistyped key or step id.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cutover } from '../helpers/cli.js';
import { git, writeFiles } from '../helpers/git-repo.js';
import { planHead, planRepo, runPlan } from '../helpers/run-repo.js';

type Found = { code: string; message: string; line?: number; col?: number; hint?: string };

/** The problems of a failed JSON command (`validate` lists them per plan). */
function problemsOf(stdout: string): Found[] {
  const doc = JSON.parse(stdout);
  return doc.problems ?? doc.plans.flatMap((p: { problems: Found[] }) => p.problems);
}

describe('an unset ${{ env.X }} without a default', () => {
  const plan = `${planHead()}  secrets: [DB_PASSWORD]
  steps:
    - id: migrate
      run: node tools/step.js append marks.txt \${{ env.TARGET }}
    - id: again
      run: node tools/step.js append marks.txt \${{ env.MODE ?? 'full' }}
`;

  it('refuses plan and run (exit 2) at the expression, naming the variable, before any step runs', () => {
    const dir = planRepo(plan);
    const head = git(dir, 'rev-parse', 'HEAD');
    const previewed = cutover(['plan', 'plans/p.yaml', '--format', 'json'], { cwd: dir });
    expect(previewed.code).toBe(2);
    const [problem] = problemsOf(previewed.stdout);
    // Line 12 is the first step's run:, column 52 the `env.TARGET` inside `${{ }}`.
    expect(problem).toMatchObject({ code: 'PLAN_INTERPOLATION', line: 12, col: 52 });
    expect(problem!.message).toContain('TARGET is not set');
    expect(problem!.hint).toContain("${{ env.TARGET ?? '…' }}");

    const ran = runPlan(dir);
    expect(ran.code).toBe(2);
    expect(problemsOf(ran.stdout)[0]).toMatchObject({ code: 'PLAN_INTERPOLATION', line: 12, col: 52 });
    expect(existsSync(join(dir, 'marks.txt'))).toBe(false);
    expect(existsSync(join(dir, '.git/cutover/journal/test-plan.jsonl'))).toBe(false);
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(head);

    const text = cutover(['run', 'plans/p.yaml'], { cwd: dir });
    expect(text.stderr).toMatch(/^plans\/p\.yaml:12:52: error PLAN_INTERPOLATION: TARGET is not set/m);
  });

  it('runs once the variable is set; `??` gives the other its default', () => {
    const dir = planRepo(plan);
    const ran = runPlan(dir, ['--no-commit'], { TARGET: 'staging', DB_PASSWORD: 'not-used-here' });
    expect(ran.code, ran.stderr + ran.stdout).toBe(0);
    expect(git(dir, 'show', ':README.md')).toContain('test repository');
    expect(cutover(['plan', 'plans/p.yaml'], { cwd: dir, env: { TARGET: 'staging' } }).code).toBe(0);
  });

  it('an unset secret is a warning in the preview (previews run without secrets) and a refusal in the run', () => {
    const dir = planRepo(plan.replace('append marks.txt ${{ env.TARGET }}', 'append marks.txt ${{ env.DB_PASSWORD }}'));
    const previewed = cutover(['plan', 'plans/p.yaml'], { cwd: dir });
    expect(previewed.code, previewed.stderr).toBe(0);
    expect(previewed.stderr).toMatch(/^plans\/p\.yaml:12:52: warning DB_PASSWORD is not set/m);
    expect(previewed.stderr).toContain('DB_PASSWORD is a secret of this plan');
    const ran = runPlan(dir);
    expect(ran.code).toBe(2);
    expect(problemsOf(ran.stdout)[0]!.hint).toContain('is a secret of this plan');
  });

  it("says a GitHub-provided variable is set only in Actions, and a step's own env: is not seen by ${{ }}", () => {
    const dir = planRepo(`${planHead()}  steps:
    - id: tag
      run: node tools/step.js append marks.txt \${{ env.GITHUB_RUN_ID }}
    - id: own
      run: node tools/step.js append marks.txt \${{ env.LOCAL_ONLY }}
      env: { LOCAL_ONLY: x }
`);
    const previewed = cutover(['plan', 'plans/p.yaml', '--format', 'json'], { cwd: dir });
    const [github, own] = problemsOf(previewed.stdout);
    expect(github!.hint).toContain('set by GitHub Actions only');
    expect(own!.hint).toContain("the step's own env: reaches its command");
  });
});

describe('shell operators in a run: string without shell:', () => {
  it('is a validation error at the operator with both fixes as the hint; shell: bash, the list form and a quoted operator pass', () => {
    const dir = planRepo(`${planHead()}  steps:
    - { id: plain, run: "node tools/step.js echo hi" }
`);
    writeFiles(dir, {
      'plans/bad.yaml': `${planHead('bad')}  steps:\n    - id: out\n      run: node tools/step.js echo hi > out.txt\n`,
      'plans/good.yaml': `${planHead('good')}  steps:
    - { id: shelled, run: "node tools/step.js echo hi > out.txt", shell: bash }
    - { id: listed, run: [node, tools/step.js, echo, ">"] }
    - { id: quoted, run: "node tools/step.js echo '|' '&&'" }
`,
    });
    const bad = cutover(['validate', 'plans/bad.yaml', '--format', 'json'], { cwd: dir });
    expect(bad.code).toBe(2);
    const [problem] = problemsOf(bad.stdout);
    expect(problem).toMatchObject({ code: 'PLAN_SCHEMA', line: 11, col: 39 });
    expect(problem!.message).toContain('`>` is a shell operator');
    expect(problem!.hint).toContain('shell: bash');
    expect(problem!.hint).toContain('list of arguments');
    const good = cutover(['validate', 'plans/good.yaml'], { cwd: dir });
    expect(good.code, good.stderr).toBe(0);
  });
});

describe('YAML syntax errors', () => {
  it('an over-indented timeout: is reported on its own line in plain words with a hint', () => {
    const dir = planRepo(`${planHead()}  steps:\n    - { id: plain, run: "node tools/step.js echo hi" }\n`);
    writeFiles(dir, {
      'plans/bad.yaml': `${planHead('bad')}  steps:\n    - id: migrate\n      run: node tools/step.js echo hi\n        timeout: 10m\n`,
    });
    const r = cutover(['validate', 'plans/bad.yaml'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^plans\/bad\.yaml:12:9: error PLAN_SYNTAX: `timeout:` is indented more than `run:`/m);
    expect(r.stderr).toContain('hint: indent it by 6 spaces, like `run:`');
    expect(r.stderr).not.toContain('compact');
  });
});

describe('did you mean', () => {
  it('names the nearest key for a mistyped one', () => {
    const dir = planRepo(`${planHead()}  steps:\n    - { id: plain, run: "node tools/step.js echo hi" }\n`);
    writeFiles(dir, {
      'plans/bad.yaml': `${planHead('bad')}  steps:\n    - id: migrate\n      run: node tools/step.js echo hi\n      timout: 10m\n`,
    });
    const [problem] = problemsOf(cutover(['validate', 'plans/bad.yaml', '--format', 'json'], { cwd: dir }).stdout);
    expect(problem).toMatchObject({ code: 'PLAN_SCHEMA', line: 12, col: 7 });
    expect(problem!.hint).toMatch(/^did you mean "timeout"\? allowed keys: /);
  });

  it('names the nearest step id for --fail-at, rerun and if', () => {
    const dir = planRepo(`${planHead()}  steps:\n    - { id: migrate, run: node tools/step.js append marks.txt migrate }\n`);
    writeFiles(dir, {
      'plans/typos.yaml': `${planHead('typos')}  steps:
    - { id: migrate, run: node tools/step.js append marks.txt migrate, produces: [out] }
    - { id: check, uses: determinism, with: { rerun: [migrte], paths: [out] } }
    - { id: flip, run: node tools/step.js echo flip, if: "steps.mirgate.outcome == 'success'" }
`,
    });
    const invalid = problemsOf(cutover(['validate', 'plans/typos.yaml', '--format', 'json'], { cwd: dir }).stdout);
    expect(invalid.map((p) => [p.code, p.hint])).toEqual([
      ['PLAN_REFERENCE', 'did you mean "migrate"?'],
      ['PLAN_REFERENCE', 'did you mean "migrate"?'],
    ]);

    const drill = runPlan(dir, ['--fail-at', 'migrat']);
    expect(drill.code).toBe(2);
    expect(problemsOf(drill.stdout)[0]).toMatchObject({
      code: 'USAGE',
      message: '--fail-at: no step has the id "migrat"',
      hint: 'did you mean "migrate"?',
    });
    expect(existsSync(join(dir, 'marks.txt'))).toBe(false);
    const far = runPlan(dir, ['--fail-at', 'zzz']);
    expect(problemsOf(far.stdout)[0]!.hint).toBe('the step ids are migrate');
  });
});
