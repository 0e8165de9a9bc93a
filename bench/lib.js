// Shared helpers for benchmarks: run a command several times, take medians, read peak memory.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Median of a list of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Runs argv once under /usr/bin/time and returns wall milliseconds and peak RSS in MiB.
 * Throws when the command fails, so a broken benchmark never reports a figure.
 */
export function measure(argv, { cwd, env, input, allowExit = [0] } = {}) {
  const started = process.hrtime.bigint();
  const result = spawnSync('/usr/bin/time', ['-f', '__RSS_KB=%M', ...argv], {
    cwd,
    env: { ...process.env, ...env },
    input,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const rss = /__RSS_KB=(\d+)/.exec(result.stderr ?? '');
  if (!allowExit.includes(result.status ?? -1)) {
    throw new Error(`benchmark command failed (${result.status}): ${argv.join(' ')}\n${result.stderr}`);
  }
  return { wallMs, rssMiB: rss ? Number(rss[1]) / 1024 : NaN };
}

/** Runs argv `runs` times (after one warm-up) and returns the median wall time and peak RSS. */
export function bench(argv, { runs = 5, warmup = 1, ...options } = {}) {
  for (let i = 0; i < warmup; i++) measure(argv, options);
  const samples = Array.from({ length: runs }, () => measure(argv, options));
  return {
    medianMs: median(samples.map((s) => s.wallMs)),
    peakRssMiB: Math.max(...samples.map((s) => s.rssMiB)),
    samplesMs: samples.map((s) => Math.round(s.wallMs * 10) / 10),
  };
}

/** Prints a result table and stores it under .bench/<name>.json for later comparison. */
export function report(name, rows, verdicts) {
  console.log(`\n## ${name}`);
  console.table(rows);
  for (const v of verdicts) console.log(`${v.pass ? 'PASS' : 'FAIL'}  ${v.label}`);
  mkdirSync('.bench', { recursive: true });
  writeFileSync(join('.bench', `${name}.json`), `${JSON.stringify({ name, rows, verdicts, at: new Date().toISOString() }, null, 2)}\n`);
  return verdicts.every((v) => v.pass);
}

/**
 * Runs a baseline and a measured command side by side, `pairs` times (after one warm-up of each), so
 * that a change of the shared machine's load weighs on both sides of each pair alike. Returns both
 * sides' medians, and the median over the pairs of (measured − baseline) and of measured / baseline.
 */
export function paired(baseline, measured, { pairs = 9, baselineOptions = {}, ...options } = {}) {
  measure(baseline, baselineOptions);
  measure(measured, options);
  const samples = [];
  for (let i = 0; i < pairs; i++) {
    const base = measure(baseline, baselineOptions);
    const run = measure(measured, options);
    samples.push({ base, run });
  }
  return {
    baselineMs: median(samples.map((s) => s.base.wallMs)),
    medianMs: median(samples.map((s) => s.run.wallMs)),
    overMs: median(samples.map((s) => s.run.wallMs - s.base.wallMs)),
    ratio: median(samples.map((s) => s.run.wallMs / s.base.wallMs)),
    peakRssMiB: Math.max(...samples.map((s) => s.run.rssMiB)),
  };
}

/**
 * Makes `dir` (its files already written) a git repository with a bench identity, commits it,
 * freezes `plan` with the built CLI and commits the lock: a repository ready for `cutover run`.
 */
export function frozenRepo(dir, plan, cli) {
  const git = (...args) => {
    const result = spawnSync('git', args, { cwd: dir, stdio: 'ignore' });
    if (result.status !== 0) throw new Error(`git ${args.join(' ')} failed in ${dir}`);
  };
  git('init', '-q', '-b', 'main');
  git('config', 'user.name', 'Bench');
  git('config', 'user.email', 'bench@example.test');
  git('config', 'commit.gpgSign', 'false');
  git('add', '-A');
  git('commit', '-q', '-m', 'init');
  const frozen = spawnSync(process.execPath, [cli, 'freeze', plan], { cwd: dir, stdio: 'ignore' });
  if (frozen.status !== 0) throw new Error(`cutover freeze ${plan} failed in ${dir}`);
  git('add', '-A');
  git('commit', '-q', '-m', 'lock');
}
