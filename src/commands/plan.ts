// `cutover plan PLAN`: the resolved plan, its freeze status and what would run, in order; no side effects.
import { isCutoverError, problemsError } from '../errors.js';
import { findRepositoryRoot, readGitFacts } from '../adapters/git.js';
import { checkFreeze, type GateVerdict } from '../integrity/freeze-gate.js';
import { verdictDocument, verdictLines } from '../ui/approvals.js';
import type { Plan } from '../plan/types.js';
import { publishToGithub } from '../github/report.js';
import { maskPreamble } from '../github/preview.js';
import { planSummary } from '../github/summary.js';
import { colors, writeJson } from '../ui/output.js';
import { readValidPlan, type PlanFile } from '../adapters/plan-file.js';
import { formatDuration } from '../text/duration.js';
import { describeStep } from '../plan/describe.js';
import { resolvePlan, secretValuesOf, type ResolvedPlan, type ResolvedStep } from '../plan/resolve.js';
import { createMasker, maskDeep } from '../text/mask.js';
import type { CommandIo } from '../adapters/io.js';

/** Options of `cutover plan`. */
export interface PlanOptions {
  plan: string;
  runId?: string;
}

/** Shown where the run id is only chosen when the run starts. */
const RUN_ID_AT_START = 'local-<UTC time at start>';

/** Prints the resolved plan (secrets masked) and the order of what would run. */
export async function plan(options: PlanOptions, io: CommandIo): Promise<number> {
  const { plan: source, file } = await readValidPlan(options.plan, io.cwd);
  const git = await readGitFacts({ cwd: io.cwd });
  const fixedRunId = options.runId ?? (source.spec.runId === undefined && io.env.GITHUB_ACTIONS !== 'true' ? RUN_ID_AT_START : undefined);
  const { plan: resolved, problems } = resolvePlan(source, file.display, { env: io.env, git, now: io.now(), ...(fixedRunId ? { runId: fixedRunId } : {}) });
  // The values the run would mask: the caller's environment first, then the plan's own spec.env.
  // In GitHub's format they are masked before anything else is printed, a refusal included; from
  // then on everything written is masked with them.
  const secrets = secretValuesOf(resolved, io.env);
  if (io.format === 'github') io.commands.write(maskPreamble(secrets));
  io.addSecrets(secrets.map((s) => s.value));
  if (problems.length && fixedRunId !== RUN_ID_AT_START) throw problemsError(problems);

  // Masked as values, before anything quotes, escapes or serialises them.
  const shown = maskDeep(resolved, createMasker(secrets.map((s) => s.value)));
  const verdict = await freezeVerdict(file, source, io.cwd);
  if (io.format === 'json') writeJson(io, previewOf(shown, file.display, verdict));
  else io.stdout.write(renderText(shown, file.display, verdict, io));
  await publishToGithub(io, {
    summary: { markdown: planSummary(shown.name, file.display, renderText(shown, file.display, verdict, { ...io, color: false })), truncatedNote: `the preview is cut to fit GitHub's 1 MiB summary; run cutover plan ${file.display} for all of it` },
  });
  return 0;
}

/** The freeze gate's verdict now, when the plan is in a repository (null outside one); a gate that cannot judge says why. */
async function freezeVerdict(file: PlanFile, plan: Plan, cwd: string): Promise<GateVerdict | { error: string } | null> {
  const root = await findRepositoryRoot({ cwd }).catch(() => undefined);
  if (root === undefined) return null;
  try {
    return await checkFreeze({ root, planFile: file, plan });
  } catch (error) {
    if (!isCutoverError(error)) throw error;
    return { error: `${error.code}: ${error.message}` };
  }
}

/** The machine-readable preview: the resolved plan, the freeze verdict and the ordered list of what would run. */
function previewOf(resolved: ResolvedPlan, file: string, verdict: GateVerdict | { error: string } | null) {
  return {
    plan: file,
    freeze: verdict === null || 'error' in verdict ? verdict : verdictDocument(verdict),
    resolved,
    order: [
      ...resolved.phases.preconditions,
      ...resolved.phases.steps,
      ...resolved.phases.finally,
    ].map((s) => ({ phase: s.phase, id: s.id, does: describeStep(s) })),
    onFailure: resolved.phases.rollback.map((s) => ({ phase: s.phase, id: s.id, does: describeStep(s) })),
  };
}

function renderText(resolved: ResolvedPlan, file: string, verdict: GateVerdict | { error: string } | null, io: CommandIo): string {
  const c = colors(io);
  const lines = [`${c.bold(resolved.name)}  ${c.dim(file)}`];
  if (resolved.description) lines.push(resolved.description);
  lines.push(`run id   ${resolved.runId}`, `record   ${resolved.record.dir}${resolved.record.push ? ' (pushed)' : ''}`);
  if (resolved.window) lines.push(`window   ${resolved.window.notBefore ?? '…'} → ${resolved.window.notAfter ?? '…'}`);
  if (verdict !== null) lines.push('', ...('error' in verdict ? [`freeze     ${c.red(`cannot check: ${verdict.error}`)}`] : verdictLines(verdict, file, c)));
  const section = (title: string, steps: ResolvedStep[]) => {
    if (!steps.length) return;
    lines.push('', c.bold(title));
    for (const s of steps) {
      const extras = [s.timeoutMs ? `timeout ${formatDuration(s.timeoutMs)}` : '', s.retries.count ? `retries ${s.retries.count}` : '', s.if ? `if ${s.if}` : '', s.boundary ? `boundary ${s.boundary}` : '', s.continueOnError ? 'continue on error' : ''].filter(Boolean);
      lines.push(`  ${c.cyan(s.id.padEnd(22))} ${describeStep(s)}${extras.length ? c.dim(`  (${extras.join(', ')})`) : ''}`);
    }
  };
  section('preconditions', resolved.phases.preconditions);
  section('steps', resolved.phases.steps);
  section('on failure: rollback', resolved.phases.rollback);
  section('finally (always)', resolved.phases.finally);
  if (resolved.artifacts.length) {
    lines.push('', c.bold('artifacts'));
    for (const a of resolved.artifacts) lines.push(`  ${a.name.padEnd(22)} ${a.path}  ${c.dim(`commit ${a.commit}${a.roots === 'children' ? ', per-child roots' : ''}`)}`);
  }
  return `${lines.join('\n')}\n`;
}
