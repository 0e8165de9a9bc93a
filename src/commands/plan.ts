// `cutover plan PLAN`: the resolved plan, its freeze verdict and approvals, and what would run, in
// order, with what each step promises (expectations, produces, timeout, retries); no side effects.
import { isCutoverError, problemsError, type Problem } from '../errors.js';
import { findRepositoryRoot, readGitFacts } from '../adapters/git.js';
import { readMatrixFiles } from '../adapters/matrix-files.js';
import { publishToGithub } from '../github/report.js';
import { maskPreamble } from '../github/preview.js';
import { planSummary } from '../github/summary.js';
import { colors, writeJson } from '../ui/output.js';
import { annotation } from '../github/commands.js';
import { readValidPlan, type PlanFile } from '../adapters/plan-file.js';
import { checkFreeze, type GateVerdict } from '../integrity/freeze-gate.js';
import type { FreezablePlan } from '../integrity/freeze.js';
import { formatDuration } from '../text/duration.js';
import { describeExpectations, describeStep } from '../plan/describe.js';
import { resolvePlan, secretValuesOf, type ResolvedPlan, type ResolvedStep } from '../plan/resolve.js';
import { createMasker, maskDeep } from '../text/mask.js';
import { freezeDocument, freezeLines, type FreezeView } from '../ui/freeze-verdict.js';
import type { CommandIo } from '../adapters/io.js';

/** Options of `cutover plan`. */
export interface PlanOptions {
  plan: string;
  runId?: string;
}

/** Shown where the run id is only chosen when the run starts. */
const RUN_ID_AT_START = 'local-<UTC time at start>';

/** Prints the resolved plan (secrets masked), the freeze verdict and the order of what would run. */
export async function plan(options: PlanOptions, io: CommandIo): Promise<number> {
  const { plan: source, source: doc, file } = await readValidPlan(options.plan, io.cwd);
  const git = await readGitFacts({ cwd: io.cwd });
  // Matrix files are relative to the repository root (a plan previewed outside a repository: to here).
  const matrix = await readMatrixFiles(await findRepositoryRoot({ cwd: io.cwd }).catch(() => io.cwd), source);
  const fixedRunId = options.runId ?? (source.spec.runId === undefined && io.env.GITHUB_ACTIONS !== 'true' ? RUN_ID_AT_START : undefined);
  const {
    plan: resolved,
    problems,
    warnings,
  } = resolvePlan(source, file.display, {
    env: io.env,
    git,
    now: io.now(),
    source: doc,
    preview: true,
    matrixFiles: matrix.documents,
    ...(fixedRunId ? { runId: fixedRunId } : {}),
  });
  // The values the run would mask: the caller's environment first, then the plan's own spec.env.
  // In GitHub's format they are masked before anything else is printed, a refusal included.
  const secrets = secretValuesOf(resolved, io.env);
  if (io.format === 'github') io.commands.write(maskPreamble(secrets));
  io.addSecrets(secrets.map((s) => s.value));
  // The placeholder run id is no run id (USAGE); every other problem is the plan's and refuses it.
  const fatal = problems.filter((p) => fixedRunId !== RUN_ID_AT_START || p.code !== 'USAGE');
  if (fatal.length) throw problemsError(fatal);
  if (warnings.length && io.format !== 'json') writeWarnings(warnings, io);

  const freeze = await freezeOf(io, file, source);
  // Masked as values, before anything quotes, escapes or serialises them.
  const shown = maskDeep(resolved, createMasker(secrets.map((s) => s.value)));
  if (io.format === 'json') writeJson(io, previewOf(shown, file.display, freeze, warnings));
  else io.stdout.write(renderText(shown, file.display, freeze, io));
  await publishToGithub(io, {
    summary: {
      markdown: planSummary(shown.name, file.display, renderText(shown, file.display, freeze, { ...io, color: false })),
      truncatedNote: `the preview is cut to fit GitHub's 1 MiB summary; run cutover plan ${file.display} for all of it`,
    },
  });
  return 0;
}

/** The freeze gate's verdict now, or why there is none (a plan outside a git repository). */
async function freezeOf(io: CommandIo, file: PlanFile, source: FreezablePlan): Promise<FreezeView> {
  const root = await findRepositoryRoot({ cwd: io.cwd }).catch(() => undefined);
  if (!root) return { unknown: 'not inside a git repository' };
  try {
    const verdict: GateVerdict = await checkFreeze({ root, planFile: file, plan: source });
    return { verdict };
  } catch (error) {
    // A lock that does not parse, a frozen file that cannot be read: the preview says so and goes on.
    if (!isCutoverError(error)) throw error;
    return { unknown: `cannot check: ${error.code}: ${error.message}` };
  }
}

/** Warnings (an unset secret, withheld where previews run) as annotations or stderr lines. */
function writeWarnings(warnings: Problem[], io: CommandIo): void {
  const c = colors(io);
  for (const w of warnings) {
    if (io.format === 'github')
      io.commands.write(
        annotation('warning', `${w.message}${w.hint ? ` (hint: ${w.hint})` : ''}`, {
          file: w.file,
          line: w.line,
          col: w.col,
          title: 'SECRET_UNSET',
        }),
      );
    else
      io.stderr.write(
        `${w.file}:${w.line}:${w.col}: ${c.yellow('warning')} ${w.message}\n${w.hint ? `  ${c.dim(`hint: ${w.hint}`)}\n` : ''}`,
      );
  }
}

/** The machine-readable preview: the resolved plan, the freeze verdict and the ordered list of what would run. */
function previewOf(resolved: ResolvedPlan, file: string, freeze: FreezeView, warnings: Problem[]) {
  const entry = (s: ResolvedStep) => ({
    phase: s.phase,
    id: s.id,
    does: describeStep(s),
    expect: describeExpectations(s),
    produces: s.produces,
    timeoutMs: s.timeoutMs ?? null,
    retries: s.retries,
    needs: s.needs,
  });
  return {
    plan: file,
    freeze: freezeDocument(freeze),
    resolved,
    order: [...resolved.phases.preconditions, ...resolved.phases.steps, ...resolved.phases.finally].map(entry),
    onFailure: resolved.phases.rollback.map(entry),
    ...(warnings.length ? { warnings } : {}),
  };
}

function renderText(resolved: ResolvedPlan, file: string, freeze: FreezeView, io: CommandIo): string {
  const c = colors(io);
  const lines = [`${c.bold(resolved.name)}  ${c.dim(file)}`];
  if (resolved.description) lines.push(resolved.description);
  lines.push(`run id     ${resolved.runId}`, `record     ${resolved.record.dir}${resolved.record.push ? ' (pushed)' : ''}`);
  if (resolved.window) lines.push(`window     ${resolved.window.notBefore ?? '…'} → ${resolved.window.notAfter ?? '…'}`);
  lines.push(...freezeLines(freeze, c));
  if (resolved.concurrency > 1) lines.push(`at once    up to ${resolved.concurrency} steps`);
  const section = (title: string, steps: ResolvedStep[]) => {
    if (!steps.length) return;
    lines.push('', c.bold(title));
    for (const s of steps) {
      const needs = explicitNeeds(s, steps);
      const flags = [
        needs ? `needs ${needs}` : '',
        s.if ? `if ${s.if}` : '',
        s.boundary ? `boundary ${s.boundary}` : '',
        s.continueOnError ? 'continue on error' : '',
      ].filter(Boolean);
      lines.push(`  ${c.cyan(s.id.padEnd(22))} ${describeStep(s)}${flags.length ? c.dim(`  (${flags.join(', ')})`) : ''}`);
      lines.push(c.dim(`  ${' '.repeat(22)} ${promises(s).join(' · ')}`));
    }
  };
  section('preconditions', resolved.phases.preconditions);
  section('steps', resolved.phases.steps);
  section('on failure: rollback', resolved.phases.rollback);
  section('finally (always)', resolved.phases.finally);
  if (resolved.artifacts.length) {
    lines.push('', c.bold('artifacts'));
    for (const a of resolved.artifacts)
      lines.push(`  ${a.name.padEnd(22)} ${a.path}  ${c.dim(`commit ${a.commit}${a.roots === 'children' ? ', per-child roots' : ''}`)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A step's promises on one line: what it expects, what it produces, its timeout and retries. */
function promises(s: ResolvedStep): string[] {
  const expect = describeExpectations(s);
  return [
    `expect ${expect.length ? expect.join('; ') : 'nothing'}`,
    ...(s.produces.length ? [`produces ${s.produces.join(', ')}`] : []),
    s.timeoutMs === undefined ? 'no timeout' : `timeout ${formatDuration(s.timeoutMs)}`,
    s.retries.count
      ? `retries ${s.retries.count}${s.retries.delayMs ? ` (${formatDuration(s.retries.delayMs)} apart)` : ''}`
      : 'no retries',
  ];
}

/**
 * What a step waits for, when it is not simply the entry before it (a matrix step counted once, by
 * its id when all its shards are needed); undefined for the written order.
 */
function explicitNeeds(step: ResolvedStep, phase: readonly ResolvedStep[]): string | undefined {
  const group = (s: ResolvedStep) => s.matrix?.of ?? s.id;
  const place = phase.findIndex((s) => group(s) === group(step));
  const previous = place > 0 ? group(phase[place - 1]!) : undefined;
  const ids = [
    ...new Set(
      step.needs.map((id) => {
        const of = phase.find((s) => s.id === id)?.matrix?.of;
        return of && phase.filter((s) => s.matrix?.of === of).every((s) => step.needs.includes(s.id)) ? of : id;
      }),
    ),
  ];
  if (ids.length === (previous === undefined ? 0 : 1) && (previous === undefined || ids[0] === previous)) return undefined;
  return ids.length ? ids.join(', ') : 'nothing (starts with its phase)';
}
