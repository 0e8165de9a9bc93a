// One error type for everything cutover refuses or reports; the code decides the exit status.

/** Closed set of error codes. */
export type ErrorCode =
  | 'USAGE'
  | 'PLAN_IO'
  | 'PLAN_TOO_LARGE'
  | 'PLAN_ENCODING'
  | 'PLAN_SYNTAX'
  | 'PLAN_YAML_FEATURE'
  | 'PLAN_SCHEMA'
  | 'PLAN_REFERENCE'
  | 'PLAN_DUPLICATE'
  | 'PLAN_EXPRESSION'
  | 'PLAN_DURATION'
  | 'PLAN_PATH'
  | 'PLAN_INTERPOLATION'
  | 'PLAN_WINDOW'
  | 'PLAN_ARTIFACT'
  | 'PATH_UNSAFE'
  | 'ARTIFACT_INVALID'
  | 'PROOF_INVALID'
  | 'LOCK_INVALID'
  | 'REGISTRY_UNFROZEN'
  | 'APPROVAL_MISSING'
  | 'APPROVAL_REFUSED'
  | 'SSH_UNAVAILABLE'
  | 'RUN_LOCKED'
  | 'WINDOW_CLOSED'
  | 'TREE_DIRTY'
  | 'NOT_MERGED'
  | 'NOT_ON_BRANCH'
  | 'RECORD_EXISTS'
  | 'RESUME_REFUSED'
  | 'NO_UNFINISHED_RUN'
  | 'RECORD_NOT_FOUND'
  | 'STEP_FAILED'
  | 'INTERRUPTED'
  | 'VERIFY_MISMATCH'
  | 'GIT_FAILED'
  | 'GIT_LOCKED'
  | 'IO_FAILED'
  | 'FILE_EXISTS'
  | 'HANDOFF_INVALID'
  | 'HANDOFF_MISMATCH';

/** Exit codes of the command line (docs/cli.md, "Exit codes"). */
export const EXIT = {
  ok: 0,
  stepFailed: 1,
  invalid: 2,
  refused: 3,
  mismatch: 4,
  sighup: 129,
  sigint: 130,
  sigterm: 143,
} as const;

const EXIT_BY_CODE: Record<ErrorCode, number> = {
  USAGE: EXIT.invalid,
  PLAN_IO: EXIT.invalid,
  PLAN_TOO_LARGE: EXIT.invalid,
  PLAN_ENCODING: EXIT.invalid,
  PLAN_SYNTAX: EXIT.invalid,
  PLAN_YAML_FEATURE: EXIT.invalid,
  PLAN_SCHEMA: EXIT.invalid,
  PLAN_REFERENCE: EXIT.invalid,
  PLAN_DUPLICATE: EXIT.invalid,
  PLAN_EXPRESSION: EXIT.invalid,
  PLAN_DURATION: EXIT.invalid,
  PLAN_PATH: EXIT.invalid,
  PLAN_INTERPOLATION: EXIT.invalid,
  PLAN_WINDOW: EXIT.invalid,
  PLAN_ARTIFACT: EXIT.invalid,
  PATH_UNSAFE: EXIT.invalid,
  ARTIFACT_INVALID: EXIT.invalid,
  PROOF_INVALID: EXIT.mismatch,
  LOCK_INVALID: EXIT.invalid,
  REGISTRY_UNFROZEN: EXIT.refused,
  APPROVAL_MISSING: EXIT.refused,
  APPROVAL_REFUSED: EXIT.refused,
  SSH_UNAVAILABLE: EXIT.refused,
  RUN_LOCKED: EXIT.refused,
  WINDOW_CLOSED: EXIT.refused,
  TREE_DIRTY: EXIT.refused,
  NOT_MERGED: EXIT.refused,
  NOT_ON_BRANCH: EXIT.refused,
  RECORD_EXISTS: EXIT.refused,
  RESUME_REFUSED: EXIT.refused,
  NO_UNFINISHED_RUN: EXIT.refused,
  RECORD_NOT_FOUND: EXIT.invalid,
  STEP_FAILED: EXIT.stepFailed,
  INTERRUPTED: EXIT.sigint,
  VERIFY_MISMATCH: EXIT.mismatch,
  GIT_FAILED: EXIT.invalid,
  GIT_LOCKED: EXIT.refused,
  IO_FAILED: EXIT.invalid,
  FILE_EXISTS: EXIT.refused,
  HANDOFF_INVALID: EXIT.invalid,
  HANDOFF_MISMATCH: EXIT.refused,
};

/** Where in a file a problem is. Lines and columns count from 1. */
export interface Position {
  file: string;
  line?: number;
  col?: number;
}

/** A problem found while reading or checking something; the pure core collects these. */
export interface Problem {
  code: ErrorCode;
  message: string;
  file?: string;
  line?: number;
  col?: number;
  hint?: string;
}

/** The one error type: a coded, user-facing failure (never a bug). */
export class CutoverError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly position: Position | undefined;
  /** Further problems reported together with this one (all of a plan's mistakes at once). */
  readonly problems: Problem[];
  exitCode: number;

  constructor(
    code: ErrorCode,
    message: string,
    options: { hint?: string; position?: Position; cause?: unknown; problems?: Problem[]; exitCode?: number } = {},
  ) {
    // Messages quote what they are about (a file's bytes, a parser's error, an env value): every
    // one is made a single line here, so no quoted text can start a line of its own in any output.
    super(oneLine(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CutoverError';
    this.code = code;
    this.hint = options.hint === undefined ? undefined : oneLine(options.hint);
    this.position = options.position;
    this.problems = (options.problems ?? [{ code, message, ...options.position, ...(options.hint ? { hint: options.hint } : {}) }]).map(
      oneLineProblem,
    );
    this.exitCode = options.exitCode ?? EXIT_BY_CODE[code];
  }
}

/** The exit code a given error code leads to. */
export function exitCodeFor(code: ErrorCode): number {
  return EXIT_BY_CODE[code];
}

/** Wraps a list of problems (all from one or more plans) into one error. */
export function problemsError(problems: Problem[]): CutoverError {
  const first = problems[0];
  if (!first) throw new Error('problemsError needs at least one problem');
  const exitCode = Math.max(...problems.map((p) => EXIT_BY_CODE[p.code]));
  return new CutoverError(first.code, first.message, {
    problems,
    exitCode,
    ...(first.hint ? { hint: first.hint } : {}),
    ...(first.file ? { position: { file: first.file, line: first.line, col: first.col } } : {}),
  });
}

/** Formats a problem as `FILE:LINE:COL error CODE: message`, on one line. */
export function formatProblem(p: Problem): string {
  const q = oneLineProblem(p);
  const where = q.file ? `${q.file}${q.line ? `:${q.line}:${q.col ?? 1}` : ''}: ` : '';
  return `${where}error ${q.code}: ${q.message}`;
}

/** A message as one line: each run of line breaks becomes a space (records, commit messages and logs say the same). */
export function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

/** A problem whose message, hint and file name are each one line. */
export function oneLineProblem(p: Problem): Problem {
  return {
    ...p,
    message: oneLine(p.message),
    ...(p.file !== undefined ? { file: oneLine(p.file) } : {}),
    ...(p.hint !== undefined ? { hint: oneLine(p.hint) } : {}),
  };
}

/** True for errors cutover raised on purpose; anything else is a bug. */
export function isCutoverError(e: unknown): e is CutoverError {
  return e instanceof CutoverError;
}

/** The exit code of a run interrupted by `signal`: 128 + its number, SIGINT's for any other reason. */
export function signalExit(signal: unknown): number {
  return signal === 'SIGTERM' ? EXIT.sigterm : signal === 'SIGHUP' ? EXIT.sighup : EXIT.sigint;
}
