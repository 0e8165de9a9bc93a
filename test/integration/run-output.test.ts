// A step printing 500 MB: every byte reaches its log, and cutover's memory stays flat.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { planHead, planRepo } from '../helpers/run-repo.js';

/** Peak resident memory (VmHWM, MiB) of a live process, or undefined once it is gone. */
function peakRss(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

it('keeps every byte of a 500 MB step output in the log with peak RSS under 150 MB', async () => {
  const mib = 500;
  const dir = planRepo(`${planHead()}  steps:
    - { id: loud, run: node tools/step.js print ${mib} }
`);
  const child = spawn(process.execPath, [CLI, 'run', 'plans/p.yaml', '--no-commit', '--format', 'json'], {
    cwd: dir,
    env: { ...process.env, CI: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  let peak = 0;
  const poll = setInterval(() => (peak = Math.max(peak, peakRss(child.pid!) ?? 0)), 20);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearInterval(poll);
  expect(code).toBe(0);
  const run = JSON.parse(readFileSync(join(dir, JSON.parse(stdout).record, 'run.json'), 'utf8'));
  const step = run.steps.find((s: { id: string }) => s.id === 'loud');
  const expected = createHash('sha256');
  const chunk = Buffer.alloc(1 << 20, 'cutover-log-line-0123456789abcdef\n');
  for (let i = 0; i < mib; i++) expected.update(chunk);
  // The record keeps the head and tail of a log this large; the full log's size and digest are recorded.
  expect(step.log.full.bytes).toBe(mib * (1 << 20));
  expect(step.log.full.digest).toBe(`sha256:${expected.digest('hex')}`);
  expect(step.log.bytes).toBeLessThan(9 * (1 << 20));
  expect(peak).toBeGreaterThan(0);
  expect(peak).toBeLessThan(150);
}, 120_000);
