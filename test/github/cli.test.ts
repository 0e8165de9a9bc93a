// The CLI inside GitHub Actions writes the same summary and outputs as the action (both call the same commands).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cutover } from '../helpers/cli.js';
import { git, gitRepo, tempDir } from '../helpers/git-repo.js';
import { planHead, planRepo } from '../helpers/run-repo.js';

/** The environment the runner gives a `run:` step, with fresh summary and output files. */
function runnerEnv(extra: Record<string, string> = {}) {
  const dir = tempDir('cutover-runner-');
  const files = { summary: join(dir, 'summary'), output: join(dir, 'output') };
  writeFileSync(files.summary, '');
  writeFileSync(files.output, '');
  return {
    env: {
      GITHUB_ACTIONS: 'true',
      GITHUB_STEP_SUMMARY: files.summary,
      GITHUB_OUTPUT: files.output,
      GITHUB_RUN_ID: '42',
      GITHUB_RUN_ATTEMPT: '2',
      ...extra,
    },
    read: () => ({ summary: readFileSync(files.summary, 'utf8'), output: readFileSync(files.output, 'utf8') }),
  };
}

/** name → value of the delimiter-form outputs. */
function outputsOf(text: string): Record<string, string> {
  return Object.fromEntries([...text.matchAll(/^([^<\n]+)<<(.+)\n([\s\S]*?)\n\2$/gm)].map((m) => [m[1]!, m[3]!]));
}

describe('cutover in GitHub Actions', () => {
  it('run: the github format by default, the report as the summary, outputs; with --format json only the JSON on stdout', () => {
    const dir = planRepo(
      `${planHead()}  secrets: [TOKEN]\n  steps:\n    - { id: one, run: node tools/step.js echo hello }\n`.replace('  runId: r1\n', ''),
    );
    const runner = runnerEnv({ TOKEN: 'token-value-1234' });
    const r = cutover(['run', 'plans/p.yaml'], { cwd: dir, env: runner.env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('::add-mask::token-value-1234');
    expect(r.stdout).toContain('::group::steps/one');
    const { summary, output } = runner.read();
    expect(outputsOf(output)).toMatchObject({
      outcome: 'success',
      record: 'reports/test-plan/gh-42-2',
      'run-id': 'gh-42-2',
      commit: git(dir, 'rev-parse', 'HEAD'),
    });
    expect(summary).toBe(readFileSync(join(dir, 'reports/test-plan/gh-42-2/report.md'), 'utf8'));

    const json = runnerEnv({ TOKEN: 'token-value-1234' });
    const j = cutover(['run', 'plans/p.yaml', '--format', 'json', '--run-id', 'second'], { cwd: dir, env: json.env });
    expect(j.code, j.stderr).toBe(0);
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: true, runId: 'second' });
    expect(outputsOf(json.read().output)).toMatchObject({ outcome: 'success', record: 'reports/test-plan/second' });
    expect(json.read().summary).toMatch(/^# test-plan · second ✅ succeeded/);
  });

  it('freeze --check: a stale lock annotated at the drifted file, outcome refused; a refused run’s summary names the files', () => {
    const dir = planRepo(`${planHead()}  steps:\n    - { id: one, run: node tools/step.js echo hello }\n`);
    writeFileSync(join(dir, 'config/b.json'), '{ "b": 1 }\n');
    const check = runnerEnv();
    const r = cutover(['freeze', '--check', 'plans/p.yaml'], { cwd: dir, env: check.env });
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(
      /^::error file=config\/b\.json,title=REGISTRY_UNFROZEN::REGISTRY_UNFROZEN: .*\(hint: run cutover freeze plans\/p\.yaml and commit the lock\)$/m,
    );
    expect(outputsOf(check.read().output)).toEqual({ outcome: 'refused' });

    const run = runnerEnv();
    const refused = cutover(['run', 'plans/p.yaml'], { cwd: dir, env: run.env });
    expect(refused.code).toBe(3);
    expect(run.read().summary).toMatch(/^## ❌ cutover run: refused \(exit 3\)\n\n- `config\/b\.json` \*\*REGISTRY_UNFROZEN\*\*/);
    expect(outputsOf(run.read().output)).toEqual({ outcome: 'refused' });
  });

  it('writes no GitHub files outside Actions', () => {
    const dir = gitRepo({ 'plans/p.yaml': `${planHead()}  steps:\n    - { id: one, run: node tools/step.js echo hello }\n` });
    const runner = runnerEnv();
    const r = cutover(['validate', 'plans/p.yaml'], { cwd: dir, env: { ...runner.env, GITHUB_ACTIONS: '' } });
    expect(r.code).toBe(0);
    expect(runner.read()).toEqual({ summary: '', output: '' });
  });
});
