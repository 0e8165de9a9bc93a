// Text inside Markdown that shows as written: report.md and GitHub's step summary.
import { oneLine } from '../errors.js';

/** Escapes text for a Markdown table cell or paragraph: one line, no HTML, emphasis, links or table breaks. */
export function escapeMarkdown(text: string): string {
  return oneLine(text)
    .replace(/[\\`*_{}[\]()#+!|~>]/g, (c) => `\\${c}`)
    .replace(/</g, '&lt;');
}

/** Text for inside a code span: one line, no backtick can end it, no pipe can split a table cell. */
export function codeSpanText(text: string): string {
  return oneLine(text).replace(/`/g, "'").replace(/\|/g, '¦');
}
