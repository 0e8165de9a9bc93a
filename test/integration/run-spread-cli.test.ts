// The command line of a spread run: `cutover matrix`, the flags of each part and what each refuses
// before anything runs; and a resumed run that rolls back after a step failed before the crash.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, cliEnv, cutover } from '../helpers/cli.js';
import { git, tempDir } from '../helpers/git-repo.js';
import { planHead, planRepo, runPlan } from '../helpers/run-repo.js';
import { waitFor } from '../helpers/wait.js';

const PLAN = `${planHead()}  inputs:
    - { name: modules, paths: ["migration/*.json"] }
  steps:
    - { id: pause, run: node tools/step.js append state/log.txt paused }
    - id: migrate
      matrix: { module: { file: migration/modules.json, path: modules } }
      run: node tools/step.js module \${{ matrix.module }} out done.txt
    - { id: report, run: node tools/step.js write out/summary.txt done }
  artifacts:
    - { name: out, path: out, commit: manifest }
`;
const MODULES = { 'migration/modules.json': '{ "modules": ["kurse", "orte"] }\n', '.gitignore': 'out/\nstate/\ndone.txt\n' };

describe('cutover matrix', () => {
  it('lists the shards one a line, as JSON, and as the job output `shards` in GitHub’s format', () => {
    const dir = planRepo(PLAN, MODULES);
    const text = cutover(['matrix', 'plans/p.yaml', 'migrate'], { cwd: dir });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toBe('migrate[kurse]\nmigrate[orte]\n');
    const json = JSON.parse(cutover(['matrix', 'plans/p.yaml', 'migrate', '--format', 'json'], { cwd: dir }).stdout);
    expect(json).toEqual({ step: 'migrate', values: ['kurse', 'orte'], shards: ['migrate[kurse]', 'migrate[orte]'] });
    const output = join(tempDir(), 'output');
    writeFileSync(output, '');
    const github = cutover(['matrix', 'plans/p.yaml', 'migrate', '--format', 'github'], { cwd: dir, env: { GITHUB_OUTPUT: output } });
    expect(github.code, github.stderr).toBe(0);
    expect(readFileSync(output, 'utf8')).toMatch(/^shards<<(ghadelimiter_[\w-]+)\n\["migrate\[kurse\]","migrate\[orte\]"\]\n\1\n/);
  });

  it('refuses a step that is not a matrix step (exit 2) and a shard list that is not the frozen one (exit 3)', () => {
    const dir = planRepo(PLAN, MODULES);
    const notMatrix = cutover(['matrix', 'plans/p.yaml', 'report'], { cwd: dir });
    expect(notMatrix.code).toBe(2);
    expect(notMatrix.stderr).toMatch(/USAGE.*"report" is not a matrix step.*hint: its matrix steps: migrate/s);
    writeFileSync(join(dir, 'migration/modules.json'), '{ "modules": ["kurse", "orte", "extra"] }\n');
    const unfrozen = cutover(['matrix', 'plans/p.yaml', 'migrate'], { cwd: dir });
    expect(unfrozen.code).toBe(3);
    expect(unfrozen.stderr).toMatch(/REGISTRY_UNFROZEN.*migration\/modules\.json differs from the lock/);
  });
});

describe('the flags of a spread run', () => {
  const refusals: [string, string[], number, RegExp][] = [
    ['--until without --handoff', ['--until', 'migrate'], 2, /--until needs --handoff DIR/],
    ['--shard without --out', ['--shard', 'migrate[kurse]', '--handoff', 'h'], 2, /--shard needs --out DIR/],
    ['two parts at once', ['--until', 'migrate', '--join', 'h'], 2, /--until and --join cannot be combined/],
    ['--handoff alone', ['--handoff', 'h'], 2, /--handoff and --out belong to a spread run/],
    [
      '--push on the coordinator',
      ['--until', 'migrate', '--handoff', 'h', '--push'],
      2,
      /--push: the coordinator and the shards commit nothing/,
    ],
    ['a step that is not a matrix step', ['--until', 'report', '--handoff', 'h'], 2, /"report" is not a matrix step of spec\.steps/],
    ['a join without a hand-off', ['--join', 'nowhere'], 2, /HANDOFF_INVALID.*nowhere is not a folder/],
  ];
  it.each(refusals)('refuses %s before anything runs', (_name, args, code, message) => {
    const dir = planRepo(PLAN, MODULES);
    const r = cutover(['run', 'plans/p.yaml', ...args], { cwd: dir });
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(existsSync(join(dir, 'state'))).toBe(false);
    expect(existsSync(join(dir, 'h'))).toBe(false);
  });

  it('refuses an artifact committed as files, and a hand-off folder that is not empty, before the first step', () => {
    const files = planRepo(PLAN.replace('commit: manifest', 'commit: files'), MODULES);
    const r = cutover(['run', 'plans/p.yaml', '--until', 'migrate', '--handoff', 'h'], { cwd: files });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/artifact out is committed as files.*hint: set `commit: manifest`/s);
    expect(existsSync(join(files, 'state'))).toBe(false);

    const dir = planRepo(PLAN, MODULES);
    const full = join(tempDir(), 'handoff');
    mkdirSync(full);
    writeFileSync(join(full, 'keep.txt'), 'mine\n');
    const busy = cutover(['run', 'plans/p.yaml', '--until', 'migrate', '--handoff', full], { cwd: dir });
    expect(busy.code).toBe(3);
    expect(busy.stderr).toMatch(/FILE_EXISTS.*is not empty/);
    expect(readFileSync(join(full, 'keep.txt'), 'utf8')).toBe('mine\n');
    expect(existsSync(join(dir, 'state'))).toBe(false);
  });

  it('runs a shard only from a sound hand-off of its run: a shard bundle or another --run-id is refused', () => {
    const dir = planRepo(PLAN, MODULES);
    const handoff = join(tempDir(), 'handoff');
    expect(cutover(['run', 'plans/p.yaml', '--run-id', 'r7', '--until', 'migrate', '--handoff', handoff], { cwd: dir }).code).toBe(0);
    expect(readFileSync(join(dir, 'state/log.txt'), 'utf8')).toBe('paused\n');
    // The coordinator's run is closed on its machine: the hand-off holds it now.
    expect(git(dir, 'status', '--porcelain', '--ignored', '.git')).toBe('');
    const other = cutover(['run', 'plans/p.yaml', '--run-id', 'r8', '--shard', 'migrate[kurse]', '--handoff', handoff, '--out', 'o'], {
      cwd: dir,
    });
    expect(other.code).toBe(3);
    expect(other.stderr).toMatch(/HANDOFF_MISMATCH.*--run-id r8 is not the hand-off's run r7/);
    const unknown = cutover(['run', 'plans/p.yaml', '--shard', 'migrate[extra]', '--handoff', handoff, '--out', 'o'], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/"migrate\[extra\]" is not a shard of migrate.*name one of: migrate\[kurse\], migrate\[orte\]/s);
    const out = join(tempDir(), 'shard');
    expect(cutover(['run', 'plans/p.yaml', '--shard', 'migrate[kurse]', '--handoff', handoff, '--out', out], { cwd: dir }).code).toBe(0);
    const asHandoff = cutover(['run', 'plans/p.yaml', '--shard', 'migrate[orte]', '--handoff', out, '--out', 'o'], { cwd: dir });
    expect(asHandoff.code).toBe(2);
    expect(asHandoff.stderr).toMatch(/HANDOFF_INVALID.*is a shard bundle, not a hand-off/);
    expect(readFileSync(join(dir, 'done.txt'), 'utf8')).toBe('kurse\n');
    // A join needs exactly one hand-off among its folders, and one that was not edited.
    const noHandoff = cutover(['run', 'plans/p.yaml', '--join', out], { cwd: dir });
    expect(noHandoff.code).toBe(2);
    expect(noHandoff.stderr).toMatch(/HANDOFF_INVALID.*--join needs exactly one hand-off folder; 0 given/);
    const doc = JSON.parse(readFileSync(join(handoff, 'handoff.json'), 'utf8'));
    writeFileSync(join(handoff, 'handoff.json'), JSON.stringify({ ...doc, shards: ['migrate[kurse]'] }));
    const edited = cutover(['run', 'plans/p.yaml', '--join', handoff, out], { cwd: dir });
    expect(edited.code).toBe(2);
    expect(edited.stderr).toMatch(/HANDOFF_INVALID.*cannot be used: its content does not match its digest/);
    expect(git(dir, 'log', '-1', '--format=%s')).not.toMatch(/r7/);
  });
});

describe('a resumed run whose step failed before the crash', () => {
  it('runs the rollback it had not finished (a failed step is no failed precondition)', async () => {
    const dir = planRepo(`${planHead()}  preconditions:
    - { id: check, run: node tools/step.js append log.txt checked }
  steps:
    - { id: migrate, run: node tools/step.js fail 4 }
  rollback:
    - { id: undo, run: node tools/step.js module undo out done.txt }
  finally:
    - { id: resume, run: node tools/step.js append log.txt resumed }
`);
    mkdirSync(join(dir, 'hold'));
    writeFileSync(join(dir, 'hold', 'undo'), '');
    const child = spawn(process.execPath, [CLI, 'run', 'plans/p.yaml', '--no-commit'], { cwd: dir, env: cliEnv(), stdio: 'ignore' });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await waitFor(() => existsSync(join(dir, 'hold', 'undo.pid')));
    child.kill('SIGKILL');
    await exited;
    rmSync(join(dir, 'hold'), { recursive: true });
    const resumed = runPlan(dir, ['--no-commit', '--resume']);
    expect(resumed.code, resumed.stderr).toBe(1);
    const undo = resumed.doc!.steps.find((s: { id: string }) => s.id === 'undo');
    expect(undo.outcome).toBe('success');
    expect(readFileSync(join(dir, 'done.txt'), 'utf8')).toBe('undo\n');
    expect(readFileSync(join(dir, 'log.txt'), 'utf8')).toBe('checked\nresumed\n');
  }, 60_000);
});
