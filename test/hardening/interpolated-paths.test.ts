// Paths built by interpolation are checked in preflight, before any step (issue 12, finding 7): every
// kind of path a plan names, filled from the environment with a value that leaves the repository, is
// absolute, holds a control character or enters .git, or that passes through a link already there,
// ends in one `file:line:col error PATH_UNSAFE` line (exit 2); no step runs, nothing is written outside.
import { existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cutover, type CliResult } from '../helpers/cli.js';
import { git, tempDir, writeFiles } from '../helpers/git-repo.js';
import { planHead, planRepo } from '../helpers/run-repo.js';
import { figures } from './soak.js';

const MARK = '  preconditions:\n    - { id: mark, run: node tools/step.js append ran.txt mark }\n';
const VALUE = '"${{ env.P }}"';
const tally = { lexical: 0, links: 0 };

// Each kind of path, written as `${{ env.P }}` on a line of its own.
const KINDS: Record<string, string> = {
  'record.dir': `  record: { dir: ${VALUE} }\n${MARK}  steps:\n    - { id: s, run: node tools/step.js append ran.txt s }\n`,
  'artifact path': `${MARK}  steps:\n    - { id: s, run: node tools/step.js append ran.txt s }\n  artifacts:\n    - { name: a, path: ${VALUE} }\n`,
  produces: `${MARK}  steps:\n    - { id: s, run: node tools/step.js tree out 1, produces: [${VALUE}] }\n`,
  'determinism with.paths': `${MARK}  steps:\n    - { id: s, run: node tools/step.js tree out 1 }\n    - { id: d, uses: determinism, with: { rerun: [s], paths: [${VALUE}] } }\n`,
  'snapshot with.paths': `${MARK}  steps:\n    - { id: s, uses: snapshot, with: { name: n, paths: [${VALUE}] } }\n`,
  'expect.exists': `${MARK}  steps:\n    - { id: s, run: node tools/step.js tree out 1, expect: { exists: [${VALUE}] } }\n`,
  'expect.absent': `${MARK}  steps:\n    - { id: s, run: node tools/step.js tree out 1, expect: { absent: [${VALUE}] } }\n`,
  'expect.json file': `${MARK}  steps:\n    - { id: s, run: node tools/step.js tree out 1, expect: { json: [{ file: ${VALUE}, path: a, equals: 1 }] } }\n`,
  cwd: `${MARK}  steps:\n    - { id: s, run: node tools/step.js tree out 1, cwd: ${VALUE} }\n`,
};

/** Where a value is written in a plan (`${{ env.P }}` by default): line and column of its opening quote. */
function valueAt(plan: string, needle = VALUE): { line: number; col: number } {
  const lines = plan.split('\n');
  const line = lines.findIndex((l) => l.includes(needle));
  return { line: line + 1, col: lines[line]!.indexOf(needle) + 1 };
}

/** The refusal is one `plans/p.yaml:L:C: error CODE: …` line and its hint: no stack trace, no step run. */
function expectOneLine(dir: string, result: CliResult, code: string, exit: number, at?: { line: number; col: number }): string {
  const context = `${result.stdout}\n${result.stderr}`;
  expect(result.code, context).toBe(exit);
  const lines = result.stderr.split('\n').filter(Boolean);
  const where = at ? `plans/p\\.yaml:${at.line}:${at.col}: ` : 'plans/p\\.yaml(?::\\d+:\\d+)?: ';
  expect(lines[0], context).toMatch(new RegExp(`^${where}error ${code}: `));
  for (const line of lines.slice(1)) expect(line, context).toMatch(/^ {2}hint: /);
  expect(context).not.toMatch(/internal error|\n\s+at .+:\d+:\d+\)?$/m);
  expect(existsSync(join(dir, 'ran.txt')), 'a step ran').toBe(false);
  return lines[0]!;
}

const run = (dir: string, env: Record<string, string>) => cutover(['run', 'plans/p.yaml'], { cwd: dir, env });

describe('the issue reproductions', () => {
  const plan = `${planHead()}  record: { dir: "reports/\${{ env.D }}" }\n${MARK}  steps:\n    - { id: s, run: node tools/step.js append ran.txt s }\n  artifacts:\n    - { name: a, path: "\${{ env.ART ?? 'out' }}" }\n`;

  it('record.dir reports/../config: refused before any step runs (not after all of them), naming the registry file', () => {
    const dir = planRepo(plan);
    const line = expectOneLine(dir, run(dir, { D: '../config' }), 'FILE_EXISTS', 3, valueAt(plan, '"reports/'));
    expect(line).toContain('config/a.json');
  });

  it('record.dir reports/../../../outside: one PATH_UNSAFE line at record.dir, exit 2, not 70', () => {
    const dir = planRepo(plan);
    expect(expectOneLine(dir, run(dir, { D: '../../../outside' }), 'PATH_UNSAFE', 2, valueAt(plan, '"reports/'))).toMatch(
      /leaves the repository/,
    );
  });

  it('an artifact path /etc/hostname: one PATH_UNSAFE line at the artifact, exit 2', () => {
    const dir = planRepo(plan);
    expect(expectOneLine(dir, run(dir, { D: 'x', ART: '/etc/hostname' }), 'PATH_UNSAFE', 2, valueAt(plan, '"${{ env.ART'))).toMatch(
      /is absolute/,
    );
  });
});

const VALUES: [string, (outside: string) => string, RegExp][] = [
  ['a folder outside', (outside) => `../../..${outside}`, /leaves the repository/],
  ['an absolute path', (outside) => `${outside}/x`, /is absolute/],
  ['a newline', () => 'out/a\nb', /U\+000A/],
  ['a .git component', () => '.git/hooks', /\.git/],
];

describe.each(Object.keys(KINDS))('%s after interpolation', (kind) => {
  it.each(VALUES)('%s: PATH_UNSAFE at its place, exit 2, before any step', (_label, value, says) => {
    const plan = `${planHead()}${KINDS[kind]}`;
    const dir = planRepo(plan);
    const outside = tempDir('cutover-outside-');
    const hooks = readdirSync(join(dir, '.git/hooks')).sort();
    expect(expectOneLine(dir, run(dir, { P: value(outside) }), 'PATH_UNSAFE', 2, valueAt(`${planHead()}${KINDS[kind]}`))).toMatch(says);
    expect(readdirSync(outside)).toEqual([]);
    expect(readdirSync(join(dir, '.git/hooks')).sort()).toEqual(hooks);
    tally.lexical++;
  });
});

// A link already in place on the way to a path: each kind is refused where it is written.
const LINKED: [string, string, string][] = [
  ['record.dir', 'reports/p/r1', 'reports'],
  ['artifact path', 'out/data', 'out/data'],
  ['produces', 'out/data', 'out'],
  ['determinism with.paths', 'out/data', 'out'],
  ['snapshot with.paths', 'out/data', 'out/data'],
  ['expect.exists', 'out/data/x.txt', 'out'],
  ['expect.absent', 'out/data/x.txt', 'out/data'],
  ['expect.json file', 'out/data/x.json', 'out'],
];

describe('a symbolic link already on the way', () => {
  it.each(LINKED)(
    '%s through a link (%s, the link at %s), even one inside the repository: PATH_UNSAFE, nothing followed',
    (kind, value, link) => {
      const plan = `${planHead()}${KINDS[kind]}`;
      const dir = planRepo(plan);
      writeFiles(dir, { 'elsewhere/keep.txt': 'kept\n' });
      mkdirSync(join(dir, link, '..'), { recursive: true });
      symlinkSync(join(dir, 'elsewhere'), join(dir, link));
      const line = expectOneLine(dir, run(dir, { P: value }), 'PATH_UNSAFE', 2, valueAt(plan));
      expect(line).toMatch(/symbolic link/);
      expect(line).toContain(link);
      expect(readdirSync(join(dir, 'elsewhere'))).toEqual(['keep.txt']);
      expect(git(dir, 'log', '--format=%s')).not.toMatch(/^cutover\(/m);
      tally.links++;
      if (tally.links === LINKED.length)
        figures('interpolated-paths', `${tally.lexical} unsafe values and ${tally.links} links refused before any step`);
    },
  );

  it("a step's cwd through a link inside the repository is fine (it only runs there)", () => {
    const plan = `${planHead()}${MARK}  steps:\n    - { id: s, run: [node, ../tools/step.js, tree, out, "1"], cwd: ${VALUE} }\n`;
    const dir = planRepo(plan);
    mkdirSync(join(dir, 'real'));
    symlinkSync('real', join(dir, 'work'));
    const r = cutover(['run', 'plans/p.yaml', '--no-commit'], { cwd: dir, env: { P: 'work' } });
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(join(dir, 'real/out'))).toEqual(['f0.txt']);
  });
});
