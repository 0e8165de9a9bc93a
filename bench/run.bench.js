// Executor overhead: 500 no-op steps through `cutover run` against a bash script running the same 500
// commands, (cutover's wall time − bash's) / 500, as the median over pairs of runs side by side.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measure, median, report, frozenRepo } from './lib.js';

const cli = join(import.meta.dirname, '../dist/cli.js');
const STEPS = 500;
const PAIRS = 5;
const dir = mkdtempSync(join(tmpdir(), 'cutover-bench-run-'));

try {
  mkdirSync(join(dir, 'plans'));
  mkdirSync(join(dir, 'config'));
  writeFileSync(join(dir, 'config/a.json'), '{}\n');
  const steps = Array.from({ length: STEPS }, (_, i) => `    - { id: s${i}, run: ["true"] }`).join('\n');
  writeFileSync(
    join(dir, 'plans/p.yaml'),
    `apiVersion: cutover/v1\nkind: Plan\nmetadata: { name: bench }\nspec:\n  registries:\n    - { name: config, paths: ["config/*.json"] }\n  steps:\n${steps}\n`,
  );
  // `/usr/bin/true` as a process per command on both sides, so the difference is cutover's own work.
  writeFileSync(join(dir, 'same.sh'), `#!/bin/bash\nset -e\n${Array.from({ length: STEPS }, () => '/usr/bin/true').join('\n')}\n`);
  frozenRepo(dir, 'plans/p.yaml', cli);

  const baseline = ['bash', join(dir, 'same.sh')];
  measure(baseline); // warm-up
  // Pairs of a baseline run and a cutover run side by side, so that a change of the machine's load
  // between them (it is shared) weighs on both sides of each difference alike.
  const pairs = [];
  for (let i = 0; i < PAIRS; i++) {
    const bash = measure(baseline);
    const run = measure([process.execPath, cli, 'run', 'plans/p.yaml', '--no-commit', '--quiet', '--run-id', `b${i}`], { cwd: dir });
    rmSync(join(dir, 'reports'), { recursive: true, force: true });
    pairs.push({ bash, run, perStep: (run.wallMs - bash.wallMs) / STEPS });
  }
  const perStep = median(pairs.map((p) => p.perStep));
  const ok = report(
    'run-overhead',
    [
      { case: `bash: ${STEPS} × /usr/bin/true`, medianMs: median(pairs.map((p) => p.bash.wallMs)).toFixed(0) },
      {
        case: `cutover run: ${STEPS} no-op steps`,
        medianMs: median(pairs.map((p) => p.run.wallMs)).toFixed(0),
        peakRssMiB: Math.max(...pairs.map((p) => p.run.rssMiB)).toFixed(1),
      },
      { case: `overhead a step, each of ${PAIRS} pairs (ms)`, medianMs: pairs.map((p) => p.perStep.toFixed(2)).join(' ') },
    ],
    [{ label: `executor overhead ${perStep.toFixed(2)} ms a step, median of ${PAIRS} pairs (target < 5 ms)`, pass: perStep < 5 }],
  );
  process.exitCode = ok ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
