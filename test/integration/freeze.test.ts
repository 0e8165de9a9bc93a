// freeze, freeze --check, status, approve and the freeze gate against real git repositories.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CutoverError, type Problem } from '../../src/errors.js';
import { memoryIo } from '../../src/adapters/io.js';
import { canonicalJson } from '../../src/text/json.js';
import { approve } from '../../src/commands/approve.js';
import { freeze } from '../../src/commands/freeze.js';
import { status } from '../../src/commands/status.js';
import { readValidPlan } from '../../src/adapters/plan-file.js';
import { assertFrozen, checkFreeze } from '../../src/integrity/freeze-gate.js';
import { compareStats, recheckFrozen, rehashFrozen, snapshotFrozen, statFiles } from '../../src/integrity/recheck.js';
import { readLock } from '../../src/integrity/freeze.js';
import { cutover, stripAnsi } from '../helpers/cli.js';
import { git, gitRepo, tempDir, writeFiles } from '../helpers/git-repo.js';

const PLAN_PATH = 'plans/station.yaml';
const LOCK_PATH = 'plans/station.lock.json';
const ALICE = { name: 'Alice Operator', email: 'alice@example.test' };
const BOB = { name: 'Bob Reviewer', email: 'bob@example.test' };

function planYaml({ approvals = 0, extra = '' } = {}): string {
  return [
    'apiVersion: cutover/v1',
    'kind: Plan',
    'metadata:',
    '  name: station',
    'spec:',
    ...(approvals ? ['  approvals:', `    required: ${approvals}`] : []),
    '  inputs:',
    '    - { name: source-db, paths: [db/index.js] }',
    '  registries:',
    '    - { name: mapping, paths: ["mapping/*.json"] }',
    extra,
    '  steps:',
    '    - { id: noop, run: [node, -e, "0"] }',
    '',
  ].join('\n');
}

/** A repository holding a plan, two registry files and one input, committed by Alice. */
function repository(options: { approvals?: number; extra?: string } = {}): string {
  return gitRepo(
    {
      [PLAN_PATH]: planYaml(options),
      'mapping/a.json': '{"a":1}\n',
      'mapping/b.json': '{"b":2}\n',
      'db/index.js': 'module.exports = "db";\n',
    },
    { user: ALICE.name, email: ALICE.email },
  );
}

function setIdentity(dir: string, who: { name: string; email: string }): void {
  git(dir, 'config', 'user.name', who.name);
  git(dir, 'config', 'user.email', who.email);
}

interface Outcome {
  code: number;
  out: string;
  err: string;
  problems: Problem[];
  error?: CutoverError;
}

/** Calls a command function as the CLI would: a coded error becomes its exit code and problems. */
async function call<O>(
  command: (options: O, io: ReturnType<typeof memoryIo>) => Promise<number>,
  options: O,
  dir: string,
  format: 'text' | 'json' = 'text',
): Promise<Outcome> {
  const io = memoryIo({ cwd: dir, format });
  try {
    const code = await command(options, io);
    return { code, out: io.out(), err: io.err(), problems: format === 'json' && io.out() ? (JSON.parse(io.out()).problems ?? []) : [] };
  } catch (error) {
    if (!(error instanceof CutoverError)) throw error;
    return { code: error.exitCode, out: io.out(), err: io.err(), problems: error.problems, error };
  }
}

/** Freezes as the current identity and commits the lock. */
async function freezeAndCommit(dir: string, message = 'freeze'): Promise<void> {
  const result = await call(freeze, { plan: PLAN_PATH }, dir);
  expect(result.code, result.err).toBe(0);
  git(dir, 'add', '--', LOCK_PATH);
  git(dir, 'commit', '-q', '-m', message, '--', LOCK_PATH);
}

/** Everything a refusal must leave as it was: HEAD, the index and work tree status, and every file's bytes and mode. */
function snapshot(dir: string): string {
  const hash = createHash('sha256');
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(dir, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (path === '.git') continue;
      if (entry.isDirectory()) walk(path);
      else hash.update(`${path}\0${statSync(join(dir, path)).mode}\0`).update(readFileSync(join(dir, path)));
    }
  };
  walk('');
  return [
    git(dir, 'rev-parse', 'HEAD'),
    git(dir, 'status', '--porcelain', '--untracked-files=all'),
    git(dir, 'ls-files', '-s'),
    hash.digest('hex'),
  ].join('\n');
}

/** Runs the gate through `status --format json` and the gate function; both must refuse and change nothing. */
async function expectRefused(dir: string, expected: { file: string; reason: string; code?: string }[]): Promise<Outcome> {
  const before = snapshot(dir);
  const json = await call(status, { plan: PLAN_PATH }, dir, 'json');
  const { plan, file } = await readValidPlan(PLAN_PATH, dir);
  const gate = await assertFrozen({ root: dir, planFile: file, plan }).then(
    () => undefined,
    (error: unknown) => error as CutoverError,
  );
  expect(json.code).toBe(3);
  expect(gate).toBeInstanceOf(CutoverError);
  expect(gate?.exitCode).toBe(3);
  const document = JSON.parse(json.out);
  expect(document.ok).toBe(false);
  for (const want of expected) {
    const match = (p: Problem) => p.file === want.file && p.message.includes(want.reason) && (!want.code || p.code === want.code);
    expect(gate?.problems.some(match), `gate problems: ${JSON.stringify(gate?.problems, null, 1)}`).toBe(true);
    expect(document.problems.some(match)).toBe(true);
  }
  expect(snapshot(dir)).toBe(before);
  return json;
}

describe('freeze', () => {
  it('writes a canonical lock beside the plan with every file, group root, the freeze digest and frozenBy', async () => {
    const dir = repository();
    const result = await call(freeze, { plan: PLAN_PATH }, dir, 'json');
    expect(result.code).toBe(0);
    const text = readFileSync(join(dir, LOCK_PATH), 'utf8');
    const lock = JSON.parse(text);
    expect(text).toBe(canonicalJson(lock));
    expect(lock).toMatchObject({
      format: 'cutover-lock/v1',
      plan: PLAN_PATH,
      planDigest: `sha256:${createHash('sha256')
        .update(readFileSync(join(dir, PLAN_PATH)))
        .digest('hex')}`,
      frozenBy: `${ALICE.name} <${ALICE.email}>`,
      approvals: [],
      registries: {
        mapping: { patterns: ['mapping/*.json'], files: { 'mapping/a.json': createHash('sha256').update('{"a":1}\n').digest('hex') } },
      },
      inputs: { 'source-db': { patterns: ['db/index.js'] } },
    });
    expect(Object.keys(lock.registries.mapping.files)).toEqual(['mapping/a.json', 'mapping/b.json']);
    expect(JSON.parse(result.out)).toMatchObject({ ok: true, written: true, lock: LOCK_PATH, freezeDigest: lock.freezeDigest });
    // A group of one file: its root is the leaf hash of its one manifest line, with the repository-relative path.
    const line = `${createHash('sha256').update('module.exports = "db";\n').digest('hex')}  db/index.js\n`;
    expect(lock.inputs['source-db'].root).toBe(`sha256:${createHash('sha256').update(Uint8Array.of(0)).update(line).digest('hex')}`);
  });

  it('rewrites nothing when the content is unchanged: same bytes, same modification time', async () => {
    const dir = repository();
    await freezeAndCommit(dir);
    const lockFile = join(dir, LOCK_PATH);
    const past = new Date('2020-01-01T00:00:00Z');
    utimesSync(lockFile, past, past);
    const bytes = readFileSync(lockFile);
    const result = await call(freeze, { plan: PLAN_PATH }, dir);
    expect(result.code).toBe(0);
    expect(result.out).toContain('nothing written');
    expect(readFileSync(lockFile).equals(bytes)).toBe(true);
    expect(statSync(lockFile).mtimeMs).toBe(past.getTime());
    // Another identity freezing the same content keeps the lock (and who froze it) as it is.
    setIdentity(dir, BOB);
    await call(freeze, { plan: PLAN_PATH }, dir);
    expect(statSync(lockFile).mtimeMs).toBe(past.getTime());
  });

  it('refuses a pattern that matches nothing, naming the pattern at its position (exit 2)', async () => {
    const dir = repository({ extra: '    - { name: extra, paths: ["extra/*.csv"] }' });
    const result = await call(freeze, { plan: PLAN_PATH }, dir);
    expect(result.code).toBe(2);
    expect(result.problems).toEqual([
      expect.objectContaining({
        code: 'PLAN_PATH',
        file: PLAN_PATH,
        line: 10,
        col: 30,
        message: expect.stringContaining('"extra/*.csv" matches no file'),
      }),
    ]);
    expect(readdirSync(join(dir, 'plans'))).toEqual(['station.yaml']);
  });

  it('refuses a registry file that is a symbolic link leading out of the repository (exit 2)', async () => {
    const dir = repository();
    const outside = tempDir();
    writeFileSync(join(outside, 'secret.json'), '{}');
    symlinkSync(join(outside, 'secret.json'), join(dir, 'mapping/c.json'));
    const result = await call(freeze, { plan: PLAN_PATH }, dir);
    expect(result.code).toBe(2);
    expect(result.problems[0]).toMatchObject({
      code: 'PATH_UNSAFE',
      message: expect.stringMatching(/"mapping\/c\.json" is a symbolic link that leads outside/),
    });
  });

  it('refuses a match through a linked folder, and never walks into it', async () => {
    const dir = repository({ extra: '    - { name: linked, paths: ["linked/**/*.json"] }' });
    const outside = tempDir();
    writeFiles(outside, { 'deep/x.json': '{}' });
    symlinkSync(outside, join(dir, 'linked'));
    const result = await call(freeze, { plan: PLAN_PATH }, dir);
    expect(result.code).toBe(2);
    expect(result.problems[0]).toMatchObject({
      code: 'PATH_UNSAFE',
      message: expect.stringContaining('pattern "linked/**/*.json" passes through "linked", a symbolic link that leads outside'),
    });
  });

  it('refuses a link that ** meets inside a folder, without following it (even to /)', async () => {
    const dir = repository({ extra: '    - { name: tree, paths: ["tree/**"] }' });
    writeFiles(dir, { 'tree/real.txt': 'x\n' });
    symlinkSync('/', join(dir, 'tree/root'));
    const result = await call(freeze, { plan: PLAN_PATH }, dir);
    expect(result.code).toBe(2);
    expect(result.problems[0]).toMatchObject({
      code: 'PATH_UNSAFE',
      message: expect.stringContaining('"tree/root" is a symbolic link that leads outside'),
    });
  });

  it('drops approvals of an older freeze digest when the content changes, and says so', async () => {
    const dir = repository();
    await freezeAndCommit(dir);
    setIdentity(dir, BOB);
    expect((await call(approve, { plan: PLAN_PATH }, dir)).code).toBe(0);
    setIdentity(dir, ALICE);
    writeFileSync(join(dir, 'mapping/a.json'), '{"a":2}\n');
    const result = await call(freeze, { plan: PLAN_PATH }, dir);
    expect(result.out).toMatch(/1 approval of an older freeze digest dropped: Bob Reviewer/);
    expect((await readLock(dir, LOCK_PATH))?.approvals).toEqual([]);
  });
});

describe('freeze --check', () => {
  it('exits 0 when the lock is current and writes nothing', async () => {
    const dir = repository();
    await freezeAndCommit(dir);
    const before = snapshot(dir);
    const result = await call(freeze, { plan: PLAN_PATH, check: true }, dir);
    expect(result.code).toBe(0);
    expect(result.out).toContain('is current');
    expect(snapshot(dir)).toBe(before);
  });

  it('exits 3 when the lock is missing, writing nothing', async () => {
    const dir = repository();
    const result = await call(freeze, { plan: PLAN_PATH, check: true }, dir, 'json');
    expect(result.code).toBe(3);
    expect(JSON.parse(result.out)).toMatchObject({
      ok: false,
      code: 'REGISTRY_UNFROZEN',
      current: false,
      problems: [{ file: LOCK_PATH, message: expect.stringContaining('no lock') }],
    });
    expect(readdirSync(join(dir, 'plans'))).toEqual(['station.yaml']);
  });

  it('exits 3 when stale, naming each drifted file and how', async () => {
    const dir = repository();
    await freezeAndCommit(dir);
    writeFileSync(join(dir, 'mapping/a.json'), '{"a":2}\n');
    writeFileSync(join(dir, 'mapping/c.json'), '{}\n');
    rmSync(join(dir, 'mapping/b.json'));
    const before = snapshot(dir);
    const result = await call(freeze, { plan: PLAN_PATH, check: true }, dir);
    expect(result.code).toBe(3);
    expect(result.err).toMatch(/mapping\/a\.json: error REGISTRY_UNFROZEN: registry "mapping" file changed/);
    expect(result.err).toMatch(/mapping\/b\.json: error REGISTRY_UNFROZEN: .*missing or no longer matched/);
    expect(result.err).toMatch(/mapping\/c\.json: error REGISTRY_UNFROZEN: .*not listed in the lock/);
    expect(result.err).toContain('hint: run cutover freeze plans/station.yaml and commit the lock');
    expect(snapshot(dir)).toBe(before);
  });
});

describe('the freeze gate refuses (exit 3), names the file and why, and changes nothing', () => {
  it('when the lock is missing', async () => {
    await expectRefused(repository(), [{ file: LOCK_PATH, reason: 'no lock' }]);
  });

  it('when a registry byte changed', async () => {
    const dir = repository();
    await freezeAndCommit(dir);
    writeFileSync(join(dir, 'mapping/a.json'), '{"a":1} \n');
    await expectRefused(dir, [{ file: 'mapping/a.json', reason: 'changed since the lock was frozen' }]);
  });

  it('when a new registry file matches a pattern', async () => {
    const dir = repository();
    await freezeAndCommit(dir);
    writeFileSync(join(dir, 'mapping/c.json'), '{}\n');
    await expectRefused(dir, [
      { file: 'mapping/c.json', reason: 'not listed in the lock' },
      { file: 'mapping/c.json', reason: 'is not committed' },
    ]);
  });

  it('when a registry file was removed (and the removal committed)', async () => {
    const dir = repository();
    await freezeAndCommit(dir);
    git(dir, 'rm', '-q', '--', 'mapping/b.json');
    git(dir, 'commit', '-q', '-m', 'drop b');
    const json = await expectRefused(dir, [{ file: 'mapping/b.json', reason: 'missing or no longer matched' }]);
    expect(JSON.parse(json.out).drift).toEqual([{ path: 'mapping/b.json', kind: 'registries', group: 'mapping', reason: 'removed' }]);
  });

  it('when a registry change was committed without freezing again', async () => {
    const dir = repository();
    await freezeAndCommit(dir);
    writeFileSync(join(dir, 'mapping/a.json'), '{"a":2}\n');
    git(dir, 'commit', '-q', '-am', 'change a');
    const json = await expectRefused(dir, [{ file: 'mapping/a.json', reason: 'changed since the lock was frozen' }]);
    expect(JSON.parse(json.out).drift.map((d: { reason: string }) => d.reason)).toEqual(['changed']);
  });

  it('when a registry change was frozen but left uncommitted', async () => {
    const dir = repository();
    writeFileSync(join(dir, 'mapping/a.json'), '{"a":2}\n');
    await freezeAndCommit(dir);
    const json = await expectRefused(dir, [{ file: 'mapping/a.json', reason: 'uncommitted changes (not staged)' }]);
    expect(JSON.parse(json.out).drift).toEqual([expect.objectContaining({ path: 'mapping/a.json', reason: 'uncommitted' })]);
  });

  it('when a registry change is staged but not committed', async () => {
    const dir = repository();
    writeFileSync(join(dir, 'mapping/a.json'), '{"a":2}\n');
    git(dir, 'add', 'mapping/a.json');
    await freezeAndCommit(dir);
    await expectRefused(dir, [{ file: 'mapping/a.json', reason: 'uncommitted changes (staged)' }]);
  });

  it('when the lock is untracked', async () => {
    const dir = repository();
    expect((await call(freeze, { plan: PLAN_PATH }, dir)).code).toBe(0);
    await expectRefused(dir, [{ file: LOCK_PATH, reason: 'the lock is not committed (untracked)' }]);
  });

  it('when the lock was edited by hand so its digests do not add up', async () => {
    const dir = repository();
    await freezeAndCommit(dir);
    const lockFile = join(dir, LOCK_PATH);
    const lock = JSON.parse(readFileSync(lockFile, 'utf8'));
    lock.registries.mapping.files['mapping/a.json'] = createHash('sha256').update('forged').digest('hex');
    writeFileSync(lockFile, `${JSON.stringify(lock, null, 2)}\n`);
    git(dir, 'commit', '-q', '-am', 'edit the lock');
    await expectRefused(dir, [
      { file: LOCK_PATH, reason: 'edited by hand: registries/mapping records root' },
      { file: 'mapping/a.json', reason: 'changed since the lock was frozen' },
    ]);
  });

  it('when an input changed', async () => {
    const dir = repository();
    await freezeAndCommit(dir);
    writeFileSync(join(dir, 'db/index.js'), 'module.exports = "other";\n');
    git(dir, 'commit', '-q', '-am', 'change input');
    await expectRefused(dir, [{ file: 'db/index.js', reason: 'input "source-db" file changed' }]);
  });

  it('when the plan changed after the freeze', async () => {
    const dir = repository();
    await freezeAndCommit(dir);
    writeFileSync(join(dir, PLAN_PATH), planYaml().replace('[node, -e, "0"]', '[node, -e, "1"]'));
    git(dir, 'commit', '-q', '-am', 'change plan');
    await expectRefused(dir, [{ file: PLAN_PATH, reason: 'the plan changed since the lock was frozen' }]);
  });

  it('when a registry file matched by the pattern is untracked and ignored by git', async () => {
    const dir = repository();
    writeFiles(dir, { '.gitignore': 'mapping/ignored.json\n', 'mapping/ignored.json': '{}\n' });
    git(dir, 'add', '.gitignore');
    git(dir, 'commit', '-q', '-m', 'ignore');
    await freezeAndCommit(dir);
    await expectRefused(dir, [{ file: 'mapping/ignored.json', reason: 'not committed (ignored by git)' }]);
  });

  it('when approvals are required and missing', async () => {
    const dir = repository({ approvals: 1 });
    await freezeAndCommit(dir);
    const json = await expectRefused(dir, [{ file: LOCK_PATH, reason: 'needs 1 approval', code: 'APPROVAL_MISSING' }]);
    expect(JSON.parse(json.out)).toMatchObject({
      frozen: true,
      approved: false,
      code: 'APPROVAL_MISSING',
      approvals: { required: 1, count: 0 },
    });
  });

  it('when the only approval is bound to an older freeze digest', async () => {
    const dir = repository({ approvals: 1 });
    await freezeAndCommit(dir);
    const lockFile = join(dir, LOCK_PATH);
    const lock = JSON.parse(readFileSync(lockFile, 'utf8'));
    lock.approvals.push({ by: `${BOB.name} <${BOB.email}>`, digest: `sha256:${'0'.repeat(64)}` });
    writeFileSync(lockFile, `${JSON.stringify(lock, null, 2)}\n`);
    git(dir, 'commit', '-q', '-am', 'stale approval');
    await expectRefused(dir, [
      { file: LOCK_PATH, reason: 'needs 1 approval', code: 'APPROVAL_MISSING' },
      { file: LOCK_PATH, reason: 'an older freeze', code: 'APPROVAL_MISSING' },
    ]);
  });

  it('when the only approval is by the identity that froze the lock', async () => {
    const dir = repository({ approvals: 1 });
    await freezeAndCommit(dir);
    const lockFile = join(dir, LOCK_PATH);
    const lock = JSON.parse(readFileSync(lockFile, 'utf8'));
    lock.approvals.push({ by: `Someone Else <${ALICE.email.toUpperCase()}>`, digest: lock.freezeDigest });
    writeFileSync(lockFile, `${JSON.stringify(lock, null, 2)}\n`);
    git(dir, 'commit', '-q', '-am', 'self approval');
    await expectRefused(dir, [{ file: LOCK_PATH, reason: 'does not count (freezer)', code: 'APPROVAL_MISSING' }]);
  });
});

describe('the freeze gate passes', () => {
  it('on a committed, current lock with no approvals required', async () => {
    const dir = repository();
    await freezeAndCommit(dir);
    const { plan, file } = await readValidPlan(PLAN_PATH, dir);
    const verdict = await assertFrozen({ root: dir, planFile: file, plan });
    expect(verdict).toMatchObject({ frozen: true, approved: true, problems: [], drift: [] });
    const result = await call(status, { plan: PLAN_PATH }, dir);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/frozen\s+yes/);
  });
});

describe('status', () => {
  it('names each drifted file and how, in text, JSON and GitHub formats', async () => {
    const dir = repository();
    await freezeAndCommit(dir);
    writeFileSync(join(dir, 'mapping/a.json'), '{"a":9}\n');
    const text = await call(status, { plan: PLAN_PATH }, dir);
    expect(text.code).toBe(3);
    expect(text.out).toMatch(/frozen\s+no\n\s+changed\s+mapping\/a\.json .*\n\s+uncommitted\s+mapping\/a\.json/);
    const json = await call(status, { plan: PLAN_PATH }, dir, 'json');
    expect(JSON.parse(json.out).drift).toEqual([
      expect.objectContaining({ path: 'mapping/a.json', kind: 'registries', group: 'mapping', reason: 'changed' }),
      expect.objectContaining({ path: 'mapping/a.json', kind: 'registries', group: 'mapping', reason: 'uncommitted' }),
    ]);
    const io = memoryIo({ cwd: dir, format: 'github' });
    expect(await status({ plan: PLAN_PATH }, io)).toBe(3);
    expect(io.out()).toContain('::error file=mapping/a.json');
  });
});

describe('approve', () => {
  it('by a second identity commits the lock alone, hooks disabled, and the gate passes with approvals.required: 1', async () => {
    const dir = repository({ approvals: 1 });
    await freezeAndCommit(dir);
    // A hook that would fail the commit and leave a mark if it ran.
    writeFileSync(join(dir, '.git/hooks/pre-commit'), '#!/bin/sh\ntouch hook-ran\nexit 1\n');
    chmodSync(join(dir, '.git/hooks/pre-commit'), 0o755);
    writeFileSync(join(dir, 'unrelated.txt'), 'staged but not part of the approval\n');
    git(dir, 'add', 'unrelated.txt');
    setIdentity(dir, BOB);
    const head = git(dir, 'rev-parse', 'HEAD');
    const result = await call(approve, { plan: PLAN_PATH }, dir, 'json');
    expect(result.code, result.err).toBe(0);
    const lock = await readLock(dir, LOCK_PATH);
    expect(lock?.approvals).toEqual([{ by: `${BOB.name} <${BOB.email}>`, digest: lock?.freezeDigest }]);
    expect(git(dir, 'rev-parse', 'HEAD~1')).toBe(head);
    expect(git(dir, 'show', '--name-only', '--format=', 'HEAD')).toBe(LOCK_PATH);
    expect(git(dir, 'log', '-1', '--format=%an <%ae>')).toBe(`${BOB.name} <${BOB.email}>`);
    expect(git(dir, 'log', '-1', '--format=%s')).toBe(`cutover(station): approve ${lock?.freezeDigest.slice(7, 19)}`);
    expect(git(dir, 'log', '-1', '--format=%(trailers:key=Cutover-Freeze-Digest,valueonly)')).toBe(lock?.freezeDigest);
    expect(git(dir, 'status', '--porcelain')).toBe('A  unrelated.txt');
    expect(readdirSync(dir)).not.toContain('hook-ran');
    expect(JSON.parse(result.out)).toMatchObject({ ok: true, by: `${BOB.name} <${BOB.email}>`, approvals: { count: 1, required: 1 } });

    git(dir, 'reset', '-q', '--', 'unrelated.txt');
    const { plan, file } = await readValidPlan(PLAN_PATH, dir);
    await expect(assertFrozen({ root: dir, planFile: file, plan })).resolves.toMatchObject({ frozen: true, approved: true });
    expect((await call(status, { plan: PLAN_PATH }, dir)).code).toBe(0);
  });

  it('by the identity that froze the lock is refused (exit 3) and changes nothing', async () => {
    const dir = repository({ approvals: 1 });
    await freezeAndCommit(dir);
    const before = snapshot(dir);
    const result = await call(approve, { plan: PLAN_PATH }, dir);
    expect(result.code).toBe(3);
    expect(result.error?.code).toBe('APPROVAL_REFUSED');
    expect(result.problems[0]).toMatchObject({
      file: LOCK_PATH,
      message: expect.stringMatching(/would not count \(freezer\): .*froze this lock/),
    });
    expect(snapshot(dir)).toBe(before);
  });

  it('twice by the same identity is refused the second time', async () => {
    const dir = repository({ approvals: 2 });
    await freezeAndCommit(dir);
    setIdentity(dir, BOB);
    expect((await call(approve, { plan: PLAN_PATH }, dir)).code).toBe(0);
    const before = snapshot(dir);
    const again = await call(approve, { plan: PLAN_PATH }, dir);
    expect(again.code).toBe(3);
    expect(again.problems[0]?.message).toContain('already approved');
    expect(snapshot(dir)).toBe(before);
  });

  it('of a stale lock is refused, naming the drifted file, and changes nothing', async () => {
    const dir = repository({ approvals: 1 });
    await freezeAndCommit(dir);
    writeFileSync(join(dir, 'mapping/a.json'), '{"a":3}\n');
    git(dir, 'commit', '-q', '-am', 'change a');
    setIdentity(dir, BOB);
    const before = snapshot(dir);
    const result = await call(approve, { plan: PLAN_PATH }, dir);
    expect(result.code).toBe(3);
    expect(result.error?.code).toBe('APPROVAL_REFUSED');
    expect(result.problems.some((p) => p.file === 'mapping/a.json' && p.message.includes('changed'))).toBe(true);
    expect(snapshot(dir)).toBe(before);
  });
});

describe('re-checks during a run', () => {
  it('statFiles and compareStats notice a rewritten, removed or recreated frozen file', async () => {
    const dir = repository();
    await freezeAndCommit(dir);
    const paths = ['mapping/a.json', 'mapping/b.json', 'db/index.js'];
    const before = statFiles(dir, paths);
    expect(compareStats(before, statFiles(dir, paths))).toEqual([]);
    writeFileSync(join(dir, 'mapping/a.json'), '{"a":1,"longer":true}\n');
    rmSync(join(dir, 'mapping/b.json'));
    // Same size, mtime put back: the inode of a replaced file still gives it away.
    const input = join(dir, 'db/index.js');
    const { atime, mtime } = statSync(input);
    rmSync(input);
    writeFileSync(input, 'module.exports = "DB";\n');
    utimesSync(input, atime, mtime);
    expect(compareStats(before, statFiles(dir, paths)).map((d) => [d.path, d.reason])).toEqual([
      ['db/index.js', 'changed'],
      ['mapping/a.json', 'changed'],
      ['mapping/b.json', 'removed'],
    ]);
  });

  it('compareStats notices a same-size rewrite in place whose modification time was put back: the change time moved', async () => {
    const dir = repository();
    await freezeAndCommit(dir);
    const file = join(dir, 'mapping/a.json');
    const before = statFiles(dir, ['mapping/a.json']);
    const { mtimeNs } = statSync(file, { bigint: true });
    writeFileSync(file, '{"a":7}\n');
    // `touch -r` puts the modification time back to the nanosecond; the change time cannot be set.
    execFileSync('touch', ['-d', `@${mtimeNs / 1_000_000_000n}.${String(mtimeNs % 1_000_000_000n).padStart(9, '0')}`, file]);
    const after = statFiles(dir, ['mapping/a.json']);
    expect([after.get('mapping/a.json')?.size, after.get('mapping/a.json')?.mtimeNs, after.get('mapping/a.json')?.ino]).toEqual([
      before.get('mapping/a.json')?.size,
      before.get('mapping/a.json')?.mtimeNs,
      before.get('mapping/a.json')?.ino,
    ]);
    expect(compareStats(before, after).map((d) => [d.path, d.reason])).toEqual([['mapping/a.json', 'changed']]);
  });

  it('recheckFrozen hashes what moved and compares it with the lock; bytes written again are no change', async () => {
    const dir = repository();
    await freezeAndCommit(dir);
    const lock = (await readLock(dir, LOCK_PATH))!;
    const snapshot = snapshotFrozen(dir, lock);
    expect(await recheckFrozen(dir, snapshot)).toEqual([]);
    writeFileSync(join(dir, 'mapping/a.json'), readFileSync(join(dir, 'mapping/a.json')));
    expect(await recheckFrozen(dir, snapshot)).toEqual([]);
    writeFileSync(join(dir, 'mapping/b.json'), '{"b":9}\n');
    rmSync(join(dir, 'db/index.js'));
    expect((await recheckFrozen(dir, snapshot)).map((d) => [d.path, d.reason])).toEqual([
      ['db/index.js', 'removed'],
      ['mapping/b.json', 'changed'],
    ]);
    writeFileSync(join(dir, 'mapping/b.json'), '{"b":2}\n');
    writeFileSync(join(dir, 'db/index.js'), 'module.exports = "db";\n');
    expect(await recheckFrozen(dir, snapshot)).toEqual([]);
  });

  it('rehashFrozen finds content changes and new matches against the lock', async () => {
    const dir = repository();
    await freezeAndCommit(dir);
    const { plan } = await readValidPlan(PLAN_PATH, dir);
    const lock = (await readLock(dir, LOCK_PATH))!;
    expect(await rehashFrozen({ root: dir, plan, lock })).toEqual([]);
    writeFileSync(join(dir, 'mapping/b.json'), '{"b":3}\n');
    mkdirSync(join(dir, 'mapping/sub'));
    writeFileSync(join(dir, 'mapping/new.json'), '{}\n');
    expect((await rehashFrozen({ root: dir, plan, lock })).map((d) => [d.path, d.reason])).toEqual([
      ['mapping/b.json', 'changed'],
      ['mapping/new.json', 'added'],
    ]);
  });
});

describe('checkFreeze', () => {
  it('reports every problem at once and the current freeze digest', async () => {
    const dir = repository();
    await freezeAndCommit(dir);
    writeFileSync(join(dir, 'mapping/a.json'), 'x');
    writeFileSync(join(dir, 'db/index.js'), 'y');
    const { plan, file } = await readValidPlan(PLAN_PATH, dir);
    const verdict = await checkFreeze({ root: dir, planFile: file, plan });
    expect(verdict.frozen).toBe(false);
    expect(verdict.freezeDigest).not.toBe(verdict.lock?.freezeDigest);
    expect(verdict.drift.map((d) => `${d.reason} ${d.path}`).sort()).toEqual([
      'changed db/index.js',
      'changed mapping/a.json',
      'uncommitted db/index.js',
      'uncommitted mapping/a.json',
    ]);
  });
});

// The built CLI, as a user and CI run it (needs `npm run build` and the commands wired in src/cli.ts).
describe('cutover freeze / status / approve (CLI)', () => {
  const env = { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };

  it('freeze, freeze --check, status and approve exit 0/3 as documented', () => {
    const dir = repository({ approvals: 1 });
    const frozen = cutover(['freeze', PLAN_PATH], { cwd: dir, env });
    expect(frozen.code, frozen.stderr).toBe(0);
    expect(stripAnsi(frozen.stdout)).toContain(`froze ${PLAN_PATH} → ${LOCK_PATH}`);
    const untracked = cutover(['status', PLAN_PATH], { cwd: dir, env });
    expect(untracked.code).toBe(3);
    expect(stripAnsi(untracked.stdout)).toMatch(/untracked\s+plans\/station\.lock\.json/);
    git(dir, 'add', LOCK_PATH);
    git(dir, 'commit', '-q', '-m', 'freeze');
    expect(cutover(['freeze', PLAN_PATH, '--check'], { cwd: dir, env }).code).toBe(0);
    const unapproved = cutover(['--format', 'json', 'status', PLAN_PATH], { cwd: dir, env });
    expect(unapproved.code).toBe(3);
    expect(JSON.parse(unapproved.stdout)).toMatchObject({ ok: false, code: 'APPROVAL_MISSING', frozen: true });
    const self = cutover(['approve', PLAN_PATH], { cwd: dir, env });
    expect(self.code).toBe(3);
    expect(self.stderr).toContain('error APPROVAL_REFUSED');
    setIdentity(dir, BOB);
    const approved = cutover(['approve', PLAN_PATH], { cwd: dir, env });
    expect(approved.code, approved.stderr).toBe(0);
    expect(cutover(['status', PLAN_PATH], { cwd: dir, env }).code).toBe(0);
  });

  it('status and freeze --check name each drifted file', () => {
    const dir = repository();
    expect(cutover(['freeze', PLAN_PATH], { cwd: dir, env }).code).toBe(0);
    git(dir, 'add', LOCK_PATH);
    git(dir, 'commit', '-q', '-m', 'freeze');
    writeFileSync(join(dir, 'mapping/a.json'), '{"a":9}\n');
    const text = cutover(['status', PLAN_PATH], { cwd: dir, env });
    expect(text.code).toBe(3);
    expect(stripAnsi(text.stdout)).toMatch(/changed\s+mapping\/a\.json/);
    const check = cutover(['freeze', PLAN_PATH, '--check'], { cwd: dir, env });
    expect(check.code).toBe(3);
    expect(check.stderr).toContain('mapping/a.json: error REGISTRY_UNFROZEN');
  });
});
