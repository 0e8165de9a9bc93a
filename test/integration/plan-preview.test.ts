// `cutover plan` shows what the plan promises: the freeze verdict (frozen, or which files drift and
// how), the approvals (valid / required), and each step's expectations, produces, timeout and retries,
// in text and in JSON, in a real repository.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cutover } from '../helpers/cli.js';
import { git, tempDir, writeFiles } from '../helpers/git-repo.js';
import { planHead, planRepo } from '../helpers/run-repo.js';

const steps = `  steps:
    - id: migrate
      run: node tools/step.js write out/a.txt a
      timeout: 10m
      retries: { count: 2, delay: 5s }
      produces: [out]
      expect: { exitCode: [0, 3], exists: [out/a.txt], json: [{ file: out/s.json, path: counts.BLOCKER, equals: 0 }] }
    - { id: check, uses: assert, expect: { absent: [out/error.txt] } }
  rollback:
    - { id: undo, run: node tools/step.js echo undo }
`;

const planJson = (dir: string) => {
  const r = cutover(['plan', 'plans/p.yaml', '--format', 'json'], { cwd: dir });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};

describe('cutover plan', () => {
  it("shows each step's expectations, produces, timeout and retries, in text and JSON", () => {
    const dir = planRepo(`${planHead()}${steps}`);
    const text = cutover(['plan', 'plans/p.yaml'], { cwd: dir });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(
      'expect exit 0 or 3; exists out/a.txt; out/s.json: counts.BLOCKER = 0 · produces out · timeout 10m 00s · retries 2 (5.0 s apart)',
    );
    expect(text.stdout).toContain('expect absent out/error.txt · no timeout · no retries');
    const doc = planJson(dir);
    expect(doc.order[0]).toMatchObject({
      id: 'migrate',
      expect: ['exit 0 or 3', 'exists out/a.txt', 'out/s.json: counts.BLOCKER = 0'],
      produces: ['out'],
      timeoutMs: 600_000,
      retries: { count: 2, delayMs: 5000 },
    });
    expect(doc.onFailure[0]).toMatchObject({ id: 'undo', expect: ['exit 0'], timeoutMs: null, retries: { count: 0, delayMs: 0 } });
  });

  it('says frozen when the lock holds, and names each drifted file and how it drifted when not', () => {
    const dir = planRepo(`${planHead()}${steps}`);
    let doc = planJson(dir);
    expect(doc.freeze).toMatchObject({
      checked: true,
      frozen: true,
      approved: true,
      lock: 'plans/p.lock.json',
      drift: [],
      approvals: { required: 0, count: 0, satisfied: true },
    });
    expect(cutover(['plan', 'plans/p.yaml'], { cwd: dir }).stdout).toMatch(
      /^freeze {5}frozen {2}lock plans\/p\.lock\.json · sha256:[0-9a-f]{64}$/m,
    );

    writeFileSync(join(dir, 'config/a.json'), '{ "a": 2 }\n');
    writeFileSync(join(dir, 'config/new.json'), '{}\n');
    doc = planJson(dir);
    expect(doc.freeze.frozen).toBe(false);
    expect(doc.freeze.drift.map((d: { path: string; reason: string }) => [d.path, d.reason])).toEqual([
      ['config/a.json', 'changed'],
      ['config/a.json', 'uncommitted'],
      ['config/new.json', 'added'],
      ['config/new.json', 'untracked'],
    ]);
    const text = cutover(['plan', 'plans/p.yaml'], { cwd: dir }).stdout;
    expect(text).toContain('freeze     not frozen: 2 files differ from the lock plans/p.lock.json; a run is refused');
    expect(text).toMatch(/^ {2}changed {6}config\/a\.json {2}registry "config" file changed since the lock was frozen/m);
  });

  it('shows approvals against what the plan requires', () => {
    const dir = planRepo(`${planHead()}  approvals: { required: 1 }\n${steps}`);
    const doc = planJson(dir);
    expect(doc.freeze).toMatchObject({ frozen: true, approved: false, approvals: { required: 1, count: 0, satisfied: false } });
    expect(cutover(['plan', 'plans/p.yaml'], { cwd: dir }).stdout).toContain('approvals  0 of 1 required');
    git(dir, 'config', 'user.email', 'reviewer@example.test');
    expect(cutover(['approve', 'plans/p.yaml'], { cwd: dir }).code).toBe(0);
    expect(planJson(dir).freeze.approvals).toMatchObject({
      required: 1,
      count: 1,
      satisfied: true,
      counted: [expect.objectContaining({ by: 'Test Operator <reviewer@example.test>', signed: false })],
    });
    const text = cutover(['plan', 'plans/p.yaml'], { cwd: dir }).stdout;
    expect(text).toContain('approvals  1 of 1 required');
    expect(text).toMatch(/counted +Test Operator <reviewer@example\.test> +claim: unsigned/);
  });

  it('says the verdict was not checked outside a git repository, and still previews', () => {
    const dir = tempDir();
    writeFiles(dir, { 'plans/p.yaml': `${planHead()}${steps}` });
    const doc = planJson(dir);
    expect(doc.freeze).toEqual({ checked: false, reason: 'not inside a git repository' });
    expect(doc.order.map((s: { id: string }) => s.id)).toEqual(['migrate', 'check']);
    expect(cutover(['plan', 'plans/p.yaml'], { cwd: dir }).stdout).toContain('freeze     not checked: not inside a git repository');
  });
});
