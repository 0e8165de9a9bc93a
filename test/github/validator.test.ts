// action.yml and every workflow pass a real validator of GitHub's formats (@action-validator/cli),
// and the validator is shown to reject a broken copy of each, so a pass means something.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { tempDir } from '../helpers/git-repo.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const VALIDATOR = join(root, 'node_modules/@action-validator/cli/cli.mjs');
const version = (createRequire(import.meta.url)('@action-validator/cli/package.json') as { version: string }).version;

const WORKFLOWS = ['examples/workflows/validate-plans.yml', 'examples/workflows/execute-plan.yml', '.github/workflows/ci.yml'];

/** Runs the validator's CLI on a file; it tells an action from a workflow by the name action.yml. */
function validateFile(path: string): { code: number | null; errors: unknown[]; output: string } {
  const r = spawnSync(process.execPath, [VALIDATOR, path], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  let errors: unknown[] = [];
  try {
    errors = (JSON.parse(r.stderr.slice(r.stderr.indexOf('{'))) as { errors: unknown[] }).errors;
  } catch {
    errors = [];
  }
  return { code: r.status, errors, output: `${r.stdout}${r.stderr}` };
}

/** A copy of a repository file in a temporary folder, under the same base name, with `edit` applied. */
function copyWith(rel: string, edit: (text: string) => string): string {
  const path = join(tempDir(), rel.split('/').pop()!);
  const text = readFileSync(join(root, rel), 'utf8');
  const edited = edit(text);
  expect(edited, 'the edit must change the file').not.toBe(text);
  writeFileSync(path, edited);
  return path;
}

describe(`@action-validator/cli ${version}`, () => {
  it.each(WORKFLOWS)('accepts %s', (rel) => {
    const r = validateFile(join(root, rel));
    expect(r.code, r.output).toBe(0);
  });

  it.each(WORKFLOWS)('rejects a broken copy of %s (an unknown job key, a bad permission level)', (rel) => {
    const unknownKey = validateFile(copyWith(rel, (t) => t.replace(/^ {4}runs-on: ubuntu-latest$/m, '    runs-on: ubuntu-latest\n    run-on-fridays: never')));
    expect(unknownKey.code, unknownKey.output).toBe(1);
    const badPermission = validateFile(copyWith(rel, (t) => t.replace(/^( +)contents: (read|write)$/m, '$1contents: admin')));
    expect(badPermission.code, badPermission.output).toBe(1);
  });

  it('accepts action.yml apart from node24, which its schema predates', () => {
    // Its bundled schema (SchemaStore, December 2024) lists node12, node16 and node20 only; GitHub
    // added node24 in 2025. So the file is checked twice: as it is, where the one error must be that
    // enum, and with node20 in its place, where it must pass whole. That using is node24 is checked apart.
    const asIs = validateFile(join(root, 'action.yml'));
    expect(asIs.code).toBe(1);
    expect(asIs.errors).toEqual([
      expect.objectContaining({
        code: 'one_of',
        path: '/runs',
        states: expect.arrayContaining([{ errors: [expect.objectContaining({ code: 'enum', path: '/runs/using' })] }]),
      }),
    ]);
    const withNode20 = validateFile(copyWith('action.yml', (t) => t.replace(/^ {2}using: node24$/m, '  using: node20')));
    expect(withNode20.code, withNode20.output).toBe(0);
    const action = parse(readFileSync(join(root, 'action.yml'), 'utf8'));
    expect(action.runs).toEqual({ using: 'node24', main: 'action/index.js' });
  });

  it('rejects a broken copy of action.yml (a misspelt key, an input without a description)', () => {
    const node20 = (t: string) => t.replace(/^ {2}using: node24$/m, '  using: node20');
    const misspelt = validateFile(copyWith('action.yml', (t) => node20(t).replace(/^ {2}main: /m, '  mian: ')));
    expect(misspelt.code, misspelt.output).toBe(1);
    const undescribed = validateFile(copyWith('action.yml', (t) => node20(t).replace(/^( {2}command:\n) {4}description: .*\n/m, '$1')));
    expect(undescribed.code, undescribed.output).toBe(1);
  });

  it('declares the inputs and outputs of the contract', () => {
    const action = parse(readFileSync(join(root, 'action.yml'), 'utf8'));
    expect(Object.keys(action.inputs)).toEqual(expect.arrayContaining(['command', 'plan', 'push', 'run-id', 'format']));
    expect(Object.keys(action.outputs)).toEqual(expect.arrayContaining(['outcome', 'record', 'root']));
  });

  it('keeps the example workflows’ safety properties', () => {
    const execute = parse(readFileSync(join(root, 'examples/workflows/execute-plan.yml'), 'utf8'));
    expect(execute.permissions).toEqual({});
    const run = execute.jobs.run;
    expect(run.permissions).toEqual({ contents: 'write' });
    expect(run.environment).toBeTruthy();
    expect(run.concurrency).toEqual({ group: 'cutover-${{ matrix.plan }}', 'cancel-in-progress': false });
    const others = Object.entries(execute.jobs).filter(([name]) => name !== 'run');
    for (const [, job] of others) expect((job as { permissions: Record<string, string> }).permissions).toEqual({ contents: 'read' });
    expect(run.steps.find((s: { uses?: string }) => s.uses?.startsWith('actions/checkout')).with['fetch-depth']).toBe(0);
    expect(run.steps.map((s: { run?: string }) => s.run ?? '').join('\n')).toContain('cutover run "$PLAN" --require-merged origin/main --push');
    // Inputs reach shell scripts through the environment, never pasted into them.
    for (const file of ['examples/workflows/execute-plan.yml', 'examples/workflows/validate-plans.yml']) {
      const workflow = parse(readFileSync(join(root, file), 'utf8'));
      for (const job of Object.values(workflow.jobs) as { steps: { run?: string }[] }[]) {
        for (const step of job.steps) expect(step.run ?? '', `${file}: ${step.run}`).not.toMatch(/\$\{\{/);
      }
    }
    const validate = parse(readFileSync(join(root, 'examples/workflows/validate-plans.yml'), 'utf8'));
    expect(validate.on.pull_request.paths).toEqual(['plans/**']);
    expect(validate.permissions).toEqual({ contents: 'read' });
    const ci = parse(readFileSync(join(root, '.github/workflows/ci.yml'), 'utf8'));
    expect(ci.jobs.test.strategy.matrix.node).toEqual([20, 22, 24]);
  });
});
