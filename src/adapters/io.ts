// What every command receives from the outside world: the working directory, env, streams and clock.

/** Output formats every command understands. */
export type OutputFormat = 'text' | 'json' | 'github';

/** A sink for text; process.stdout and test buffers both fit. */
export interface Sink {
  write(chunk: string): unknown;
}

/** I/O passed into commands, so tests can call them directly. */
export interface CommandIo {
  /** Repository root (or the directory `--cwd` named). */
  cwd: string;
  env: Record<string, string | undefined>;
  stdout: Sink;
  stderr: Sink;
  format: OutputFormat;
  /** Colours on or off (NO_COLOR / FORCE_COLOR already applied). */
  color: boolean;
  /** stdout is an interactive terminal (listr2's default renderer only then). */
  isTTY: boolean;
  /** The terminal's width in columns; 0 or absent when it does not say (a pseudo-terminal never sized). */
  columns?: number;
  quiet: boolean;
  verbose: boolean;
  now: () => Date;
}

/** Builds a CommandIo for tests or embedding, capturing output in strings. */
export function memoryIo(overrides: Partial<CommandIo> = {}): CommandIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    cwd: process.cwd(),
    env: {},
    stdout: { write: (c: string) => (out += c) },
    stderr: { write: (c: string) => (err += c) },
    format: 'text',
    color: false,
    isTTY: false,
    quiet: false,
    verbose: false,
    now: () => new Date(),
    ...overrides,
    out: () => out,
    err: () => err,
  };
}
