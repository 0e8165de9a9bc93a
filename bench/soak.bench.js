// The million-file soak (BENCH_SOAK=1; it writes 1 GiB in a million files and takes minutes): hash,
// a run whose record holds that artifact with `commit: manifest`, and verify, at 250,000 and at
// 1,000,000 files. Peak RSS stays under 300 MiB and time grows linearly with the file count.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measure, report, frozenRepo } from './lib.js';

const cli = join(import.meta.dirname, '../dist/cli.js');
const PER_DIR = 1000;
const SIZES = [250_000, 1_000_000];

if (process.env.BENCH_SOAK !== '1') {
  console.log('SKIP  the million-file soak runs with BENCH_SOAK=1 (npm run bench soak)');
  process.exit(0);
}

/** A repository whose plan's one artifact is `data/` with `files` files of 1 KiB, ready to run. */
function soakRepo(root, files) {
  const repo = join(root, `repo-${files}`);
  mkdirSync(join(repo, 'plans'), { recursive: true });
  writeFileSync(join(repo, '.gitignore'), 'data/\n');
  writeFileSync(
    join(repo, 'plans/soak.yaml'),
    'apiVersion: cutover/v1\nkind: Plan\nmetadata: { name: soak }\nspec:\n  runId: s1\n  steps:\n    - { id: noop, run: ["true"] }\n  artifacts:\n    - { name: data, path: data, commit: manifest }\n',
  );
  const content = Buffer.alloc(1024, 'x');
  for (let d = 0; d < files / PER_DIR; d++) {
    const dir = join(repo, 'data', `d${d}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < PER_DIR; f++) {
      content.writeUInt32LE(d * PER_DIR + f, 0);
      writeFileSync(join(dir, `f${f}`), content);
    }
  }
  frozenRepo(repo, 'plans/soak.yaml', cli);
  return repo;
}

const root = mkdtempSync(join(tmpdir(), 'cutover-bench-soak-'));
try {
  const rows = [];
  for (const files of SIZES) {
    const repo = soakRepo(root, files);
    const hash = measure([process.execPath, cli, 'hash', 'data', '--quiet'], { cwd: repo });
    const run = measure([process.execPath, cli, 'run', 'plans/soak.yaml', '--quiet'], { cwd: repo });
    const verify = measure([process.execPath, cli, 'verify', 'reports/soak/s1', '--quiet'], { cwd: repo });
    rows.push({
      files,
      hashMs: hash.wallMs,
      runMs: run.wallMs,
      verifyMs: verify.wallMs,
      peakRssMiB: Math.max(hash.rssMiB, run.rssMiB, verify.rssMiB),
    });
    rmSync(repo, { recursive: true, force: true });
  }
  const [small, large] = rows;
  const growth = (key) => large[key] / small[key];
  const linear = (key) => growth(key) < (SIZES[1] / SIZES[0]) * 1.3;
  const ok = report(
    'soak-1m-files',
    rows.map((r) => ({
      files: r.files,
      hashMs: r.hashMs.toFixed(0),
      runMs: r.runMs.toFixed(0),
      verifyMs: r.verifyMs.toFixed(0),
      peakRssMiB: r.peakRssMiB.toFixed(0),
    })),
    [
      { label: `1,000,000 files: peak RSS ${large.peakRssMiB.toFixed(0)} MiB (target < 300 MiB)`, pass: large.peakRssMiB < 300 },
      ...['hashMs', 'runMs', 'verifyMs'].map((key) => ({
        label: `${key.replace('Ms', '')}: ${growth(key).toFixed(2)}× the time for 4× the files (linear: < 5.2×)`,
        pass: linear(key),
      })),
    ],
  );
  process.exitCode = ok ? 0 : 1;
} finally {
  rmSync(root, { recursive: true, force: true });
}
