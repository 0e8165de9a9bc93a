// A real repository holding a plan, its step program and a committed lock, ready for `cutover run`.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { CLI, cutover, type CliResult } from './cli.js';
import { git, gitRepo } from './git-repo.js';

const stepProgram = readFileSync(join(import.meta.dirname, '../fixtures/steps/step.js'), 'utf8');

/** The head of a plan: add `spec` entries below it (steps use `node tools/step.js VERB …`). */
export function planHead(name = 'test-plan'): string {
  return `apiVersion: cutover/v1\nkind: Plan\nmetadata:\n  name: ${name}\nspec:\n  runId: r1\n  registries:\n    - { name: config, paths: ["config/*.json"] }\n`;
}

/** A repository with the plan at plans/p.yaml, frozen and committed. */
export function planRepo(plan: string, files: Record<string, string> = {}): string {
  const dir = gitRepo({
    'plans/p.yaml': plan,
    'tools/step.js': stepProgram,
    'tools/package.json': '{ "type": "module" }\n',
    'config/a.json': '{ "a": 1 }\n',
    ...files,
  });
  const frozen = cutover(['freeze', 'plans/p.yaml'], { cwd: dir });
  expect(frozen.code, frozen.stderr).toBe(0);
  git(dir, 'add', 'plans/p.lock.json');
  git(dir, 'commit', '-q', '-m', 'freeze');
  return dir;
}

/** Runs `cutover run plans/p.yaml --format json` and parses its one document. */
export function runPlan(
  dir: string,
  args: string[] = [],
  env: Record<string, string> = {},
): CliResult & { doc: Record<string, any> | undefined } {
  const result = cutover(['run', 'plans/p.yaml', '--format', 'json', ...args], { cwd: dir, env });
  let doc: Record<string, any> | undefined;
  try {
    doc = JSON.parse(result.stdout);
  } catch {
    doc = undefined;
  }
  return { ...result, doc };
}

/** Starts `cutover run plans/p.yaml --format json ARGS` in the background, for signals and kill -9. */
export function startRun(dir: string, args: string[] = [], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [CLI, 'run', 'plans/p.yaml', '--format', 'json', ...args], {
    cwd: dir,
    env: { ...process.env, NO_COLOR: '1', CI: '', GITHUB_ACTIONS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited, output: () => ({ stdout, stderr }) };
}
