// Signed approvals with real ssh-keygen keys: approve --key, the gate's reason for every approval that does not count, runs, verify.
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cutover, type CliResult } from '../helpers/cli.js';
import { git, gitRepo, tempDir, writeFiles } from '../helpers/git-repo.js';
import { planHead, planRepo, runPlan } from '../helpers/run-repo.js';

const PLAN = 'plans/p.yaml';
const LOCK = 'plans/p.lock.json';
const SIGNERS = '.cutover/allowed_signers';
const NAMESPACE = 'cutover-approval';

interface Person {
  name: string;
  email: string;
  key: string;
  pub: string;
  fingerprint: string;
}

/** A fresh ed25519 key pair made by ssh-keygen, outside any repository. */
function person(name: string, email: string): Person {
  const key = join(tempDir('cutover-keys-'), 'id_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', email, '-f', key]);
  const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', `${key}.pub`], { encoding: 'utf8' }).split(' ')[1] as string;
  return { name, email, key, pub: readFileSync(`${key}.pub`, 'utf8').split(' ').slice(0, 2).join(' '), fingerprint };
}

/** An approval made by hand with ssh-keygen, as a lock holds it: the armor's base64 on one line. */
function signedByHand(who: Person, digest: string, principal = who.email) {
  const armored = execFileSync('ssh-keygen', ['-Y', 'sign', '-f', who.key, '-n', NAMESPACE], {
    input: `${digest}\n`,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  const signature = armored
    .split('\n')
    .filter((line) => line && !line.startsWith('-----'))
    .join('');
  return { by: `${who.name} <${who.email}>`, digest, principal, key: who.fingerprint, signature };
}

const ALICE_EMAIL = 'operator@example.test'; // the identity planRepo freezes with

/** A repository whose plan needs `required` signed approvals by principals of an allowed-signers file, frozen and committed. */
function signedRepo(options: { required: number; distinct?: boolean; signers?: boolean } = { required: 2 }) {
  const people = {
    alice: person('Test Operator', ALICE_EMAIL),
    bob: person('Bob Reviewer', 'bob@example.test'),
    carol: person('Carol Reviewer', 'carol@example.test'),
    eve: person('Eve Outsider', 'eve@example.test'),
  };
  const listed = [people.alice, people.bob, people.carol].map((p) => `${p.email} ${p.pub}\n`).join('');
  const policy = [
    `required: ${options.required}`,
    ...(options.signers === false ? [] : [`signers: ${SIGNERS}`]),
    ...(options.distinct === false ? ['distinctFromFreezer: false'] : []),
  ];
  const dir = planRepo(
    `${planHead()}  approvals: { ${policy.join(', ')} }\n  steps:\n    - { id: greet, run: node tools/step.js write out/hello.txt hi }\n`,
    { [SIGNERS]: listed },
  );
  return { dir, ...people };
}

function as(dir: string, who: Person): void {
  git(dir, 'config', 'user.name', who.name);
  git(dir, 'config', 'user.email', who.email);
}

/** `cutover approve` as a person, with their key unless `key` is false. */
function approveAs(dir: string, who: Person, extra: string[] = [], key = true): CliResult {
  as(dir, who);
  return cutover(['approve', PLAN, '--format', 'json', ...(key ? ['--key', who.key] : []), ...extra], { cwd: dir });
}

function readLock(dir: string) {
  return JSON.parse(readFileSync(join(dir, LOCK), 'utf8'));
}

/** Rewrites the lock's approvals by hand and commits them, as someone editing the file in a pull request would. */
function commitApprovals(dir: string, approvals: object[]): void {
  const lock = readLock(dir);
  lock.approvals = approvals;
  writeFileSync(join(dir, LOCK), `${JSON.stringify(lock, null, 2)}\n`);
  git(dir, 'commit', '-q', '-m', 'edit approvals', '--', LOCK);
}

function statusOf(dir: string) {
  const r = cutover(['status', PLAN, '--format', 'json'], { cwd: dir });
  return { code: r.code, doc: JSON.parse(r.stdout) };
}

function snapshot(dir: string): string {
  return [
    git(dir, 'rev-parse', 'HEAD'),
    git(dir, 'status', '--porcelain', '--untracked-files=all'),
    readFileSync(join(dir, LOCK), 'utf8'),
  ].join('\n');
}

describe('ssh-keygen', () => {
  it('is installed and signs and verifies with -Y (OpenSSH 8.2 or later)', () => {
    const bob = person('Bob', 'bob@example.test');
    const signed = spawnSync('ssh-keygen', ['-Y', 'sign', '-f', bob.key, '-n', NAMESPACE], { input: 'x\n', encoding: 'utf8' });
    expect(signed.status, signed.stderr).toBe(0);
    expect(signed.stdout).toContain('-----BEGIN SSH SIGNATURE-----');
  });
});

describe('cutover approve --key', () => {
  it('signs the freeze digest: the lock keeps principal, fingerprint and signature, and ssh-keygen verifies it by hand', () => {
    const { dir, bob } = signedRepo({ required: 1 });
    const r = approveAs(dir, bob);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      ok: true,
      principal: bob.email,
      key: bob.fingerprint,
      verified: true,
      approvals: { count: 1, required: 1 },
    });
    const lock = readLock(dir);
    expect(lock.approvals).toEqual([
      {
        by: `${bob.name} <${bob.email}>`,
        digest: lock.freezeDigest,
        principal: bob.email,
        key: bob.fingerprint,
        signature: expect.stringMatching(/^U1NIU0lH[A-Za-z0-9+/=]+$/),
      },
    ]);
    expect(git(dir, 'log', '-1', '--format=%(trailers:key=Cutover-Approval-Key,valueonly)')).toBe(bob.fingerprint);
    // The check docs/integrity.md gives an auditor, with nothing of cutover's.
    const sig = join(tempDir(), 'approval.sig');
    writeFileSync(sig, `-----BEGIN SSH SIGNATURE-----\n${lock.approvals[0].signature}\n-----END SSH SIGNATURE-----\n`);
    const verified = spawnSync('ssh-keygen', ['-Y', 'verify', '-f', join(dir, SIGNERS), '-I', bob.email, '-n', NAMESPACE, '-s', sig], {
      input: `${lock.freezeDigest}\n`,
      encoding: 'utf8',
    });
    expect(verified.status, verified.stderr).toBe(0);
    const status = statusOf(dir);
    expect(status.code).toBe(0);
    expect(status.doc.approvals).toMatchObject({
      required: 1,
      satisfied: true,
      signers: SIGNERS,
      counted: [{ principal: bob.email, verified: true, signed: true }],
      ignored: [],
    });
  });

  it('refuses, changing nothing, an approval that would not count: unsigned, a key not in the file, another principal, the freezer, twice', () => {
    const { dir, alice, bob, eve } = signedRepo({ required: 2 });
    const before = snapshot(dir);
    const refused = (r: CliResult, reason: RegExp) => {
      expect(r.code, r.stdout).toBe(3);
      const doc = JSON.parse(r.stdout);
      expect(doc.code).toBe('APPROVAL_REFUSED');
      expect(doc.problems[0].message).toMatch(reason);
      expect(snapshot(dir)).toBe(before);
    };
    refused(approveAs(dir, bob, [], false), /would not count \(unsigned\)/);
    refused(approveAs(dir, eve), /key SHA256:\S+ is not in \.cutover\/allowed_signers/);
    refused(approveAs(dir, eve, ['--principal', bob.email]), /would not count \(key-mismatch\)/);
    refused(approveAs(dir, eve, ['--principal', eve.email]), /would not count \(unknown-principal\)/);
    refused(approveAs(dir, alice), /would not count \(freezer\)/);
    expect(approveAs(dir, bob).code).toBe(0);
    const again = approveAs(dir, bob);
    expect(again.code).toBe(3);
    expect(JSON.parse(again.stdout).problems[0].message).toMatch(/would not count \(duplicate\)/);
  });

  it("counts the freezer's own signed approval when distinctFromFreezer is false", () => {
    const { dir, alice } = signedRepo({ required: 1, distinct: false });
    expect(approveAs(dir, alice).code).toBe(0);
    expect(statusOf(dir)).toMatchObject({ code: 0, doc: { approvals: { counted: [{ principal: ALICE_EMAIL, verified: true }] } } });
  });

  it('refuses to freeze without the allowed-signers file, pointing at approvals.signers (exit 2)', () => {
    const dir = gitRepo({
      [PLAN]: `${planHead()}  approvals: { required: 1, signers: ${SIGNERS} }\n  steps:\n    - { id: greet, run: node tools/step.js write out/hello.txt hi }\n`,
      'config/a.json': '{}\n',
    });
    const r = cutover(['freeze', PLAN, '--format', 'json'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).problems).toEqual([
      expect.objectContaining({ code: 'PLAN_PATH', file: PLAN, line: 9, col: 38, message: `approvals.signers: no file at "${SIGNERS}"` }),
    ]);
  });

  it('freezes the allowed-signers file: changing who may approve makes the lock stale', () => {
    const { dir, eve } = signedRepo({ required: 1 });
    writeFiles(dir, { [SIGNERS]: `${readFileSync(join(dir, SIGNERS), 'utf8')}${eve.email} ${eve.pub}\n` });
    git(dir, 'commit', '-q', '-am', 'let eve approve');
    const status = statusOf(dir);
    expect(status.code).toBe(3);
    expect(status.doc).toMatchObject({
      frozen: false,
      code: 'REGISTRY_UNFROZEN',
      drift: [{ path: SIGNERS, kind: 'inputs', group: 'approval-signers', reason: 'changed' }],
    });
  });
});

describe('the gate with approvals.signers', () => {
  it('runs with two valid signatures (approvals.required: 2), and verify re-checks them offline against the signers at that commit', () => {
    const { dir, bob, carol } = signedRepo({ required: 2 });
    expect(approveAs(dir, bob).code).toBe(0);
    expect(runPlan(dir).code).toBe(3);
    expect(approveAs(dir, carol).code).toBe(0);
    const run = runPlan(dir);
    expect(run.code, run.stderr).toBe(0);
    const record = 'reports/test-plan/r1';
    const checked = JSON.parse(cutover(['verify', record, '--format', 'json'], { cwd: dir }).stdout);
    expect(checked.ok).toBe(true);
    const approvals = checked.checks.find((c: { name: string }) => c.name === 'approvals');
    expect(approvals).toMatchObject({ ok: true, detail: expect.stringContaining(`2 of 2 required against ${SIGNERS}`) });
    expect(approvals.detail).toContain(`${bob.email} (signature verified), ${carol.email} (signature verified)`);

    // Revoking bob later does not rewrite history: the record is judged by the signers file it ran with.
    writeFiles(dir, { [SIGNERS]: readFileSync(join(dir, SIGNERS), 'utf8').replace(/^bob@.*\n/m, '') });
    git(dir, 'commit', '-q', '-am', 'revoke bob');
    const later = JSON.parse(cutover(['verify', record, '--format', 'json'], { cwd: dir }).stdout);
    expect(later.checks.find((c: { name: string }) => c.name === 'approvals')).toMatchObject({ ok: true });
  });

  it('refuses the run (exit 3) and names the reason of every approval that does not count', () => {
    const { dir, alice, bob, carol, eve } = signedRepo({ required: 2 });
    // Carol approves this freeze, then a registry changes, the lock is frozen again, and her approval is old.
    expect(approveAs(dir, carol).code).toBe(0);
    const older = readLock(dir).approvals[0];
    writeFiles(dir, { 'config/a.json': '{ "a": 2 }\n' });
    as(dir, alice);
    expect(cutover(['freeze', PLAN], { cwd: dir }).code).toBe(0);
    git(dir, 'commit', '-q', '-am', 'refreeze');
    expect(approveAs(dir, bob).code).toBe(0);
    const digest = readLock(dir).freezeDigest;
    const valid = readLock(dir).approvals[0];
    commitApprovals(dir, [
      valid,
      { by: `${carol.name} <${carol.email}>`, digest },
      older,
      { ...older, digest },
      signedByHand(eve, digest),
      signedByHand(eve, digest, carol.email),
      { ...valid, key: carol.fingerprint },
      valid,
      signedByHand(alice, digest),
    ]);
    const expected = [
      'unsigned',
      'older-digest',
      'hand-edited',
      'unknown-principal',
      'key-mismatch',
      'key-mismatch',
      'duplicate',
      'freezer',
    ];

    const status = statusOf(dir);
    expect(status.code).toBe(3);
    expect(status.doc.approvals.counted.map((a: { principal: string }) => a.principal)).toEqual([bob.email]);
    expect(status.doc.approvals.ignored.map((a: { reason: string }) => a.reason)).toEqual(expected);

    const run = runPlan(dir);
    expect(run.code).toBe(3);
    expect(run.doc?.code).toBe('APPROVAL_MISSING');
    const messages: string[] = run.doc?.problems.map((p: { message: string }) => p.message);
    expect(messages[0]).toMatch(
      /needs 2 approvals .* signed by distinct principals of \.cutover\/allowed_signers; 1 of the lock's 9 count/,
    );
    expect(messages.slice(1).map((m) => /does not count \(([a-z-]+)\)/.exec(m)?.[1])).toEqual(expected);
    expect(messages.join('\n')).toMatch(/eve@example\.test is not a principal of \.cutover\/allowed_signers/);
    expect(messages.join('\n')).toMatch(/edited by hand/);

    const plan = cutover(['plan', PLAN], { cwd: dir });
    expect(plan.code).toBe(0);
    expect([...plan.stdout.matchAll(/^ {2}not counted {2}.*? {2}([a-z-]+): /gm)].map((m) => m[1])).toEqual(expected);
  });
});

describe('without approvals.signers', () => {
  it('keeps unsigned approvals working, shown as claims; a signed one counts as a signed claim', () => {
    const { dir, bob, carol } = signedRepo({ required: 2, signers: false });
    expect(approveAs(dir, bob, [], false).code).toBe(0);
    expect(approveAs(dir, carol).code).toBe(0);
    const status = statusOf(dir);
    expect(status.code).toBe(0);
    expect(status.doc.approvals.counted).toEqual([
      { by: `${bob.name} <${bob.email}>`, digest: expect.any(String), signed: false, verified: false },
      {
        by: `${carol.name} <${carol.email}>`,
        digest: expect.any(String),
        principal: carol.email,
        key: carol.fingerprint,
        signed: true,
        verified: false,
      },
    ]);
    const text = cutover(['status', PLAN], { cwd: dir }).stdout;
    expect(text).toContain('claim: unsigned');
    expect(text).toContain(`claim: signed with ${carol.fingerprint}`);
    expect(runPlan(dir).code).toBe(0);
  });
});
