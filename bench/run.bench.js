// Executor overhead: 500 no-op steps through `cutover run` against a bash script running the same 500 commands.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bench, report } from './lib.js';

const cli = join(import.meta.dirname, '../dist/cli.js');
const STEPS = 500;
const dir = mkdtempSync(join(tmpdir(), 'cutover-bench-run-'));
const git = (...args) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });

try {
  mkdirSync(join(dir, 'plans'));
  mkdirSync(join(dir, 'config'));
  writeFileSync(join(dir, 'config/a.json'), '{}\n');
  const steps = Array.from({ length: STEPS }, (_, i) => `    - { id: s${i}, run: ["true"] }`).join('\n');
  writeFileSync(join(dir, 'plans/p.yaml'), `apiVersion: cutover/v1\nkind: Plan\nmetadata: { name: bench }\nspec:\n  registries:\n    - { name: config, paths: ["config/*.json"] }\n  steps:\n${steps}\n`);
  writeFileSync(join(dir, 'same.sh'), `#!/bin/bash\nset -e\n${Array.from({ length: STEPS }, () => 'true').join('\n')}\n`);
  git('init', '-q', '-b', 'main');
  git('config', 'user.name', 'Bench');
  git('config', 'user.email', 'bench@example.test');
  git('config', 'commit.gpgSign', 'false');
  git('add', '-A');
  git('commit', '-q', '-m', 'init');
  execFileSync(process.execPath, [cli, 'freeze', 'plans/p.yaml'], { cwd: dir, stdio: 'ignore' });
  git('add', '-A');
  git('commit', '-q', '-m', 'lock');

  // `/usr/bin/true` as a process per command on both sides, so the difference is cutover's own work.
  writeFileSync(join(dir, 'same.sh'), `#!/bin/bash\nset -e\n${Array.from({ length: STEPS }, () => '/usr/bin/true').join('\n')}\n`);
  const baseline = bench(['bash', join(dir, 'same.sh')], { runs: 5 });
  let n = 0;
  const runs = [];
  for (let i = 0; i < 3; i++) {
    runs.push(bench([process.execPath, cli, 'run', 'plans/p.yaml', '--no-commit', '--quiet', '--run-id', `b${n++}`], { cwd: dir, runs: 1, warmup: 0 }));
    rmSync(join(dir, 'reports'), { recursive: true, force: true });
  }
  const medianRun = runs.map((r) => r.medianMs).sort((a, b) => a - b)[1];
  const perStep = (medianRun - baseline.medianMs) / STEPS;
  const ok = report(
    'run-overhead',
    [
      { case: `bash: ${STEPS} × /usr/bin/true`, medianMs: baseline.medianMs.toFixed(0) },
      { case: `cutover run: ${STEPS} no-op steps`, medianMs: medianRun.toFixed(0), peakRssMiB: Math.max(...runs.map((r) => r.peakRssMiB)).toFixed(1) },
    ],
    [{ label: `executor overhead ${perStep.toFixed(2)} ms a step (target < 5 ms)`, pass: perStep < 5 }],
  );
  process.exitCode = ok ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
