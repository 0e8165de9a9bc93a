// The body of the pull-request comment `cutover review` writes: for each plan the change touches,
// what changed, the freeze verdict at HEAD, the approvals, what the executor will refuse, and what would
// run. The same facts always give the same bytes, and the body fits GitHub's comment limit.
import type { Problem } from '../errors.js';
import { describeDrift, type GateVerdict } from '../integrity/freeze-gate.js';
import type { PlanDiff } from '../plan/diff.js';
import type { ResolvedPlan } from '../plan/resolve.js';
import type { Refusal } from '../run/refusals.js';
import { escapeMarkdown, inlineCode } from '../text/markdown.js';
import { approvalsView } from './approvals.js';
import { fitSummary } from './files.js';
import { renderPreview } from './review-preview.js';

/** The hidden first line that marks cutover's comment, so a workflow finds and updates it in place. */
export const REVIEW_MARKER = '<!-- cutover-review -->';

/** GitHub's limit on a comment, in characters; the body is kept under it in UTF-8 bytes, never fewer than characters. */
export const REVIEW_LIMIT = 65_536;

/** Added and deleted lines of a file (null counts: a binary file). */
export interface FileLines {
  path: string;
  added: number | null;
  deleted: number | null;
}

/** Everything the review says about one plan. */
export interface PlanReview {
  path: string;
  lock: string;
  name?: string;
  /** How the plan file changed, null when it did not. `diff` is missing when one side is not a valid plan. */
  planChange: { lines: FileLines; isNew: boolean; diff?: PlanDiff } | null;
  lockChange: FileLines | null;
  /** Registry and input files the change touched, with their group (`registries/mapping`). */
  frozenChanges: (FileLines & { group: string })[];
  /** Problems of the plan at HEAD; an invalid plan has no verdict and no preview. */
  problems: Problem[];
  verdict?: GateVerdict;
  resolved?: ResolvedPlan;
  refusals: Refusal[];
}

/** The review of a change: the commits compared, the plans, and plan files the change deleted. */
export interface ReviewFacts {
  range: { base: string; head: string; from: string };
  plans: PlanReview[];
  removed: string[];
}

/** The comment body and whether anything had to be left out to fit. */
export interface ReviewBody {
  body: string;
  truncated: boolean;
}

const MAX_FILE_ROWS = 50;

/** Renders the comment; previews are shortened (the same number of rows for every plan) until it fits. */
export function renderReview(facts: ReviewFacts): ReviewBody {
  const whole = render(facts, Number.POSITIVE_INFINITY);
  if (fits(whole)) return { body: whole, truncated: false };
  let [low, high] = [0, Math.max(0, ...facts.plans.map((p) => (p.resolved ? Object.values(p.resolved.phases).flat().length : 0)))];
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (fits(render(facts, mid))) low = mid;
    else high = mid - 1;
  }
  const body = render(facts, low);
  if (fits(body)) return { body, truncated: true };
  return {
    body: fitSummary(
      body,
      REVIEW_LIMIT,
      "the comment is cut to fit GitHub's limit of 65,536 characters; `cutover review` prints all of it",
    ),
    truncated: true,
  };
}

function fits(body: string): boolean {
  return Buffer.byteLength(body) < REVIEW_LIMIT;
}

function render(facts: ReviewFacts, maxRows: number): string {
  const { range } = facts;
  const from =
    range.from === range.base
      ? inlineCode(short(range.base))
      : `${inlineCode(short(range.from))} (where ${inlineCode(short(range.base))} and HEAD meet)`;
  const out = [REVIEW_MARKER, '## cutover review', ''];
  const count = facts.plans.length;
  out.push(
    `Changes from ${from} to ${inlineCode(short(range.head))}: ${count === 0 ? 'no cutover plan is touched' : `${count} plan${count === 1 ? '' : 's'} to review`}.`,
  );
  if (facts.removed.length) out.push('', `Deleted plans (a deleted plan runs nothing): ${facts.removed.map(inlineCode).join(', ')}.`);
  for (const plan of facts.plans) out.push('', ...planSection(plan, range.head, maxRows));
  return `${out.join('\n')}\n`;
}

function planSection(p: PlanReview, head: string, maxRows: number): string[] {
  const blocking = p.refusals.filter((r) => r.now);
  const out = [`### ${blocking.length ? '❌' : '✅'} ${p.name ? `${inlineCode(p.name)} · ` : ''}${inlineCode(p.path)}`, ''];
  const verdict = p.verdict;
  out.push('| | |', '|---|---|');
  out.push(
    `| Freeze at ${inlineCode(short(head))} | ${verdict ? (verdict.frozen ? '✅ frozen' : '❌ not frozen') : '❌ not checked: the plan is invalid'} |`,
  );
  if (verdict) {
    const a = approvalsView(verdict);
    out.push(
      `| Approvals | ${a.required === 0 ? 'none required' : `${a.valid >= a.required ? '✅' : '❌'} ${a.valid} valid of ${a.required} required`} |`,
    );
  }
  out.push(`| Refused now | ${blocking.length ? `❌ ${blocking.map((r) => r.code).join(', ')}` : '✅ no: it runs once merged'} |`, '');
  out.push('#### What changed', '', ...changes(p), '');
  if (p.problems.length) {
    out.push('#### Problems', '');
    for (const problem of p.problems)
      out.push(
        `- ${problem.line ? `${inlineCode(`${problem.file ?? p.path}:${problem.line}:${problem.col ?? 1}`)} ` : ''}**${problem.code}** ${escapeMarkdown(problem.message)}`,
      );
    out.push('');
  }
  if (verdict) out.push(...freeze(verdict), ...approvals(verdict));
  out.push('#### The executor will refuse', '');
  for (const r of p.refusals) out.push(`- ${r.now ? '❌ now' : '⏳ while it holds'}: **${r.code}** ${escapeMarkdown(r.message)}`);
  if (p.resolved) out.push('', '#### What would run', '', renderPreview(p.resolved, p.path, maxRows).trimEnd());
  return out;
}

function changes(p: PlanReview): string[] {
  const out: string[] = [];
  if (!p.planChange) out.push('- **Plan**: unchanged');
  else
    out.push(
      `- **Plan**: ${p.planChange.isNew ? 'new' : 'changed'}, ${lines(p.planChange.lines)}${p.planChange.diff ? planDiff(p.planChange.diff) : ''}`,
    );
  out.push(`- **Lock** ${inlineCode(p.lock)}: ${p.lockChange ? `changed, ${lines(p.lockChange)}` : 'unchanged'}`);
  if (p.frozenChanges.length === 0) out.push('- **Frozen files**: none changed');
  else {
    out.push(`- **Frozen files**: ${p.frozenChanges.length} changed`, '', '| file | group | lines |', '|---|---|---:|');
    for (const f of p.frozenChanges.slice(0, MAX_FILE_ROWS)) out.push(`| ${inlineCode(f.path)} | ${inlineCode(f.group)} | ${lines(f)} |`);
    if (p.frozenChanges.length > MAX_FILE_ROWS)
      out.push('', `_and ${p.frozenChanges.length - MAX_FILE_ROWS} more; the pull request's files list shows them all._`);
  }
  return out;
}

function planDiff(d: PlanDiff): string {
  const parts = [
    d.added.length ? `steps added ${d.added.map(inlineCode).join(', ')}` : '',
    d.removed.length ? `steps removed ${d.removed.map(inlineCode).join(', ')}` : '',
    d.changed.length ? `steps changed ${d.changed.map(inlineCode).join(', ')}` : '',
    d.reordered.length ? `order changed in ${d.reordered.join(', ')}` : '',
    d.settings.length ? `also ${d.settings.map(inlineCode).join(', ')}` : '',
  ].filter(Boolean);
  return parts.length ? `: ${parts.join('; ')}` : ' (formatting or comments only)';
}

function freeze(v: GateVerdict): string[] {
  if (v.frozen)
    return [
      '#### Freeze',
      '',
      `✅ The plan, its registries and inputs are as the committed lock pins them (freeze digest ${inlineCode(v.freezeDigest)}).`,
      '',
    ];
  const out = [
    '#### Freeze',
    '',
    `❌ Not frozen: what the lock pins differs from HEAD (freeze digest now ${inlineCode(v.freezeDigest)}).`,
    '',
  ];
  for (const d of v.drift.slice(0, MAX_FILE_ROWS)) out.push(`- ${inlineCode(d.path)} ${escapeMarkdown(describeDrift(d))}`);
  if (v.drift.length > MAX_FILE_ROWS) out.push(`- _and ${v.drift.length - MAX_FILE_ROWS} more_`);
  out.push('', `Fix: ${inlineCode(`cutover freeze ${v.plan}`)}, then commit the lock and review its diff.`, '');
  return out;
}

function approvals(v: GateVerdict): string[] {
  const a = approvalsView(v);
  const out = [
    '#### Approvals',
    '',
    `${a.valid} of ${a.required} required approval${a.required === 1 ? '' : 's'} of freeze digest ${inlineCode(a.digest)}.`,
    '',
  ];
  if (a.rows.length === 0 && a.required === 0) return ['#### Approvals', '', 'None required (the plan sets no `approvals.required`).', ''];
  if (a.rows.length === 0) {
    if (a.required) out.push(`None yet: another person runs ${inlineCode(`cutover approve ${v.plan}`)} and commits the lock.`, '');
    return out;
  }
  out.push('| by | signed | counts |', '|---|---|---|');
  for (const row of a.rows)
    out.push(
      `| ${escapeMarkdown(row.by)} | ${row.signed ? '✅ signed' : 'no: a claim'} | ${row.counts ? '✅' : `❌ ${escapeMarkdown(row.why ?? '')}`} |`,
    );
  out.push('');
  return out;
}

function lines(f: FileLines): string {
  return f.added === null || f.deleted === null ? 'binary' : `+${f.added} −${f.deleted} lines`;
}

function short(sha: string): string {
  return sha.slice(0, 12);
}
