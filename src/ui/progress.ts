// Hashing progress for people: how far, how fast (MB/s, files/s) and how long is left. A live line on
// a terminal, redrawn at most ten times a second; one summary line where output is a log (CI).
import type { CommandIo } from '../adapters/io.js';
import type { HashProgress } from '../integrity/hash-files.js';
import { formatDuration } from '../text/duration.js';

const MIB = 1024 * 1024;

/**
 * `[#####---------------] 1,234/40,000 files, 1.2 of 4.0 GiB, 812 MiB/s, 9,870 files/s, 4.1 s left`.
 * When the total size is not known beforehand (a large tree's files are sized as they are hashed),
 * the bar and what is left go by files; while the files are still being listed (`counting`), the
 * count so far is shown with a `+`, and no time left.
 */
export function hashProgressText(p: HashProgress, elapsedMs: number): string {
  const byBytes = p.totalBytes !== undefined && p.totalBytes > 0;
  const total = p.totalBytes ?? 0;
  // While the files are still being listed, how far is not known: the count so far is a floor.
  const share = p.counting ? 0 : byBytes ? p.bytes / total : p.totalFiles ? p.files / p.totalFiles : 0;
  const filled = Math.max(0, Math.min(20, Math.round(share * 20)));
  const seconds = elapsedMs / 1000;
  const parts = [
    `[${'#'.repeat(filled)}${'-'.repeat(20 - filled)}] ${count(p.files)}/${count(p.totalFiles)}${p.counting ? '+' : ''} files`,
    p.totalBytes === undefined ? size(p.bytes) : `${size(p.bytes)} of ${size(total)}`,
  ];
  if (seconds >= 0.2 && p.bytes > 0) {
    parts.push(`${rate(p.bytes / MIB / seconds)} MiB/s`, `${rate(p.files / seconds)} files/s`);
    // What is left at the rate so far, by bytes (files when there are no bytes to go by).
    const left = byBytes ? ((total - p.bytes) / p.bytes) * elapsedMs : ((p.totalFiles - p.files) / Math.max(1, p.files)) * elapsedMs;
    if (!p.counting && share < 1 && (byBytes || p.files > 0)) parts.push(`${formatDuration(left)} left`);
  }
  return parts.join(', ');
}

/** `hashed 100,000 files, 390.6 MiB in 1.2 s (325 MiB/s, 83,333 files/s)`. */
export function hashSummaryText(p: HashProgress, elapsedMs: number): string {
  const seconds = Math.max(elapsedMs, 1) / 1000;
  return `hashed ${count(p.files)} files, ${size(p.bytes)} in ${formatDuration(elapsedMs)} (${rate(p.bytes / MIB / seconds)} MiB/s, ${rate(p.files / seconds)} files/s)`;
}

/**
 * A progress reporter for a command that hashes: on a terminal a line on stderr redrawn in place, in
 * a log one summary line at the end; nothing with `--quiet` or `--format json`.
 */
export function hashProgressReporter(io: CommandIo, label: string): { onProgress: (p: HashProgress) => void; done: () => void } {
  const started = performance.now();
  let last: HashProgress | undefined;
  const silent = io.quiet || io.format === 'json';
  const live = !silent && io.isTTY && io.format === 'text';
  return {
    onProgress(p) {
      last = p;
      if (live) io.stderr.write(`\r\x1b[2K${label}: ${hashProgressText(p, performance.now() - started)}`);
    },
    done() {
      if (silent || !last) return;
      io.stderr.write(`${live ? '\r\x1b[2K' : ''}${label}: ${hashSummaryText(last, performance.now() - started)}\n`);
    },
  };
}

function count(n: number): string {
  // By hand: the first toLocaleString loads ICU's locale data, some 20 ms at every start.
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function rate(n: number): string {
  return n >= 100 ? count(n) : n.toFixed(1);
}

function size(bytes: number): string {
  if (bytes >= 1024 * MIB) return `${(bytes / 1024 / MIB).toFixed(1)} GiB`;
  return `${(bytes / MIB).toFixed(1)} MiB`;
}
