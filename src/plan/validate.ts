// The whole check of one plan file's bytes: load, schema, semantic rules; every problem at once.
import type { Problem } from '../errors.js';
import { loadPlan, type LoadedPlan } from './load.js';
import { positionOf } from './position.js';
import { runIdProblem, splitRun } from './resolve.js';
import { checkRules, placedSteps } from './rules.js';
import { checkSchema } from './schema.js';
import type { Plan } from './types.js';

/** A plan that passed every check, with its source for positions. */
export interface ValidPlan {
  plan: Plan;
  source: LoadedPlan;
}

/** Validates plan bytes: a valid plan, or every problem found. */
export function validatePlan(bytes: Uint8Array, file: string): { ok: true; valid: ValidPlan } | { ok: false; problems: Problem[] } {
  const loaded = loadPlan(bytes, file);
  if (!loaded.ok) return loaded;
  const source = loaded.plan;
  const schemaProblems = checkSchema(source, source.data);
  if (schemaProblems.length) return { ok: false, problems: sortProblems(schemaProblems) };
  const plan = source.data as Plan;
  const problems = [...checkRules(source, plan), ...checkCommands(source, plan), ...checkRunId(source, plan)];
  if (problems.length) return { ok: false, problems: sortProblems(problems) };
  return { ok: true, valid: { plan, source } };
}

function checkCommands(source: LoadedPlan, plan: Plan): Problem[] {
  return placedSteps(plan).flatMap(({ step, path }) => {
    if (typeof step.run !== 'string' || step.shell) return [];
    const split = splitRun(step.run);
    return 'error' in split ? [{ code: 'PLAN_SCHEMA' as const, file: source.file, ...positionOf(source, [...path, 'run']), message: split.error, hint: 'balance the quotes, or write `run` as a list of arguments' }] : [];
  });
}

function checkRunId(source: LoadedPlan, plan: Plan): Problem[] {
  const runId = plan.spec.runId;
  const problem = runId === undefined || runId.includes('${{') ? undefined : runIdProblem(runId);
  return problem ? [{ code: 'PLAN_SCHEMA', file: source.file, ...positionOf(source, ['spec', 'runId']), message: problem }] : [];
}

function sortProblems(problems: Problem[]): Problem[] {
  return [...problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
}
