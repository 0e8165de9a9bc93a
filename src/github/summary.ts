// Markdown for GitHub's step summary: validation results, the plan preview, a refusal; and the outcome name.
import type { Problem } from '../errors.js';
import { codeBlock, escapeMarkdown, inlineCode } from '../text/markdown.js';

/** What the `outcome` output says for each exit code (docs/cli.md, "Exit codes"). */
const OUTCOMES: Record<number, string> = {
  0: 'success',
  1: 'failure',
  2: 'invalid',
  3: 'refused',
  4: 'mismatch',
  129: 'interrupted',
  130: 'interrupted',
  143: 'interrupted',
};

/**
 * The `outcome` output of a command that ended with `exitCode` (and these problems): success, failure,
 * invalid, refused, mismatch, interrupted, or error when git or the file system failed (a rejected
 * push is not an invalid input, whatever its exit code) or cutover hit a bug.
 */
export function outcomeOf(exitCode: number, problems: readonly Problem[] = []): string {
  if (problems.some((p) => p.code === 'GIT_FAILED' || p.code === 'IO_FAILED')) return 'error';
  return OUTCOMES[exitCode] ?? 'error';
}

/** The summary of `cutover validate`: one row a plan, then each invalid plan's problems at their lines. */
export function validateSummary(results: readonly { file: string; problems: readonly Problem[] }[]): string {
  const invalid = results.filter((r) => r.problems.length > 0);
  const headline = invalid.length
    ? `❌ ${invalid.length} of ${results.length} plan${results.length === 1 ? '' : 's'} invalid`
    : `✅ ${results.length} plan${results.length === 1 ? '' : 's'} valid`;
  const out = [`## cutover validate: ${headline}`, '', '| plan | result |', '|---|---|'];
  for (const r of results)
    out.push(
      `| ${inlineCode(r.file)} | ${r.problems.length ? `❌ ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}` : '✅ valid'} |`,
    );
  for (const r of invalid) {
    out.push('', `### ${inlineCode(r.file)}`, '');
    for (const p of r.problems) out.push(`- ${problemLine(p)}`);
  }
  return `${out.join('\n')}\n`;
}

/** The summary of `cutover plan`: its text preview (already masked) in a code block. */
export function planSummary(name: string, file: string, preview: string): string {
  return `## cutover plan: ${inlineCode(name)} (${inlineCode(file)})\n\n${codeBlock(preview, 'text')}`;
}

/** The summary of a command that was refused or failed before it could report anything else. */
export function failureSummary(command: string, exitCode: number, problems: readonly Problem[], hint?: string): string {
  const out = [`## ❌ cutover ${escapeMarkdown(command)}: ${outcomeOf(exitCode, problems)} (exit ${exitCode})`, ''];
  for (const p of problems) out.push(`- ${problemLine(p)}`);
  if (hint && !problems.some((p) => p.hint === hint)) out.push('', `Hint: ${escapeMarkdown(hint)}`);
  return `${out.join('\n')}\n`;
}

/** `file:line:col` · CODE · message (hint). */
function problemLine(p: Problem): string {
  const where = p.file ? `${inlineCode(`${p.file}${p.line ? `:${p.line}:${p.col ?? 1}` : ''}`)} ` : '';
  return `${where}**${p.code}** ${escapeMarkdown(p.message)}${p.hint ? ` _(hint: ${escapeMarkdown(p.hint)})_` : ''}`;
}
