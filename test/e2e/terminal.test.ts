// `cutover run` on a terminal, through a real pseudo-terminal (util-linux `script`): listr2 draws the
// steps when the terminal says how wide it is; a terminal that does not gets one line an event.
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI, stripAnsi } from '../helpers/cli.js';
import { planHead, planRepo } from '../helpers/run-repo.js';

const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Runs `cutover ARGS` on a fresh pseudo-terminal, sized first by `stty` when `columns` is given. */
function onTerminal(cwd: string, args: string[], columns?: number) {
  const command = `${columns ? `stty cols ${columns} rows 40; ` : ''}exec '${process.execPath}' '${CLI}' ${args.join(' ')}`;
  const r = spawnSync('script', ['-qec', command, '/dev/null'], { cwd, encoding: 'utf8', env: { ...process.env, CI: '', GITHUB_ACTIONS: '', TERM: 'xterm', NO_COLOR: '' } });
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
    expect(r.screen).toMatch(/record reports\/test-plan\/r1 {2}root sha256:[0-9a-f]{64}\nrun succeeded \(exit 0\)/);
  });

  it('prints one line an event on a terminal that does not say how wide it is', () => {
    const dir = planRepo(plan);
    const r = onTerminal(dir, ['run', 'plans/p.yaml', '--no-commit']);
    expect(r.code, r.screen).toBe(0);
    expect(r.screen).not.toContain('✔');
    expect(r.screen).toMatch(/✓ steps\/first-step success/);
    expect(r.screen).toMatch(/✓ finally\/wrap-up success/);
    expect(r.screen).toContain('run succeeded (exit 0)');
  });
});
