// cutover's own time inside the pause window of the station-56 plan: the wall time between the
// `paused` and `resumed` boundaries less the time its steps ran (run.json's `pauseWindow`), against
// the target of 50 ms plus 3 ms a step in the window. Median of five runs.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, EXAMPLES, createExampleRepo } from '../scripts/example-repo.js';
import { median, report } from './lib.js';

const RUNS = 5;
const plan = EXAMPLES['station-56'];

/** One run of the plan in a fresh copy of the example (the playbook runs once a repository); its window. */
function windowOfOneRun(id) {
  const dir = createExampleRepo('station-56');
  const git = (...args) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  try {
    execFileSync(process.execPath, [CLI, 'freeze', plan], { cwd: dir, stdio: 'ignore' });
    git('add', '-A');
    git('commit', '-q', '-m', 'freeze');
    const run = spawnSync(process.execPath, [CLI, 'run', plan, '--quiet', '--run-id', id], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, MIGRATE_RUN_ID: id },
    });
    if (run.status !== 0) throw new Error(`station-56 run ${id} failed (${run.status}): ${run.stdout}${run.stderr}`);
    return JSON.parse(readFileSync(join(dir, 'reports/station-56', id, 'run.json'), 'utf8')).pauseWindow;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

{
  const windows = Array.from({ length: RUNS }, (_, i) => windowOfOneRun(`w${i}`));
  const own = median(windows.map((w) => w.cutoverMs));
  const steps = median(windows.map((w) => w.steps));
  const target = 50 + 3 * steps;
  const ok = report(
    'pause-window',
    windows.map((w, i) => ({ run: `w${i}`, pausedMs: w.wallMs, stepsMs: w.stepsMs, cutoverMs: w.cutoverMs, steps: w.steps })),
    [
      {
        label: `station-56: cutover's own time in the pause window ${own} ms over ${steps} steps, median of ${RUNS} runs (target < ${target} ms = 50 + 3 a step)`,
        pass: own < target,
      },
    ],
  );
  process.exitCode = ok ? 0 : 1;
}
