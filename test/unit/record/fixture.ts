// An in-memory RunResult for the record's pure tests: a plan, three steps, two artifacts (one single file).
import { createHash } from 'node:crypto';
import { formatManifest, sortEntries, type ManifestLine } from '../../../src/integrity/manifest.js';
import { childRoots, manifestRoot, runRoot } from '../../../src/integrity/merkle.js';
import type { ResolvedPlan, ResolvedStep } from '../../../src/plan/resolve.js';
import type { Phase } from '../../../src/plan/types.js';
import type { StepRecord } from '../../../src/run/events.js';
import type { ArtifactResult, RunResult } from '../../../src/run/result.js';

export const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/** A resolved step with defaults. */
export function step(phase: Phase, index: number, id: string, extra: Partial<ResolvedStep> = {}): ResolvedStep {
  return {
    id,
    name: id,
    phase,
    index,
    with: { rerun: [], paths: [] },
    cwd: '.',
    env: {},
    retries: { count: 0, delayMs: 0 },
    continueOnError: false,
    expect: { exitCode: [0], exists: [], absent: [], json: [] },
    produces: [],
    needs: [],
    ...extra,
  };
}

/** An artifact result from file contents (path → text), hashed in memory. */
export function artifact(name: string, path: string, files: Record<string, string>, extra: Partial<ArtifactResult> = {}): ArtifactResult {
  const entries: ManifestLine[] = sortEntries(Object.entries(files).map(([p, text]) => ({ path: p, digest: sha(text) })));
  return {
    name,
    path,
    commit: 'manifest',
    present: true,
    files: entries.length,
    bytes: Object.values(files).reduce((n, t) => n + Buffer.byteLength(t), 0),
    root: manifestRoot(entries),
    manifest: formatManifest(entries),
    ...(extra.children === undefined && Object.keys(files).some((p) => p.includes('/')) ? { children: childRoots(entries) } : {}),
    ...extra,
  };
}

const T0 = Date.parse('2026-11-22T01:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

/** A step record that ran from `from` to `to` ms after T0. */
export function ran(phase: Phase, id: string, from: number, to: number, extra: Partial<StepRecord> = {}): StepRecord {
  return {
    phase,
    id,
    name: id,
    outcome: 'success',
    attempts: 1,
    exitCode: 0,
    signal: null,
    timedOut: false,
    startedAt: at(from),
    endedAt: at(to),
    durationMs: to - from,
    logDigest: sha(`log of ${id}`),
    logBytes: `log of ${id}`.length,
    ...extra,
  };
}

/** A finished run of plan station-56; `overrides` replace top-level fields. */
export function runResult(overrides: Partial<RunResult> = {}): RunResult {
  const phases: Record<Phase, ResolvedStep[]> = {
    preconditions: [step('preconditions', 0, 'no-stale')],
    steps: [step('steps', 0, 'dry-run'), step('steps', 1, 'migrate', { boundary: 'paused' })],
    rollback: [step('rollback', 0, 'repoint')],
    finally: [step('finally', 0, 'resume')],
  };
  const plan: ResolvedPlan = {
    name: 'station-56',
    description: '',
    runId: 'run-1',
    env: {},
    secrets: ['SOURCE_DB_PASSWORD'],
    approvals: { required: 0, distinctFromFreezer: true },
    inputs: [],
    registries: [],
    phases,
    concurrency: 1,
    artifacts: [
      { name: 'candidate', path: 'storage_candidate/v1', commit: 'manifest', roots: 'children' },
      { name: 'summary', path: 'reports/summary.json', commit: 'files', roots: 'none' },
    ],
    record: { dir: 'reports/station-56/run-1', push: false },
  };
  const artifacts = [
    artifact('candidate', 'storage_candidate/v1', {
      'kurse/a.json': '{"a":1}\n',
      'kurse/b.json': '{"b":2}\n',
      'users/u.json': '[]\n',
      'index.json': '{}\n',
    }),
    artifact('summary', 'reports/summary.json', { 'summary.json': '{"ok":true}\n' }, { commit: 'files' }),
  ];
  const result: RunResult = {
    plan,
    planFile: 'plans/station-56.yaml',
    planDigest: sha('plan'),
    lockFile: 'plans/station-56.lock.json',
    lockDigest: sha('lock'),
    freezeDigest: `sha256:${sha('freeze')}`,
    runId: 'run-1',
    commit: 'a'.repeat(40),
    branch: 'main',
    startedAt: at(0),
    endedAt: at(5000),
    outcome: 'success',
    exitCode: 0,
    resumed: false,
    boundaries: { paused: at(3000) },
    steps: [
      ran('preconditions', 'no-stale', 0, 10, { logDigest: null, logBytes: 0 }),
      ran('steps', 'dry-run', 10, 1200),
      ran('steps', 'migrate', 1200, 3000, { boundary: 'paused' }),
      ran('rollback', 'repoint', 0, 0, {
        outcome: 'skipped',
        attempts: 0,
        exitCode: null,
        startedAt: null,
        endedAt: null,
        durationMs: 0,
        logDigest: null,
        logBytes: 0,
        reason: 'no step failed',
      }),
      ran('finally', 'resume', 3000, 4900),
    ],
    artifacts,
    runRoot: runRoot(artifacts),
    logsDir: '/nonexistent/logs',
    runner: { host: 'ci-1' },
    toolVersion: '0.1.0',
    secretValues: [],
    ...overrides,
  };
  return result;
}
