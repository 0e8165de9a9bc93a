// Why a step failed, where one looks: its last 20 lines of masked output and the path of its log in
// the text output, in JSON, in report.md and in GitHub's annotation; the run's header and closing
// lines; --quiet prints the failures and the closing lines, never nothing. Real repositories, built CLI.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cutover } from '../helpers/cli.js';
import { git } from '../helpers/git-repo.js';
import { planHead, planRepo, runPlan } from '../helpers/run-repo.js';

const CANARY = 'canary-9f3e-tail-secret';
const failing = `${planHead()}  secrets: [CANARY_TOKEN]
  steps:
    - { id: prepare, run: node tools/step.js echo ready }
    - id: breaks
      run: node tools/step.js lines 30 3 "the token is \${{ env.CANARY_TOKEN }}"
    - { id: flip, run: node tools/step.js echo flip }
  finally:
    - { id: wrap-up, run: node tools/step.js echo done }
`;
const env = { CANARY_TOKEN: CANARY };
const LOG = 'reports/test-plan/r1/logs/steps-02-breaks.log';
const expectedTail = [
  ...Array.from({ length: 18 }, (_, i) => `output line ${i + 13}`),
  'the token is ***',
  'cutover: expectation failed: exit code 3, expected 0',
];

describe('a failing step', () => {
  it('shows its last 20 lines of masked output and its log under its line, then the counts and the record', () => {
    const dir = planRepo(failing);
    const r = cutover(['run', 'plans/p.yaml'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).not.toContain(CANARY);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 4)).toEqual([
      'cutover run plans/p.yaml',
      '  run id   r1',
      '  record   reports/test-plan/r1',
      expect.stringMatching(/^ {2}freeze {3}frozen sha256:[0-9a-f]{64}$/),
    ]);
    const at = lines.findIndex((l) => l.startsWith('✗ steps/breaks failure'));
    expect(lines[at]).toMatch(/: exit code 3, expected 0$/);
    expect(lines.slice(at + 1, at + 23)).toEqual([
      '  last 20 lines of its output:',
      ...expectedTail.map((l) => `  │ ${l}`),
      `  log ${LOG}`,
    ]);
    // The log is where the output says, and ends with what was shown.
    expect(readFileSync(join(dir, LOG), 'utf8').trimEnd().split('\n').slice(-20)).toEqual(expectedTail);
    const head = git(dir, 'rev-parse', 'HEAD');
    expect(lines.slice(-3)).toEqual([
      expect.stringMatching(/^run failed \(exit 1\) · 2 succeeded, 1 failed, 1 skipped · [0-9.]+ m?s$/),
      expect.stringMatching(new RegExp(`^record reports/test-plan/r1 {2}root sha256:[0-9a-f]{64} {2}commit ${head.slice(0, 12)}$`)),
      '',
    ]);
  });

  it('carries tail and log in JSON, with the counts and the record commit', () => {
    const dir = planRepo(failing);
    const r = runPlan(dir, [], env);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).not.toContain(CANARY);
    const breaks = r.doc!.steps.find((s: { id: string }) => s.id === 'breaks');
    expect(breaks).toMatchObject({ outcome: 'failure', tail: expectedTail, log: LOG });
    expect(r.doc!.steps.find((s: { id: string }) => s.id === 'prepare').tail).toBeUndefined();
    expect(r.doc!.counts).toEqual({ succeeded: 2, failed: 1, skipped: 1, interrupted: 0 });
    expect(r.doc!.recordCommit).toBe(git(dir, 'rev-parse', 'HEAD'));
    expect(r.doc!.pushed).toBe(false);
    const uncommitted = runPlan(dir, ['--run-id', 'r2', '--no-commit'], env);
    expect(uncommitted.doc!.recordCommit).toBeNull();
  });

  it('keeps the tail in run.json and shows it in report.md in a collapsed block; verify recomputes the report', () => {
    const dir = planRepo(failing);
    expect(runPlan(dir, [], env).code).toBe(1);
    const run = JSON.parse(readFileSync(join(dir, 'reports/test-plan/r1/run.json'), 'utf8'));
    expect(run.steps.find((s: { id: string }) => s.id === 'breaks').tail).toEqual(expectedTail);
    const report = readFileSync(join(dir, 'reports/test-plan/r1/report.md'), 'utf8');
    expect(report).toContain(
      '<details><summary>Last 20 lines of the output of <code>breaks</code> (the whole log: <code>logs/steps-02-breaks.log</code>)</summary>\n\n```text\noutput line 13\n',
    );
    expect(report).toContain('the token is ***\ncutover: expectation failed: exit code 3, expected 0\n```\n\n</details>');
    expect(report).not.toContain(CANARY);
    const verified = cutover(['verify', 'reports/test-plan/r1'], { cwd: dir });
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
  });

  it("puts the tail and the log into GitHub's annotation, escaped, and keeps the step's output from acting as commands", () => {
    const dir = planRepo(`${planHead()}  steps:
    - id: breaks
      run: node tools/step.js lines 2 3 "::warning::forged by the step"
`);
    const r = cutover(['run', 'plans/p.yaml', '--no-commit'], { cwd: dir, env: { GITHUB_ACTIONS: 'true' } });
    expect(r.code).toBe(1);
    const annotation = r.stdout.split('\n').find((l) => l.startsWith('::error '));
    expect(annotation).toBe(
      '::error file=plans/p.yaml,line=10,col=7,title=STEP_FAILED::steps/breaks failure: exit code 3, expected 0%0A%0Alast 4 lines of its output:%0Aoutput line 1%0Aoutput line 2%0A::warning::forged by the step%0Acutover: expectation failed: exit code 3, expected 0%0A%0Alog: reports/test-plan/r1/logs/steps-01-breaks.log',
    );
    // The tail as printed sits between ::stop-commands::TOKEN and ::TOKEN::.
    const stop = /^::stop-commands::(.+)$/m.exec(r.stdout.slice(r.stdout.indexOf('last 4 lines') - 200))?.[1];
    expect(stop).toBeDefined();
    const region = r.stdout.slice(r.stdout.indexOf(`::stop-commands::${stop}`), r.stdout.indexOf(`::${stop}::`));
    expect(region).toContain('│ ::warning::forged by the step');
  });
});

describe('--quiet', () => {
  it('prints the failures and the closing lines, and on success the closing lines alone', () => {
    const dir = planRepo(failing);
    const failed = cutover(['run', 'plans/p.yaml', '--quiet'], { cwd: dir, env });
    expect(failed.code).toBe(1);
    const lines = failed.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^✗ steps\/breaks failure /);
    expect(lines.slice(1, 23)).toEqual(['  last 20 lines of its output:', ...expectedTail.map((l) => `  │ ${l}`), `  log ${LOG}`]);
    expect(lines.slice(23).map((l) => l.split(' ')[0])).toEqual(['run', 'record']);

    const ok = planRepo(`${planHead()}  steps:\n    - { id: fine, run: node tools/step.js echo fine }\n`);
    const quiet = cutover(['run', 'plans/p.yaml', '--quiet'], { cwd: ok });
    expect(quiet.code, quiet.stderr).toBe(0);
    const closing = quiet.stdout.trimEnd().split('\n');
    expect(closing).toHaveLength(2);
    expect(closing[0]).toMatch(/^run succeeded \(exit 0\) · 1 succeeded, 0 failed, 0 skipped · /);
    expect(closing[1]).toMatch(/^record reports\/test-plan\/r1 /);
  });
});
