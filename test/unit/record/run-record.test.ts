// run.json: its shape, canonical bytes, what is deterministic, masking, and the commit message.
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../src/text/json.js';
import { MANIFEST_FORMAT } from '../../../src/integrity/manifest.js';
import { RECORD_VERSION, buildRunJson, recordCommitMessage, recordOutcome, stepLogPath } from '../../../src/record/run-record.js';
import { artifact, ran, runResult, sha } from './fixture.js';

describe('buildRunJson', () => {
  it('holds every field of the record, digests prefixed and boundaries as <name>_at', () => {
    const run = buildRunJson(runResult({ drill: 'migrate' }));
    expect(run.recordVersion).toBe(RECORD_VERSION);
    expect(run.manifestFormat).toBe(MANIFEST_FORMAT);
    expect(run.tool).toEqual({ name: 'cutover', version: '0.1.0' });
    expect(run.plan).toEqual({ name: 'station-56', path: 'plans/station-56.yaml', digest: `sha256:${sha('plan')}` });
    expect(run.lock).toEqual({ path: 'plans/station-56.lock.json', digest: `sha256:${sha('lock')}` });
    expect(run.record).toEqual({ dir: 'reports/station-56/run-1' });
    expect(run.boundaries).toEqual({ paused_at: '2026-11-22T01:00:03.000Z' });
    expect(run.drill).toBe('migrate');
    expect(Object.keys(run)).toEqual(
      expect.arrayContaining([
        'freezeDigest',
        'runId',
        'commit',
        'branch',
        'runner',
        'startedAt',
        'endedAt',
        'outcome',
        'exitCode',
        'resumed',
        'steps',
        'artifacts',
        'runRoot',
      ]),
    );
  });

  it('names step logs logs/<phase>-<nn>-<id>.log by place in the phase, and null when nothing was logged', () => {
    const run = buildRunJson(runResult());
    expect(run.steps.map((s) => s.log?.path ?? null)).toEqual([
      null,
      'logs/steps-01-dry-run.log',
      'logs/steps-02-migrate.log',
      null,
      'logs/finally-01-resume.log',
    ]);
    expect(run.steps[1]?.log).toEqual({ path: 'logs/steps-01-dry-run.log', digest: `sha256:${sha('log of dry-run')}`, bytes: 14 });
    expect(run.steps[3]).toMatchObject({ outcome: 'skipped', exitCode: null, signal: null, reason: 'no step failed' });
    expect(stepLogPath(runResult().plan, { phase: 'steps', id: 'unplanned' }, 6)).toBe('logs/steps-07-unplanned.log');
  });

  it('takes log facts from the record writer when given, truncated logs with their full digest', () => {
    const logs = new Map([
      ['dry-run', { digest: `sha256:${sha('x')}`, bytes: 1, full: { digest: `sha256:${sha('xx')}`, bytes: 9_000_000 } }],
    ]);
    const run = buildRunJson(runResult(), { logs });
    expect(run.steps[1]?.log).toEqual({
      path: 'logs/steps-01-dry-run.log',
      digest: `sha256:${sha('x')}`,
      bytes: 1,
      full: { digest: `sha256:${sha('xx')}`, bytes: 9_000_000 },
    });
    expect(run.steps[2]?.log).toBeNull();
  });

  it('describes artifacts with manifest paths, kinds and folder roots; an absent one has no manifest', () => {
    const absent = { ...artifact('gone', 'out/gone', {}), present: false };
    const result = runResult();
    const run = buildRunJson({ ...result, artifacts: [...result.artifacts, absent] });
    expect(run.artifacts[0]).toMatchObject({ name: 'candidate', manifest: 'manifests/candidate.sha256', kind: 'directory', files: 4 });
    expect(Object.keys(run.artifacts[0]?.children ?? {})).toEqual(['kurse', 'users']);
    expect(run.artifacts[1]).toMatchObject({ name: 'summary', commit: 'files', kind: 'file', manifest: 'manifests/summary.sha256' });
    expect(run.artifacts[2]).toMatchObject({ name: 'gone', present: false, manifest: null });
    expect(run.artifacts[2]).not.toHaveProperty('kind');
  });

  it('serialises to the same canonical bytes however the input was built', () => {
    const a = canonicalJson(buildRunJson(runResult()));
    const shuffled = Object.fromEntries(Object.entries(runResult()).reverse()) as ReturnType<typeof runResult>;
    expect(canonicalJson(buildRunJson(shuffled))).toBe(a);
    expect(a.endsWith('}\n')).toBe(true);
    expect(a).toContain('\n  "artifacts": [');
  });

  it('is deterministic in its roots: two runs over the same artifacts differ only in times, id and runner', () => {
    const first = buildRunJson(runResult());
    const second = buildRunJson(
      runResult({
        runId: 'run-2',
        startedAt: '2026-12-01T00:00:00.000Z',
        endedAt: '2026-12-01T00:10:00.000Z',
        runner: { host: 'ci-2' },
        steps: [ran('steps', 'dry-run', 99_000, 99_500)],
      }),
    );
    expect(second.runRoot).toBe(first.runRoot);
    expect(second.artifacts.map((a) => [a.root, a.children])).toEqual(first.artifacts.map((a) => [a.root, a.children]));
    expect(second.startedAt).not.toBe(first.startedAt);
  });

  it('masks secret values in every string and key, never in digests', () => {
    const secret = 'hunter2-CANARY';
    const hexSecret = sha('plan').slice(10, 18); // a secret that happens to occur inside a digest
    const result = runResult({
      secretValues: [secret, hexSecret],
      runner: { host: `ci ${secret}` },
      boundaries: { [`b-${secret}`]: 'then' },
      steps: [ran('steps', 'dry-run', 0, 5, { name: `dry ${secret}`, reason: `exit 1: password ${secret} refused` })],
      problems: [`frozen file changed near ${secret}`],
    });
    const text = canonicalJson(buildRunJson(result));
    expect(text).not.toContain(secret);
    expect(text).toContain('password *** refused');
    expect(text).toContain(`sha256:${sha('plan')}`);
  });
});

describe('recordCommitMessage', () => {
  it('is the subject line, a blank line and the four trailers', () => {
    const run = buildRunJson(runResult({ outcome: 'failure' }));
    expect(recordCommitMessage(run)).toBe(
      [
        'cutover(station-56): run-1 failure',
        '',
        'Cutover-Plan: plans/station-56.yaml',
        'Cutover-Run-Id: run-1',
        'Cutover-Outcome: failure',
        `Cutover-Root: ${run.runRoot}`,
        '',
      ].join('\n'),
    );
  });
});

describe('recordOutcome', () => {
  const drilled = (outcome: 'success' | 'failure' | 'skipped') =>
    runResult({
      outcome: 'failure',
      drill: 'migrate',
      steps: [ran('steps', 'migrate', 0, 10, { outcome, ...(outcome === 'failure' ? { drill: true } : {}) })],
    });

  it('calls a drill whose step failed as planned a drill, in the subject and the trailer', () => {
    const run = buildRunJson(drilled('failure'));
    expect(recordOutcome(run)).toBe('drill');
    expect(recordCommitMessage(run)).toMatch(/^cutover\(station-56\): run-1 drill\n\n(.+\n)*Cutover-Outcome: drill\n/);
  });

  it('keeps a real failure before the drilled step a failure, and every other outcome as it is', () => {
    expect(recordOutcome(buildRunJson(drilled('skipped')))).toBe('failure');
    for (const outcome of ['success', 'failure', 'interrupted', 'abandoned'] as const)
      expect(recordOutcome(buildRunJson(runResult({ outcome })))).toBe(outcome);
  });

  it('writes rehearsal: true into run.json only for a rehearsal', () => {
    expect(buildRunJson(runResult({ rehearsal: true })).rehearsal).toBe(true);
    expect('rehearsal' in buildRunJson(runResult())).toBe(false);
  });
});
