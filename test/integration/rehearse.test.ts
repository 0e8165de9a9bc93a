// `cutover rehearse` in real repositories: the work tree as it stands, unfrozen, runs without ceremony,
// and leaves the operator's tree, index and history exactly as they were.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, cutover } from '../helpers/cli.js';
import { git, tempDir, writeFiles } from '../helpers/git-repo.js';
import { planHead, planRepo } from '../helpers/run-repo.js';

const RECORD = '.git/cutover/rehearsal/records/test-plan/r1';

/** A frozen, committed plan, then edited without a freeze: a new step, a changed registry, an untracked file, an ignored one. */
function editedRepo(): string {
  const dir = planRepo(
    `${planHead()}  steps:\n    - { id: one, run: node tools/step.js append out/order.txt one }\n  artifacts:\n    - { name: out, path: out }\n`,
    { '.gitignore': '*.log\n' },
  );
  writeFiles(dir, {
    'plans/p.yaml': `${planHead()}  steps:
    - { id: one, run: node tools/step.js append out/order.txt one }
    - id: sees-the-work-tree
      uses: assert
      expect:
        exists: [notes/untracked.txt]
        absent: [local.log]
        json: [{ file: config/a.json, path: a, equals: 2 }]
  artifacts:
    - { name: out, path: out }
`,
    'config/a.json': '{ "a": 2 }\n',
    'notes/untracked.txt': 'not committed, not ignored\n',
    'local.log': 'ignored by .gitignore\n',
  });
  return dir;
}

describe('cutover rehearse', () => {
  it('runs the uncommitted, unfrozen plan in a disposable work tree and leaves tree, index and history as they were', () => {
    const dir = editedRepo();
    const status = git(dir, 'status', '--porcelain=v1', '--untracked-files=all', '--ignored');
    const index = readFileSync(join(dir, '.git/index'));
    const head = git(dir, 'rev-parse', 'HEAD');

    const r = cutover(['rehearse', 'plans/p.yaml'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    // The freeze verdict is a warning only, naming the drift.
    expect(r.stderr).toMatch(/warning: .*config\/a\.json.*REGISTRY_UNFROZEN.*not enforced in a rehearsal/);
    expect(r.stdout).toContain(`the record is ${join(dir, RECORD)}`);

    expect(readFileSync(join(dir, '.git/index')).equals(index)).toBe(true);
    expect(git(dir, 'status', '--porcelain=v1', '--untracked-files=all', '--ignored')).toBe(status);
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(head);
    expect(existsSync(join(dir, 'out'))).toBe(false); // the steps wrote into the disposable tree
    expect(git(dir, 'worktree', 'list', '--porcelain').match(/^worktree /gm)).toHaveLength(1);

    const run = JSON.parse(readFileSync(join(dir, RECORD, 'run.json'), 'utf8'));
    expect(run.rehearsal).toBe(true);
    expect(run.steps.map((s: { id: string; outcome: string }) => `${s.id}:${s.outcome}`)).toEqual([
      'one:success',
      'sees-the-work-tree:success',
    ]);
    expect(run.artifacts[0]).toMatchObject({ name: 'out', present: true, files: 1 });
    expect(readFileSync(join(dir, RECORD, 'report.md'), 'utf8').split('\n')[0]).toBe('# test-plan · r1 🧪 rehearsal · ✅ succeeded');
  });

  it('sees an edit of the same size made in the same second as the commit (git’s racily clean entries)', async () => {
    // The commit and the edit fall in one second, the rehearsal starts in a later one: the snapshot's
    // copy of the index must not make git trust the edited file's cached stat.
    const dir = planRepo(
      `${planHead()}  steps:\n    - id: sees-the-edit\n      uses: assert\n      expect:\n        json: [{ file: config/a.json, path: a, equals: 2 }]\n`,
    );
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));
    writeFileSync(join(dir, 'config/a.json'), '{ "a": 1, "b": 0 }\n');
    git(dir, 'commit', '-qam', 'same second');
    writeFileSync(join(dir, 'config/a.json'), '{ "a": 2, "b": 0 }\n');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const r = cutover(['rehearse', 'plans/p.yaml'], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it('is refused as evidence by verify (exit 4, saying why)', () => {
    const dir = editedRepo();
    const r = cutover(['rehearse', 'plans/p.yaml'], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const v = cutover(['verify', RECORD], { cwd: dir });
    expect(v.code).toBe(4);
    expect(v.stdout).toMatch(/✗ evidence: this record is a rehearsal/);
    expect(v.stderr).toContain('VERIFY_MISMATCH');
    const json = JSON.parse(cutover(['verify', RECORD, '--format', 'json'], { cwd: dir }).stdout);
    expect(json.ok).toBe(false);
    expect(json.checks.map((c: { name: string }) => c.name)).toEqual(['run.json', 'evidence']);
  });

  it('with --in-place runs in the work tree itself: the steps change it, git does not', () => {
    const dir = editedRepo();
    rmSync(join(dir, 'local.log')); // in place, ignored files are there too
    const head = git(dir, 'rev-parse', 'HEAD');
    const r = cutover(['rehearse', 'plans/p.yaml', '--in-place', '--format', 'json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ rehearsal: true, outcome: 'success', record: join(dir, RECORD) });
    expect(doc.freeze.frozen).toBe(false);
    expect(doc.freeze.problems.map((p: { file: string }) => p.file)).toContain('config/a.json');
    expect(readFileSync(join(dir, 'out/order.txt'), 'utf8')).toBe('one\n');
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(head);
    expect(git(dir, 'status', '--porcelain=v1', '--', 'reports')).toBe('');
    expect(existsSync(join(dir, 'reports'))).toBe(false);
  });

  it('is never resumed as a run: a killed in-place rehearsal leaves no journal a run would take up', async () => {
    const dir = editedRepo();
    writeFileSync(
      join(dir, 'plans/p.yaml'),
      `${planHead()}  steps:\n    - { id: slow, run: "node tools/step.js sleep \${{ env.SLEEP_MS ?? '600000' }} slow.pid" }\n`,
    );
    const child = spawn(process.execPath, [CLI, 'rehearse', 'plans/p.yaml', '--in-place'], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1', CI: '' },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    while (!existsSync(join(dir, 'slow.pid'))) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await exited;
    const resume = cutover(['run', 'plans/p.yaml', '--resume'], { cwd: dir });
    expect(resume.code).toBe(3);
    expect(resume.stderr).toContain('RESUME_REFUSED: no unfinished run of test-plan to resume');
    // The next rehearsal ends what the killed one left running, and starts afresh.
    const again = cutover(['rehearse', 'plans/p.yaml', '--in-place'], { cwd: dir, env: { SLEEP_MS: '10' } });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/ended process group \d+ of step slow/);
  });

  it("in GitHub's format warns with annotations and puts the rehearsal's report into the step summary", () => {
    const dir = editedRepo();
    const files = tempDir();
    const env = { GITHUB_STEP_SUMMARY: join(files, 'summary.md'), GITHUB_OUTPUT: join(files, 'output') };
    const r = cutover(['rehearse', 'plans/p.yaml', '--format', 'github'], { cwd: dir, env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^::warning file=config\/a\.json,title=REHEARSAL::config\/a\.json: REGISTRY_UNFROZEN: /m);
    expect(readFileSync(env.GITHUB_STEP_SUMMARY, 'utf8')).toMatch(/^# test-plan · r1 🧪 rehearsal · ✅ succeeded\n/);
    expect(readFileSync(env.GITHUB_OUTPUT, 'utf8')).toContain(join(dir, RECORD));
  });

  it('fails a step that changes a registry, as a run would', () => {
    const dir = editedRepo();
    writeFileSync(
      join(dir, 'plans/p.yaml'),
      `${planHead()}  steps:\n    - { id: meddle, run: node tools/step.js write config/a.json changed }\n`,
    );
    const r = cutover(['rehearse', 'plans/p.yaml', '--format', 'json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(1);
    expect(JSON.parse(r.stdout).steps[0].reason).toMatch(/changed frozen file\(s\): config\/a\.json/);
    expect(readFileSync(join(dir, 'config/a.json'), 'utf8')).toBe('{ "a": 2 }\n');
  });
});
