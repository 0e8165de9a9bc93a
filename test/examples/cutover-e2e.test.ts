// Both examples run end to end through cutover itself: green path, drills, refusals, determinism.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CLI, EXAMPLES, createExampleRepo } from '../../scripts/example-repo.js';

type Example = keyof typeof EXAMPLES;

/** A fresh copy of an example in a git repository, frozen and committed, removed after the test. */
function frozenExample(name: Example, plan = EXAMPLES[name]): string {
  const dir = createExampleRepo(name);
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  expect(cutover(dir, ['freeze', plan]).code).toBe(0);
  git(dir, 'add', plan.replace(/\.yaml$/, '.lock.json'));
  git(dir, 'commit', '-q', '-m', 'freeze');
  return dir;
}

function cutover(dir: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', CI: '', GITHUB_ACTIONS: '', ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, json: () => JSON.parse(r.stdout) };
}

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();
}

function run(dir: string, plan: string, args: string[] = [], env: Record<string, string> = {}) {
  const r = cutover(dir, ['run', plan, '--format', 'json', ...args], env);
  return { ...r, doc: r.code === 0 || r.code === 1 ? r.json() : undefined };
}

const outcomes = (doc: { steps: { id: string; outcome: string }[] }) => Object.fromEntries(doc.steps.map((s) => [s.id, s.outcome]));

describe.concurrent('station-56 through cutover', () => {
  it('runs the whole playbook green, the rollback drill included, and the record verifies', () => {
    const dir = frozenExample('station-56');
    const r = run(dir, EXAMPLES['station-56'], [], { MIGRATE_RUN_ID: 'e2e-1' });
    expect(r.code, r.stderr).toBe(0);
    const steps = outcomes(r.doc!);
    expect(steps['rollback-drill']).toBe('success'); // the drill's migrate exits 1 and leaves nothing: expected
    expect(steps.determinism).toBe('success');
    expect(steps['repoint-previous']).toBe('skipped');
    expect(Object.keys(r.doc!.boundaries).sort()).toEqual(['paused', 'resumed', 'switched', 'verified']);
    expect(JSON.parse(readFileSync(join(dir, 'storage_live.json'), 'utf8')).target).toBe('storage_candidate/v1');
    const verify = cutover(dir, ['verify', r.doc!.record]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    const run1 = JSON.parse(readFileSync(join(dir, r.doc!.record, 'run.json'), 'utf8'));
    expect(Object.keys(run1.artifacts.find((a: { name: string }) => a.name === 'candidate').children).sort()).toEqual([
      'buchungen',
      'checksums',
      'dozenten',
      'kurse',
      'teilnehmer',
    ]);
    // The pause window: from freeze-writes' end to resume-writes' end, the steps' share and cutover's own.
    const window = run1.pauseWindow;
    expect(window.wallMs).toBe(Date.parse(run1.boundaries.resumed_at) - Date.parse(run1.boundaries.paused_at));
    expect(window.steps).toBeGreaterThan(5);
    expect(window.stepsMs + window.cutoverMs).toBe(window.wallMs);
    expect(window.cutoverMs).toBeGreaterThanOrEqual(0);
    expect(readFileSync(join(dir, r.doc!.record, 'report.md'), 'utf8')).toMatch(
      /Writes were paused for \*\*[^*]+\*\* .* cutover's own time was /,
    );
  });

  it('refuses a tampered registry before anything runs, leaving the repository untouched', () => {
    const dir = frozenExample('station-56');
    const mapping = join(dir, 'migration/mapping/kurse.json');
    writeFileSync(mapping, readFileSync(mapping, 'utf8').replace(/\n$/, ' \n'));
    git(dir, 'commit', '-qam', 'an unreviewed mapping change');
    const head = git(dir, 'rev-parse', 'HEAD');
    const r = run(dir, EXAMPLES['station-56']);
    expect(r.code).toBe(3);
    expect(r.stdout + r.stderr).toContain('migration/mapping/kurse.json');
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(head);
    expect(git(dir, 'status', '--porcelain')).toBe('');
    expect(existsSync(join(dir, 'storage_candidate'))).toBe(false);
  });

  it('a failure after the flip rolls back to the previous storage and still resumes writes', () => {
    const dir = frozenExample('station-56');
    const r = run(dir, EXAMPLES['station-56'], ['--fail-at', 'post-cutover-scan'], { MIGRATE_RUN_ID: 'e2e-drill' });
    expect(r.code).toBe(1);
    const steps = outcomes(r.doc!);
    expect(steps.flip).toBe('success');
    expect(steps['repoint-previous']).toBe('success');
    expect(steps['scan-restored']).toBe('success');
    expect(steps['resume-writes']).toBe('success');
    expect(JSON.parse(readFileSync(join(dir, 'storage_live.json'), 'utf8')).target).toBe('storage_previous/v0');
    expect(cutover(dir, ['verify', r.doc!.record]).code).toBe(0);
  });

  it('gives identical artifact roots for the same run id in two fresh repositories', () => {
    const roots = [frozenExample('station-56'), frozenExample('station-56')].map((dir) => {
      const r = run(dir, EXAMPLES['station-56'], [], { MIGRATE_RUN_ID: 'same-id' });
      expect(r.code, r.stderr).toBe(0);
      return { artifacts: r.doc!.artifacts, runRoot: r.doc!.runRoot };
    });
    expect(roots[0]).toEqual(roots[1]);
  });
});

describe.concurrent('event-log through cutover', () => {
  it('pauses, verifies, writes, switches and resumes, with every boundary in the record', () => {
    const dir = frozenExample('event-log');
    const r = run(dir, EXAMPLES['event-log']);
    expect(r.code, r.stderr).toBe(0);
    expect(Object.keys(r.doc!.boundaries).sort()).toEqual(['paused', 'resumed', 'switched', 'verified']);
    const run1 = JSON.parse(readFileSync(join(dir, r.doc!.record, 'run.json'), 'utf8'));
    expect(Object.keys(run1.boundaries).sort()).toEqual(['paused_at', 'resumed_at', 'switched_at', 'verified_at']);
    expect(JSON.parse(readFileSync(join(dir, 'state/tenant.json'), 'utf8'))).toMatchObject({ active_version: 1, writes: 'open' });
    expect(cutover(dir, ['verify', r.doc!.record]).code).toBe(0);
  });

  it('an injected failure after the switch rolls back to v0 and still resumes', () => {
    const dir = frozenExample('event-log');
    const r = run(dir, EXAMPLES['event-log'], ['--fail-at', 'confirm-switched']);
    expect(r.code).toBe(1);
    const steps = outcomes(r.doc!);
    expect(steps.switch).toBe('success');
    expect(steps['rollback-history']).toBe('success');
    expect(steps['switch-back']).toBe('success');
    expect(steps.resume).toBe('success');
    expect(r.doc!.boundaries.resumed).toBeDefined();
    expect(JSON.parse(readFileSync(join(dir, 'state/tenant.json'), 'utf8'))).toMatchObject({ active_version: 0, writes: 'open' });
  });

  it('records an unsafe rollback refused with its reason', () => {
    const dir = frozenExample('event-log');
    expect(run(dir, EXAMPLES['event-log']).code).toBe(0);
    const v2 = 'plans/event-log-v2-cutover.yaml';
    expect(cutover(dir, ['freeze', v2]).code).toBe(0);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'freeze v2');
    const r = run(dir, v2, ['--run-id', 'v2-1']);
    expect(r.code, r.stderr).toBe(0);
    const refusal = r.doc!.steps.find((s: { id: string }) => s.id === 'rollback-refused');
    expect(refusal.outcome).toBe('success');
    const record = JSON.parse(readFileSync(join(dir, r.doc!.record, 'run.json'), 'utf8'));
    const logPath = record.steps.find((s: { id: string }) => s.id === 'rollback-refused').log.path;
    const log = readFileSync(join(dir, r.doc!.record, logPath), 'utf8');
    expect(log).toMatch(/reversible.*false/);
    expect(log).toMatch(/drop|transform|injective/i);
  });
});
