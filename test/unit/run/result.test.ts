// Assembling a run's result and concluding its outcome, from values alone.
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../../src/errors.js';
import { assembleResult, concludeRun, runnerFacts, type CommittedRun } from '../../../src/run/result.js';
import { notRun } from '../../../src/run/step-record.js';
import { step } from '../record/fixture.js';

describe('concludeRun', () => {
  const base = { interrupted: false, stepFailed: false, problems: [] as string[], artifacts: [{ path: 'out/a', present: true }] };

  it('succeeds with exit 0 when nothing failed and every artifact is there', () => {
    expect(concludeRun(base)).toEqual({ outcome: 'success', exitCode: EXIT.ok, problems: [] });
  });

  it('fails a run whose artifact is missing at the end, naming it', () => {
    expect(concludeRun({ ...base, artifacts: [{ path: 'out/a', present: false }] })).toEqual({
      outcome: 'failure',
      exitCode: EXIT.stepFailed,
      problems: ['artifacts missing at the end of the run: out/a'],
    });
  });

  it('a failed step or a run-level problem fails the run; a missing artifact is not added to a failed run', () => {
    expect(concludeRun({ ...base, stepFailed: true, artifacts: [{ path: 'out/a', present: false }] })).toEqual({
      outcome: 'failure',
      exitCode: EXIT.stepFailed,
      problems: [],
    });
    expect(concludeRun({ ...base, problems: ['frozen files changed during the run: config/a.json'] }).outcome).toBe('failure');
  });

  it('an interrupted run exits 143 for SIGTERM and 130 for SIGINT, whatever failed', () => {
    expect(concludeRun({ ...base, interrupted: true, signal: 'SIGTERM', stepFailed: true })).toMatchObject({
      outcome: 'interrupted',
      exitCode: EXIT.sigterm,
    });
    expect(concludeRun({ ...base, interrupted: true, signal: 'SIGINT' })).toMatchObject({ outcome: 'interrupted', exitCode: EXIT.sigint });
  });
});

describe('assembleResult', () => {
  it('takes the plan facts from the prepared run, the outcome from the run, the logs from its scratch space', () => {
    const s = step('steps', 0, 'a');
    const run: CommittedRun = {
      freezeDigest: 'f',
      commit: 'c',
      branch: 'main',
      startedAt: 't0',
      endedAt: 't1',
      outcome: 'success',
      exitCode: 0,
      resumed: false,
      artifacts: [],
      runRoot: 'sha256:x',
      runner: { host: 'h' },
    };
    const result = assembleResult({
      prepared: {
        resolved: { runId: 'r1' } as never,
        planFile: 'plans/p.yaml',
        planDigest: 'pd',
        lockFile: 'plans/p.lock.json',
        lockDigest: 'ld',
        paths: { scratch: '/repo/.git/cutover/runs/p/r1' },
      },
      run,
      steps: [notRun(s, 'skipped', 'why')],
      boundaries: { paused: 't0' },
      toolVersion: '1.0.0',
      secretValues: ['s3cret'],
      committed: { commit: 'abc' },
    });
    expect(result).toMatchObject({
      runId: 'r1',
      planFile: 'plans/p.yaml',
      lockDigest: 'ld',
      outcome: 'success',
      logsDir: '/repo/.git/cutover/runs/p/r1/logs',
      boundaries: { paused: 't0' },
      committed: { commit: 'abc' },
    });
    expect(result.steps.map((r) => r.id)).toEqual(['a']);
  });
});

describe('runnerFacts', () => {
  it('keeps the host and the GitHub facts that are set', () => {
    expect(runnerFacts({ GITHUB_RUN_ID: '7', GITHUB_ACTOR: 'octo', OTHER: 'x' }, 'box')).toEqual({
      host: 'box',
      githubRunId: '7',
      githubActor: 'octo',
    });
  });
});
