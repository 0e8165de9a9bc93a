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
