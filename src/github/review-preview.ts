// The "what would run" part of a review comment: every step in the order a run meets it, with its
// command, timeout, retries and boundary; rollback and finally apart. Cut to a number of rows on demand.
import { describeStep } from '../plan/describe.js';
import type { ResolvedPlan, ResolvedStep } from '../plan/resolve.js';
import { formatDuration } from '../text/duration.js';
import { codeBlock, escapeMarkdown, inlineCode, needsCodeBlock } from '../text/markdown.js';

const PHASE_LABEL = {
  preconditions: 'precondition',
  steps: 'step',
  rollback: 'rollback (on failure)',
  finally: 'finally (always)',
} as const;

/** Every step of a resolved plan, in the order a run meets it, rollback before finally as a failure runs them. */
export function previewSteps(resolved: ResolvedPlan): ResolvedStep[] {
  const { preconditions, steps, rollback, finally: always } = resolved.phases;
  return [...preconditions, ...steps, ...rollback, ...always];
}

/**
 * The preview in Markdown: the run id and record, then one table row a step. With `maxRows`, at most
 * that many rows, and a line saying how many were left out and where to see all of them.
 */
export function renderPreview(resolved: ResolvedPlan, file: string, maxRows = Number.POSITIVE_INFINITY): string {
  const all = previewSteps(resolved);
  const shown = all.slice(0, Math.max(0, maxRows));
  const out = [
    `Run id ${inlineCode(resolved.runId)} · record ${inlineCode(resolved.record.dir)}${resolved.record.push ? ' (pushed)' : ''}`,
    '',
  ];
  if (all.length === 0) return `${out.join('\n')}\n`;
  out.push('| # | phase | id | does | timeout | retries | boundary |', '|---:|---|---|---|---|---:|---|');
  shown.forEach((step, i) => out.push(row(step, i + 1)));
  if (shown.length < all.length) {
    out.push(
      '',
      `_${all.length - shown.length} more step${all.length - shown.length === 1 ? '' : 's'} not shown: a comment holds at most 65,536 characters. ${inlineCode(`cutover plan ${file}`)} shows every step._`,
    );
  }
  // A command the table cannot show exactly (a backtick, a pipe or a line break in it) is repeated as written.
  const exact = shown.filter((step) => needsCodeBlock(describeStep(step)));
  for (const step of exact) out.push('', `${inlineCode(step.id)} exactly:`, '', codeBlock(describeStep(step), 'sh').trimEnd());
  return `${out.join('\n')}\n`;
}

function row(step: ResolvedStep, n: number): string {
  const condition = step.if ? ` _(if ${escapeMarkdown(step.if)})_` : '';
  const onError = step.continueOnError ? ' _(continues on error)_' : '';
  const retries = step.retries.count
    ? `${step.retries.count}${step.retries.delayMs ? ` every ${formatDuration(step.retries.delayMs)}` : ''}`
    : '';
  const cells = [
    String(n),
    PHASE_LABEL[step.phase],
    inlineCode(step.id),
    `${inlineCode(describeStep(step))}${condition}${onError}`,
    step.timeoutMs ? formatDuration(step.timeoutMs) : '',
    retries,
    step.boundary ? inlineCode(step.boundary) : '',
  ];
  return `| ${cells.join(' | ')} |`;
}
