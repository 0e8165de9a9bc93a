// `cutover validate` wall time over Node's own start-up (`node -e 0`, run side by side in pairs), on
// the station-56 plan and a generated 5,000-step plan.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bench, paired, report } from './lib.js';

// Under 100 ms over Node's own start-up where Node has a compile cache (22.1 and later), 150 ms before.
const TARGET_MS = Number(process.versions.node.split('.')[0]) >= 22 ? 100 : 150;

const cli = join(import.meta.dirname, '../dist/cli.js');
const dir = mkdtempSync(join(tmpdir(), 'cutover-bench-validate-'));
// A typical step (id, command, timeout), and a dense one with interpolation and a JSON expectation
// that brings the file close to the 1 MiB plan size cap.
const typical = (i) => [`    - id: step-${i}`, `      run: node tools/step.js ${i}`, '      timeout: 5m'].join('\n');
const dense = (i) =>
  [
    `    - id: step-${i}`,
    `      run: node tools/step.js --index ${i} --run \${{ run.id }}`,
    '      timeout: 5m',
    `      expect: { exitCode: 0, json: [{ file: out/${i}.json, path: counts.BLOCKER, equals: 0 }] }`,
  ].join('\n');
const planOf = (step) =>
  `apiVersion: cutover/v1\nkind: Plan\nmetadata: { name: big }\nspec:\n  runId: bench\n  steps:\n${Array.from({ length: 5000 }, (_, i) => step(i)).join('\n')}\n`;
const big = join(dir, 'big.yaml');
const denseFile = join(dir, 'dense.yaml');
writeFileSync(big, planOf(typical));
writeFileSync(denseFile, planOf(dense));

try {
  const node = [process.execPath, '-e', '0'];
  const example = paired(node, [process.execPath, cli, 'validate', 'plans/station-56-cutover.yaml'], {
    pairs: 15,
    cwd: join(import.meta.dirname, '..'),
  });
  const large = paired(node, [process.execPath, cli, 'validate', big], { pairs: 5 });
  const heavy = bench([process.execPath, cli, 'validate', denseFile], { runs: 3 });
  const ok = report(
    'validate',
    [
      { case: 'node -e 0 (baseline, median)', medianMs: example.baselineMs.toFixed(1) },
      {
        case: 'validate station-56',
        medianMs: example.medianMs.toFixed(1),
        overBaselineMs: example.overMs.toFixed(1),
        peakRssMiB: example.peakRssMiB.toFixed(1),
      },
      {
        case: 'validate 5,000 typical steps',
        medianMs: large.medianMs.toFixed(1),
        overBaselineMs: large.overMs.toFixed(1),
        peakRssMiB: large.peakRssMiB.toFixed(1),
      },
      {
        case: 'validate 5,000 dense steps (~0.95 MiB, no target)',
        medianMs: heavy.medianMs.toFixed(1),
        peakRssMiB: heavy.peakRssMiB.toFixed(1),
      },
    ],
    [
      {
        label: `station-56: ${example.overMs.toFixed(1)} ms over node start-up, median of 15 pairs (target < ${TARGET_MS} ms on Node ${process.versions.node})`,
        pass: example.overMs < TARGET_MS,
      },
      { label: `5,000-step plan: ${large.overMs.toFixed(1)} ms over node start-up (target < 1000 ms)`, pass: large.overMs < 1000 },
    ],
  );
  process.exitCode = ok ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
