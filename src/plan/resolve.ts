// A validated plan made concrete for one run: run id chosen, interpolation done, defaults applied.
import type { Problem } from '../errors.js';
import { createMasker } from '../text/mask.js';
import { parseDuration } from '../text/duration.js';
import { splitRun } from './command.js';
import type { Scope } from './expression.js';
import { declaredNeeds, unorderedPairs } from './graph.js';
import { interpolate, unsetVariables } from './interpolate.js';
import { expandMatrix, shardId, type MatrixValues } from './matrix.js';
import { normalizePath, pathsOverlap } from './paths.js';
import type { SourceDoc } from './position.js';
import { placedSteps } from './rules.js';
import { approvalPolicyOf, type ApprovalPolicy } from './approvals.js';
import { unsetProblems, type UnsetIn } from './unset-env.js';
import { PHASES, type BuiltIn, type JsonExpectation, type Phase, type Plan, type Step } from './types.js';
import { nameHint } from '../text/nearest.js';

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
  /** Ids of the steps (shards included) of its phase this step waits for. */
  needs: string[];
  /** For a shard of a matrix step: the step's id and the values this shard runs with. */
  matrix?: { of: string; values: MatrixValues };
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
  approvals: ApprovalPolicy;
  inputs: { name: string; paths: string[] }[];
  registries: { name: string; paths: string[] }[];
  phases: Record<Phase, ResolvedStep[]>;
  /** How many steps may run at once. */
  concurrency: number;
  artifacts: { name: string; path: string; commit: 'manifest' | 'files'; roots: 'none' | 'children' }[];
  record: { dir: string; push: boolean };
}

/** What resolution needs from outside: the caller's environment, git facts, the clock, overrides. */
export interface ResolveContext {
  env: Record<string, string | undefined>;
  git: { sha: string; branch: string };
  now: Date;
  runId?: string;
  /** The plan's parsed source, to place problems (an unset variable) at their line and column. */
  source?: SourceDoc;
  /** A preview (`cutover plan`), where an unset secret is a warning: previews run without secrets. */
  preview?: boolean;
  /** The parsed JSON documents of the plan's matrix files, by path (see `matrixFiles`). */
  matrixFiles?: ReadonlyMap<string, unknown>;
}

/** Allowed run ids (docs/plan-reference.md, `spec.runId`); `.` and `..` match it but are never one ({@link runIdProblem}). */
export const RUN_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Why a run id cannot be used, or undefined: it names a folder of the record path, so `.` and `..` would name another. */
export function runIdProblem(runId: string): string | undefined {
  if (!RUN_ID.test(runId)) return `run id ${JSON.stringify(runId)} must match ${RUN_ID.source}`;
  if (runId === '.' || runId === '..')
    return `run id ${JSON.stringify(runId)} would name ${runId === '.' ? "the plan's records folder itself" : 'the folder above it'}, not a folder of its own`;
  return undefined;
}

/** The default run id: GitHub's run id and attempt in Actions, the UTC time elsewhere. */
export function defaultRunId(env: Record<string, string | undefined>, now: Date): string {
  if (env.GITHUB_ACTIONS === 'true' && env.GITHUB_RUN_ID) return `gh-${env.GITHUB_RUN_ID}-${env.GITHUB_RUN_ATTEMPT ?? '1'}`;
  return `local-${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}`;
}

/** Resolves a validated plan; problems are the ones only known now (a run id that does not fit, an unset variable). */
export function resolvePlan(
  plan: Plan,
  file: string,
  context: ResolveContext,
): { plan: ResolvedPlan; problems: Problem[]; warnings: Problem[] } {
  const problems: Problem[] = [];
  // Every value substituted, with the variables it found unset: refused below, at their places.
  const unset: UnsetIn[] = [];
  const substitute = (value: string, scope: Scope) => {
    for (const variable of unsetVariables(value, scope)) unset.push({ value, ...variable });
    return interpolate(value, scope);
  };
  const base: Scope = { env: context.env, run: { id: '' }, plan: { name: plan.metadata.name }, git: context.git };
  const runId =
    context.runId ?? (plan.spec.runId !== undefined ? substitute(plan.spec.runId, base) : defaultRunId(context.env, context.now));
  const callerScope: Scope = { ...base, run: { id: runId } };
  const env = mapValues(plan.spec.env ?? {}, (v) => substitute(v, callerScope));
  // A secret's value must never become a name: run ids and record folders end up in paths, commit
  // messages and logs, where masking them would break the record. Refuse, naming the secret only.
  const secretIn = secretFinder(plan.spec.secrets ?? [], context.env, env);
  const runIdSecret = secretIn(runId);
  if (runIdSecret) {
    problems.push({
      code: 'USAGE',
      file,
      message: `the run id holds the value of secret ${runIdSecret}`,
      hint: 'a run id is written into paths, commit messages and logs: choose one that holds no secret',
    });
  } else if (runIdProblem(runId)) {
    problems.push({
      code: 'USAGE',
      file,
      message: runIdProblem(runId)!,
      hint: 'set --run-id or spec.runId to letters, digits, ., _ and - (not `.` or `..`)',
    });
  }
  const scope: Scope = { ...callerScope, env: { ...context.env, ...env } };
  const text = (v: string) => substitute(v, scope);
  // Paths in normal form (`a/../b` is `b`, no trailing `/`): what preflight checks is what is used.
  const path = (v: string) => normalizePath(text(v));

  const phases = Object.fromEntries(PHASES.map((p) => [p, [] as ResolvedStep[]])) as Record<Phase, ResolvedStep[]>;
  const shardsOf = new Map<string, string[]>();
  for (const { phase, index, step } of placedSteps(plan)) {
    const expanded = expandMatrix(step.matrix, context.matrixFiles ?? new Map());
    problems.push(...expanded.problems);
    const shards = expanded.shards.map((values) => {
      const shardScope = { ...scope, matrix: values };
      return resolveStep(
        step,
        phase,
        index,
        { track: (v) => substitute(v, shardScope), plain: (v) => interpolate(v, shardScope) },
        env,
        values,
      );
    });
    // A shard's id names its log file and its entry in the record, where a masked secret would break both.
    const shardSecret = shards.map((s) => s.matrix && secretIn(s.id)).find(Boolean);
    if (shardSecret)
      problems.push({
        code: 'USAGE',
        file,
        message: `a matrix value of step ${step.id} holds the value of secret ${shardSecret}`,
        hint: 'matrix values name shards, logs and record entries: use values that hold no secret',
      });
    shardsOf.set(
      step.id,
      shards.map((s) => s.id),
    );
    phases[phase].push(...shards);
  }
  // What each step waits for, by the ids of the shards its `needs` (or the entry before it) expand to.
  for (const phase of PHASES) {
    const waits = new Map(declaredNeeds(plan.spec[phase] ?? []).map((n) => [n.id, n.needs.flatMap((id) => shardsOf.get(id) ?? [])]));
    for (const step of phases[phase]) step.needs = waits.get(step.matrix?.of ?? step.id) ?? [];
  }
  const concurrency = plan.spec.concurrency ?? 1;
  if (concurrency > 1) problems.push(...overlappingProduces(phases, file));

  const recordDir = path(plan.spec.record?.dir ?? 'reports/${{ plan.name }}/${{ run.id }}');
  const dirSecret = runIdSecret ? undefined : secretIn(recordDir);
  if (dirSecret)
    problems.push({
      code: 'USAGE',
      file,
      message: `the record folder holds the value of secret ${dirSecret}`,
      hint: 'spec.record.dir is written into paths and commits: build it from names that hold no secret',
    });
  const unsetFound = unsetProblems(plan, file, unset, {
    ...(context.source ? { source: context.source } : {}),
    ...(context.preview ? { preview: true } : {}),
  });
  problems.push(...unsetFound.problems);
  return {
    problems,
    warnings: unsetFound.warnings,
    plan: {
      name: plan.metadata.name,
      description: plan.metadata.description ?? '',
      runId,
      ...(plan.spec.window ? { window: plan.spec.window } : {}),
      env,
      secrets: plan.spec.secrets ?? [],
      approvals: approvalPolicyOf(plan),
      inputs: plan.spec.inputs ?? [],
      registries: plan.spec.registries ?? [],
      phases,
      concurrency,
      artifacts: (plan.spec.artifacts ?? []).map((a) => ({
        name: a.name,
        path: path(a.path),
        commit: a.commit ?? 'manifest',
        roots: a.roots ?? 'none',
      })),
      record: { dir: recordDir, push: plan.spec.record?.push ?? false },
    },
  };
}

/** One step (or one shard of a matrix step) with its values substituted and defaults applied; `needs` comes later. */
/** How a step's values are substituted: `track` also notes unset variables, `plain` only substitutes. */
interface Substitution {
  track: (value: string) => string;
  plain: (value: string) => string;
}

function resolveStep(
  step: Step,
  phase: Phase,
  index: number,
  sub: Substitution,
  planEnv: Record<string, string>,
  values: MatrixValues,
): ResolvedStep {
  const text = sub.track;
  // Paths in normal form (`a/../b` is `b`, no trailing `/`): what preflight checks is what is used.
  const path = (v: string) => normalizePath(text(v));
  const value = Object.values(values)[0];
  const resolved: ResolvedStep = {
    id: value === undefined ? step.id : shardId(step.id, value),
    name: value === undefined ? (step.name ?? step.id) : step.name ? `${step.name} [${value}]` : shardId(step.id, value),
    phase,
    index,
    with: {
      rerun: step.with?.rerun ?? [],
      paths: (step.with?.paths ?? []).map(path),
      ...(step.with?.name ? { name: step.with.name } : {}),
    },
    cwd: step.cwd ? path(step.cwd) : '.',
    env: { ...planEnv, ...mapValues(step.env ?? {}, text) },
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
    needs: [],
    ...(value !== undefined ? { matrix: { of: step.id, values } } : {}),
    ...(step.uses ? { uses: step.uses } : {}),
    ...(step.if !== undefined ? { if: step.if } : {}),
    ...(step.boundary ? { boundary: step.boundary } : {}),
    ...(step.timeout ? { timeoutMs: parseDuration(step.timeout)! } : {}),
  };
  if (step.run !== undefined) {
    // Checked as written: a `run` string is split into words before its words are substituted.
    for (const value of [step.run].flat()) text(value);
    resolved.command = command(step.run, step.shell, sub.plain);
  }
  return resolved;
}

/** Steps that may run at the same time must not write the same paths: each would restore the other's on failure. */
function overlappingProduces(phases: Record<Phase, ResolvedStep[]>, file: string): Problem[] {
  const problems: Problem[] = [];
  for (const phase of PHASES) {
    for (const [a, b] of unorderedPairs(phases[phase])) {
      const shared = a.produces.find((p) => b.produces.some((q) => pathsOverlap(p, q)));
      if (shared === undefined) continue;
      problems.push({
        code: 'PLAN_PATH',
        file,
        message: `steps ${a.id} and ${b.id} may run at the same time and both produce ${shared}`,
        hint: 'give each its own produces path (a matrix step: use ${{ matrix.<name> }} in it), or order them with needs',
      });
    }
  }
  return problems;
}

// Words are split before interpolation, so a value with spaces stays one argument.
function command(run: string | string[], shell: string | undefined, text: (v: string) => string): StepCommand {
  if (shell) return { shell, script: text(run as string) };
  if (Array.isArray(run)) return { argv: run.map(text) };
  const split = splitRun(run);
  return { argv: 'argv' in split ? split.argv.map(text) : [run] };
}

/** A JSON expectation with `${{ }}` substituted in its file and in string values it compares against. */
function interpolateJson(j: JsonExpectation, text: (v: string) => string, path: (v: string) => string): JsonExpectation {
  const value = (v: unknown) => (typeof v === 'string' ? text(v) : v);
  return { ...j, file: path(j.file), ...('equals' in j ? { equals: value(j.equals) } : {}), ...(j.in ? { in: j.in.map(value) } : {}) };
}

/** A secret's name and its value in this run. */
export interface SecretValue {
  name: string;
  value: string;
}

/**
 * The values of a resolved plan's secrets, as the run takes them: the caller's environment first,
 * then the plan's own `spec.env` (a value built there from other variables); unset ones are left out.
 */
export function secretValuesOf(resolved: Pick<ResolvedPlan, 'secrets' | 'env'>, env: Record<string, string | undefined>): SecretValue[] {
  return resolved.secrets.map((name) => ({ name, value: env[name] ?? resolved.env[name] ?? '' })).filter((s) => s.value !== '');
}

/** The name of the first secret whose value (as the run masks it) occurs in a text, if any. */
function secretFinder(
  names: readonly string[],
  callerEnv: Record<string, string | undefined>,
  planEnv: Record<string, string>,
): (text: string) => string | undefined {
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

/** Problem for a `--fail-at` step id the plan does not define: a step id, a matrix step's id (all its shards) or one shard's id. */
export function unknownRunStep(plan: Pick<ResolvedPlan, 'phases'>, id: string): { message: string; hint: string } | undefined {
  const steps = PHASES.flatMap((phase) => plan.phases[phase]);
  const ids = [...new Set(steps.flatMap((s) => (s.matrix ? [s.matrix.of, s.id] : [s.id])))];
  return ids.includes(id) ? undefined : { message: `no step has the id ${JSON.stringify(id)}`, hint: nameHint(id, ids, 'step ids') };
}
