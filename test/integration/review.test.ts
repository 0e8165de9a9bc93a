// `cutover review --base REF` against a pull request's history in a real repository: the comment body
// is byte-stable, carries the freeze verdict, the approvals and the commands, masks secrets, and stays
// under GitHub's comment limit for a 500-step plan.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryIo } from '../../src/adapters/io.js';
import { approve } from '../../src/commands/approve.js';
import { freeze } from '../../src/commands/freeze.js';
import { review } from '../../src/commands/review.js';
import { REVIEW_LIMIT, REVIEW_MARKER } from '../../src/github/review.js';
import { cutover } from '../helpers/cli.js';
import { git, gitRepo, tempDir, writeFiles } from '../helpers/git-repo.js';

const CANARY = 'canary-9d1c-S3CRET';

function planYaml(steps: string, extra = ''): string {
  return [
    'apiVersion: cutover/v1',
    'kind: Plan',
    'metadata: { name: station }',
    'spec:',
    '  secrets: [SOURCE_TOKEN]',
    '  approvals: { required: 1 }',
    '  window: { notBefore: "2020-01-01T00:00:00Z", notAfter: "2099-01-01T00:00:00Z" }',
    '  registries:',
    '    - { name: mapping, paths: ["mapping/*.json"] }',
    extra,
    '  steps:',
    steps,
    '  rollback:',
    '    - { id: repoint, run: node tools/flip.js --previous }',
    '  finally:',
    '    - { id: resume-writes, run: node tools/maintenance.js off }',
    '',
  ].join('\n');
}

const STEPS = [
  '    - { id: dry-run, run: node tools/migrate.js dry-run, timeout: 10m }',
  '    - { id: migrate, run: "node tools/migrate.js --token ${{ env.SOURCE_TOKEN }}", timeout: 1h, retries: { count: 2, delay: 30s } }',
  '    - { id: flip, run: node tools/flip.js --to v2, boundary: switched }',
].join('\n');

async function withIdentity(dir: string, email: string, action: () => Promise<number>): Promise<void> {
  git(dir, 'config', 'user.email', email);
  try {
    expect(await action()).toBe(0);
  } finally {
    git(dir, 'config', 'user.email', 'operator@example.test');
  }
}

/** main holds the plan, frozen; branch `pr` changes a mapping file and the migrate step, freezes, and a reviewer approves. */
async function pullRequest(steps = STEPS): Promise<string> {
  const dir = gitRepo({
    'plans/station.yaml': planYaml(steps.replace('--token', '--key')),
    'mapping/a.json': '{ "a": 1 }\n',
    'mapping/b.json': '{ "b": 1 }\n',
  });
  expect(await freeze({ plan: 'plans/station.yaml' }, memoryIo({ cwd: dir }))).toBe(0);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'station, frozen');
  git(dir, 'switch', '-q', '-c', 'pr');
  writeFiles(dir, { 'plans/station.yaml': planYaml(steps), 'mapping/a.json': '{ "a": 2,\n  "more": true }\n' });
  expect(await freeze({ plan: 'plans/station.yaml' }, memoryIo({ cwd: dir }))).toBe(0);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'change the mapping and the migrate step');
  await withIdentity(dir, 'reviewer@example.test', () => approve({ plan: 'plans/station.yaml' }, memoryIo({ cwd: dir })));
  return dir;
}

async function reviewOf(dir: string, env: Record<string, string> = {}) {
  const io = memoryIo({ cwd: dir, env, format: 'json' });
  expect(await review({ plans: [], base: 'main' }, io)).toBe(0);
  return JSON.parse(io.out()) as {
    body: string;
    truncated: boolean;
    plans: { plan: string; frozen: boolean; approved: boolean; refusals: { code: string; now: boolean }[] }[];
  };
}

describe('cutover review', () => {
  it('is byte-stable and carries the change, the verdict, the approvals, the refusals and every command', async () => {
    const dir = await pullRequest();
    const first = await reviewOf(dir, { SOURCE_TOKEN: CANARY });
    const second = await reviewOf(dir, { SOURCE_TOKEN: CANARY });
    expect(second.body).toBe(first.body);
    const body = first.body;
    expect(body.startsWith(`${REVIEW_MARKER}\n## cutover review\n`)).toBe(true);
    expect(first.truncated).toBe(false);
    expect(first.plans).toEqual([
      {
        plan: 'plans/station.yaml',
        valid: true,
        frozen: true,
        approved: true,
        refusals: [
          expect.objectContaining({ code: 'NOT_MERGED', now: false }),
          expect.objectContaining({ code: 'WINDOW_CLOSED', now: false }),
        ],
      },
    ]);

    // What changed: the plan (by step), the lock, and the frozen file with its line counts.
    expect(body).toContain('- **Plan**: changed, +1 −1 lines: steps changed `steps/migrate`');
    expect(body).toMatch(/- \*\*Lock\*\* `plans\/station\.lock\.json`: changed, \+\d+ −\d+ lines/);
    expect(body).toContain('| `mapping/a.json` | `registries/mapping` | +2 −1 lines |');
    expect(body).not.toContain('mapping/b.json');
    // The verdict and the approvals at HEAD.
    expect(body).toContain(`| Freeze at \`${git(dir, 'rev-parse', 'HEAD').slice(0, 12)}\` | ✅ frozen |`);
    expect(body).toContain('| Approvals | ✅ 1 valid of 1 required |');
    expect(body).toContain('| Test Operator &lt;reviewer@example.test\\> | no: a claim | ✅ |');
    expect(body).toContain('| Refused now | ✅ no: it runs once merged |');
    expect(body).toContain('**WINDOW_CLOSED** outside its window: not before 2020-01-01T00:00:00Z, not after 2099-01-01T00:00:00Z');
    // Every step in run order, with its command, timeout, retries and boundary; the secret masked.
    const rows = body.split('\n').filter((line) => /^\| \d+ \|/.test(line));
    expect(rows).toEqual([
      '| 1 | step | `dry-run` | `node tools/migrate.js dry-run` | 10m 00s |  |  |',
      '| 2 | step | `migrate` | `node tools/migrate.js --token ***` | 1h 00m | 2 every 30.0 s |  |',
      '| 3 | step | `flip` | `node tools/flip.js --to v2` |  |  | `switched` |',
      '| 4 | rollback (on failure) | `repoint` | `node tools/flip.js --previous` |  |  |  |',
      '| 5 | finally (always) | `resume-writes` | `node tools/maintenance.js off` |  |  |  |',
    ]);
    expect(body).not.toContain(CANARY);
  });

  it('says what the executor refuses now: a drifted registry names the file; approvals of an older freeze do not count', async () => {
    const dir = await pullRequest();
    writeFiles(dir, { 'mapping/b.json': '{ "b": 2 }\n' });
    git(dir, 'commit', '-q', '-am', 'change b without freezing');
    const drifted = await reviewOf(dir);
    expect(drifted.plans[0]).toMatchObject({ frozen: false, approved: false });
    expect(drifted.plans[0]!.refusals[0]).toEqual({
      code: 'REGISTRY_UNFROZEN',
      now: true,
      message: '1 file differs from the committed lock',
    });
    expect(drifted.body).toContain('| Refused now | ❌ REGISTRY_UNFROZEN |');
    expect(drifted.body).toContain('- `mapping/b.json` registry "mapping" file changed since the lock was frozen');

    expect(await freeze({ plan: 'plans/station.yaml' }, memoryIo({ cwd: dir }))).toBe(0);
    git(dir, 'commit', '-q', '-am', 'freeze again');
    const unapproved = await reviewOf(dir);
    expect(unapproved.plans[0]).toMatchObject({ frozen: true, approved: false });
    expect(unapproved.plans[0]!.refusals[0]).toMatchObject({ code: 'APPROVAL_MISSING', now: true });
    expect(unapproved.body).toContain('| Approvals | ❌ 0 valid of 1 required |');
    expect(unapproved.body).toContain('None yet: another person runs `cutover approve plans/station.yaml` and commits the lock.');
  });

  it("stays under 65,536 characters for a 500-step plan, says what it left out, and keeps every plan's verdict", async () => {
    const long = Array.from(
      { length: 500 },
      (_, i) =>
        `    - { id: step-${String(i + 1).padStart(3, '0')}, run: "node tools/migrate.js --table table_${i}_${'x'.repeat(120)} --batch 1000", timeout: 5m }`,
    ).join('\n');
    const dir = await pullRequest(long);
    const { body, truncated, plans } = await reviewOf(dir);
    expect(truncated).toBe(true);
    expect(body.length).toBeLessThan(REVIEW_LIMIT);
    expect(Buffer.byteLength(body)).toBeLessThan(REVIEW_LIMIT);
    expect(plans[0]).toMatchObject({ frozen: true, approved: true });
    expect(body).toContain('| Approvals | ✅ 1 valid of 1 required |');
    expect(body).toContain('#### The executor will refuse');
    expect(body).toContain('| 1 | step | `step-001` |');
    expect(body).not.toContain('`step-500`');
    const shown = body.split('\n').filter((line) => /^\| \d+ \| /.test(line)).length;
    expect(body).toContain(
      `_${502 - shown} more steps not shown: a comment holds at most 65,536 characters. \`cutover plan plans/station.yaml\` shows every step._`,
    );
    expect(body.endsWith('shows every step._\n')).toBe(true);
  });

  it('from the command line: the body on stdout and in --out, the comment output in Actions, the same bytes each time', async () => {
    const dir = await pullRequest();
    const files = tempDir();
    const outputFile = join(files, 'output');
    writeFileSync(outputFile, '');
    const out = join(files, 'review.md');
    const args = ['review', '--base', 'main', '--out', out];
    const r = cutover(args, { cwd: dir, env: { GITHUB_ACTIONS: 'true', GITHUB_OUTPUT: outputFile } });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(r.stdout);
    expect(readFileSync(outputFile, 'utf8')).toMatch(
      new RegExp(`^comment<<(ghadelimiter_[-0-9a-f]+)\\n${out.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\n\\1\\n`),
    );
    expect(cutover(args, { cwd: dir }).stdout).toBe(r.stdout);
    const none = cutover(['review', '--base', 'HEAD'], { cwd: dir });
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('no cutover plan is touched.');
  });
});
