#!/usr/bin/env node
// Hashing throughput against coreutils and OpenSSL: 4 × 256 MiB files and 100,000 × 4 KiB files, and
// `cutover verify` of a record whose artifact holds those 100,000 files against `cutover hash` of the
// same tree (CONTRIBUTING.md, "Performance").
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measure, median, report, frozenRepo } from './lib.js';
import { manifestRoot } from '../dist/integrity/merkle.js';
import { sortEntries } from '../dist/integrity/manifest.js';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'dist', 'cli.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const BIG_FILES = 4;
const BIG_SIZE = 256 << 20;
const SMALL_DIRS = 100;
const SMALL_PER_DIR = 1000;
const SMALL_SIZE = 4096;

function makeBig(dir) {
  const chunk = randomFillSync(Buffer.allocUnsafe(16 << 20));
  const files = [];
  for (let f = 0; f < BIG_FILES; f++) {
    const path = join(dir, `big-${f}.bin`);
    const fd = openSync(path, 'w');
    for (let written = 0, i = 0; written < BIG_SIZE; written += chunk.length, i++) {
      chunk.writeUInt32LE(f * 1e6 + i, 0); // every chunk differs
      writeSync(fd, chunk);
    }
    closeSync(fd);
    files.push(path);
  }
  return files;
}

function makeSmall(dir) {
  const content = randomFillSync(Buffer.allocUnsafe(SMALL_SIZE));
  for (let d = 0; d < SMALL_DIRS; d++) {
    mkdirSync(join(dir, `d${d}`));
    for (let f = 0; f < SMALL_PER_DIR; f++) {
      content.writeUInt32LE(d * SMALL_PER_DIR + f, 0);
      writeFileSync(join(dir, `d${d}`, `f${f}.bin`), content);
    }
  }
}

// The root our engine prints must equal the root of the digests sha256sum computes, sorted by bytes.
function sameRootAsCoreutils(dir) {
  const ours = spawnSync(process.execPath, [cli, 'hash', dir], { encoding: 'utf8' }).stdout.trim();
  const sums = spawnSync('sh', ['-c', 'find . -type f -print0 | xargs -0 sha256sum'], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  }).stdout;
  const entries = sums
    .trim()
    .split('\n')
    .map((line) => ({ digest: line.slice(0, 64), path: line.slice(68) }));
  return ours === manifestRoot(sortEntries(entries));
}

// Cores kept busy by other processes over one idle second (Linux): a shared machine skews every ratio here.
function backgroundCores() {
  if (!existsSync('/proc/stat')) return NaN;
  const sample = () => readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const before = sample();
  spawnSync('sleep', ['1']);
  const delta = sample().map((v, i) => v - before[i]);
  const total = delta.reduce((a, b) => a + b, 0);
  const idle = delta[3] + delta[4];
  return ((total - idle) / total) * availableParallelism();
}

// A git repository whose plan has the tree as its artifact (`commit: manifest`), run once: its record
// is what verify reads. The tree is moved in, not copied.
function recordRepo(root, tree) {
  const repo = join(root, 'repo');
  mkdirSync(join(repo, 'plans'), { recursive: true });
  writeFileSync(join(repo, '.gitignore'), 'data/\n');
  writeFileSync(
    join(repo, 'plans/bench.yaml'),
    'apiVersion: cutover/v1\nkind: Plan\nmetadata: { name: bench }\nspec:\n  runId: v1\n  steps:\n    - { id: noop, run: ["true"] }\n  artifacts:\n    - { name: data, path: data, commit: manifest }\n',
  );
  frozenRepo(repo, 'plans/bench.yaml', cli);
  renameSync(tree, join(repo, 'data'));
  const run = spawnSync(process.execPath, [cli, 'run', 'plans/bench.yaml', '--quiet'], { cwd: repo, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`the run that makes the record failed: ${run.stderr}`);
  return repo;
}

// Commands run in interleaved rounds so a noisy neighbour slows every contender alike.
function compare(commands, options = {}) {
  for (const argv of Object.values(commands)) measure(argv, options); // warm the page cache and the binaries
  console.log(`background load before the rounds: ${backgroundCores().toFixed(2)} of ${availableParallelism()} cores busy`);
  const samples = Object.fromEntries(Object.keys(commands).map((name) => [name, []]));
  for (let round = 0; round < RUNS; round++) {
    for (const [name, argv] of Object.entries(commands)) samples[name].push(measure(argv, options));
  }
  return Object.fromEntries(
    Object.entries(samples).map(([name, runs]) => [
      name,
      {
        medianMs: Math.round(median(runs.map((r) => r.wallMs))),
        peakRssMiB: Math.round(Math.max(...runs.map((r) => r.rssMiB))),
        samplesMs: runs.map((r) => Math.round(r.wallMs)),
      },
    ]),
  );
}

const root = mkdtempSync(join(tmpdir(), 'cutover-bench-hash-'));
let ok = true;
try {
  const ours = (dir) => [process.execPath, cli, 'hash', dir]; // the CLI as users run it, startup included
  const xargs = (dir) => ['sh', '-c', 'find "$0" -type f -print0 | xargs -0 sha256sum > /dev/null', dir];

  const bigDir = join(root, 'big');
  mkdirSync(bigDir);
  const bigFiles = makeBig(bigDir);
  const big = compare({
    cutover: ours(bigDir),
    openssl: ['openssl', 'dgst', '-sha256', ...bigFiles],
    'find|xargs sha256sum': xargs(bigDir),
  });
  const bigRatio = big.openssl.medianMs / big.cutover.medianMs;
  ok =
    report('hash-large-files', big, [
      {
        label: `4 × 256 MiB: ${bigRatio.toFixed(2)}× one openssl dgst -sha256 (target ≥ 1.6×; the limit is about ${availableParallelism()}×)`,
        pass: bigRatio >= 1.6,
      },
      { label: `4 × 256 MiB: peak RSS ${big.cutover.peakRssMiB} MiB (target < 200 MiB)`, pass: big.cutover.peakRssMiB < 200 },
      { label: '4 × 256 MiB: root equals the root of sha256sum digests', pass: sameRootAsCoreutils(bigDir) },
    ]) && ok;
  rmSync(bigDir, { recursive: true, force: true });

  const smallDir = join(root, 'small');
  mkdirSync(smallDir);
  makeSmall(smallDir);
  const small = compare({ cutover: ours(smallDir), 'find|xargs sha256sum': xargs(smallDir) });
  const smallRatio = small['find|xargs sha256sum'].medianMs / small.cutover.medianMs;
  ok =
    report('hash-small-files', small, [
      { label: `100,000 × 4 KiB: ${smallRatio.toFixed(2)}× find | xargs sha256sum (target ≥ 2×)`, pass: smallRatio >= 2 },
      { label: `100,000 × 4 KiB: peak RSS ${small.cutover.peakRssMiB} MiB (target < 200 MiB)`, pass: small.cutover.peakRssMiB < 200 },
      { label: '100,000 × 4 KiB: root equals the root of sha256sum digests', pass: sameRootAsCoreutils(smallDir) },
    ]) && ok;

  // A record of a run whose artifact is that tree, then verify against hash side by side.
  const repo = recordRepo(root, smallDir);
  const verified = compare(
    { 'cutover verify': [process.execPath, cli, 'verify', 'reports/bench/v1', '--quiet'], 'cutover hash': ours(join(repo, 'data')) },
    { cwd: repo },
  );
  const verifyRatio = verified['cutover verify'].medianMs / verified['cutover hash'].medianMs;
  ok =
    report('verify-100k-files', verified, [
      {
        label: `verify of a 100,000-file artifact: ${verifyRatio.toFixed(2)}× cutover hash of the same tree (target ≤ 1.15×)`,
        pass: verifyRatio <= 1.15,
      },
      {
        label: `verify: peak RSS ${verified['cutover verify'].peakRssMiB} MiB (target < 300 MiB)`,
        pass: verified['cutover verify'].peakRssMiB < 300,
      },
    ]) && ok;
} finally {
  rmSync(root, { recursive: true, force: true });
}
process.exit(ok ? 0 : 1);
