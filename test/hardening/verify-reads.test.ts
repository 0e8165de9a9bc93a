// `cutover verify` reads a record someone else may have planted (issue 12, lower findings): it never
// follows a link, never reads a device or a FIFO, and reads no more of a file than run.json states.
// Each planted thing ends in a mismatch (exit 4) naming it, promptly; none hangs or spins.
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { planHead, planRepo, runPlan } from '../helpers/run-repo.js';
import { figures } from './soak.js';

const RECORD = 'reports/test-plan/r1';
const PLAN = `${planHead()}  steps:
    - { id: build, run: node tools/step.js tree out/a 3 }
  artifacts:
    - { name: a, path: out/a }
`;
let tried = 0;

/** A repository with one committed record. */
function recorded(): string {
  const dir = planRepo(PLAN);
  const r = runPlan(dir);
  expect(r.code, r.stderr).toBe(0);
  return dir;
}

/** `cutover verify` with a guard: a verify that hangs is killed after a minute and the test fails. */
function verify(dir: string, record = RECORD) {
  const r = spawnSync(process.execPath, [CLI, 'verify', record, '--format', 'json'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, NO_COLOR: '1', CI: '', GITHUB_ACTIONS: '' },
  });
  expect(r.error, 'verify hung and was killed').toBeUndefined();
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Replaces a record file by a link to `target`. */
const linkTo = (target: string) => (dir: string, file: string) => {
  rmSync(join(dir, RECORD, file));
  symlinkSync(target, join(dir, RECORD, file));
};
const fifo = (dir: string, file: string) => {
  rmSync(join(dir, RECORD, file));
  execFileSync('mkfifo', [join(dir, RECORD, file)]);
};
// A terabyte of holes: reading it through would take hours; a sparse file costs no disk.
const huge = (dir: string, file: string) => truncateSync(join(dir, RECORD, file), 2 ** 40);
const logOf = (dir: string) =>
  (JSON.parse(readFileSync(join(dir, RECORD, 'run.json'), 'utf8')) as { steps: { log: { path: string } | null }[] }).steps[0]!.log!.path;

const PLANTED: [string, (dir: string) => string, (dir: string, file: string) => void][] = [
  ['a step log linked to /dev/zero (the reproduction)', logOf, linkTo('/dev/zero')],
  ['a manifest linked to /dev/zero', () => 'manifests/a.sha256', linkTo('/dev/zero')],
  ['statement.json linked to /dev/urandom', () => 'statement.json', linkTo('/dev/urandom')],
  ['report.md linked to a file outside', () => 'report.md', linkTo('/etc/hostname')],
  ['a step log replaced by a FIFO', logOf, fifo],
  ['report.md replaced by a FIFO', () => 'report.md', fifo],
  ['a manifest replaced by a FIFO', () => 'manifests/a.sha256', fifo],
  ['a step log grown to a sparse terabyte', logOf, huge],
  ['report.md grown to a sparse terabyte', () => 'report.md', huge],
  ['statement.json grown to a sparse terabyte', () => 'statement.json', huge],
  ['a manifest grown to a sparse terabyte', () => 'manifests/a.sha256', huge],
];

describe('verify reads nothing it should not', () => {
  it.each(PLANTED)('%s: a mismatch naming it, exit 4, no hang', (_label, which, plant) => {
    const dir = recorded();
    const file = which(dir);
    plant(dir, file);
    const r = verify(dir);
    expect(r.code, r.stdout + r.stderr).toBe(4);
    const doc = JSON.parse(r.stdout) as { checks: { name: string; ok: boolean; detail: string; files?: string[] }[] };
    const failed = doc.checks.filter((c) => !c.ok);
    expect(failed.map((c) => [c.detail, ...(c.files ?? [])].join(' ')).join('\n')).toContain(file);
    tried++;
  });

  it('run.json itself a link (to a faithful copy): refused, the copy is not read as the record', () => {
    const dir = recorded();
    const copy = join(mkdtempSync(join(tmpdir(), 'cutover-copy-')), 'run.json');
    onTestFinished(() => rmSync(copy, { force: true }));
    renameSync(join(dir, RECORD, 'run.json'), copy);
    symlinkSync(copy, join(dir, RECORD, 'run.json'));
    const r = verify(dir);
    expect(r.code).toBe(4);
    const doc = JSON.parse(r.stdout) as { checks: { name: string; ok: boolean; detail: string }[] };
    expect(doc.checks).toEqual([expect.objectContaining({ name: 'run.json', ok: false, detail: 'run.json is a symbolic link' })]);
    tried++;
  });

  it('a file added to the record as a link to /dev/zero: named as added, never read', () => {
    const dir = recorded();
    symlinkSync('/dev/zero', join(dir, RECORD, 'logs/extra.log'));
    const r = verify(dir);
    expect(r.code).toBe(4);
    expect(r.stdout).toContain('added: logs/extra.log');
    tried++;
  });

  it('the plan in the checkout replaced by a FIFO, or grown past its committed size: changed, no hang', () => {
    const dir = recorded();
    appendFileSync(join(dir, 'plans/p.yaml'), '#'.repeat(4096));
    expect(verify(dir).stdout).toMatch(/the plan changed after the run: plans\/p\.yaml is now larger than its \d+ bytes/);
    rmSync(join(dir, 'plans/p.yaml'));
    execFileSync('mkfifo', [join(dir, 'plans/p.yaml')]);
    const r = verify(dir);
    expect(r.code).toBe(4);
    expect(r.stdout).toContain('plans/p.yaml is gone from the checkout');
    tried += 2;
  });

  it('the record folder given as a link to it: refused as invalid input', () => {
    const dir = recorded();
    symlinkSync(RECORD.split('/').at(-1)!, join(dir, 'reports/test-plan/latest'));
    const r = verify(dir, 'reports/test-plan/latest');
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/no record folder at reports\/test-plan\/latest/);
    tried++;
    figures('verify-reads', `${tried} planted links, FIFOs, devices and oversized files: each a mismatch, none read through`);
  });

  it('an untouched record still verifies', () => {
    const dir = recorded();
    writeFileSync(join(dir, 'unrelated.txt'), 'x\n');
    expect(verify(dir).code).toBe(0);
  });
});
