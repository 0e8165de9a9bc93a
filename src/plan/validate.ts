// The whole check of one plan file's bytes: load, schema, semantic rules; every problem at once.
import type { Problem } from '../errors.js';
import { loadPlan, type LoadedPlan } from './load.js';
import { positionInString, positionOf } from './position.js';
import { splitRun } from './command.js';
import { shellWords } from '../text/argv.js';
import { runIdProblem } from './resolve.js';
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
  const problems = [
    ...checkRules(source, plan),
    ...checkCommands(source, plan),
    ...checkShellWords(source, plan),
    ...checkRunId(source, plan),
  ];
  if (problems.length) return { ok: false, problems: sortProblems(problems) };
  return { ok: true, valid: { plan, source } };
}

function checkCommands(source: LoadedPlan, plan: Plan): Problem[] {
  return placedSteps(plan).flatMap(({ step, path }) => {
    if (typeof step.run !== 'string' || step.shell) return [];
    const split = splitRun(step.run);
    return 'error' in split
      ? [
          {
            code: 'PLAN_SCHEMA' as const,
            file: source.file,
            ...positionOf(source, [...path, 'run']),
            message: split.error,
            hint: 'balance the quotes, or write `run` as a list of arguments',
          },
        ]
      : [];
  });
}

/**
 * A `run:` string without `shell:` runs no shell, so `>`, `|`, `&&`, `$(…)` would reach the command as
 * arguments: almost never what the author meant. Refused with the two ways to say what was meant.
 */
function checkShellWords(source: LoadedPlan, plan: Plan): Problem[] {
  return placedSteps(plan).flatMap(({ step, path }) => {
    if (typeof step.run !== 'string' || step.shell) return [];
    const first = shellWords(step.run)[0];
    if (!first) return [];
    const substitution = /^"?(\$\(|`)/.exec(first.word)?.[1];
    const what = substitution ? `\`${substitution}\` starts a command substitution` : `\`${first.word}\` is a shell operator`;
    return [
      {
        code: 'PLAN_SCHEMA' as const,
        file: source.file,
        ...positionInString(source, [...path, 'run'], first.index),
        message: `${what}, but without \`shell:\` the command runs without a shell and gets it as an argument`,
        hint: 'add `shell: bash` to run the line as a bash script, or write `run` as a list of arguments to pass it as it is',
      },
    ];
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
