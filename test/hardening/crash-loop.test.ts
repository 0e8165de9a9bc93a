// kill -9 `cutover run` at random moments (step boundaries, mid-step, hashing, record, commit), then
// --resume: the record reached is the one an uninterrupted run writes, committed exactly once (docs/operations.md).
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { processAlive } from '../../src/adapters/process-status.js';
import { CLI } from '../helpers/cli.js';
import { git, writeFiles } from '../helpers/git-repo.js';
import { SOAK, baseSeed, figures, rng } from './soak.js';

const POINTS = SOAK ? 100 : 20;
const stepProgram = readFileSync(join(import.meta.dirname, 'fixtures/crash-step.js'), 'utf8');
const RECORD = 'reports/crash/r1';

// Several steps with produces, a determinism rerun, a finally step; artifacts committed as manifest
// and as files (a folder and a single file), one of them large enough that hashing takes a while.
const PLAN = `apiVersion: cutover/v1
kind: Plan
metadata:
  name: crash
spec:
  runId: r1
  registries:
    - { name: config, paths: ["config/*.json"] }
  preconditions:
    - { id: pre, run: node tools/crash-step.js pre out/pre 3 }
  steps:
    - { id: big, run: node tools/crash-step.js big data/big 600 50, produces: [data/big] }
    - { id: small, run: node tools/crash-step.js small data/small 40 5, produces: [data/small] }
    - { id: same, uses: determinism, with: { rerun: [small], paths: [data/small] } }
    - { id: report, run: node tools/crash-step.js report reports-out 25 5, produces: [reports-out] }
    - { id: summary, run: node tools/crash-step.js summary data/summary.json 7 }
  finally:
    - { id: fin, run: node tools/crash-step.js fin out/fin 2 }
  artifacts:
    - { name: big, path: data/big }
    - { name: small, path: data/small, commit: files }
    - { name: reports, path: reports-out, commit: files }
    - { name: summary, path: data/summary.json, commit: files }
`;
const STEPS = ['pre', 'big', 'small', 'report', 'summary', 'fin'];

let work: string;
let template: string;
let templateHead: string;
let reference: { runRoot: string; artifacts: Record<string, string>; ms: number };

function cliEnv(markers: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NO_COLOR: '1',
    CI: '',
    GITHUB_ACTIONS: '',
    CUTOVER_DEBUG: '',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
    CRASH_MARKERS: markers,
  };
  delete env.FORCE_COLOR;
  return env;
}

function cutoverSync(dir: string, args: string[], markers: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, env: cliEnv(markers), encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, error: r.error };
}

/** Runs a command without blocking the event loop (the other lane's kill watch keeps polling). */
function exec(
  file: string,
  args: string[],
  dir: string,
  env: NodeJS.ProcessEnv = cliEnv(dir),
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const cutoverAsync = (dir: string, args: string[], markers: string) => exec(process.execPath, [CLI, ...args], dir, cliEnv(markers));
const gitAsync = async (dir: string, ...args: string[]) => (await exec('git', args, dir)).stdout.trim();

/** The committed record's roots: each artifact's and the run's. */
function rootsOf(text: string): { runRoot: string; artifacts: Record<string, string>; outcome: string } {
  const run = JSON.parse(text) as { runRoot: string; outcome: string; artifacts: { name: string; root: string }[] };
  return { runRoot: run.runRoot, outcome: run.outcome, artifacts: Object.fromEntries(run.artifacts.map((a) => [a.name, a.root])) };
}

/** A fresh copy of the frozen template repository and an empty marker folder. */
function freshRepo(n: number): { dir: string; markers: string } {
  const dir = join(work, `repo-${n}`);
  cpSync(template, dir, { recursive: true });
  const markers = join(work, `markers-${n}`);
  mkdirSync(markers);
  return { dir, markers };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Moment =
  | { kind: 'offset'; ms: number }
  | { kind: 'step-start' | 'step-end'; step: string; ms: number }
  | { kind: 'hashing'; ms: number }
  | { kind: 'record' | 'commit' | 'committed'; ms: number };

/** A kill moment chosen by the seeded RNG: a time offset, a step marker, or a file the record or commit leaves while it works. */
function chooseMoment(r: ReturnType<typeof rng>): Moment {
  const kind = r.pick(['offset', 'step-start', 'step-end', 'hashing', 'record', 'commit', 'committed'] as const);
  switch (kind) {
    case 'offset':
      return { kind, ms: r.int(30, Math.max(100, Math.round(reference.ms * 1.1))) };
    case 'step-start':
      return { kind, step: r.pick(STEPS), ms: r.int(0, 120) };
    case 'step-end':
      return { kind, step: r.pick(STEPS), ms: r.int(0, 8) };
    case 'hashing':
      return { kind, ms: r.int(0, 150) };
    case 'committed':
      return { kind, ms: r.int(0, 3) };
    default:
      return { kind, ms: r.int(0, 60) };
  }
}

function describeMoment(m: Moment): string {
  return 'step' in m ? `${m.kind} ${m.step} +${m.ms}ms` : `${m.kind} +${m.ms}ms`;
}

/** Resolves once the moment has come (true), or false when the run ended before it. */
async function waitForMoment(m: Moment, dir: string, markers: string, exited: () => boolean): Promise<boolean> {
  const seen = (): boolean => {
    switch (m.kind) {
      case 'offset':
        return true;
      case 'step-start':
        return existsSync(join(markers, `${m.step}.start`));
      case 'step-end':
        return existsSync(join(markers, `${m.step}.end`));
      case 'hashing':
        return existsSync(join(markers, 'fin.end'));
      case 'record':
        return existsSync(join(dir, 'reports/crash')) && readdirSync(join(dir, 'reports/crash')).some((n) => n.includes('.partial-'));
      case 'commit':
        return readdirSync(join(dir, '.git')).some((n) => n.startsWith('cutover-index-'));
      case 'committed': // the branch moved: the record commit exists, the run has not closed yet
        return readFileSync(join(dir, '.git/refs/heads/main'), 'utf8').trim() !== templateHead;
    }
  };
  while (!seen()) {
    if (exited()) return false;
    await sleep(1);
  }
  if (m.ms) await sleep(m.ms);
  return !exited();
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'cutover-crash-'));
  template = join(work, 'template');
  mkdirSync(template);
  git(template, 'init', '-q', '-b', 'main');
  git(template, 'config', 'user.name', 'Crash Tester');
  git(template, 'config', 'user.email', 'crash@example.test');
  git(template, 'config', 'commit.gpgSign', 'false');
  writeFiles(template, {
    'plans/crash.yaml': PLAN,
    'tools/crash-step.js': stepProgram,
    'tools/package.json': '{ "type": "module" }\n',
    'config/a.json': '{ "a": 1 }\n',
    '.gitignore': 'out/\n',
  });
  git(template, 'add', '-A');
  git(template, 'commit', '-q', '-m', 'initial');
  const frozen = cutoverSync(template, ['freeze', 'plans/crash.yaml'], work);
  expect(frozen.code, frozen.stderr).toBe(0);
  git(template, 'add', 'plans/crash.lock.json');
  git(template, 'commit', '-q', '-m', 'freeze');
  templateHead = git(template, 'rev-parse', 'HEAD');

  const { dir, markers } = freshRepo(0);
  const started = Date.now();
  const run = cutoverSync(dir, ['run', 'plans/crash.yaml'], markers);
  expect(run.code, run.stderr).toBe(0);
  reference = { ...rootsOf(git(dir, 'show', `HEAD:${RECORD}/run.json`)), ms: Date.now() - started };
  expect(Object.keys(reference.artifacts).sort()).toEqual(['big', 'reports', 'small', 'summary']);
}, 60_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** One crash point: run, kill at the moment, recover as an operator would, check the record. Returns what happened. */
async function crashPoint(n: number, moment: Moment, seed: number): Promise<string> {
  const label = `crash point ${n} (${describeMoment(moment)}; replay with CUTOVER_SEED=${seed})`;
  const { dir, markers } = freshRepo(n);
  const child = spawn(process.execPath, [CLI, 'run', 'plans/crash.yaml'], { cwd: dir, env: cliEnv(markers), stdio: 'ignore' });
  let done = false;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      done = true;
      resolve();
    }),
  );
  const killed = await waitForMoment(moment, dir, markers, () => done);
  if (killed) child.kill('SIGKILL');
  await exited;

  // What the operator does next: --resume an unfinished run, a fresh run where none had begun.
  const journal = join(dir, '.git/cutover/journal/crash.jsonl');
  const hasRecord = (await exec('git', ['cat-file', '-e', `HEAD:${RECORD}/run.json`], dir)).code === 0;
  let next = 'nothing left to do';
  if (existsSync(journal) && readFileSync(journal, 'utf8').includes('"run-start"')) {
    const resumed = await cutoverAsync(dir, ['run', 'plans/crash.yaml', '--resume'], markers);
    expect(resumed.code, `${label}: --resume\n${resumed.stdout}\n${resumed.stderr}`).toBe(0);
    next = hasRecord ? '--resume of a committed record' : '--resume';
  } else if (!hasRecord) {
    const fresh = await cutoverAsync(dir, ['run', 'plans/crash.yaml'], markers);
    expect(fresh.code, `${label}: fresh run\n${fresh.stdout}\n${fresh.stderr}`).toBe(0);
    next = 'fresh run';
  }

  // The record an uninterrupted run writes: same artifact roots, same run root.
  const roots = rootsOf(await gitAsync(dir, 'show', `HEAD:${RECORD}/run.json`));
  expect({ runRoot: roots.runRoot, artifacts: roots.artifacts }, label).toEqual({
    runRoot: reference.runRoot,
    artifacts: reference.artifacts,
  });
  expect(roots.outcome, label).toBe('success');
  // Exactly one record commit for the run id: none lost, none duplicated.
  const commits = (await gitAsync(dir, 'log', '--format=%H', '--grep=^Cutover-Run-Id: r1$')).split('\n').filter(Boolean);
  expect(commits, label).toHaveLength(1);
  const fsck = await exec('git', ['fsck', '--no-progress', '--no-dangling'], dir);
  expect(fsck.code, `${label}: git fsck\n${fsck.stderr}`).toBe(0);
  // Nothing half-done is left: the record and files artifacts match HEAD in the index and the work
  // tree; no journal, run lock or scratch; no staging folder; no lock file in .git.
  expect(
    await gitAsync(
      dir,
      'status',
      '--porcelain',
      '--untracked-files=all',
      '--',
      'reports',
      'data/small',
      'reports-out',
      'data/summary.json',
    ),
    label,
  ).toBe('');
  expect(existsSync(journal), label).toBe(false);
  // The run lock is gone, or (killed in the instant after the journal went) left by a dead process: stale.
  const lock = join(dir, '.git/cutover/locks/crash.lock');
  if (existsSync(lock)) expect(processAlive((JSON.parse(readFileSync(lock, 'utf8')) as { pid: number }).pid), label).toBe(false);
  expect(existsSync(join(dir, '.git/cutover/runs/crash/r1')), label).toBe(false);
  expect(readdirSync(join(dir, 'reports/crash')), label).toEqual(['r1']);
  // A killed commit's temporary index and lock are gone: the run that finished removed what the dead one left.
  expect(
    readdirSync(join(dir, '.git')).filter((name) => name.endsWith('.lock') || name.startsWith('cutover-index-')),
    label,
  ).toEqual([]);
  if (SOAK || n % 5 === 0) {
    const verified = await cutoverAsync(dir, ['verify', RECORD], markers);
    expect(verified.code, `${label}: verify\n${verified.stdout}\n${verified.stderr}`).toBe(0);
  }
  rmSync(dir, { recursive: true, force: true });
  return `${moment.kind}${killed ? '' : ' (the run ended first)'} → ${next}`;
}

describe('kill -9 at random moments, then --resume', () => {
  const seed = baseSeed();

  it(`survives ${POINTS} crash points (seed ${seed})`, { timeout: POINTS * 20_000 }, async () => {
    const r = rng(seed);
    const moments = Array.from({ length: POINTS }, () => chooseMoment(r));
    const outcomes: string[] = [];
    // Two crash points at a time: each has its own repository; the kill moments are file events,
    // so the extra load shifts timings without hiding any.
    let next = 0;
    const lane = async () => {
      while (next < moments.length) {
        const n = ++next;
        outcomes.push(await crashPoint(n, moments[n - 1]!, seed));
      }
    };
    await Promise.all([lane(), lane()]);
    const tally = new Map<string, number>();
    for (const o of outcomes) tally.set(o, (tally.get(o) ?? 0) + 1);
    figures(
      'crash-loop',
      `${outcomes.length} crash points survived (seed ${seed}): ${[...tally]
        .sort()
        .map(([k, v]) => `${v}× ${k}`)
        .join('; ')}`,
    );
    expect(outcomes).toHaveLength(POINTS);
  });
});

describe('a run lock left by a killed cutover that nobody reaped', () => {
  it.skipIf(!existsSync('/proc/self/stat'))('is stale: a zombie holds nothing, and --resume replaces its lock', async () => {
    const { dir, markers } = freshRepo(10_000);
    // `exec sleep` turns the shell into a parent that never waits: once killed, cutover stays a zombie
    // (as under a container init that does not reap), and kill(pid, 0) still succeeds on it.
    const holder = spawn(
      'sh',
      ['-c', `"${process.execPath}" "${CLI}" run plans/crash.yaml & echo $! > "${markers}/cutover.pid"; exec sleep 120`],
      { cwd: dir, env: cliEnv(markers), stdio: 'ignore' },
    );
    onTestFinished(() => {
      holder.kill('SIGKILL');
    });
    await waitForMoment({ kind: 'step-start', step: 'big', ms: 0 }, dir, markers, () => false);
    const pid = Number(readFileSync(join(markers, 'cutover.pid'), 'utf8'));
    process.kill(pid, 'SIGKILL');
    const state = () => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    while (state() !== 'Z') await sleep(10);

    const resumed = await cutoverAsync(dir, ['run', 'plans/crash.yaml', '--resume'], markers);
    expect(resumed.code, `${resumed.stdout}\n${resumed.stderr}`).toBe(0);
    expect(resumed.stdout).toMatch(/replaced the stale lock [0-9a-f]+ of pid \d+/);
    expect(rootsOf(await gitAsync(dir, 'show', `HEAD:${RECORD}/run.json`)).runRoot).toBe(reference.runRoot);
  });
});
