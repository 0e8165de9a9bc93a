// What a run needs from its plan before it prints anything: the secret values to mask (in every
// format) and, for GitHub's annotations, where each step is written.
import { relative } from 'node:path';
import type { CommandIo } from '../adapters/io.js';
import { readPlanFile } from '../adapters/plan-file.js';
import { findRepositoryRoot, readGitFacts } from '../adapters/git.js';
import { addMaskCommands, annotation } from './commands.js';
import { validatePlan } from '../plan/validate.js';
import { positionOf } from '../plan/position.js';
import { resolvePlan, secretValuesOf, type SecretValue } from '../plan/resolve.js';
import { placedSteps } from '../plan/rules.js';
import { MIN_SECRET_LENGTH } from '../text/secret-variants.js';

/** Where a step is written: the plan file (relative to the repository root) and where the step begins. */
export interface StepPosition {
  file: string;
  line: number;
  col: number;
}

/** The plan's secrets with their values, and each step's position by id. */
export interface GithubRunFacts {
  secrets: SecretValue[];
  steps: Map<string, StepPosition>;
}

/**
 * Reads the plan the way the run will, best effort: an unreadable or invalid plan gives no facts
 * (the run itself then refuses it, and says why).
 */
export async function readGithubRunFacts(plan: string, io: CommandIo, runId?: string): Promise<GithubRunFacts> {
  const none: GithubRunFacts = { secrets: [], steps: new Map() };
  try {
    const file = await readPlanFile(plan, io.cwd);
    const result = validatePlan(file.bytes, file.display);
    if (!result.ok) return none;
    const { plan: source, source: doc } = result.valid;
    const root = await findRepositoryRoot({ cwd: io.cwd }).catch(() => io.cwd);
    const display = relative(root, file.path);
    const steps = new Map(placedSteps(source).map(({ step, path }) => [step.id, { file: display, ...positionOf(doc, path) }]));
    if (!source.spec.secrets?.length) return { secrets: [], steps };
    const git = await readGitFacts({ cwd: io.cwd }).catch(() => ({ sha: '', branch: '' }));
    const { plan: resolved } = resolvePlan(source, file.display, { env: io.env, git, now: io.now(), ...(runId ? { runId } : {}) });
    return { secrets: secretValuesOf(resolved, io.env), steps };
  } catch {
    return none;
  }
}

/**
 * The lines that must come before any other output in GitHub's format: `::add-mask::` for every
 * secret value, and a warning (naming the secret, never its value) for one too short to mask.
 */
export function maskPreamble(secrets: readonly SecretValue[]): string {
  const short = secrets.filter((s) => [...s.value.trim()].length < MIN_SECRET_LENGTH).map((s) => s.name);
  const warnings = short.map((name) =>
    annotation('warning', `secret ${name} is shorter than ${MIN_SECRET_LENGTH} characters: it is not masked in logs or records`, {
      title: 'SECRET_TOO_SHORT',
    }),
  );
  return `${addMaskCommands(secrets.map((s) => s.value))}${warnings.join('')}`;
}
