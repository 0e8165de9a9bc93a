// `cutover run` on a terminal, through a real pseudo-terminal (util-linux `script`): listr2 draws the
// steps when the terminal says how wide it is, with the running step's elapsed time; a terminal that
// does not gets one line an event. Both open with the header and close with the counts, then the record.
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, hasScript, stripAnsi } from '../helpers/cli.js';
import { planHead, planRepo } from '../helpers/run-repo.js';

/** Runs `cutover ARGS` on a fresh pseudo-terminal, sized first by `stty` when `columns` is given. */
function onTerminal(cwd: string, args: string[], columns?: number) {
  const command = `${columns ? `stty cols ${columns} rows 40; ` : ''}exec '${process.execPath}' '${CLI}' ${args.join(' ')}`;
  const r = spawnSync('script', ['-qec', command, '/dev/null'], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, CI: '', GITHUB_ACTIONS: '', TERM: 'xterm', NO_COLOR: '' },
  });
  return { code: r.status, screen: stripAnsi(r.stdout).replaceAll('\r', '') };
}

describe.skipIf(!hasScript)('cutover run on a terminal', () => {
  const plan = `${planHead()}  steps:
    - { id: first-step, name: the first step, run: node tools/step.js append marks.txt one }
  finally:
    - { id: wrap-up, run: node tools/step.js append marks.txt fin }
`;

  it("draws the steps with listr2's renderer on a terminal that has a width", () => {
    const dir = planRepo(plan);
    const r = onTerminal(dir, ['run', 'plans/p.yaml', '--no-commit'], 100);
    expect(r.code, r.screen).toBe(0);
    expect(r.screen).toMatch(/✔ the first step \(\d+(\.\d)? (ms|s)\)/);
    expect(r.screen).toMatch(/✔ finally: wrap-up/);
    expect(r.screen).toMatch(/✔ hash artifacts and write the record/);
    expect(r.screen).toMatch(
      /^cutover run plans\/p\.yaml\n {2}run id {3}r1\n {2}record {3}reports\/test-plan\/r1\n {2}freeze {3}frozen sha256:[0-9a-f]{64}\n/,
    );
    expect(r.screen).toMatch(
      /run succeeded \(exit 0\) · 2 succeeded, 0 failed, 0 skipped · [0-9.]+ m?s\nrecord reports\/test-plan\/r1 {2}root sha256:[0-9a-f]{64}\n(?![\s\S]*run succeeded)/,
    );
  });

  it("shows the running step's elapsed time, redrawn while it runs", async () => {
    const dir = planRepo(`${planHead()}  steps:
    - { id: slow, name: the slow step, run: node tools/step.js await go.marker }
`);
    const command = `stty cols 100 rows 40; exec '${process.execPath}' '${CLI}' run plans/p.yaml --no-commit`;
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      cwd: dir,
      env: { ...process.env, CI: '', GITHUB_ACTIONS: '', TERM: 'xterm', NO_COLOR: '' },
    });
    let raw = '';
    // The step waits for the marker, written once its title has shown it running for a second or more.
    child.stdout.on('data', (d: Buffer) => {
      raw += d.toString();
      if (/the slow step \d+\.\d s/.test(stripAnsi(raw))) writeFileSync(join(dir, 'go.marker'), '');
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    const screen = stripAnsi(raw).replaceAll('\r', '');
    expect(code, screen).toBe(0);
    expect(screen).toMatch(/✔ the slow step \([0-9.]+ s\)/);
  });

  it('after listr2 has drawn, a failed step shows its last output lines and its log', () => {
    const dir = planRepo(`${planHead()}  steps:
    - { id: breaks, run: node tools/step.js lines 30 3 }
`);
    const r = onTerminal(dir, ['run', 'plans/p.yaml', '--no-commit'], 100);
    expect(r.code, r.screen).toBe(1);
    const after = r.screen.slice(r.screen.lastIndexOf('✗ steps/breaks failure'));
    expect(after).toMatch(
      /^✗ steps\/breaks failure [0-9.]+ m?s: exit code 3, expected 0\n {2}last 20 lines of its output:\n {2}│ output line 12\n/,
    );
    expect(after).toContain(
      '  │ output line 30\n  │ cutover: expectation failed: exit code 3, expected 0\n  log reports/test-plan/r1/logs/steps-01-breaks.log\nrun failed (exit 1) · 0 succeeded, 1 failed, 0 skipped',
    );
  });

  it('prints one line an event on a terminal that does not say how wide it is', () => {
    const dir = planRepo(plan);
    const r = onTerminal(dir, ['run', 'plans/p.yaml', '--no-commit']);
    expect(r.code, r.screen).toBe(0);
    expect(r.screen).not.toContain('✔');
    expect(r.screen).toMatch(/✓ steps\/first-step success/);
    expect(r.screen).toMatch(/✓ finally\/wrap-up success/);
    expect(r.screen).toMatch(/run succeeded \(exit 0\) · 2 succeeded, 0 failed, 0 skipped · .*\nrecord reports\/test-plan\/r1 /);
  });
});
