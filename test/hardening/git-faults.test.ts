// Git faults from the outside: a leftover index lock, a detached HEAD, a read-only record folder, a
// remote that rejects the push, a shallow clone. Each ends in one clear line with its exit code, and
// nothing already produced is lost: the record stays committed, or the run says what to do next.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, cutover, type CliResult } from '../helpers/cli.js';
import { git, tempDir } from '../helpers/git-repo.js';
import { planHead, planRepo } from '../helpers/run-repo.js';

const PLAN = `${planHead()}  steps:
    - { id: one, run: node tools/step.js append marks.txt one }
    - { id: build, run: node tools/step.js tree out/a 5 }
  artifacts:
    - { name: a, path: out/a, commit: files }
`;
const RECORD = 'reports/test-plan/r1';

const run = (dir: string, args: string[] = [], env: Record<string, string> = {}) =>
  cutover(['run', 'plans/p.yaml', ...args], { cwd: dir, env: { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', ...env } });

/** The refusal is one `error CODE: message` line (and a hint line): no stack trace, no other noise. */
function expectOneLineError(result: CliResult, code: string, exitCode: number): string {
  const context = `${result.stdout}\n${result.stderr}`;
  expect(result.code, context).toBe(exitCode);
  const lines = result.stderr.split('\n').filter(Boolean);
  expect(lines[0], context).toMatch(new RegExp(`^error ${code}: `));
  for (const line of lines.slice(1)) expect(line, context).toMatch(/^ {2}hint: /);
  expect(context).not.toMatch(/internal error|\n\s+at .+:\d+:\d+\)?$/m);
  return result.stderr;
}

const recordCommits = (dir: string) => git(dir, 'log', '--all', '--format=%H', '--grep=^Cutover-Run-Id: r1$').split('\n').filter(Boolean);
const committedRoot = (dir: string, rev = 'HEAD') =>
  (JSON.parse(git(dir, 'show', `${rev}:${RECORD}/run.json`)) as { runRoot: string }).runRoot;
const marks = (dir: string) => readFileSync(join(dir, 'marks.txt'), 'utf8');

/** `cutover run` without the power to ignore file permissions (root has it, through setpriv; a CI runner has not). */
function runWithoutDacOverride(dir: string): CliResult {
  const wrap = process.getuid?.() === 0 ? ['setpriv', '--bounding-set=-dac_override,-dac_read_search', '--'] : [];
  const argv = [...wrap, process.execPath, CLI, 'run', 'plans/p.yaml'];
  const env = {
    ...process.env,
    NO_COLOR: '1',
    GITHUB_ACTIONS: '',
    CI: '',
    CUTOVER_DEBUG: '',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
  };
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd: dir, env, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('git faults', () => {
  it('a leftover .git/index.lock: refused before anything runs (exit 3), then runs once it is removed', () => {
    const dir = planRepo(PLAN);
    const head = git(dir, 'rev-parse', 'HEAD');
    writeFileSync(join(dir, '.git/index.lock'), '');
    const status = git(dir, 'status', '--porcelain', '--untracked-files=all');
    const refused = run(dir);
    expect(expectOneLineError(refused, 'GIT_LOCKED', 3)).toContain('.git/index.lock');
    // A refusal leaves the repository exactly as it was: nothing ran, nothing written, the lock kept.
    expect(existsSync(join(dir, 'marks.txt'))).toBe(false);
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(head);
    expect(existsSync(join(dir, '.git/index.lock'))).toBe(true);
    expect(existsSync(join(dir, '.git/cutover/journal/test-plan.jsonl'))).toBe(false);
    rmSync(join(dir, '.git/index.lock'));
    expect(git(dir, 'status', '--porcelain', '--untracked-files=all')).toBe(status);
    const ok = run(dir);
    expect(ok.code, ok.stderr).toBe(0);
    expect(recordCommits(dir)).toHaveLength(1);
  });

  it('an index lock that appears during the run: the record is committed anyway and the error says how to fix the index', () => {
    // The last step leaves git's index lock behind, as a git command killed beside the run would.
    const dir = planRepo(
      PLAN.replace('  artifacts:', '    - { id: grab, run: node tools/step.js write .git/index.lock held }\n  artifacts:'),
    );
    const result = run(dir);
    const stderr = expectOneLineError(result, 'GIT_FAILED', 2);
    expect(stderr).toMatch(/the record is committed as [0-9a-f]{12}/);
    expect(stderr).toContain('git reset -q -- reports/test-plan/r1');
    // Nothing lost: the record commit is there, and the run is over (nothing to resume).
    expect(recordCommits(dir)).toHaveLength(1);
    expect(existsSync(join(dir, '.git/cutover/journal/test-plan.jsonl'))).toBe(false);
    rmSync(join(dir, '.git/index.lock'));
    git(dir, 'reset', '-q', '--', 'reports/test-plan/r1', 'out/a');
    expect(git(dir, 'status', '--porcelain', '--', 'reports', 'out/a')).toBe('');
  });

  it('a ref lock left by a killed git command: nothing committed (exit 2), the hint names the lock; removed, --resume commits', () => {
    const dir = planRepo(PLAN);
    writeFileSync(join(dir, '.git/refs/heads/main.lock'), '');
    const stderr = expectOneLineError(run(dir), 'GIT_FAILED', 2);
    expect(stderr).toContain('.git/refs/heads/main.lock');
    expect(stderr).toContain('--resume');
    expect(recordCommits(dir)).toEqual([]);
    rmSync(join(dir, '.git/refs/heads/main.lock'));
    const resumed = run(dir, ['--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(marks(dir)).toBe('one\n');
    expect(recordCommits(dir)).toHaveLength(1);
  });

  it('a detached HEAD: refused before anything runs (exit 3) when the run would commit; --no-commit runs', () => {
    const dir = planRepo(PLAN);
    git(dir, 'checkout', '-q', '--detach');
    const head = git(dir, 'rev-parse', 'HEAD');
    const result = run(dir);
    const stderr = expectOneLineError(result, 'NOT_ON_BRANCH', 3);
    expect(stderr).toContain('HEAD is detached');
    expect(existsSync(join(dir, 'marks.txt'))).toBe(false);
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(head);
    expect(git(dir, 'status', '--porcelain')).toBe('');

    const uncommitted = run(dir, ['--no-commit']);
    expect(uncommitted.code, uncommitted.stderr).toBe(0);
    expect(marks(dir)).toBe('one\n');
    expect(existsSync(join(dir, RECORD, 'run.json'))).toBe(true);
    expect(recordCommits(dir)).toEqual([]);
  });

  it('a read-only record folder: IO_FAILED (exit 2) naming the folder; once writable, --resume writes and commits the record', () => {
    const dir = planRepo(PLAN);
    mkdirSync(join(dir, 'reports'));
    chmodSync(join(dir, 'reports'), 0o555);
    const result = runWithoutDacOverride(dir);
    const stderr = expectOneLineError(result, 'IO_FAILED', 2);
    expect(stderr).toContain('reports');
    expect(stderr).toContain('--resume');
    expect(recordCommits(dir)).toEqual([]);
    expect(existsSync(join(dir, '.git/cutover/journal/test-plan.jsonl'))).toBe(true);

    chmodSync(join(dir, 'reports'), 0o755);
    const resumed = run(dir, ['--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(marks(dir)).toBe('one\n');
    expect(recordCommits(dir)).toHaveLength(1);
  });

  it('a remote that rejects the push: exit 2 with the push-by-hand line; the record stays committed locally', () => {
    const remote = join(tempDir('cutover-remote-'), 'remote.git');
    const seed = planRepo(PLAN);
    git(seed, 'clone', '-q', '--bare', seed, remote);
    writeFileSync(join(remote, 'hooks/pre-receive'), '#!/bin/sh\necho "policy: no pushes to this remote" >&2\nexit 1\n', { mode: 0o755 });
    const dir = join(tempDir('cutover-clone-'), 'work');
    git(seed, 'clone', '-q', remote, dir);
    git(dir, 'config', 'user.name', 'Test Operator');
    git(dir, 'config', 'user.email', 'operator@example.test');
    const remoteHead = git(remote, 'rev-parse', 'main');

    const result = run(dir, ['--push']);
    const stderr = expectOneLineError(result, 'GIT_FAILED', 2);
    expect(stderr).toMatch(/git push to origin main failed/);
    expect(stderr).toMatch(
      /the record is committed locally as [0-9a-f]{12}; push it by hand: git pull --rebase origin main && git push origin HEAD:main/,
    );
    expect(recordCommits(dir)).toHaveLength(1);
    expect(git(remote, 'rev-parse', 'main')).toBe(remoteHead);
    // The run is over: nothing to resume, and a push by hand delivers the record as it is.
    expectOneLineError(run(dir, ['--resume']), 'RESUME_REFUSED', 3);
    rmSync(join(remote, 'hooks/pre-receive'));
    git(dir, 'push', '-q', 'origin', 'HEAD:main');
    expect(git(remote, 'rev-parse', 'main')).toBe(git(dir, 'rev-parse', 'HEAD'));
    expect(committedRoot(remote, 'main')).toBe(committedRoot(dir));
  });

  it('a shallow clone: runs and pushes; verify in a depth-1 clone says to fetch the history (exit 2), then passes', () => {
    const remote = join(tempDir('cutover-remote-'), 'remote.git');
    const seed = planRepo(PLAN);
    git(seed, 'clone', '-q', '--bare', seed, remote);
    const dir = join(tempDir('cutover-shallow-'), 'work');
    git(seed, 'clone', '-q', '--depth', '1', `file://${remote}`, dir);
    expect(git(dir, 'rev-parse', '--is-shallow-repository')).toBe('true');
    git(dir, 'config', 'user.name', 'Test Operator');
    git(dir, 'config', 'user.email', 'operator@example.test');
    const result = run(dir, ['--push']);
    expect(result.code, result.stderr).toBe(0);
    expect(git(remote, 'rev-parse', 'main')).toBe(git(dir, 'rev-parse', 'HEAD'));
    expect(cutover(['verify', RECORD], { cwd: dir }).code).toBe(0);

    // CI checks out one commit by default: the record's commit, without the commit the run ran on.
    const reader = join(tempDir('cutover-reader-'), 'work');
    git(seed, 'clone', '-q', '--depth', '1', `file://${remote}`, reader);
    const shallow = cutover(['verify', RECORD], { cwd: reader });
    expect(expectOneLineError(shallow, 'GIT_FAILED', 2)).toContain('git fetch --unshallow');
    git(reader, 'fetch', '-q', '--unshallow');
    const full = cutover(['verify', RECORD], { cwd: reader });
    expect(full.code, full.stdout).toBe(0);
  });
});
