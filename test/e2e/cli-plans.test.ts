// The built CLI on plans, as a user and as CI run it: exit codes, formats, escaping, no stack traces.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cutover } from '../helpers/cli.js';
import { gitRepo, tempDir, writeFiles } from '../helpers/git-repo.js';

const root = join(import.meta.dirname, '../..');
const minimal = readFileSync(join(root, 'test/fixtures/plans/valid/minimal.yaml'), 'utf8');

describe('cutover validate', () => {
  it('passes on plans/ when no plan is named', () => {
    const r = cutover(['validate'], { cwd: root });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('plans/station-56-cutover.yaml');
  });

  it('finds every plan under plans/ as changed and review do: .yaml, .yml and .YAML, nested, not hidden', () => {
    const dir = tempDir();
    writeFiles(dir, {
      'plans/a.yaml': minimal,
      'plans/b.yml': minimal,
      'plans/team/C.YAML': minimal,
      'plans/.draft/d.yaml': 'not: [a plan',
      'plans/notes.md': '# notes\n',
    });
    const r = cutover(['validate', '--format', 'json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).plans.map((p: { file: string }) => p.file)).toEqual(['plans/a.yaml', 'plans/b.yml', 'plans/team/C.YAML']);
  });

  it('exits 2 with FILE:LINE:COL error CODE lines and hints, never a stack trace', () => {
    const dir = tempDir();
    writeFiles(dir, { 'bad.yaml': minimal.replace('timeout: 10m', 'timeout: 0s').replace('path: out', 'path: /abs') });
    const r = cutover(['validate', 'bad.yaml'], { cwd: dir });
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines.filter((l) => !l.startsWith('  hint:'))).toEqual([
      expect.stringMatching(/^bad\.yaml:11:16: error PLAN_DURATION: /),
      expect.stringMatching(/^bad\.yaml:15:26: error PLAN_PATH: path "\/abs" is absolute/),
    ]);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('prints exactly one JSON document with --format json', () => {
    const dir = tempDir();
    writeFiles(dir, { 'plans/good.yaml': minimal, 'plans/bad.yaml': minimal.replace('id: second', 'id: first') });
    const r = cutover(['validate', '--format', 'json'], { cwd: dir });
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout);
    expect(doc.ok).toBe(false);
    expect(doc.plans.map((p: { file: string; ok: boolean }) => [p.file, p.ok])).toEqual([
      ['plans/bad.yaml', false],
      ['plans/good.yaml', true],
    ]);
    expect(doc.plans[0].problems[0]).toMatchObject({ code: 'PLAN_DUPLICATE', line: 12, col: 11 });
  });

  it('annotates with ::error and escapes %, :, and , as GitHub specifies', () => {
    const dir = tempDir();
    writeFiles(dir, { 'we:ird,50%.yaml': minimal.replace('  name: fixture\n', '  name: fixture\n  "50%": x\n') });
    const r = cutover(['validate', 'we:ird,50%.yaml', '--format', 'github'], { cwd: dir });
    expect(r.code).toBe(2);
    const line = r.stdout.split('\n').find((l) => l.startsWith('::error'))!;
    expect(line).toMatch(
      /^::error file=we%3Aird%2C50%25\.yaml,line=5,col=3,title=PLAN_SCHEMA::PLAN_SCHEMA: unknown key "50%25" in metadata/,
    );
  });

  it('is the default format inside GitHub Actions', () => {
    const dir = tempDir();
    writeFiles(dir, { 'bad.yaml': minimal.replace('kind: Plan', 'kind: Plan\nextra: 1') });
    const r = cutover(['validate', 'bad.yaml'], { cwd: dir, env: { GITHUB_ACTIONS: 'true' } });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^::error file=bad\.yaml,line=3,col=1,title=PLAN_SCHEMA::/m);
  });

  it('exits 2 for a missing plan and for bad flags', () => {
    expect(cutover(['validate', 'nope.yaml'], { cwd: tempDir() }).code).toBe(2);
    const r = cutover(['validate', '--format', 'xml'], { cwd: root });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('xml');
  });
});

describe('cutover plan', () => {
  it('is byte-stable in JSON for the same input and masks secrets', () => {
    const dir = tempDir();
    const plan = minimal
      .replace('spec:\n', 'spec:\n  secrets: [API_TOKEN]\n  env: { TOKEN: "${{ env.API_TOKEN }}" }\n')
      .replace('run: node first.js', 'run: node first.js --token ${{ env.API_TOKEN }}');
    writeFiles(dir, { 'p.yaml': plan });
    const env = { API_TOKEN: 'canary-s3cr3t-value' };
    const a = cutover(['plan', 'p.yaml', '--format', 'json'], { cwd: dir, env });
    const b = cutover(['plan', 'p.yaml', '--format', 'json'], { cwd: dir, env });
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).not.toContain('canary-s3cr3t-value');
    const doc = JSON.parse(a.stdout);
    expect(doc.order.map((s: { id: string }) => s.id)).toEqual(['first', 'second']);
    expect(doc.resolved.phases.steps[0].command.argv).toEqual(['node', 'first.js', '--token', '***']);
    const text = cutover(['plan', 'p.yaml'], { cwd: dir, env });
    expect(text.stdout).not.toContain('canary-s3cr3t-value');
    expect(text.stdout).toContain('node first.js --token');
  });
});

describe('cutover schema and init', () => {
  it('prints the schema', () => {
    const r = cutover(['schema']);
    expect(JSON.parse(r.stdout).title).toBe('cutover plan');
  });

  it('scaffolds a plan, its registry, its lock and both workflows, and refuses to overwrite them', () => {
    const dir = gitRepo();
    const r = cutover(['init'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'plans/example.yaml'), 'utf8')).toMatch(/^# yaml-language-server: \$schema=/);
    for (const f of [
      'config/example.json',
      'plans/example.lock.json',
      '.github/workflows/validate-plans.yml',
      '.github/workflows/execute-plan.yml',
    ]) {
      expect(existsSync(join(dir, f)), f).toBe(true);
    }
    expect(cutover(['validate'], { cwd: dir }).code).toBe(0);
    expect(cutover(['freeze', 'plans/example.yaml', '--check'], { cwd: dir }).code).toBe(0);
    const before = readFileSync(join(dir, 'plans/example.yaml'), 'utf8');
    const again = cutover(['init'], { cwd: dir });
    expect(again.code).toBe(3);
    expect(again.stderr).toMatch(/plans\/example\.yaml: error FILE_EXISTS/);
    expect(readFileSync(join(dir, 'plans/example.yaml'), 'utf8')).toBe(before);
  });
});
