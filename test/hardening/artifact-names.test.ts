// An artifact the record cannot describe (issue 12, lower findings): a file whose name holds a
// newline, a tab, an escape or a backslash, or is not UTF-8, is refused with a hint to rename it (not
// one about links); a link or a FIFO with a hint about what it is. Every hint says the steps are done
// and `--resume` records the run once it is fixed, and it does.
import { readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cutover } from '../helpers/cli.js';
import { planHead, planRepo } from '../helpers/run-repo.js';

const oddName = readFileSync(join(import.meta.dirname, 'fixtures/odd-name.js'), 'utf8');
const plan = (kind: string) => `${planHead()}  steps:
    - { id: build, run: node tools/odd-name.js out/a ${kind} }
  artifacts:
    - { name: a, path: out/a }
`;

const KINDS: [string, RegExp][] = [
  ['newline', /rename the file/],
  ['tab', /rename the file/],
  ['escape', /rename the file/],
  ['backslash', /rename the file/],
  ['latin1', /rename the file/],
  ['link', /replace the link with what it points to/],
  ['fifo', /regular files and folders only/],
];

describe('an artifact holding what a manifest cannot name', () => {
  it.each(KINDS)('%s: ARTIFACT_INVALID with a hint that fits it, and how to finish', (kind, hint) => {
    const dir = planRepo(plan(kind), { 'tools/odd-name.js': oddName });
    const r = cutover(['run', 'plans/p.yaml'], { cwd: dir });
    expect(r.code, r.stderr).toBe(2);
    const [line, ...hints] = r.stderr.split('\n').filter(Boolean);
    expect(line).toMatch(/^error ARTIFACT_INVALID: /);
    expect(line).not.toMatch(/[\u0000-\u001f\u007f]/);
    expect(hints).toHaveLength(1);
    expect(hints[0]).toMatch(hint);
    expect(hints[0]).toContain('cutover run plans/p.yaml --resume');
    if (kind !== 'link') expect(hints[0]).not.toMatch(/\blink\b(?!s, devices)/);
  });

  it('renamed as the hint says, --resume records the run without running the step again', () => {
    const dir = planRepo(plan('newline'), { 'tools/odd-name.js': oddName });
    expect(cutover(['run', 'plans/p.yaml'], { cwd: dir }).code).toBe(2);
    renameSync(join(dir, 'out/a/two\nlines.txt'), join(dir, 'out/a/two-lines.txt'));
    const resumed = cutover(['run', 'plans/p.yaml', '--resume'], { cwd: dir });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).not.toMatch(/▶ steps\/build/);
  });
});
