// Path attacks at run time: a step plants a symbolic link leading outside the repository at an
// artifact, inside one, at the record folder, at a later step's `produces` or an expectation's path.
// Each is refused with its code and nothing is written outside (the target folder is byte-for-byte untouched).
import { existsSync, lstatSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cutover, type CliResult } from '../helpers/cli.js';
import { git, tempDir, writeFiles } from '../helpers/git-repo.js';
import { planHead, planRepo, runPlan } from '../helpers/run-repo.js';

const plant = readFileSync(join(import.meta.dirname, 'fixtures/plant.js'), 'utf8');

/** A folder outside the repository with something in it, and a way to prove it was not touched. */
function outsideTarget(): { dir: string; snapshot: () => string } {
  const dir = tempDir('cutover-outside-');
  writeFiles(dir, { 'keep.txt': 'outside the repository\n', 'sub/deep.txt': 'also outside\n' });
  const snapshot = () => {
    const lines: string[] = [];
    const walk = (rel: string) => {
      for (const name of readdirSync(join(dir, rel)).sort()) {
        const path = rel ? `${rel}/${name}` : name;
        const info = lstatSync(join(dir, path));
        if (info.isDirectory()) {
          lines.push(`${path}/ ${info.mode.toString(8)}`);
          walk(path);
        } else lines.push(`${path} ${info.mode.toString(8)} ${info.size} ${info.mtimeMs} ${readFileSync(join(dir, path), 'utf8')}`);
      }
    };
    walk('');
    return lines.join('\n');
  };
  return { dir, snapshot };
}

function repoWith(steps: string, artifacts = ''): string {
  return planRepo(`${planHead()}  steps:\n${steps}${artifacts ? `  artifacts:\n${artifacts}` : ''}`, { 'tools/plant.js': plant });
}

function expectRefused(result: CliResult, code: string): string {
  const context = `${result.stdout}\n${result.stderr}`;
  expect(result.code, context).toBe(2);
  const lines = result.stderr.split('\n').filter(Boolean);
  expect(lines[0], context).toMatch(new RegExp(`^error ${code}: `));
  expect(context).not.toMatch(/internal error|\n\s+at .+:\d+:\d+\)?$/m);
  return result.stderr;
}

const run = (dir: string, args: string[] = []) => cutover(['run', 'plans/p.yaml', ...args], { cwd: dir });
const recordCommits = (dir: string) => git(dir, 'log', '--format=%H', '--grep=^Cutover-Run-Id: r1$').split('\n').filter(Boolean);

describe('path attacks at run time', () => {
  it('a link at an artifact path leading outside: PATH_UNSAFE, nothing written outside; removed, --resume records', () => {
    const outside = outsideTarget();
    const before = outside.snapshot();
    const dir = repoWith(
      `    - { id: build, run: node tools/plant.js tree out/real 3 }
    - { id: evil, run: node tools/plant.js link out/a ${outside.dir} }
`,
      `    - { name: a, path: out/a, commit: files }
    - { name: real, path: out/real }
`,
    );
    const stderr = expectRefused(run(dir), 'PATH_UNSAFE');
    expect(stderr).toContain('out/a');
    expect(stderr).toContain('--resume');
    expect(outside.snapshot()).toBe(before);
    expect(recordCommits(dir)).toEqual([]);
    expect(existsSync(join(dir, 'reports'))).toBe(false);

    // The operator replaces the link with real content, as the hint says; the steps do not run again.
    rmSync(join(dir, 'out/a'));
    writeFiles(dir, { 'out/a/copied.txt': 'what the link pointed at\n' });
    const resumed = run(dir, ['--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(recordCommits(dir)).toHaveLength(1);
    expect(outside.snapshot()).toBe(before);
  });

  it.each([
    ['a manifest artifact', 'manifest'],
    ['a files artifact', 'files'],
  ])('a link inside %s leading outside: ARTIFACT_INVALID naming it, nothing staged or written outside', (_label, commit) => {
    const outside = outsideTarget();
    const before = outside.snapshot();
    const dir = repoWith(
      `    - { id: build, run: node tools/plant.js tree out/a 3 }
    - { id: evil, run: node tools/plant.js link out/a/escape ${outside.dir}/keep.txt }
`,
      `    - { name: a, path: out/a, commit: ${commit} }
`,
    );
    const head = git(dir, 'rev-parse', 'HEAD');
    const stderr = expectRefused(run(dir), 'ARTIFACT_INVALID');
    expect(stderr).toContain('symbolic link');
    expect(stderr).toContain('out/a/escape');
    expect(outside.snapshot()).toBe(before);
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(head);
    expect(git(dir, 'diff', '--cached', '--name-only')).toBe('');
  });

  it.each([
    ['the record folder', 'reports/test-plan/r1'],
    ['a folder above the record', 'reports/test-plan'],
    ['the reports folder', 'reports'],
  ])('a link at %s leading outside: PATH_UNSAFE, no record written through it', (_label, at) => {
    const outside = outsideTarget();
    const before = outside.snapshot();
    const dir = repoWith(
      `    - { id: build, run: node tools/plant.js tree out/a 3 }
    - { id: evil, run: node tools/plant.js link ${at} ${outside.dir} }
`,
      `    - { name: a, path: out/a, commit: files }
`,
    );
    const stderr = expectRefused(run(dir), 'PATH_UNSAFE');
    expect(stderr).toMatch(/symbolic link/);
    expect(outside.snapshot()).toBe(before);
    expect(recordCommits(dir)).toEqual([]);
  });

  it('a link at the record folder leading elsewhere inside the repository: PATH_UNSAFE too (records go to real folders)', () => {
    const dir = repoWith(
      `    - { id: build, run: node tools/plant.js tree out/a 3 }
    - { id: evil, run: node tools/plant.js link reports/test-plan/r1 ../../out }
`,
      `    - { name: a, path: out/a }
`,
    );
    expectRefused(run(dir), 'PATH_UNSAFE');
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['a']);
  });

  it("a link at a later step's produces or an expectation's path: that step fails, rollback and finally run, the failure is recorded", () => {
    const outside = outsideTarget();
    const before = outside.snapshot();
    const dir = repoWith(`    - { id: evil, run: node tools/plant.js link out/data ${outside.dir} }
    - { id: migrate, run: node tools/plant.js tree out/data 2, produces: [out/data] }
  rollback:
    - { id: undo, run: node tools/step.js append marks.txt rollback }
  finally:
    - { id: check, run: node tools/step.js append marks.txt finally, expect: { exists: [out/data/keep.txt] } }
`);
    const result = runPlan(dir);
    expect(result.code, result.stderr).toBe(1);
    const steps = Object.fromEntries(result.doc!.steps.map((s: { id: string; outcome: string; reason?: string }) => [s.id, s]));
    expect(steps.migrate.outcome).toBe('failure');
    expect(steps.migrate.reason).toMatch(/PATH_UNSAFE/);
    expect(steps.undo.outcome).toBe('success');
    expect(steps.check.outcome).toBe('failure');
    expect(steps.check.reason).toMatch(/PATH_UNSAFE/);
    expect(readFileSync(join(dir, 'marks.txt'), 'utf8')).toBe('rollback\nfinally\n');
    expect(outside.snapshot()).toBe(before);
    expect(recordCommits(dir)).toHaveLength(1);
  });
});
