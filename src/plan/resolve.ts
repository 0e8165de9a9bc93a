// A validated plan made concrete for one run: run id chosen, interpolation done, defaults applied.
import type { Problem } from '../errors.js';
import { splitCommand } from '../text/argv.js';
import { createMasker } from '../text/mask.js';
import { parseDuration } from '../text/duration.js';
import type { Scope } from './expression.js';
import { interpolate } from './interpolate.js';
import { normalizePath } from './paths.js';
import { placedSteps } from './rules.js';
import { PHASES, type BuiltIn, type JsonExpectation, type Phase, type Plan } from './types.js';

/** How a command step runs: argv without a shell, or a script for a named shell. */
export type StepCommand = { argv: string[] } | { shell: string; script: string };

/** A step ready to run. */
export interface ResolvedStep {
  id: string;
  name: string;
  phase: Phase;
  /** Position in its phase, from 0. */
  index: number;
  command?: StepCommand;
  uses?: BuiltIn;
  with: { rerun: string[]; paths: string[]; name?: string };
  cwd: string;
  /** The step's own variables over the plan's (not the caller's environment). */
  env: Record<string, string>;
  timeoutMs?: number;
  retries: { count: number; delayMs: number };
  continueOnError: boolean;
  if?: string;
  expect: { exitCode: number[]; exists: string[]; absent: string[]; json: JsonExpectation[]; stdout?: string };
  produces: string[];
  boundary?: string;
}

/** A plan resolved for one run. */
export interface ResolvedPlan {
  name: string;
  description: string;
  runId: string;
  window?: { notBefore?: string; notAfter?: string };
  /** The plan's `spec.env`, interpolated. */
  env: Record<string, string>;
  secrets: string[];
  approvalsRequired: number;
  inputs: { name: string; paths: string[] }[];
  registries: { name: string; paths: string[] }[];
  phases: Record<Phase, ResolvedStep[]>;
  artifacts: { name: string; path: string; commit: 'manifest' | 'files'; roots: 'none' | 'children' }[];
  record: { dir: string; push: boolean };
}

/** What resolution needs from outside: the caller's environment, git facts, the clock, overrides. */
export interface ResolveContext {
  env: Record<string, string | undefined>;
  git: { sha: string; branch: string };
  now: Date;
  runId?: string;
}

/** Allowed run ids (DESIGN §4); `.` and `..` match it but are never one ({@link runIdProblem}). */
export const RUN_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Why a run id cannot be used, or undefined: it names a folder of the record path, so `.` and `..` would name another. */
export function runIdProblem(runId: string): string | undefined {
  if (!RUN_ID.test(runId)) return `run id ${JSON.stringify(runId)} must match ${RUN_ID.source}`;
  if (runId === '.' || runId === '..') return `run id ${JSON.stringify(runId)} would name ${runId === '.' ? 'the plan\'s records folder itself' : 'the folder above it'}, not a folder of its own`;
  return undefined;
}

/** The default run id: GitHub's run id and attempt in Actions, the UTC time elsewhere. */
export function defaultRunId(env: Record<string, string | undefined>, now: Date): string {
  if (env.GITHUB_ACTIONS === 'true' && env.GITHUB_RUN_ID) return `gh-${env.GITHUB_RUN_ID}-${env.GITHUB_RUN_ATTEMPT ?? '1'}`;
  return `local-${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`;
}

/** Resolves a validated plan; problems are the ones only known now (a run id that does not fit). */
export function resolvePlan(plan: Plan, file: string, context: ResolveContext): { plan: ResolvedPlan; problems: Problem[] } {
  const problems: Problem[] = [];
  const base: Scope = { env: context.env, run: { id: '' }, plan: { name: plan.metadata.name }, git: context.git };
  const runId = context.runId ?? (plan.spec.runId !== undefined ? interpolate(plan.spec.runId, base) : defaultRunId(context.env, context.now));
  const callerScope: Scope = { ...base, run: { id: runId } };
  const env = mapValues(plan.spec.env ?? {}, (v) => interpolate(v, callerScope));
  // A secret's value must never become a name: run ids and record folders end up in paths, commit
  // messages and logs, where masking them would break the record. Refuse, naming the secret only.
  const secretIn = secretFinder(plan.spec.secrets ?? [], context.env, env);
  const runIdSecret = secretIn(runId);
  if (runIdSecret) {
    problems.push({ code: 'USAGE', file, message: `the run id holds the value of secret ${runIdSecret}`, hint: 'a run id is written into paths, commit messages and logs: choose one that holds no secret' });
  } else if (runIdProblem(runId)) {
    problems.push({ code: 'USAGE', file, message: runIdProblem(runId)!, hint: 'set --run-id or spec.runId to letters, digits, ., _ and - (not `.` or `..`)' });
  }
  const scope: Scope = { ...callerScope, env: { ...context.env, ...env } };
  const text = (v: string) => interpolate(v, scope);
  // Paths in normal form (`a/../b` is `b`, no trailing `/`): what preflight checks is what is used.
  const path = (v: string) => normalizePath(text(v));

  const phases = Object.fromEntries(PHASES.map((p) => [p, [] as ResolvedStep[]])) as Record<Phase, ResolvedStep[]>;
  for (const { phase, index, step } of placedSteps(plan)) {
    const resolved: ResolvedStep = {
      id: step.id,
      name: step.name ?? step.id,
      phase,
      index,
      with: { rerun: step.with?.rerun ?? [], paths: (step.with?.paths ?? []).map(path), ...(step.with?.name ? { name: step.with.name } : {}) },
      cwd: step.cwd ? path(step.cwd) : '.',
      env: { ...env, ...mapValues(step.env ?? {}, text) },
      retries: { count: step.retries?.count ?? 0, delayMs: parseDuration(step.retries?.delay ?? '0s') ?? 0 },
      continueOnError: step.continueOnError ?? false,
      expect: {
        exitCode: [step.expect?.exitCode ?? 0].flat(),
        exists: (step.expect?.exists ?? []).map(path),
        absent: (step.expect?.absent ?? []).map(path),
        json: (step.expect?.json ?? []).map((j) => interpolateJson(j, text, path)),
        ...(step.expect?.stdout !== undefined ? { stdout: step.expect.stdout } : {}),
      },
      produces: (step.produces ?? []).map(path),
      ...(step.uses ? { uses: step.uses } : {}),
      ...(step.if !== undefined ? { if: step.if } : {}),
      ...(step.boundary ? { boundary: step.boundary } : {}),
      ...(step.timeout ? { timeoutMs: parseDuration(step.timeout)! } : {}),
    };
    if (step.run !== undefined) resolved.command = command(step.run, step.shell, text);
    phases[phase].push(resolved);
  }

  const recordDir = path(plan.spec.record?.dir ?? 'reports/${{ plan.name }}/${{ run.id }}');
  const dirSecret = runIdSecret ? undefined : secretIn(recordDir);
  if (dirSecret) problems.push({ code: 'USAGE', file, message: `the record folder holds the value of secret ${dirSecret}`, hint: 'spec.record.dir is written into paths and commits: build it from names that hold no secret' });
  return {
    problems,
    plan: {
      name: plan.metadata.name,
      description: plan.metadata.description ?? '',
      runId,
      ...(plan.spec.window ? { window: plan.spec.window } : {}),
      env,
      secrets: plan.spec.secrets ?? [],
      approvalsRequired: plan.spec.approvals?.required ?? 0,
      inputs: plan.spec.inputs ?? [],
      registries: plan.spec.registries ?? [],
      phases,
      artifacts: (plan.spec.artifacts ?? []).map((a) => ({ name: a.name, path: path(a.path), commit: a.commit ?? 'manifest', roots: a.roots ?? 'none' })),
      record: { dir: recordDir, push: plan.spec.record?.push ?? false },
    },
  };
}

// Words are split before interpolation, so a value with spaces stays one argument.
function command(run: string | string[], shell: string | undefined, text: (v: string) => string): StepCommand {
  if (shell) return { shell, script: text(run as string) };
  if (Array.isArray(run)) return { argv: run.map(text) };
  const split = splitRun(run);
  return { argv: 'argv' in split ? split.argv.map(text) : [run] };
}

/**
 * Splits a `run:` string into words with each `${{ }}` kept whole inside its word, so an
 * expression's spaces do not split it and a value's spaces (substituted later) stay one argument.
 */
export function splitRun(run: string): ReturnType<typeof splitCommand> {
  const templates: string[] = [];
  const guarded = run.replace(/\$\{\{.*?\}\}/g, (m) => `\u0001${templates.push(m) - 1}\u0001`);
  const split = splitCommand(guarded);
  if ('error' in split) return split;
  return { argv: split.argv.map((w) => w.replace(/\u0001(\d+)\u0001/g, (_m, i: string) => templates[Number(i)]!)) };
}

/** A JSON expectation with `${{ }}` substituted in its file and in string values it compares against. */
function interpolateJson(j: JsonExpectation, text: (v: string) => string, path: (v: string) => string): JsonExpectation {
  const value = (v: unknown) => (typeof v === 'string' ? text(v) : v);
  return { ...j, file: path(j.file), ...('equals' in j ? { equals: value(j.equals) } : {}), ...(j.in ? { in: j.in.map(value) } : {}) };
}

/** The name of the first secret whose value (as the run masks it) occurs in a text, if any. */
function secretFinder(names: readonly string[], callerEnv: Record<string, string | undefined>, planEnv: Record<string, string>): (text: string) => string | undefined {
  const maskers = names.map((name) => ({ name, masker: createMasker([callerEnv[name] ?? planEnv[name] ?? '']) }));
  return (text) => maskers.find(({ masker }) => masker.mask(text) !== text)?.name;
}

function mapValues(record: Record<string, string>, fn: (v: string) => string): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, fn(v)]));
}

/** Every step in the order a successful run meets it: preconditions, steps, finally. */
export function runOrder(plan: ResolvedPlan): ResolvedStep[] {
  return [...plan.phases.preconditions, ...plan.phases.steps, ...plan.phases.finally];
}
