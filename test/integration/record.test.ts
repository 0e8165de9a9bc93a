// Writing, committing, pushing and verifying run records in real git repositories.
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { CutoverError } from '../../src/errors.js';
import { memoryIo } from '../../src/adapters/io.js';
import { verify } from '../../src/commands/verify.js';
import { hashArtifact } from '../../src/integrity/hash-artifact.js';
import { computeLock } from '../../src/integrity/lock.js';
import { canonicalJson } from '../../src/text/json.js';
import { commitRecord, pushRecord } from '../../src/record/commit-record.js';
import { writeRecord, LOG_KEEP, LOG_LIMIT } from '../../src/record/write-record.js';
import type { RunJson } from '../../src/record/run-record.js';
import type { ResolvedPlan } from '../../src/plan/resolve.js';
import type { StepRecord } from '../../src/run/events.js';
import type { ArtifactResult, RunResult } from '../../src/run/result.js';
import { git, gitEnv, gitRepo, tempDir, writeFiles } from '../helpers/git-repo.js';
import { step } from '../unit/record/fixture.js';
import { specHash, specRunRoot } from '../helpers/spec-hash.js';
import { sha256Digest } from '../../src/text/digest.js';

// ---- fixtures ----
const PLAN_FILE = 'plans/station-56.yaml';
const LOCK_FILE = 'plans/station-56.lock.json';
const CANDIDATE = 'storage_candidate/v1';
const SCAN = 'storage_reports/latest-scan';
const hex = (bytes: string | Buffer) => createHash('sha256').update(bytes).digest('hex');

function writeArtifacts(dir: string): void {
  writeFiles(dir, {
    [`${CANDIDATE}/kurse/a.json`]: '{"kurs":"a"}\n',
    [`${CANDIDATE}/kurse/b.json`]: '{"kurs":"b"}\n',
    [`${CANDIDATE}/users/u.json`]: '[{"id":1}]\n',
    [`${CANDIDATE}/index.json`]: '{"modules":2}\n',
    [`${SCAN}/summary.json`]: '{"blockers":0}\n',
    [`${SCAN}/checks/fk.json`]: '{"ok":true}\n',
  });
}

// A valid plan and its lock: verify judges the approvals from them as the run's commit holds them.
const PLAN_TEXT =
  'apiVersion: cutover/v1\nkind: Plan\nmetadata: { name: station-56 }\nspec:\n  steps:\n    - { id: dry-run, run: node dry-run.js }\n';
const LOCK_TEXT = canonicalJson(
  computeLock({
    plan: PLAN_FILE,
    planDigest: sha256Digest(Buffer.from(PLAN_TEXT)),
    groups: [],
    frozenBy: 'Test Operator <operator@example.test>',
  }),
);

/** A repository with a plan and lock committed and the run's artifacts in the work tree (untracked). */
function fixtureRepo(): string {
  const repo = gitRepo({ [PLAN_FILE]: PLAN_TEXT, [LOCK_FILE]: LOCK_TEXT, 'notes.txt': 'unrelated\n' });
  writeArtifacts(repo);
  return repo;
}

const T0 = Date.parse('2026-11-22T01:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

interface ResultOptions {
  runId?: string;
  logs?: Record<string, string | Buffer>;
  secret?: string;
  reason?: string;
  extraArtifacts?: ResolvedPlan['artifacts'];
}

/** A RunResult built by hand: artifacts hashed from disk, step logs in a temporary folder. */
async function resultFor(repo: string, options: ResultOptions = {}): Promise<RunResult> {
  const runId = options.runId ?? 'run-1';
  const logsDir = tempDir('cutover-logs-');
  const logs = options.logs ?? { 'dry-run': 'dry run: 0 blockers\n', migrate: 'migrated 2 modules\n' };
  const plan: ResolvedPlan = {
    name: 'station-56',
    description: '',
    runId,
    env: {},
    secrets: ['SOURCE_DB_PASSWORD'],
    approvals: { required: 0, distinctFromFreezer: true },
    inputs: [],
    registries: [],
    phases: {
      preconditions: [],
      steps: [step('steps', 0, 'dry-run'), step('steps', 1, 'migrate')],
      rollback: [],
      finally: [step('finally', 0, 'resume')],
    },
    concurrency: 1,
    artifacts: [
      { name: 'candidate', path: CANDIDATE, commit: 'manifest', roots: 'children' },
      { name: 'scan', path: SCAN, commit: 'files', roots: 'none' },
      ...(options.extraArtifacts ?? []),
    ],
    record: { dir: `reports/station-56/${runId}`, push: false },
  };
  const steps: StepRecord[] = [];
  let clock = 0;
  for (const s of [...plan.phases.steps, ...plan.phases.finally]) {
    const text = logs[s.id];
    if (text !== undefined) writeFileSync(join(logsDir, `${s.phase}-${String(s.index + 1).padStart(2, '0')}-${s.id}.log`), text);
    steps.push({
      phase: s.phase,
      id: s.id,
      name: s.name,
      outcome: 'success',
      attempts: 1,
      exitCode: 0,
      signal: null,
      timedOut: false,
      startedAt: at(clock),
      endedAt: at(clock + 700),
      durationMs: 700,
      logDigest: text === undefined ? null : hex(text),
      logBytes: text === undefined ? 0 : Buffer.byteLength(text),
      ...(s.id === 'migrate' && options.reason ? { outcome: 'failure', exitCode: 1, reason: options.reason } : {}),
    });
    clock += 700;
  }
  const artifacts: ArtifactResult[] = [];
  for (const a of plan.artifacts) {
    const hashed = await hashArtifact(join(repo, a.path), { children: a.roots === 'children' });
    artifacts.push({
      name: a.name,
      path: a.path,
      commit: a.commit,
      present: true,
      files: hashed.files,
      bytes: hashed.bytes,
      root: hashed.root,
      manifest: hashed.manifest,
      ...(hashed.children ? { children: hashed.children } : {}),
    });
  }
  const { runRoot } = await import('../../src/integrity/merkle.js');
  return {
    plan,
    planFile: PLAN_FILE,
    planDigest: hex(readFileSync(join(repo, PLAN_FILE))),
    lockFile: LOCK_FILE,
    lockDigest: hex(readFileSync(join(repo, LOCK_FILE))),
    freezeDigest: `sha256:${hex('freeze')}`,
    runId,
    commit: git(repo, 'rev-parse', 'HEAD'),
    branch: 'main',
    startedAt: at(0),
    endedAt: at(clock),
    outcome: options.reason ? 'failure' : 'success',
    exitCode: options.reason ? 1 : 0,
    resumed: false,
    boundaries: { verified: at(700), paused: at(300) }, // not in name order: the report must not care
    steps,
    artifacts,
    runRoot: runRoot(artifacts),
    logsDir,
    runner: { host: options.secret ? `runner ${options.secret}` : 'runner-1', githubRunId: '42' },
    toolVersion: (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version,
    secretValues: options.secret ? [options.secret] : [],
  };
}

/** Writes and commits a record; returns what was written and the commit. */
async function record(repo: string, options: ResultOptions = {}) {
  const result = await resultFor(repo, options);
  const written = await writeRecord(repo, result);
  const { commit } = await commitRecord({ root: repo, result, recordFiles: written.files });
  return { result, written, commit, run: JSON.parse(readFileSync(join(repo, written.dir, 'run.json'), 'utf8')) as RunJson };
}

/** Runs `cutover verify` in text format and returns its exit code and output. */
async function verifyRecord(repo: string, dir: string, artifacts?: string): Promise<{ code: number; out: string }> {
  const io = memoryIo({ cwd: repo });
  try {
    return { code: await verify({ record: dir, ...(artifacts ? { artifacts } : {}) }, io), out: io.out() };
  } catch (error) {
    if (!(error instanceof CutoverError)) throw error;
    return { code: error.exitCode, out: io.out() };
  }
}

function failedLines(out: string): string {
  return out
    .split('\n')
    .filter((l) => l.startsWith('✗') || l.startsWith('    '))
    .join('\n');
}

function trailersOf(repo: string, rev = 'HEAD'): string {
  const message = git(repo, 'log', '-1', '--format=%B', rev);
  return execFileSync('git', ['interpret-trailers', '--parse'], { cwd: repo, input: message, encoding: 'utf8', env: gitEnv() }).trim();
}

/** Every file of the work tree (outside .git), recursively. */
function workTreeFiles(dir: string, rel = ''): string[] {
  return readdirSync(join(dir, rel)).flatMap((name) => {
    if (!rel && name === '.git') return [];
    const path = rel ? `${rel}/${name}` : name;
    return lstatSync(join(dir, path)).isDirectory() ? workTreeFiles(dir, path) : [path];
  });
}

describe('writeRecord + commitRecord', () => {
  it('commits exactly the record and the files artifacts, with the four trailers, leaving other changes alone', async () => {
    const repo = fixtureRepo();
    writeFileSync(join(repo, 'notes.txt'), 'dirty, not part of the run\n');
    writeFileSync(join(repo, 'README.md'), '# staged by someone else\n');
    git(repo, 'add', 'README.md');
    const before = git(repo, 'rev-parse', 'HEAD');

    const { written, commit, run } = await record(repo);

    expect(git(repo, 'rev-parse', 'HEAD')).toBe(commit);
    expect(git(repo, 'rev-parse', 'HEAD^')).toBe(before);
    expect(trailersOf(repo).split('\n')).toEqual([
      'Cutover-Plan: plans/station-56.yaml',
      'Cutover-Run-Id: run-1',
      'Cutover-Outcome: success',
      `Cutover-Root: ${run.runRoot}`,
    ]);
    expect(git(repo, 'log', '-1', '--format=%s')).toBe('cutover(station-56): run-1 success');

    const changed = git(repo, 'show', '--name-status', '--format=', 'HEAD').split('\n').sort();
    const expected = [...written.files, `${SCAN}/checks/fk.json`, `${SCAN}/summary.json`].map((f) => `A\t${f}`).sort();
    expect(changed).toEqual(expected);
    expect(written.files).toEqual(
      [
        'logs/finally-01-resume.log',
        'logs/steps-01-dry-run.log',
        'logs/steps-02-migrate.log',
        'manifests/candidate.sha256',
        'manifests/scan.sha256',
        'report.md',
        'run.json',
        'statement.json',
      ]
        .filter((f) => f !== 'logs/finally-01-resume.log')
        .map((f) => `reports/station-56/run-1/${f}`),
    );

    // The dirty file is still dirty, the other staged change still staged, our paths clean.
    const status = git(repo, 'status', '--porcelain').split('\n');
    expect(status).toContain(' M notes.txt');
    expect(status).toContain('M  README.md');
    expect(status.some((l) => l.includes('reports/') || l.includes(SCAN))).toBe(false);
  });

  it('writes roots equal to an independent implementation of docs/integrity.md', async () => {
    const repo = fixtureRepo();
    const { run } = await record(repo);
    const candidate = specHash(join(repo, CANDIDATE)).root;
    const scan = specHash(join(repo, SCAN)).root;
    expect(run.artifacts.map((a) => [a.name, a.root])).toEqual([
      ['candidate', candidate],
      ['scan', scan],
    ]);
    expect(run.artifacts[0]?.children).toEqual({
      kurse: specHash(join(repo, CANDIDATE, 'kurse')).root,
      users: specHash(join(repo, CANDIDATE, 'users')).root,
    });
    expect(run.runRoot).toBe(
      specRunRoot([
        { name: 'candidate', root: candidate },
        { name: 'scan', root: scan },
      ]),
    );
    // The manifest in the record is what coreutils checks.
    const manifest = join(repo, 'reports/station-56/run-1/manifests/candidate.sha256');
    expect(execFileSync('sha256sum', ['-c', '--quiet', manifest], { cwd: join(repo, CANDIDATE), encoding: 'utf8' })).toBe('');
  });

  it('refuses a record folder already in HEAD with RECORD_EXISTS (exit 3) and changes nothing', async () => {
    const repo = fixtureRepo();
    const { result } = await record(repo);
    const head = git(repo, 'rev-parse', 'HEAD');
    const status = git(repo, 'status', '--porcelain');
    const runJson = readFileSync(join(repo, 'reports/station-56/run-1/run.json'));
    const error = await writeRecord(repo, { ...result, startedAt: at(99) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CutoverError);
    expect(error).toMatchObject({ code: 'RECORD_EXISTS', exitCode: 3 });
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(head);
    expect(git(repo, 'status', '--porcelain')).toBe(status);
    expect(readFileSync(join(repo, 'reports/station-56/run-1/run.json')).equals(runJson)).toBe(true);
  });

  it('replaces an uncommitted record of the same run; refuses anything else in the folder, removing nothing', async () => {
    const repo = fixtureRepo();
    const dir = join(repo, 'reports/station-56/run-1');
    writeFiles(join(repo, 'reports/station-56'), { '.run-1.partial-0123456789ab/run.json': '{' });
    const result = await resultFor(repo);
    const first = await writeRecord(repo, result);
    expect(readdirSync(join(repo, 'reports/station-56'))).toEqual(['run-1']); // the stray staging folder of a crash went
    const again = await writeRecord(repo, { ...result, endedAt: at(98) }); // the same run, written again (--no-commit, then a rerun)
    expect(again.files).toEqual(first.files);
    expect(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')).endedAt).toBe(at(98));

    writeFileSync(join(dir, 'stray.tmp'), 'not written by cutover\n');
    await expect(writeRecord(repo, result)).rejects.toMatchObject({ code: 'FILE_EXISTS', message: expect.stringContaining('stray.tmp') });
    expect(readFileSync(join(dir, 'stray.tmp'), 'utf8')).toBe('not written by cutover\n');
    rmSync(join(dir, 'stray.tmp'));

    writeFileSync(join(dir, 'run.json'), readFileSync(join(dir, 'run.json'), 'utf8').replace('"runId": "run-1"', '"runId": "run-0"'));
    await expect(writeRecord(repo, result)).rejects.toMatchObject({ code: 'RECORD_EXISTS' });
  });

  it('refuses a record folder reached through a symbolic link', async () => {
    const repo = fixtureRepo();
    const outside = tempDir('cutover-outside-');
    execFileSync('ln', ['-s', outside, join(repo, 'reports')]);
    await expect(writeRecord(repo, await resultFor(repo))).rejects.toMatchObject({ code: 'PATH_UNSAFE' });
    expect(readdirSync(outside)).toEqual([]);
  });

  it('runs no repository hook: pre-commit, commit-msg and post-commit leave no marker', async () => {
    const repo = fixtureRepo();
    const hooks = join(repo, '.githooks');
    mkdirSync(hooks);
    for (const hook of ['pre-commit', 'prepare-commit-msg', 'commit-msg', 'post-commit', 'reference-transaction']) {
      writeFileSync(
        join(hooks, hook),
        `#!/usr/bin/env node\nrequire('node:fs').appendFileSync(${JSON.stringify(join(repo, 'hook.marker'))}, '${hook}\\n');\n`,
      );
      chmodSync(join(hooks, hook), 0o755);
    }
    git(repo, 'config', 'core.hooksPath', '.githooks');
    git(repo, 'commit', '-q', '--allow-empty', '-m', 'hooks are live');
    expect(readFileSync(join(repo, 'hook.marker'), 'utf8')).toContain('post-commit'); // the hooks do run for plain git
    rmSync(join(repo, 'hook.marker'));

    await record(repo);
    expect(existsSync(join(repo, 'hook.marker'))).toBe(false);
  });

  it('leaves a canary secret nowhere: not in the work tree, the record or the history', async () => {
    const repo = fixtureRepo();
    const canary = 'CANARY-7f3e9b1d-do-not-leak';
    const { written } = await record(repo, {
      secret: canary,
      reason: `exit 1: password ${canary} was refused`,
      logs: { 'dry-run': `connecting with ${canary}\n`, migrate: `half ${canary.slice(0, 9)}|${canary.slice(9)} split\nagain ${canary}` },
    });
    for (const file of workTreeFiles(repo)) expect(readFileSync(join(repo, file), 'utf8'), file).not.toContain(canary);
    const history = execFileSync('git', ['log', '-p', '--all', '--format=%H %an %s%n%b'], {
      cwd: repo,
      encoding: 'utf8',
      env: gitEnv(),
      maxBuffer: 64 << 20,
    });
    expect(history).not.toContain(canary);
    expect(history).toContain('connecting with ***');
    const run = readFileSync(join(repo, written.dir, 'run.json'), 'utf8');
    expect(run).toContain('password *** was refused');
    expect((await verifyRecord(repo, written.dir)).code).toBe(0);
  });

  it('keeps a log over 8 MiB as its head and tail, with the full log’s digest in run.json', async () => {
    const repo = fixtureRepo();
    const big = Buffer.alloc(LOG_LIMIT + 1000, 'a');
    big.write('HEAD-MARK', 0);
    big.write('TAIL-MARK', big.length - 9);
    const { run, written } = await record(repo, { logs: { 'dry-run': big } });
    const log = run.steps.find((s) => s.id === 'dry-run')?.log;
    expect(log?.full).toEqual({ digest: `sha256:${hex(big)}`, bytes: big.length });
    const kept = readFileSync(join(repo, written.dir, log?.path as string));
    expect(kept.length).toBe(log?.bytes);
    expect(kept.length).toBeLessThan(2 * LOG_KEEP + 1000);
    expect(kept.subarray(0, 9).toString()).toBe('HEAD-MARK');
    expect(kept.subarray(-9).toString()).toBe('TAIL-MARK');
    expect(kept.toString('latin1')).toContain('[cutover: log truncated: 1000 bytes omitted here');
    expect((await verifyRecord(repo, written.dir)).code).toBe(0);
  });

  it('commits 10,000 artifact files through a pathspec file (no argument list overflow)', async () => {
    const repo = fixtureRepo();
    const many = 'storage_reports/many';
    for (let d = 0; d < 100; d++) {
      mkdirSync(join(repo, many, `module-${d}`), { recursive: true });
      for (let f = 0; f < 100; f++) writeFileSync(join(repo, many, `module-${d}`, `row-${f}.json`), `{"m":${d},"r":${f}}\n`);
    }
    const { commit } = await record(repo, { extraArtifacts: [{ name: 'many', path: many, commit: 'files', roots: 'none' }] });
    const committed = git(repo, 'ls-tree', '-r', '--name-only', commit, '--', many).split('\n');
    expect(committed).toHaveLength(10_000);
    expect(git(repo, 'status', '--porcelain', '--', many)).toBe('');
  });

  it('commits nothing and keeps the index when the staged set is not what it meant (an embedded repository)', async () => {
    const repo = fixtureRepo();
    // An embedded repository: `git add` stages a gitlink, not the files the manifest lists.
    const vendor = join(repo, SCAN, 'vendor');
    mkdirSync(vendor);
    git(vendor, 'init', '-q');
    git(vendor, '-c', 'user.name=x', '-c', 'user.email=x@example.test', 'commit', '-q', '--allow-empty', '-m', 'embedded');
    writeFileSync(join(repo, 'README.md'), '# staged\n');
    git(repo, 'add', 'README.md');
    const head = git(repo, 'rev-parse', 'HEAD');
    const index = readFileSync(join(repo, '.git/index'));
    const result = await resultFor(repo);
    const written = await writeRecord(repo, result);
    const error = await commitRecord({ root: repo, result, recordFiles: written.files }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'GIT_FAILED' });
    expect((error as Error).message).toMatch(
      /staged set is not what cutover meant to commit: in the index under storage_reports\/latest-scan but not in its manifest: storage_reports\/latest-scan\/vendor/,
    );
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(head);
    expect(readFileSync(join(repo, '.git/index')).equals(index)).toBe(true);
    expect(readdirSync(join(repo, '.git')).filter((f) => f.startsWith('cutover-index'))).toEqual([]);
  });

  it('commits as GitHub’s bot in Actions when no identity is configured', async () => {
    const repo = fixtureRepo();
    git(repo, 'config', '--unset', 'user.name');
    git(repo, 'config', '--unset', 'user.email');
    const result = await resultFor(repo);
    const written = await writeRecord(repo, result);
    const home = tempDir('cutover-home-');
    const env = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: home };
    await expect(commitRecord({ root: repo, result, recordFiles: written.files, env })).rejects.toMatchObject({ code: 'GIT_FAILED' });
    await commitRecord({ root: repo, result, recordFiles: written.files, env: { ...env, GITHUB_ACTIONS: 'true' } });
    expect(git(repo, 'log', '-1', '--format=%an <%ae>|%cn')).toBe(
      'github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>|github-actions[bot]',
    );
  });
});

describe('pushRecord', () => {
  /** A bare remote with the fixture pushed to it, and a clone of it with the artifacts in place. */
  function remoteAndClones(count: number): { remote: string; clones: string[] } {
    const remote = tempDir('cutover-remote-');
    git(remote, 'init', '-q', '--bare', '-b', 'main');
    const origin = fixtureRepo();
    git(origin, 'remote', 'add', 'origin', remote);
    git(origin, 'push', '-q', '-u', 'origin', 'main');
    const clones = Array.from({ length: count }, () => {
      const dir = join(tempDir('cutover-clone-'), 'repo');
      execFileSync('git', ['clone', '-q', remote, dir], { env: gitEnv() });
      git(dir, 'config', 'user.name', 'Runner');
      git(dir, 'config', 'user.email', 'runner@example.test');
      git(dir, 'config', 'commit.gpgSign', 'false');
      writeArtifacts(dir);
      return dir;
    });
    return { remote, clones };
  }

  it('lands two records pushed at once to one remote, rebasing instead of forcing; history stays linear', async () => {
    const { remote, clones } = remoteAndClones(2);
    const [a, b] = clones as [string, string];
    const ra = await record(a, { runId: 'run-a' });
    const rb = await record(b, { runId: 'run-b' });
    let retries = 0;
    const pushes = await Promise.all([a, b].map((root) => pushRecord({ root, delayMs: 10, beforeRetry: async () => void retries++ })));

    expect(retries).toBeGreaterThanOrEqual(1); // both were based on the same tip: one had to rebase
    const log = git(remote, 'log', '--format=%s', 'main').split('\n');
    expect(log.slice(0, 2).sort()).toEqual(['cutover(station-56): run-a success', 'cutover(station-56): run-b success']);
    expect(git(remote, 'log', '--merges', '--format=%H', 'main')).toBe('');
    expect(git(remote, 'rev-list', '--count', 'main')).toBe('3');
    // Nothing was overwritten: both record commits' trees are in the tip, each pusher's HEAD is there.
    const files = git(remote, 'ls-tree', '-r', '--name-only', 'main');
    expect(files).toContain('reports/station-56/run-a/run.json');
    expect(files).toContain('reports/station-56/run-b/run.json');
    for (const p of pushes) expect(git(remote, 'merge-base', '--is-ancestor', p.commit, 'main')).toBe('');
    expect(pushes.map((p) => p.branch)).toEqual(['main', 'main']);
    expect(ra.commit === pushes[0]?.commit || rb.commit === pushes[1]?.commit).toBe(true); // the first push needed no rebase
  });

  it('fails with GIT_FAILED and a hint to push by hand when the remote cannot be reached', async () => {
    const repo = fixtureRepo();
    git(repo, 'remote', 'add', 'origin', join(tempDir('cutover-gone-'), 'missing.git'));
    await record(repo);
    const error = await pushRecord({ root: repo, branch: 'main' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'GIT_FAILED' });
    expect((error as CutoverError).hint).toMatch(
      /committed locally as [0-9a-f]{12}; push it by hand: git pull --rebase origin main && git push origin HEAD:main/,
    );
  });
});

describe('cutover verify', () => {
  it('passes a fresh record and catches each tamper with exit 4, naming the file', async () => {
    const repo = fixtureRepo();
    const { written, run } = await record(repo);
    const dir = written.dir;
    const fresh = await verifyRecord(repo, dir);
    expect(fresh.out).not.toContain('✗');
    expect(fresh.code).toBe(0);

    const tamper = async (label: string, change: () => void, undo: () => void, expected: RegExp) => {
      change();
      const { code, out } = await verifyRecord(repo, dir);
      undo();
      expect(code, label).toBe(4);
      expect(failedLines(out), label).toMatch(expected);
    };
    const summary = join(repo, SCAN, 'summary.json');
    const original = readFileSync(summary);
    const flipped = Buffer.from(original);
    flipped[0] = (flipped[0] as number) ^ 1;
    await tamper(
      'a byte flipped',
      () => writeFileSync(summary, flipped),
      () => writeFileSync(summary, original),
      /changed: storage_reports\/latest-scan\/summary\.json/,
    );
    await tamper(
      'a file added',
      () => writeFileSync(join(repo, SCAN, 'extra.json'), '{}'),
      () => rmSync(join(repo, SCAN, 'extra.json')),
      /added: storage_reports\/latest-scan\/extra\.json/,
    );
    await tamper(
      'a file removed',
      () => rmSync(join(repo, CANDIDATE, 'users/u.json')),
      () => writeFiles(repo, { [`${CANDIDATE}/users/u.json`]: '[{"id":1}]\n' }),
      /removed: storage_candidate\/v1\/users\/u\.json/,
    );

    const manifest = join(repo, dir, 'manifests/candidate.sha256');
    const manifestText = readFileSync(manifest, 'utf8');
    await tamper(
      'a manifest line edited',
      () =>
        writeFileSync(
          manifest,
          manifestText.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')),
        ),
      () => writeFileSync(manifest, manifestText),
      /✗ manifest candidate: .*\n {4}manifests\/candidate\.sha256/,
    );

    const runJson = join(repo, dir, 'run.json');
    const runText = readFileSync(runJson, 'utf8');
    const forgedRoot = `sha256:${hex('forged')}`;
    await tamper(
      'run.json root edited',
      () => writeFileSync(runJson, runText.replace(`"runRoot": "${run.runRoot}"`, `"runRoot": "${forgedRoot}"`)),
      () => writeFileSync(runJson, runText),
      /✗ run root: .*claims sha256:.*\n {4}run\.json/,
    );

    const planText = readFileSync(join(repo, PLAN_FILE), 'utf8');
    await tamper(
      'the plan changed after the run',
      () => {
        writeFileSync(join(repo, PLAN_FILE), `${planText}# edited after the run\n`);
        git(repo, 'commit', '-q', '-am', 'edit the plan');
      },
      () => {
        writeFileSync(join(repo, PLAN_FILE), planText);
        git(repo, 'commit', '-q', '-am', 'restore the plan');
      },
      /✗ plan unchanged since the run: the plan changed after the run.*\n {4}changed: plans\/station-56\.yaml/,
    );
    const lockText = readFileSync(join(repo, LOCK_FILE), 'utf8');
    await tamper(
      'the lock changed after the run',
      () => {
        writeFileSync(join(repo, LOCK_FILE), '{"freezeDigest":"y"}\n');
        git(repo, 'commit', '-q', '-am', 'edit the lock');
      },
      () => {
        writeFileSync(join(repo, LOCK_FILE), lockText);
        git(repo, 'commit', '-q', '-am', 'restore the lock');
      },
      /✗ lock unchanged since the run: .*\n {4}changed: plans\/station-56\.lock\.json/,
    );
    // After every undo the record verifies again.
    expect((await verifyRecord(repo, dir)).code).toBe(0);
  });

  it('catches a run.json edited in a later commit by its trailers, and prints one JSON document', async () => {
    const repo = fixtureRepo();
    const { written } = await record(repo);
    const runJson = join(repo, written.dir, 'run.json');
    writeFileSync(runJson, readFileSync(runJson, 'utf8').replace('"outcome": "success"', '"outcome": "failure"'));
    git(repo, 'commit', '-q', '-am', 'rewrite history the quiet way');
    const io = memoryIo({ cwd: repo, format: 'json' });
    expect(await verify({ record: written.dir }, io)).toBe(4);
    const doc = JSON.parse(io.out()) as { ok: boolean; checks: { name: string; ok: boolean }[] };
    expect(doc.ok).toBe(false);
    expect(doc.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(expect.arrayContaining(['commit trailers', 'statement.json']));
  });

  it('checks artifacts kept elsewhere with --artifacts DIR/<artifact name>', async () => {
    const repo = fixtureRepo();
    const { written } = await record(repo);
    const storage = tempDir('cutover-storage-');
    renameSync(join(repo, CANDIDATE), join(storage, 'candidate'));
    const missing = await verifyRecord(repo, written.dir);
    expect(missing.code).toBe(4);
    expect(failedLines(missing.out)).toContain('✗ artifact candidate: cannot hash storage_candidate/v1');
    expect((await verifyRecord(repo, written.dir, storage)).code).toBe(0);
    writeFileSync(join(storage, 'candidate/index.json'), '{"modules":3}\n');
    expect(failedLines((await verifyRecord(repo, written.dir, storage)).out)).toContain(`changed: ${storage}/candidate/index.json`);
  });

  it('refuses a folder that is no record as invalid input (exit 2)', async () => {
    const repo = fixtureRepo();
    await expect(verify({ record: 'reports/nothing-here' }, memoryIo({ cwd: repo }))).rejects.toMatchObject({ code: 'USAGE', exitCode: 2 });
  });

  it('names a file smuggled into the record folder and a step log changed', async () => {
    const repo = fixtureRepo();
    const { written } = await record(repo);
    writeFileSync(join(repo, written.dir, 'logs/extra.log'), 'x');
    writeFileSync(join(repo, written.dir, 'logs/steps-01-dry-run.log'), 'rewritten\n');
    const { code, out } = await verifyRecord(repo, written.dir);
    expect(code).toBe(4);
    expect(failedLines(out)).toContain('added: logs/extra.log');
    expect(failedLines(out)).toContain('changed: logs/steps-01-dry-run.log');
  });
});
