// Markdown that shows text as written: the one escaper of report.md, step summaries and review comments.
import { oneLine } from '../errors.js';

/** Text that Markdown shows as written, on one line: no emphasis, links, HTML, headings or table breaks. */
export function escapeMarkdown(text: string): string {
  return oneLine(text)
    .replace(/[\\`*_{}[\]()#+!|~>]/g, (c) => `\\${c}`)
    .replace(/</g, '&lt;');
}

/**
 * Text for inside a backtick code span, on one line: no backtick can end the span and no pipe can
 * split a table cell (code spans show backslashes as written, so these two are replaced, not escaped).
 */
export function codeText(text: string): string {
  return oneLine(text).replace(/`/g, "'").replace(/\|/g, '¦');
}

/** A code span holding `text` (see codeText). */
export function inlineCode(text: string): string {
  return `\`${codeText(text)}\``;
}

/** True when codeText would change `text`: an inline span cannot show it exactly. */
export function needsCodeBlock(text: string): boolean {
  return codeText(text) !== text;
}

/** A backtick fence longer than any run of backticks in `text`, so the block cannot be closed early. */
export function codeFence(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  return '`'.repeat(Math.max(3, longest + 1));
}

/** A fenced code block showing `text` exactly (an info string such as `text` or `sh`, optional). */
export function codeBlock(text: string, info = ''): string {
  const fence = codeFence(text);
  return `${fence}${info}\n${text.endsWith('\n') ? text : `${text}\n`}${fence}\n`;
}

/** Text for inside HTML elements and attribute values (`<summary>`, `<code>`). */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
