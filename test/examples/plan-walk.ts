// A deliberately small stand-in for `cutover run`, enough to walk the example plans against
// their applications: preconditions and steps in order, expectations, `produces` removal on
// failure, the `assert` and `determinism` built-ins, rollback on failure, finally always, and
// boundaries. It is not cutover (no freeze gate, no record, no git): it shows that each plan and
// its application agree, whatever state the executor is in.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { treeDigests } from './example-repo.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface JsonExpectation {
  file: string;
  path: string;
  equals?: Json;
  lte?: number;
  gte?: number;
  in?: Json[];
}

interface Expect {
  exitCode?: number | number[];
  exists?: string[];
  absent?: string[];
  json?: JsonExpectation[];
  stdout?: string;
}

interface Step {
  id: string;
  run?: string | string[];
  uses?: 'assert' | 'determinism';
  with?: { rerun?: string[]; paths?: string[] };
  env?: Record<string, string>;
  expect?: Expect;
  produces?: string[];
  boundary?: string;
}

/** One step as the walk saw it. */
export interface WalkedStep {
  phase: 'preconditions' | 'steps' | 'rollback' | 'finally';
  id: string;
  ok: boolean;
  problem?: string;
}

/** The outcome of a walk. */
export interface Walk {
  outcome: 'succeeded' | 'failed';
  runId: string;
  steps: WalkedStep[];
  boundaries: string[];
}

/** Options of a walk: extra env, a step that fails on purpose after it ran, or only the given phases. */
export interface WalkOptions {
  env?: Record<string, string>;
  failAt?: string;
  phases?: WalkedStep['phase'][];
}

/** Walks the plan at planFile (relative to repo). */
export async function walkPlan(repo: string, planFile: string, { env = {}, failAt, phases }: WalkOptions = {}): Promise<Walk> {
  const plan = parse(readFileSync(path.join(repo, planFile), 'utf8'));
  const spec = plan.spec;
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('MIGRATE_'))) as Record<string, string>;
  const outerEnv = { ...base, ...env };
  const runId = spec.runId ? interpolate(spec.runId, { env: outerEnv, runId: '', planName: plan.metadata.name }) : 'walk-local';
  const scope = { env: outerEnv, runId, planName: plan.metadata.name };
  const stepEnv = (step: Step) => ({ ...outerEnv, ...mapValues(spec.env ?? {}, (v) => interpolate(v, scope)), ...mapValues(step.env ?? {}, (v) => interpolate(v, scope)) });
  const byId = new Map<string, Step>((spec.steps ?? []).map((s: Step) => [s.id, s]));
  const walk: Walk = { outcome: 'succeeded', runId, steps: [], boundaries: [] };

  const runStep = async (step: Step, phase: WalkedStep['phase']): Promise<boolean> => {
    let problem: string | undefined;
    if (step.uses === 'determinism') problem = await determinism(repo, step, byId, stepEnv, scope);
    else problem = await execute(repo, step, stepEnv(step), scope);
    if (!problem && step.id === failAt) problem = 'failed on purpose (failAt)';
    if (problem) for (const p of step.produces ?? []) rmSync(path.join(repo, p), { recursive: true, force: true });
    else if (step.boundary) walk.boundaries.push(step.boundary);
    walk.steps.push({ phase, id: step.id, ok: !problem, ...(problem ? { problem } : {}) });
    return !problem;
  };

  const wanted = (phase: WalkedStep['phase']) => phases === undefined || phases.includes(phase);
  let failed = false;
  for (const phase of ['preconditions', 'steps'] as const) {
    for (const step of wanted(phase) ? spec[phase] ?? [] : []) {
      if (!failed && !(await runStep(step, phase))) failed = true;
    }
  }
  if (failed) walk.outcome = 'failed';
  // With phases given, rollback runs when asked for (to exercise it from a state set up by hand).
  if (phases === undefined ? failed : wanted('rollback')) {
    for (const step of spec.rollback ?? []) await runStep(step, 'rollback');
  }
  for (const step of wanted('finally') ? spec.finally ?? [] : []) await runStep(step, 'finally');
  return walk;
}

interface Scope {
  env: Record<string, string | undefined>;
  runId: string;
  planName: string;
}

// The closed expression grammar the example plans use: env.NAME, run.id, plan.name, 'literal', ??.
function interpolate(value: string, scope: Scope): string {
  return value.replace(/\$\{\{(.*?)\}\}/g, (_, expr: string) => {
    for (const term of expr.split('??').map((t) => t.trim())) {
      const literal = /^'(.*)'$/.exec(term);
      const resolved = literal ? literal[1] : term === 'run.id' ? scope.runId : term === 'plan.name' ? scope.planName : term.startsWith('env.') ? scope.env[term.slice(4)] : undefined;
      if (resolved !== undefined && resolved !== '') return resolved;
    }
    throw new Error(`expression ${expr} has no value`);
  });
}

async function execute(repo: string, step: Step, env: Record<string, string>, scope: Scope): Promise<string | undefined> {
  let result = { code: 0 as number | null, stdout: '' };
  if (step.run !== undefined) {
    const argv = (typeof step.run === 'string' ? step.run.split(/\s+/).filter(Boolean) : step.run).map((a) => interpolate(a, scope));
    if (argv.some((a) => /["'\\]/.test(a))) throw new Error(`${step.id}: the walk splits run on spaces only`);
    result = await spawnIn(repo, argv, env);
  } else if (step.uses !== 'assert') {
    throw new Error(`${step.id}: the walk knows run, assert and determinism only`);
  }
  return checkExpect(repo, step.expect ?? {}, result, scope);
}

function spawnIn(repo: string, argv: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string }> {
  const [command, ...args] = argv;
  return new Promise((resolve, reject) => {
    const child = spawn(command === 'node' ? process.execPath : command!, args, { cwd: repo, env, stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

function checkExpect(repo: string, expect: Expect, result: { code: number | null; stdout: string }, scope: Scope): string | undefined {
  const codes = expect.exitCode === undefined ? [0] : [expect.exitCode].flat();
  if (!codes.includes(result.code ?? -1)) return `exit code ${result.code}, expected ${codes.join(' or ')}`;
  for (const p of expect.exists ?? []) if (!existsSync(path.join(repo, p))) return `${p} does not exist`;
  for (const p of expect.absent ?? []) if (existsSync(path.join(repo, p))) return `${p} exists`;
  for (const j of expect.json ?? []) {
    if (!existsSync(path.join(repo, j.file))) return `${j.file} does not exist`;
    const actual = j.path.split('.').reduce<Json | undefined>((v, key) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? v[key] : undefined), JSON.parse(readFileSync(path.join(repo, j.file), 'utf8')));
    const equals = typeof j.equals === 'string' ? interpolate(j.equals, scope) : j.equals;
    const ok =
      (j.equals === undefined || JSON.stringify(actual) === JSON.stringify(equals)) &&
      (j.lte === undefined || (typeof actual === 'number' && actual <= j.lte)) &&
      (j.gte === undefined || (typeof actual === 'number' && actual >= j.gte)) &&
      (j.in === undefined || j.in.some((v) => JSON.stringify(v) === JSON.stringify(actual)));
    if (!ok) return `${j.file} ${j.path} is ${JSON.stringify(actual)}`;
  }
  if (expect.stdout !== undefined && !new RegExp(expect.stdout).test(result.stdout)) return `stdout does not match ${expect.stdout}`;
  return undefined;
}

// Records the paths' digests, moves them aside, reruns the steps, compares, restores the first outputs.
async function determinism(repo: string, step: Step, byId: Map<string, Step>, stepEnv: (s: Step) => Record<string, string>, scope: Scope): Promise<string | undefined> {
  const paths = step.with?.paths ?? [];
  const first = paths.map((p) => treeDigests(path.join(repo, p)));
  paths.forEach((p, i) => renameSync(path.join(repo, p), `${repo}.aside-${i}`));
  let problem: string | undefined;
  for (const id of step.with?.rerun ?? []) {
    problem ??= await execute(repo, byId.get(id)!, stepEnv(byId.get(id)!), scope);
  }
  paths.forEach((p, i) => {
    if (!problem && JSON.stringify(treeDigests(path.join(repo, p))) !== JSON.stringify(first[i])) problem = `${p} differs after rerun`;
    rmSync(path.join(repo, p), { recursive: true, force: true });
    renameSync(`${repo}.aside-${i}`, path.join(repo, p));
  });
  return problem;
}

function mapValues(record: Record<string, string>, fn: (value: string) => string): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, fn(v)]));
}
