// Splits a `run:` string into argv words: shell quoting is honoured, shell features are not.
import { split } from 'shlex';

/** The words of a `run:` string, or why it cannot be split (for a `PLAN:LINE:COL` problem). */
export type SplitResult = { argv: string[] } | { error: string };

/**
 * Splits a `run:` string into words the way a POSIX shell quotes them (`'…'`, `"…"`, `\`, and
 * bash's `$'…'`), with nothing else special: `;`, `|`, `&&`, `>`, `$VAR`, `*` and `#` are plain
 * characters of a word, because the command runs without a shell (docs/plan-reference.md).
 */
export function splitCommand(run: string): SplitResult {
  let argv: string[];
  try {
    argv = split(run);
  } catch (error) {
    // shlex throws a plain Error for an unclosed quote or a trailing backslash.
    const reason = error instanceof Error ? error.message : String(error);
    return { error: `cannot split the command into words: ${reason.replace(/^Got EOF/, 'input ended')}` };
  }
  if (argv.length === 0) return { error: 'the command is empty' };
  if (argv[0] === '') return { error: 'the command name is empty' };
  return { argv };
}

/** A word as a POSIX shell reads it back: as it is when it holds only safe characters, else single-quoted. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Words that are shell operators: without a shell they reach the command as plain arguments. */
const OPERATORS = new Set(['>', '>>', '<', '|', '||', '&&', ';', '&', '2>&1']);

/** An unquoted shell operator (or command substitution) in a `run:` string and where it starts. */
export interface ShellWord {
  word: string;
  index: number;
}

/**
 * The words of a `run:` string a reader would take for shell syntax: an operator standing as a word
 * of its own and unquoted (`>`, `|`, `&&`, `2>&1`, …), or a word starting with `$(` or a backtick
 * (bare or in double quotes, where a shell would substitute it). Quoted operators (`'|'`) are meant as
 * arguments and not listed. `${{ }}` expressions count as part of their word.
 */
export function shellWords(run: string): ShellWord[] {
  // An expression may hold spaces and quotes; filler of the same length keeps offsets and words.
  const text = run.replace(/\$\{\{.*?\}\}/g, (m) => 'x'.repeat(m.length));
  const found: ShellWord[] = [];
  let start = -1;
  let quote: string | undefined;
  for (let i = 0; i <= text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === undefined || c === ' ' || c === '\t' || c === '\n') {
      if (start >= 0) {
        const word = text.slice(start, i);
        if (OPERATORS.has(word) || /^"?(?:\$\(|`)/.test(word)) found.push({ word: run.slice(start, i), index: start });
      }
      start = -1;
      continue;
    }
    if (start < 0) start = i;
    if (c === '\\') i++;
    else if (c === "'" || c === '"') quote = c;
  }
  return found;
}
