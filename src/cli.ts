#!/usr/bin/env node
// The command line: parses arguments, picks the output format, runs a command, sets the exit code.
import { Command, CommanderError, Option } from 'commander';
import { resolve } from 'node:path';
import { CutoverError, EXIT } from './errors.js';
import { parseDuration } from './text/duration.js';
import { finishGithubCommand } from './github/report.js';
import { EXIT_BUG, reportError } from './ui/output.js';
import type { CommandIo, OutputFormat } from './adapters/io.js';
import { VERSION } from './adapters/version.js';


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
    columns: process.stdout.columns ?? 0,
    quiet: Boolean(options.quiet),
    verbose: Boolean(options.verbose),
    now: () => new Date(),
  };
}

/** Builds the commander program; each action resolves to an exit code. */
function buildProgram(run: (action: (io: CommandIo) => Promise<number>) => Promise<void>): Command {
  const program = new Command('cutover')
    .description('Declarative GitOps executor for data-migration cutovers')
    .version(VERSION)
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
    .command('freeze')
    .description('hash the registries and inputs and write the lock beside the plan')
    .argument('<plan>', 'plan file')
    .option('--check', 'write nothing; exit 3 when the lock is missing or stale')
    .action((file: string, o: { check?: boolean }) => run(async (io) => (await import('./commands/freeze.js')).freeze({ plan: file, check: Boolean(o.check) }, io)));
  program
    .command('status')
    .description('frozen or not, and exactly which files drifted')
    .argument('<plan>', 'plan file')
    .action((file: string) => run(async (io) => (await import('./commands/status.js')).status({ plan: file }, io)));
  program
    .command('approve')
    .description("record the caller's approval of the current freeze digest in the lock (a commit of its own)")
    .argument('<plan>', 'plan file')
    .action((file: string) => run(async (io) => (await import('./commands/approve.js')).approve({ plan: file }, io)));
  program
    .command('run')
    .description('run the plan: preflight, steps, rollback, finally, hashes, record, commit')
    .argument('<plan>', 'plan file')
    .option('--run-id <id>', 'the run id (overrides spec.runId and the default)')
    .option('--no-commit', 'write the record but do not commit it')
    .option('--push', 'push the record commit to the upstream')
    .option('--resume', 'continue the unfinished run of this plan')
    .option('--require-merged <ref>', 'refuse unless the plan and lock are byte-equal to those in REF')
    .option('--fail-at <step>', 'drill: that step (or one shard, STEP[VALUE]) fails on purpose and rollback and finally run for real')
    .option('--author <identity>', 'author of the record commit, "Name <email>"')
    .option('--grace <duration>', "how long a step's process group has between SIGTERM and SIGKILL", '5s')
    .action((file: string, o: { runId?: string; commit: boolean; push?: boolean; resume?: boolean; requireMerged?: string; failAt?: string; author?: string; grace: string }) =>
      run(async (io) =>
        (await import('./commands/run.js')).run(
          {
            plan: file,
            commit: o.commit,
            ...(o.runId ? { runId: o.runId } : {}),
            ...(o.push ? { push: true } : {}),
            ...(o.resume ? { resume: true } : {}),
            ...(o.requireMerged ? { requireMerged: o.requireMerged } : {}),
            ...(o.failAt ? { failAt: o.failAt } : {}),
            ...(o.author ? { author: o.author } : {}),
            graceMs: parseGrace(o.grace),
          },
          io,
        ),
      ),
    );
  program
    .command('unlock')
    .description('remove a stale run lock, given the id its refusal printed')
    .argument('<plan>', 'plan file')
    .argument('<id>', 'the run lock id')
    .action((file: string, id: string) => run(async (io) => (await import('./commands/unlock.js')).unlock({ plan: file, id }, io)));
  program
    .command('verify')
    .description('recompute and compare everything a committed run record claims')
    .argument('<record>', 'the record folder')
    .option('--artifacts <dir>', 'check artifacts stored under DIR/<artifact name> instead of their paths')
    .action((record: string, o: { artifacts?: string }) => run(async (io) => (await import('./commands/verify.js')).verify({ record, ...(o.artifacts ? { artifacts: o.artifacts } : {}) }, io)));
  program
    .command('hash')
    .description('manifest and Merkle root of a file or folder; inclusion proofs')
    .argument('[path]', 'file or folder')
    .option('--manifest', 'print the manifest (sha256sum format)')
    .option('--prove <file>', 'print the inclusion proof of FILE (a path inside PATH)')
    .option('--check-proof <proof>', 'verify an inclusion proof (JSON) against its root')
    .option('--root <root>', 'with --check-proof: the root to check against')
    .action((path: string | undefined, o: { manifest?: boolean; prove?: string; checkProof?: string; root?: string }) =>
      run(async (io) => (await import('./commands/hash.js')).hash({ ...(path ? { path } : {}), ...o }, io)),
    );
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

/** `--grace` as milliseconds; a usage error when it is not a duration. */
function parseGrace(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new CutoverError('USAGE', `--grace ${text} is not a duration`, { hint: 'write it like 500ms, 5s or 1m' });
  return ms;
}

/** Runs the command line and returns the exit code; only main() sets process.exitCode. */
async function main(argv: string[]): Promise<number> {
  let exitCode = EXIT.ok as number;
  let io: CommandIo | undefined;
  let command = 'cutover';
  const program = buildProgram(async (action) => {
    io = processIo(program.opts<GlobalOptions>());
    exitCode = await action(io);
  });
  program.hook('preAction', (_program, actionCommand) => {
    command = actionCommand.name();
  });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; every other parse failure is a usage error (exit 2), already printed.
      return error.exitCode === 0 ? EXIT.ok : EXIT.invalid;
    }
    io ??= processIo(program.opts<GlobalOptions>());
    exitCode = reportError(error, io);
    await finishGithubCommand(io, command, exitCode, error);
    return exitCode;
  }
  // In GitHub Actions: the `outcome` output of every command (and, on an error, a summary of it above).
  if (io) await finishGithubCommand(io, command, exitCode);
  return exitCode;
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`cutover: internal error (a bug; please report it with this output)\n${(error as Error)?.stack ?? JSON.stringify(error)}\n`);
    process.exitCode = EXIT_BUG;
  },
);
