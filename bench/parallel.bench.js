// Parallel cutover: a station-56-style plan whose migrate step fans out over 8 module shards of 2 s
// each, run with `concurrency: 4` and serially (`concurrency: 1`) in two fresh repositories with the
// same data and run id. Reports the wall-time ratio (target: well under half) and checks that both
// runs reach the same run root.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measure, median, report, frozenRepo } from './lib.js';

const cli = join(import.meta.dirname, '../dist/cli.js');
const MODULES = ['kurse', 'orte', 'personen', 'raeume', 'dozenten', 'buchungen', 'teilnehmer', 'rechnungen'];
const SHARD_MS = 2000;
const PAIRS = 2;

// The migration tool: `migrate MODULE` reads the module's frozen source rows, works for SHARD_MS,
// and writes the module's candidate (deterministic: the same rows give the same bytes).
const TOOL = `import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
const [verb, module] = process.argv.slice(2);
if (verb === 'migrate') {
  const rows = JSON.parse(readFileSync(\`source/\${module}.json\`, 'utf8'));
  await new Promise((r) => setTimeout(r, ${SHARD_MS}));
  mkdirSync(\`storage_candidate/v1/\${module}\`, { recursive: true });
  for (const [i, row] of rows.entries()) writeFileSync(\`storage_candidate/v1/\${module}/\${i}.json\`, JSON.stringify({ module, ...row }) + '\\n');
} else if (verb === 'scan') {
  for (const m of JSON.parse(readFileSync('migration/modules.json', 'utf8')).modules) readFileSync(\`storage_candidate/v1/\${m}/0.json\`);
} else writeFileSync(\`state/\${verb}\`, 'ok\\n');
`;

function plan(concurrency) {
  return `apiVersion: cutover/v1
kind: Plan
metadata: { name: station-56-parallel }
spec:
  concurrency: ${concurrency}
  inputs:
    - { name: source, paths: ["source/*.json"] }
  registries:
    - { name: modules, paths: ["migration/*.json"] }
  steps:
    - { id: freeze-writes, run: node tools/tool.js maintenance-on, boundary: paused }
    - id: migrate
      matrix: { module: { file: migration/modules.json, path: modules } }
      run: node tools/tool.js migrate \${{ matrix.module }}
      produces: ["storage_candidate/v1/\${{ matrix.module }}"]
      timeout: 1m
    - { id: scan-all, run: node tools/tool.js scan }
    - { id: flip, run: node tools/tool.js flip, boundary: switched }
  finally:
    - { id: resume-writes, run: node tools/tool.js maintenance-off, boundary: resumed }
  artifacts:
    - { name: candidate, path: storage_candidate/v1, roots: children }
`;
}

/** A fresh repository with the tool, the frozen sources and module list, and the plan frozen and committed. */
function repository(concurrency) {
  const dir = mkdtempSync(join(tmpdir(), `cutover-bench-parallel-${concurrency}-`));
  for (const sub of ['plans', 'tools', 'source', 'migration', 'state']) mkdirSync(join(dir, sub));
  writeFileSync(join(dir, 'state/.keep'), '');
  writeFileSync(join(dir, 'tools/tool.js'), TOOL);
  writeFileSync(join(dir, 'tools/package.json'), '{ "type": "module" }\n');
  writeFileSync(join(dir, 'migration/modules.json'), `${JSON.stringify({ modules: MODULES })}\n`);
  for (const m of MODULES)
    writeFileSync(
      join(dir, `source/${m}.json`),
      `${JSON.stringify(Array.from({ length: 50 }, (_, i) => ({ id: i, name: `${m}-${i}` })))}\n`,
    );
  writeFileSync(join(dir, 'plans/p.yaml'), plan(concurrency));
  frozenRepo(dir, 'plans/p.yaml', cli);
  return dir;
}

/** One run with run id `bench`; returns its wall time and the run root its record claims. */
function runOnce(dir) {
  rmSync(join(dir, 'reports'), { recursive: true, force: true });
  rmSync(join(dir, 'storage_candidate'), { recursive: true, force: true });
  const { wallMs } = measure([process.execPath, cli, 'run', 'plans/p.yaml', '--no-commit', '--quiet', '--run-id', 'bench'], { cwd: dir });
  const run = JSON.parse(readFileSync(join(dir, 'reports/station-56-parallel/bench/run.json'), 'utf8'));
  if (run.outcome !== 'success') throw new Error(`the run in ${dir} ended ${run.outcome}`);
  return { wallMs, runRoot: run.runRoot, shards: run.steps.filter((s) => s.matrix).length };
}

const serialDir = repository(1);
const parallelDir = repository(4);
try {
  const pairs = [];
  for (let i = 0; i < PAIRS; i++) pairs.push({ serial: runOnce(serialDir), parallel: runOnce(parallelDir) });
  const serialMs = median(pairs.map((p) => p.serial.wallMs));
  const parallelMs = median(pairs.map((p) => p.parallel.wallMs));
  const ratio = parallelMs / serialMs;
  const roots = new Set(pairs.flatMap((p) => [p.serial.runRoot, p.parallel.runRoot]));
  const ok = report(
    'parallel',
    [
      {
        case: `serial: ${MODULES.length} shards × ${SHARD_MS / 1000} s, concurrency 1`,
        medianMs: serialMs.toFixed(0),
        shards: pairs[0].serial.shards,
      },
      { case: `parallel: the same plan, concurrency 4`, medianMs: parallelMs.toFixed(0), shards: pairs[0].parallel.shards },
      { case: 'ratio parallel / serial', medianMs: ratio.toFixed(3) },
      { case: 'run root (both runs, every pair)', medianMs: [...roots].join(' ') },
    ],
    [
      { label: `concurrency 4 takes ${(ratio * 100).toFixed(0)}% of the serial time (target < 50%)`, pass: ratio < 0.5 },
      { label: `the run root is the same serial and parallel (${roots.size} distinct)`, pass: roots.size === 1 },
    ],
  );
  process.exitCode = ok ? 0 : 1;
} finally {
  rmSync(serialDir, { recursive: true, force: true });
  rmSync(parallelDir, { recursive: true, force: true });
}
