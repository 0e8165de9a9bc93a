// What every command receives from the outside world: the working directory, env, streams and clock,
// with the last word on what reaches stdout and stderr: secrets masked, GitHub's lines escaped.
import { createMasker, type Masker } from '../text/mask.js';
import { escapeLogText, LINE_START, type LineState } from '../text/workflow-escape.js';

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
  /**
   * Text for the reader. Every write is masked with the secrets added so far (a JSON document
   * inside its strings only) and, in GitHub's format, escaped line by line so that no line of it
   * can be read as a workflow command (src/text/workflow-escape.ts).
   */
  stdout: Sink;
  /** The same for stderr (the runner reads workflow commands there too). */
  stderr: Sink;
  /**
   * Workflow commands to stdout, built escaped by src/github/commands.ts, and a step's output
   * between `::stop-commands::` and its token: masked, otherwise written as they are.
   */
  commands: Sink;
  /** Masks these values in everything written from now on (print their `::add-mask::` lines first). */
  addSecrets(values: readonly string[]): void;
  /** A text masked as the writes are: for what a command writes elsewhere (GitHub's step files). */
  mask(text: string): string;
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

/** What an io is made of: everything but the guarded writers, which `protectIo` adds. */
export type IoBase = Omit<CommandIo, 'commands' | 'addSecrets' | 'mask'>;

/**
 * The io a command gets: `base` with its stdout and stderr guarded (see CommandIo). One masker
 * serves both streams and grows as secrets are added; each stream keeps the state of its open line,
 * so text split across writes is escaped as the runner will read it.
 */
export function protectIo(base: IoBase): CommandIo {
  let secrets: string[] = [];
  let masker: Masker = createMasker([]);
  const github = base.format === 'github';
  const guarded = (raw: Sink) => {
    let line: LineState = LINE_START;
    const track = (text: string) => {
      if (github) line = escapeLogText(text, line).state;
      return text;
    };
    return {
      plain: {
        write(chunk: string) {
          const masked = maskChunk(masker, chunk);
          if (!github) return raw.write(masked);
          const escaped = escapeLogText(masked, line);
          line = escaped.state;
          return raw.write(escaped.text);
        },
      },
      verbatim: { write: (chunk: string) => raw.write(track(maskChunk(masker, chunk))) },
    };
  };
  const stdout = guarded(base.stdout);
  const stderr = guarded(base.stderr);
  return {
    ...base,
    stdout: stdout.plain,
    stderr: stderr.plain,
    commands: stdout.verbatim,
    addSecrets(values) {
      const added = values.filter((v) => v !== '' && !secrets.includes(v));
      if (added.length === 0) return;
      secrets = [...secrets, ...added];
      masker = createMasker(secrets);
    },
    mask: (text) => masker.mask(text),
  };
}

/** A JSON object or array (a command's one `--format json` document) keeps its shape; other text is masked whole. */
function maskChunk(masker: Masker, chunk: string): string {
  if (masker.identity) return chunk;
  return /^\s*[[{]/.test(chunk) && isJson(chunk) ? masker.maskJson(chunk) : masker.mask(chunk);
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Builds a CommandIo for tests or embedding, capturing output in strings. */
export function memoryIo(overrides: Partial<IoBase> = {}): CommandIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const io = protectIo({
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
  });
  return { ...io, out: () => out, err: () => err };
}
