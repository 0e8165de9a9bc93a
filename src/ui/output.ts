// Writing results and problems in the chosen format: text for people, one JSON document, or GitHub commands.
import type chalk from 'chalk';
import { Chalk } from 'chalk';
import { formatProblem, isCutoverError, oneLineProblem, type Problem } from '../errors.js';
import type { CommandIo } from '../adapters/io.js';
import { annotation } from '../github/commands.js';
import { canonicalJson } from '../text/json.js';

/** A chalk instance that honours the io's colour setting. */
export function colors(io: Pick<CommandIo, 'color'>): typeof chalk {
  return new Chalk({ level: io.color ? 1 : 0 });
}

/** Writes problems to stderr as text lines (with hints) or GitHub annotations. */
export function writeProblems(problems: Problem[], io: CommandIo): void {
  const c = colors(io);
  // Problems not made by a CutoverError (validate's) are made one line here, hints included.
  for (const p of problems.map(oneLineProblem)) {
    if (io.format === 'github') {
      io.commands.write(
        annotation('error', `${p.code}: ${p.message}${p.hint ? ` (hint: ${p.hint})` : ''}`, {
          file: p.file,
          line: p.line,
          col: p.col,
          title: p.code,
        }),
      );
      continue;
    }
    io.stderr.write(`${formatProblem(p).replace(/error (\w+):/, (_m, code: string) => `${c.red('error')} ${c.bold(code)}:`)}\n`);
    if (p.hint) io.stderr.write(`  ${c.dim(`hint: ${p.hint}`)}\n`);
  }
}

/** Writes exactly one JSON document to stdout. */
export function writeJson(io: CommandIo, value: unknown): void {
  io.stdout.write(canonicalJson(value));
}

/** Exit code of an internal error (a bug), after sysexits' EX_SOFTWARE. */
export const EXIT_BUG = 70;

/** Prints an error: coded ones as problems (annotations in GitHub format), anything else as a bug with its stack. */
export function reportError(error: unknown, io: CommandIo): number {
  if (isCutoverError(error)) {
    if (io.format === 'json') writeJson(io, { ok: false, code: error.code, problems: error.problems });
    else writeProblems(error.problems, io);
    if (io.env.CUTOVER_DEBUG === '1') io.stderr.write(`${error.stack}\n`);
    return error.exitCode;
  }
  io.stderr.write(
    `cutover: internal error (a bug; please report it with this output)\n${(error as Error)?.stack ?? JSON.stringify(error)}\n`,
  );
  return EXIT_BUG;
}
