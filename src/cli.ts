#!/usr/bin/env node
// The command line: parses arguments, picks the output format, runs a command, sets the exit code.
import { Command, CommanderError, Option } from 'commander';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { EXIT, isCutoverError } from './errors.js';
import { writeJson, writeProblems } from './effects/output.js';
import type { CommandIo, OutputFormat } from './commands/io.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

interface GlobalOptions {
  format?: OutputFormat;
  cwd?: string;
  quiet?: boolean;
  verbose?: boolean;
}

/** The io a real process gets, from its global options and environment. */
function processIo(options: GlobalOptions): CommandIo {
  const env = process.env;
  const isTTY = Boolean(process.stdout.isTTY);
  const format = options.format ?? (env.GITHUB_ACTIONS === 'true' ? 'github' : 'text');
  const color = env.NO_COLOR ? false : env.FORCE_COLOR !== undefined ? env.FORCE_COLOR !== '0' : isTTY && format === 'text';
  return {
    cwd: resolve(options.cwd ?? process.cwd()),
    env,
    stdout: process.stdout,
    stderr: process.stderr,
    format,
    color,
    isTTY,
    quiet: Boolean(options.quiet),
    verbose: Boolean(options.verbose),
    now: () => new Date(),
  };
}

/** Builds the commander program; each action resolves to an exit code. */
function buildProgram(run: (action: (io: CommandIo) => Promise<number>) => Promise<void>): Command {
  const program = new Command('cutover')
    .description('Declarative GitOps executor for data-migration cutovers')
    .version(version)
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'github']))
    .option('--cwd <dir>', 'run as if started in DIR')
    .option('--quiet', 'print only problems')
    .option('--verbose', 'stream step output')
    .showHelpAfterError('(run `cutover --help` for usage)')
    .exitOverride();

  program
    .command('validate')
    .description('check plans against the schema and the semantic rules (all plans under plans/ when none is named)')
    .argument('[plans...]', 'plan files')
    .action((plans: string[]) => run(async (io) => (await import('./commands/validate.js')).validate({ plans }, io)));
  program
    .command('plan')
    .description('show the resolved plan and what would run, in order; changes nothing')
    .argument('<plan>', 'plan file')
    .option('--run-id <id>', 'the run id to resolve with')
    .action((file: string, o: { runId?: string }) => run(async (io) => (await import('./commands/plan.js')).plan({ plan: file, ...(o.runId ? { runId: o.runId } : {}) }, io)));
  program
    .command('schema')
    .description('print the plan JSON Schema')
    .action(() => run(async (io) => (await import('./commands/schema.js')).schema(io)));
  program
    .command('init')
    .description('scaffold a first plan (never overwrites)')
    .action(() => run(async (io) => (await import('./commands/init.js')).init(io)));
  return program;
}

/** Runs the command line and returns the exit code; only main() sets process.exitCode. */
async function main(argv: string[]): Promise<number> {
  let exitCode = EXIT.ok as number;
  let io: CommandIo | undefined;
  const program = buildProgram(async (action) => {
    io = processIo(program.opts<GlobalOptions>());
    exitCode = await action(io);
  });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; every other parse failure is a usage error (exit 2), already printed.
      return error.exitCode === 0 ? EXIT.ok : EXIT.invalid;
    }
    io ??= processIo(program.opts<GlobalOptions>());
    return reportError(error, io);
  }
  return exitCode;
}

/** Prints an error: coded ones as problems, anything else as a bug with its stack. */
function reportError(error: unknown, io: CommandIo): number {
  if (isCutoverError(error)) {
    if (io.format === 'json') writeJson(io, { ok: false, code: error.code, problems: error.problems });
    else writeProblems(error.problems, io);
    if (io.env.CUTOVER_DEBUG === '1') io.stderr.write(`${error.stack}\n`);
    return error.exitCode;
  }
  io.stderr.write(`cutover: internal error (a bug; please report it with this output)\n${(error as Error)?.stack ?? JSON.stringify(error)}\n`);
  return 70;
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`cutover: internal error (a bug; please report it with this output)\n${(error as Error)?.stack ?? JSON.stringify(error)}\n`);
    process.exitCode = 70;
  },
);
