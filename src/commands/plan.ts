// `cutover plan PLAN`: the resolved plan, its freeze status and what would run, in order; no side effects.
import { problemsError } from '../errors.js';
import { findRepositoryRoot, readGitFacts } from '../adapters/git.js';
import { readMatrixFiles } from '../adapters/matrix-files.js';
import { publishToGithub } from '../github/report.js';
import { maskPreamble, secretValuesOf } from '../github/preview.js';
import { planSummary } from '../github/summary.js';
import { colors, writeJson } from '../ui/output.js';
import { readValidPlan } from '../adapters/plan-file.js';
import { formatDuration } from '../text/duration.js';
import { resolvePlan, type ResolvedPlan, type ResolvedStep } from '../plan/resolve.js';
import { createMasker } from '../text/mask.js';
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
  // Matrix files are relative to the repository root (a plan previewed outside a repository: to here).
  const matrix = await readMatrixFiles(await findRepositoryRoot({ cwd: io.cwd }).catch(() => io.cwd), source);
  const fixedRunId = options.runId ?? (source.spec.runId === undefined && io.env.GITHUB_ACTIONS !== 'true' ? RUN_ID_AT_START : undefined);
  const { plan: resolved, problems } = resolvePlan(source, file.display, { env: io.env, git, now: io.now(), matrixFiles: matrix.documents, ...(fixedRunId ? { runId: fixedRunId } : {}) });
  // The values the run would mask: the caller's environment first, then the plan's own spec.env.
  // In GitHub's format they are masked before anything else is printed, a refusal included.
  const secrets = secretValuesOf(resolved, io.env);
  const masker = createMasker(secrets.map((s) => s.value));
  if (io.format === 'github') io.stdout.write(maskPreamble(secrets));
  if (problems.length && fixedRunId !== RUN_ID_AT_START) throw problemsError(problems);

  const preview = JSON.parse(masker.mask(JSON.stringify(previewOf(resolved, file.display))));
  if (io.format === 'json') writeJson(io, preview);
  else io.stdout.write(masker.mask(renderText(resolved, file.display, io)));
  await publishToGithub(io, {
    summary: { markdown: planSummary(resolved.name, file.display, masker.mask(renderText(resolved, file.display, { ...io, color: false }))), truncatedNote: `the preview is cut to fit GitHub's 1 MiB summary; run cutover plan ${file.display} for all of it` },
  });
  return 0;
}

/** The machine-readable preview: the resolved plan and the ordered list of what would run. */
function previewOf(resolved: ResolvedPlan, file: string) {
  return {
    plan: file,
    resolved,
    order: [
      ...resolved.phases.preconditions,
      ...resolved.phases.steps,
      ...resolved.phases.finally,
    ].map((s) => ({ phase: s.phase, id: s.id, does: describeStep(s), needs: s.needs })),
    onFailure: resolved.phases.rollback.map((s) => ({ phase: s.phase, id: s.id, does: describeStep(s), needs: s.needs })),
  };
}

/** One line saying what a step does. */
export function describeStep(step: ResolvedStep): string {
  if (step.uses === 'assert') return 'assert expectations';
  if (step.uses === 'determinism') return `rerun ${step.with.rerun.join(', ')} and compare ${step.with.paths.join(', ')}`;
  if (step.uses === 'snapshot') return `snapshot ${step.with.paths.join(', ')} as ${step.with.name}`;
  if (step.uses === 'restore') return `restore snapshot ${step.with.name}`;
  const c = step.command;
  if (!c) return '';
  return 'argv' in c ? c.argv.map(quoteWord).join(' ') : `${c.shell} -c ${quoteWord(c.script)}`;
}

function quoteWord(word: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

function renderText(resolved: ResolvedPlan, file: string, io: CommandIo): string {
  const c = colors(io);
  const lines = [`${c.bold(resolved.name)}  ${c.dim(file)}`];
  if (resolved.description) lines.push(resolved.description);
  lines.push(`run id   ${resolved.runId}`, `record   ${resolved.record.dir}${resolved.record.push ? ' (pushed)' : ''}`);
  if (resolved.window) lines.push(`window   ${resolved.window.notBefore ?? '…'} → ${resolved.window.notAfter ?? '…'}`);
  if (resolved.concurrency > 1) lines.push(`at once  up to ${resolved.concurrency} steps`);
  const section = (title: string, steps: ResolvedStep[]) => {
    if (!steps.length) return;
    lines.push('', c.bold(title));
    for (const s of steps) {
      const needs = explicitNeeds(s, steps);
      const extras = [needs ? `needs ${needs}` : '', s.timeoutMs ? `timeout ${formatDuration(s.timeoutMs)}` : '', s.retries.count ? `retries ${s.retries.count}` : '', s.if ? `if ${s.if}` : '', s.boundary ? `boundary ${s.boundary}` : '', s.continueOnError ? 'continue on error' : ''].filter(Boolean);
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

/**
 * What a step waits for, when it is not simply the entry before it (a matrix step counted once, by
 * its id when all its shards are needed); undefined for the written order.
 */
function explicitNeeds(step: ResolvedStep, phase: readonly ResolvedStep[]): string | undefined {
  const group = (s: ResolvedStep) => s.matrix?.of ?? s.id;
  const place = phase.findIndex((s) => group(s) === group(step));
  const previous = place > 0 ? group(phase[place - 1]!) : undefined;
  const ids = [...new Set(step.needs.map((id) => {
    const of = phase.find((s) => s.id === id)?.matrix?.of;
    return of && phase.filter((s) => s.matrix?.of === of).every((s) => step.needs.includes(s.id)) ? of : id;
  }))];
  if (ids.length === (previous === undefined ? 0 : 1) && (previous === undefined || ids[0] === previous)) return undefined;
  return ids.length ? ids.join(', ') : 'nothing (starts with its phase)';
}
