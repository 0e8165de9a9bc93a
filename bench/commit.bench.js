#!/usr/bin/env node
// Committing a record with 100,000 small artifact files: commitRecord against plain `git add <dirs> && git commit`.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, report } from './lib.js';
import { hashArtifact } from '../dist/integrity/hash-artifact.js';
import { runRoot } from '../dist/integrity/merkle.js';
import { commitRecord } from '../dist/record/commit-record.js';
import { writeRecord } from '../dist/record/write-record.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const DIRS = 100;
const PER_DIR = 1000;
const ARTIFACT = 'storage_reports/scan';
const TARGET = 1.3;

const env = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
const git = (cwd, ...args) => execFileSync('git', args, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 28 }).trim();

const scratch = mkdtempSync(join(tmpdir(), 'cutover-bench-commit-'));
try {
  // A template repository: one commit, then 100,000 files of an artifact and a record in the work tree.
  const template = join(scratch, 'template');
  mkdirSync(template);
  git(template, 'init', '-q', '-b', 'main');
  // No background `gc --auto` (100,000 loose objects would start one): it would skew both contenders.
  for (const [k, v] of [
    ['user.name', 'Bench'],
    ['user.email', 'bench@example.test'],
    ['commit.gpgSign', 'false'],
    ['gc.auto', '0'],
    ['maintenance.auto', 'false'],
  ])
    git(template, 'config', k, v);
  writeFileSync(join(template, 'README.md'), '# bench\n');
  git(template, 'add', 'README.md');
  git(template, 'commit', '-q', '-m', 'initial');
  for (let d = 0; d < DIRS; d++) {
    const dir = join(template, ARTIFACT, `module-${d}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < PER_DIR; f++) writeFileSync(join(dir, `row-${f}.json`), `{"module":${d},"row":${f}}\n`);
  }
  const result = await runResult(template);
  const written = await writeRecord(template, result);

  // Each sample starts from the template's .git (one commit, nothing of the artifact staged or
  // stored); the 100,000 files in the work tree stay where they are.
  const savedGit = join(scratch, 'saved.git');
  execFileSync('cp', ['-a', join(template, '.git'), savedGit]);
  const fresh = () => {
    rmSync(join(template, '.git'), { recursive: true, force: true });
    execFileSync('cp', ['-a', savedGit, join(template, '.git')]);
    execFileSync('sync'); // the last sample's writeback must not land in this one
    return template;
  };
  const tracked = () => git(template, 'ls-tree', '-r', '--name-only', 'HEAD').split('\n').length;
  const samples = { commitRecord: [], plain: [] };
  const time = async (fn) => {
    const started = process.hrtime.bigint();
    await fn();
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  for (let round = 0; round <= RUNS; round++) {
    const runOurs = async () => {
      const root = fresh();
      const took = await time(() => commitRecord({ root, result, recordFiles: written.files, env }));
      return { took, files: tracked() };
    };
    const runPlain = async () => {
      const root = fresh();
      const took = await time(async () => {
        git(root, 'add', ARTIFACT, written.dir);
        git(root, 'commit', '-q', '-m', 'plain');
      });
      return { took, files: tracked() };
    };
    // Alternate who goes first, so a slow stretch of the disk hurts both alike.
    const [ours, plain] = round % 2 ? [await runOurs(), await runPlain()] : await runPlain().then(async (p) => [await runOurs(), p]);
    if (ours.files !== plain.files || ours.files !== DIRS * PER_DIR + written.files.length + 1)
      throw new Error('the two commits differ in their files');
    if (round > 0) {
      // round 0 warms the page cache and the binaries
      samples.commitRecord.push(ours.took);
      samples.plain.push(plain.took);
    }
  }
  const ours = median(samples.commitRecord);
  const plain = median(samples.plain);
  const ratio = ours / plain;
  const pairRatio = median(samples.commitRecord.map((t, i) => t / samples.plain[i]));
  const ok = report(
    'commit',
    [
      {
        contender: 'commitRecord',
        files: DIRS * PER_DIR + written.files.length,
        medianMs: Math.round(ours),
        samplesMs: samples.commitRecord.map(Math.round).join(' '),
      },
      {
        contender: 'git add && git commit',
        files: DIRS * PER_DIR + written.files.length,
        medianMs: Math.round(plain),
        samplesMs: samples.plain.map(Math.round).join(' '),
      },
    ],
    [
      {
        pass: ratio <= TARGET,
        label: `commitRecord takes ${ratio.toFixed(2)}× plain git add + commit, median of ${RUNS} (per-round ratio ${pairRatio.toFixed(2)}×; target ≤ ${TARGET}×)`,
      },
    ],
  );
  process.exitCode = ok ? 0 : 1;
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

/** A minimal finished run whose one artifact (committed as files) is the 100,000-file folder. */
async function runResult(root) {
  const hashed = await hashArtifact(join(root, ARTIFACT));
  const artifacts = [
    {
      name: 'scan',
      path: ARTIFACT,
      commit: 'files',
      present: true,
      files: hashed.files,
      bytes: hashed.bytes,
      root: hashed.root,
      manifest: hashed.manifest,
    },
  ];
  const logsDir = join(scratch, 'logs');
  mkdirSync(logsDir, { recursive: true });
  const now = new Date().toISOString();
  return {
    plan: {
      name: 'bench',
      description: '',
      runId: 'bench-1',
      env: {},
      secrets: [],
      approvals: { required: 0, distinctFromFreezer: true },
      inputs: [],
      registries: [],
      phases: { preconditions: [], steps: [], rollback: [], finally: [] },
      artifacts: [{ name: 'scan', path: ARTIFACT, commit: 'files', roots: 'none' }],
      record: { dir: 'reports/bench/bench-1', push: false },
    },
    planFile: 'plans/bench.yaml',
    planDigest: '0'.repeat(64),
    lockFile: 'plans/bench.lock.json',
    lockDigest: '0'.repeat(64),
    freezeDigest: `sha256:${'0'.repeat(64)}`,
    runId: 'bench-1',
    commit: git(root, 'rev-parse', 'HEAD'),
    branch: 'main',
    startedAt: now,
    endedAt: now,
    outcome: 'success',
    exitCode: 0,
    resumed: false,
    boundaries: {},
    steps: [],
    artifacts,
    runRoot: runRoot(artifacts),
    logsDir,
    runner: { host: 'bench' },
    toolVersion: '0.0.0',
    secretValues: [],
  };
}
