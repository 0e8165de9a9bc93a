// Every form a secret value can take in what cutover writes: the one list each masker and `::add-mask::` use.
import { oneLine } from '../errors.js';
import { codeText, escapeMarkdown } from './markdown.js';
import { escapeData, escapeProperty } from './workflow-escape.js';

/**
 * Secret values shorter than this many characters (ignoring surrounding white space) are not
 * masked: starring every `a` or `1` in a log destroys the log and, by the pattern of stars, tells a
 * reader the value anyway. The lead may warn about such values; they are never silently "safe".
 */
export const MIN_SECRET_LENGTH = 4;

/**
 * How deep a value is JSON-escaped on its way out: a reason quotes a JSON value (1) and lands in
 * run.json or `--format json` (2); a JSON text held in a JSON string value adds one more (3).
 */
const JSON_DEPTH = 3;

// A JSON string's body: `"` and `\` escaped, control characters as \n, \r, \t or \u00XX.
const jsonBody = (text: string): string => JSON.stringify(text).slice(1, -1);

// The last escape on the way out: none, a workflow command's message or property (annotations,
// add-mask, plain lines in GitHub's format), Markdown text or a code span (report.md, the step summary).
const LAST_ESCAPES: ((text: string) => string)[] = [(text) => text, escapeData, escapeProperty, escapeMarkdown, codeText];

/**
 * The strings a masker looks for, for each secret value: the value, and each of its lines trimmed
 * (a multi-line value such as a key is often printed line by line, as GitHub Actions also
 * assumes); each of those as one line (line breaks as spaces, as messages and Markdown write
 * them); each of those JSON-escaped up to JSON_DEPTH times; and each of those once more through
 * the escapes of workflow commands and Markdown. Values, lines and forms shorter than
 * MIN_SECRET_LENGTH are left out.
 */
export function secretVariants(secrets: readonly string[]): string[] {
  const variants = new Set<string>();
  for (const value of secrets) {
    for (const base of [value, ...value.split(/\r\n|\r|\n/).map((line) => line.trim())]) {
      if (!longEnough(base)) continue;
      for (const lined of new Set([base, oneLine(base)])) {
        let json = lined;
        for (let depth = 0; depth <= JSON_DEPTH; depth++) {
          for (const last of LAST_ESCAPES) variants.add(last(json));
          json = jsonBody(json);
        }
      }
    }
  }
  return [...variants].filter(longEnough);
}

/** Whether a text is long enough to be masked (see MIN_SECRET_LENGTH). */
export function longEnough(text: string): boolean {
  return [...text.trim()].length >= MIN_SECRET_LENGTH;
}
