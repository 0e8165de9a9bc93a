// One run spread over runners, simulated honestly: the coordinator, every shard and the join each run
// in a clone of their own, and only the hand-off and shard folders are copied between them.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, cliEnv, cutover } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';
import { git, tempDir, writeFiles } from '../helpers/git-repo.js';
import { planHead, planRepo, runPlan } from '../helpers/run-repo.js';

const MODULES = ['kurse', 'orte', 'personen'];

/** A station-56-style plan: pause writes, migrate each module (a shard each), report, roll back on failure, resume writes. */
const PLAN = `${planHead()}  concurrency: 2
  steps:
    - { id: pause, run: node tools/step.js append state/log.txt paused, boundary: paused }
    - id: migrate
      matrix: { module: [${MODULES.join(', ')}] }
      run: node tools/step.js module \${{ matrix.module }} out done.txt
      produces: ["out/\${{ matrix.module }}"]
    - { id: report, run: node tools/step.js write out/summary.txt migrated }
  rollback:
    - { id: undo, run: node tools/step.js append state/log.txt rolled-back }
  finally:
    - { id: resume, run: node tools/step.js append state/log.txt resumed, boundary: resumed }
  artifacts:
    - { name: out, path: out, commit: manifest, roots: children }
`;

const FILES = { '.gitignore': 'out/\nstate/\ndone.txt\nfail/\n' };

/** A clone of the origin, as a runner checks it out. */
function clone(origin: string, name: string): string {
  const dir = join(tempDir(`cutover-${name}-`), 'repo');
  git(origin, 'clone', '-q', origin, dir);
  git(dir, 'config', 'user.name', 'Runner');
  git(dir, 'config', 'user.email', 'runner@example.test');
  return dir;
}

/** Copies a bundle folder from one runner's disk to another's, as an artifact upload and download would. */
function carry(from: string, name: string): string {
  const to = join(tempDir('cutover-artifact-'), name);
  cpSync(from, to, { recursive: true });
  return to;
}

const run = (dir: string, args: string[]) => cutover(['run', 'plans/p.yaml', '--run-id', 'spread-1', ...args], { cwd: dir });
const runJson = (dir: string) => JSON.parse(readFileSync(join(dir, 'reports/test-plan/spread-1/run.json'), 'utf8'));
const outcomes = (doc: { steps: { id: string; outcome: string }[] }) => Object.fromEntries(doc.steps.map((s) => [s.id, s.outcome]));

/** Runs the coordinator in a clone of its own, which must succeed; its hand-off folder as written. */
function coordinate(origin: string) {
  const coordinator = clone(origin, 'coordinator');
  const handoff = join(tempDir('cutover-handoff-'), 'handoff');
  const c = run(coordinator, ['--until', 'migrate', '--handoff', handoff]);
  expect(c.code, c.stderr).toBe(0);
  return { coordinator, handoff, c };
}

/** Runs the coordinator and the shards (each in its own clone); `before` may change a shard's clone first. */
function spread(origin: string, options: { shards?: string[]; before?: (module: string, dir: string) => void } = {}) {
  const { coordinator, handoff: handoffDir, c } = coordinate(origin);
  expect(c.stdout).toMatch(/^cutover run plans\/p\.yaml \(coordinator\)\n[\s\S]*\ncoordinator succeeded \(exit 0\) · 1 succeeded/);
  expect(c.stderr).toBe(`cutover: hand-off written to ${handoffDir}\n`);
  expect(readFileSync(join(coordinator, 'state/log.txt'), 'utf8')).toBe('paused\n');
  const handoff = carry(handoffDir, 'handoff');
  const bundles: string[] = [];
  const codes: Record<string, number | null> = {};
  for (const module of options.shards ?? MODULES) {
    const dir = clone(origin, `shard-${module}`);
    options.before?.(module, dir);
    const out = join(tempDir('cutover-shard-'), `shard-${module}`);
    const s = run(dir, ['--shard', `migrate[${module}]`, '--handoff', handoff, '--out', out]);
    codes[module] = s.code;
    if (existsSync(out)) bundles.push(carry(out, `shard-${module}`));
  }
  return { handoff, bundles, codes };
}

describe('a run spread over runners', () => {
  it('ends with one committed record whose roots equal the single-machine run of the same run id', () => {
    const origin = planRepo(PLAN, FILES);
    const single = clone(origin, 'single');
    const one = runPlan(single, ['--run-id', 'spread-1']);
    expect(one.code, one.stderr).toBe(0);

    const { handoff, bundles, codes } = spread(origin);
    expect(codes).toEqual({ kurse: 0, orte: 0, personen: 0 });
    const joiner = clone(origin, 'join');
    const j = run(joiner, ['--format', 'json', '--join', handoff, ...bundles]);
    expect(j.code, j.stderr).toBe(0);
    const doc = JSON.parse(j.stdout);
    expect(doc.recordCommit).toMatch(/^[0-9a-f]{40}$/);
    expect(doc.runRoot).toBe(one.doc!.runRoot);
    const record = runJson(joiner);
    expect(record.artifacts[0].root).toBe(runJson(single).artifacts[0].root);
    expect(record.artifacts[0].children).toEqual(runJson(single).artifacts[0].children);
    expect(outcomes(record)).toEqual(outcomes(runJson(single)));
    // The coordinator's boundary and the join's: the pause window spans the runners.
    expect(Object.keys(record.boundaries).sort()).toEqual(['paused_at', 'resumed_at']);
    expect(record.distributed.shards.map((s: { id: string; bundle: string }) => [s.id, s.bundle.slice(0, 7)])).toEqual(
      MODULES.map((m) => [`migrate[${m}]`, 'sha256:']),
    );
    // Every shard's log is in the record, and the record verifies against the artifacts where they are.
    for (const m of MODULES) expect(existsSync(join(joiner, `reports/test-plan/spread-1/logs/steps-02-migrate.${m}.log`))).toBe(true);
    const v = cutover(['verify', 'reports/test-plan/spread-1', '--artifacts', single], { cwd: joiner });
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(readFileSync(join(joiner, 'state/log.txt'), 'utf8')).toBe('resumed\n');
    expect(git(joiner, 'status', '--porcelain', 'reports')).toBe('');
    const report = readFileSync(join(joiner, 'reports/test-plan/spread-1/report.md'), 'utf8');
    expect(report).toMatch(/## Runners\n\nSpread over runners at `migrate`/);
    for (const m of MODULES) expect(report).toMatch(new RegExp(`\\| \`migrate\\[${m}\\]\` \\| \`[^\`]+\` \\| \`sha256:[0-9a-f]{64}\` \\|`));
  }, 120_000);

  it('fails a shard whose bundle was tampered with: rollback and finally run, and the record is committed', () => {
    const origin = planRepo(PLAN, FILES);
    const { handoff, bundles } = spread(origin);
    const orte = bundles.find((b) => b.endsWith('shard-orte'))!;
    const log = join(orte, 'logs', 'steps-02-migrate.orte.log');
    writeFileSync(log, `${readFileSync(log, 'utf8')}forged line\n`);
    const joiner = clone(origin, 'join');
    const j = run(joiner, ['--format', 'json', '--join', handoff, ...bundles]);
    expect(j.code, j.stderr).toBe(1);
    const record = runJson(joiner);
    expect(record.outcome).toBe('failure');
    const shard = record.steps.find((s: { id: string }) => s.id === 'migrate[orte]');
    expect(shard.outcome).toBe('failure');
    expect(shard.reason).toMatch(/rejected: its log steps-02-migrate\.orte\.log does not match its digest/);
    expect(outcomes(record)).toMatchObject({ 'migrate[kurse]': 'success', report: 'skipped', undo: 'success', resume: 'success' });
    expect(readFileSync(join(joiner, 'state/log.txt'), 'utf8')).toBe('rolled-back\nresumed\n');
    expect(JSON.parse(j.stdout).recordCommit).toMatch(/^[0-9a-f]{40}$/);
  }, 120_000);

  it('fails a shard whose bundle document was edited, even with its own log intact', () => {
    const origin = planRepo(PLAN, FILES);
    const { handoff, bundles } = spread(origin);
    const kurse = join(bundles.find((b) => b.endsWith('shard-kurse'))!, 'shard.json');
    const doc = JSON.parse(readFileSync(kurse, 'utf8'));
    doc.artifacts[0].entries[0].digest = '0'.repeat(64);
    writeFileSync(kurse, JSON.stringify(doc));
    const joiner = clone(origin, 'join');
    const j = run(joiner, ['--join', handoff, ...bundles]);
    expect(j.code, j.stderr).toBe(1);
    const shard = runJson(joiner).steps.find((s: { id: string }) => s.id === 'migrate[kurse]');
    expect(shard.reason).toMatch(/does not match its digest \(edited after it was written\)/);
  }, 120_000);

  it('refuses a shard run against a re-frozen lock (exit 3, no bundle); the join fails that shard and still runs finally', () => {
    const origin = planRepo(PLAN, FILES);
    const { handoff, bundles, codes } = spread(origin, {
      before: (module, dir) => {
        if (module !== 'personen') return;
        writeFileSync(join(dir, 'config/a.json'), '{ "a": 2 }\n');
        expect(cutover(['freeze', 'plans/p.yaml'], { cwd: dir }).code).toBe(0);
        git(dir, 'commit', '-qam', 're-freeze');
      },
    });
    expect(codes.personen).toBe(3);
    expect(bundles.some((b) => b.endsWith('shard-personen'))).toBe(false);
    const joiner = clone(origin, 'join');
    const j = run(joiner, ['--join', handoff, ...bundles]);
    expect(j.code, j.stderr).toBe(1);
    const record = runJson(joiner);
    const shard = record.steps.find((s: { id: string }) => s.id === 'migrate[personen]');
    expect(shard.outcome).toBe('failure');
    expect(shard.reason).toMatch(/no bundle was given for it/);
    expect(outcomes(record)).toMatchObject({ undo: 'success', resume: 'success' });
    expect(record.distributed.shards.find((s: { id: string }) => s.id === 'migrate[personen]').bundle).toBeNull();
    expect(readFileSync(join(joiner, 'reports/test-plan/spread-1/report.md'), 'utf8')).toMatch(
      /\| `migrate\[personen\]` \| – \| none: no bundle was given/,
    );
  }, 120_000);

  it('refuses the re-frozen shard with HANDOFF_MISMATCH before it runs anything', () => {
    const origin = planRepo(PLAN, FILES);
    const { handoff } = coordinate(origin);
    const shard = clone(origin, 'shard');
    writeFileSync(join(shard, 'config/a.json'), '{ "a": 3 }\n');
    expect(cutover(['freeze', 'plans/p.yaml'], { cwd: shard }).code).toBe(0);
    const out = join(tempDir('cutover-shard-'), 'out');
    const s = run(shard, ['--shard', 'migrate[kurse]', '--handoff', handoff, '--out', out]);
    expect(s.code).toBe(3);
    expect(s.stderr).toMatch(/HANDOFF_MISMATCH.*the lock here is not the one the coordinator of run spread-1 froze/);
    expect(existsSync(join(shard, 'out'))).toBe(false);
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  it('fails a missing shard: rollback and finally run, and the record is committed', () => {
    const origin = planRepo(PLAN, FILES);
    const { handoff, bundles } = spread(origin, { shards: ['kurse', 'orte'] });
    const joiner = clone(origin, 'join');
    const j = run(joiner, ['--join', handoff, ...bundles]);
    expect(j.code, j.stderr).toBe(1);
    expect(outcomes(runJson(joiner))).toMatchObject({
      'migrate[personen]': 'failure',
      report: 'skipped',
      undo: 'success',
      resume: 'success',
    });
    expect(git(joiner, 'log', '-1', '--format=%s')).toMatch(/spread-1/);
  }, 120_000);

  it('records a drill given to one shard job as the drill of the run', () => {
    const origin = planRepo(PLAN, FILES);
    const { handoff } = coordinate(origin);
    const bundles = MODULES.map((m) => {
      const out = join(tempDir('cutover-shard-'), `shard-${m}`);
      const drill = m === 'orte' ? ['--fail-at', 'migrate[orte]'] : [];
      expect(run(clone(origin, `shard-${m}`), ['--shard', `migrate[${m}]`, '--handoff', handoff, '--out', out, ...drill]).code).toBe(
        m === 'orte' ? 1 : 0,
      );
      return out;
    });
    const joiner = clone(origin, 'join');
    expect(run(joiner, ['--join', handoff, ...bundles]).code).toBe(1);
    const record = runJson(joiner);
    expect(record.drill).toBe('migrate[orte]');
    expect(record.steps.find((s: { id: string }) => s.id === 'migrate[orte]')).toMatchObject({ outcome: 'failure', drill: true });
    expect(git(joiner, 'log', '-1', '--format=%s')).toMatch(/drill/);
  }, 120_000);

  it('resumes a join killed with kill -9 on its machine, and reaches the single-machine roots', async () => {
    const plan = PLAN.replace('node tools/step.js write out/summary.txt migrated', 'node tools/step.js module summary out done.txt');
    const origin = planRepo(plan, FILES);
    const one = runPlan(clone(origin, 'single'), ['--run-id', 'spread-1']);
    expect(one.code, one.stderr).toBe(0);
    const { handoff, bundles } = spread(origin);
    const joiner = clone(origin, 'join');
    writeFiles(joiner, { 'hold/summary': '' });
    const child = spawn(process.execPath, [CLI, 'run', 'plans/p.yaml', '--run-id', 'spread-1', '--join', handoff, ...bundles], {
      cwd: joiner,
      env: cliEnv(),
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await waitFor(() => existsSync(join(joiner, 'hold/summary.pid')));
    child.kill('SIGKILL');
    await exited;
    rmSync(join(joiner, 'hold'), { recursive: true });
    // The join's own journal holds the run now: without --resume it is refused, with it the run ends.
    expect(run(joiner, ['--join', handoff, ...bundles]).code).toBe(3);
    const resumed = run(joiner, ['--format', 'json', '--resume', '--join', handoff, ...bundles]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout).runRoot).toBe(one.doc!.runRoot);
    const record = runJson(joiner);
    expect(record.resumed).toBe(true);
    expect(record.distributed.shards).toHaveLength(3);
    expect(readFileSync(join(joiner, 'done.txt'), 'utf8')).toBe('summary\n');
  }, 120_000);

  it('carries a failed shard into the join: its log and reason in the record, then rollback', () => {
    const origin = planRepo(PLAN, FILES);
    const { handoff, bundles, codes } = spread(origin, {
      before: (module, dir) => module === 'orte' && writeFiles(dir, { 'fail/orte': '' }),
    });
    expect(codes).toEqual({ kurse: 0, orte: 1, personen: 0 });
    const joiner = clone(origin, 'join');
    const j = run(joiner, ['--join', handoff, ...bundles]);
    expect(j.code, j.stderr).toBe(1);
    const record = runJson(joiner);
    const orte = record.steps.find((s: { id: string }) => s.id === 'migrate[orte]');
    expect(orte).toMatchObject({ outcome: 'failure', exitCode: 3 });
    expect(orte.log.path).toBe('logs/steps-02-migrate.orte.log');
    expect(outcomes(record)).toMatchObject({ report: 'skipped', undo: 'success', resume: 'success' });
    // The partial output the failed shard left on its runner was put back there; nothing of it is in the manifest.
    expect(readFileSync(join(joiner, 'reports/test-plan/spread-1/manifests/out.sha256'), 'utf8')).not.toMatch(/orte/);
  }, 120_000);
});
