// The command line: parses arguments, picks the output format, runs a command, sets the exit code.
import { Command, CommanderError, Option } from 'commander';
import { resolve } from 'node:path';
import { CutoverError, EXIT } from './errors.js';
import { parseDuration } from './text/duration.js';
import { finishGithubCommand } from './github/report.js';
import { EXIT_BUG, reportError } from './ui/output.js';
import { guardStreams } from './adapters/streams.js';
import { protectIo, type CommandIo, type OutputFormat } from './adapters/io.js';
import { VERSION } from './adapters/version.js';
import { distributionOf, type SpreadFlags } from './commands/spread-flags.js';

interface GlobalOptions {
  format?: OutputFormat;
  cwd?: string;
  quiet?: boolean;
  verbose?: boolean;
}

// Guarded before anything is printed: a closed stdout or stderr never stops a command (or a run's finally).
const streams = guardStreams(process);

/** The io a real process gets, from its global options and environment. */
function processIo(options: GlobalOptions): CommandIo {
  const env = process.env;
  const isTTY = Boolean(process.stdout.isTTY);
  const format = options.format ?? (env.GITHUB_ACTIONS === 'true' ? 'github' : 'text');
  const color = env.NO_COLOR ? false : env.FORCE_COLOR !== undefined ? env.FORCE_COLOR !== '0' : isTTY && format === 'text';
  return protectIo({
    cwd: resolve(options.cwd ?? process.cwd()),
    env,
    stdout: streams.stdout,
    stderr: streams.stderr,
    format,
    color,
    isTTY,
    columns: process.stdout.columns ?? 0,
    quiet: Boolean(options.quiet),
    verbose: Boolean(options.verbose),
    now: () => new Date(),
  });
}

/** What `cutover --help` adds below the commands: the exit codes and the environment (docs/cli.md). */
const HELP_AFTER = `
Exit codes:
  0            success
  1            a step failed (its produces put back, rollback and finally ran, the record written)
  2            invalid input: a plan, a flag, a file; nothing ran
  3            refused: drifted frozen files, missing approvals, a dirty tree, the run lock held,
               outside the window, not merged; nothing ran
  4            verification mismatch
  70           an internal error (a bug)
  129/130/143  interrupted by SIGHUP/SIGINT/SIGTERM (finally ran, the record was written)

Environment:
  NO_COLOR=1          no colours
  FORCE_COLOR=1       colours even when stdout is not a terminal (0 turns them off)
  CUTOVER_DEBUG=1     print the stack of every error
  GITHUB_ACTIONS=true the github format by default, the step summary and outputs written

Every command takes the options above; \`cutover COMMAND --help\` lists its own.
Documentation: docs/cli.md in the package.`;

/** What `run` and `rehearse` both take: the run id, a drill, and the grace before SIGKILL. */
interface StepRunFlags {
  runId?: string;
  failAt?: string;
  grace: string;
}

/** The options of `run` and `rehearse` that pass straight to the run: the run id, a drill, the grace. */
function stepRunOptions(o: StepRunFlags): { runId?: string; failAt?: string; graceMs: number } {
  return { ...(o.runId ? { runId: o.runId } : {}), ...(o.failAt ? { failAt: o.failAt } : {}), graceMs: parseGrace(o.grace) };
}

/** Adds the options `run` and `rehearse` share. */
function withStepRunOptions(command: Command): Command {
  return command
    .option('--run-id <id>', 'the run id (overrides spec.runId and the default)')
    .option('--fail-at <step>', 'drill: that step (or one shard, STEP[VALUE]) fails on purpose and rollback and finally run for real')
    .option('--grace <duration>', "how long a step's process group has between SIGTERM and SIGKILL", '5s');
}

/** A command that takes one plan file as its argument. */
function planCommand(program: Command, name: string, description: string): Command {
  return program.command(name).description(description).argument('<plan>', 'plan file');
}

/** Builds the commander program; each action resolves to an exit code. */
function buildProgram(run: (action: (io: CommandIo) => Promise<number>) => Promise<void>): Command {
  const program = new Command('cutover')
    .description('Declarative GitOps executor for data-migration cutovers')
    .version(VERSION)
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'github']))
    .option('--cwd <dir>', 'run as if started in DIR')
    .option('--quiet', 'print only problems, failed steps and the final lines')
    .option('--verbose', 'stream step output')
    .showHelpAfterError('(run `cutover --help` for usage)')
    // Every command's --help lists these too: they go before or after the command's own.
    .configureHelp({ showGlobalOptions: true })
    .addHelpText('after', HELP_AFTER)
    .exitOverride();

  program
    .command('validate')
    .description('check plans against the schema and the semantic rules (all plans under plans/ when none is named)')
    .argument('[plans...]', 'plan files')
    .action((plans: string[]) => run(async (io) => (await import('./commands/validate.js')).validate({ plans }, io)));
  planCommand(program, 'plan', 'show the resolved plan and what would run, in order; changes nothing')
    .option('--run-id <id>', 'the run id to resolve with')
    .action((file: string, o: { runId?: string }) =>
      run(async (io) => (await import('./commands/plan.js')).plan({ plan: file, ...(o.runId ? { runId: o.runId } : {}) }, io)),
    );
  planCommand(program, 'matrix', 'list the shards of a matrix step (with --format github, as the job output `shards`)')
    .argument('<step>', 'the matrix step')
    .action((file: string, step: string) => run(async (io) => (await import('./commands/matrix.js')).matrix({ plan: file, step }, io)));
  planCommand(program, 'freeze', 'hash the registries and inputs and write the lock beside the plan')
    .option('--check', 'write nothing; exit 3 when the lock is missing or stale')
    .action((file: string, o: { check?: boolean }) =>
      run(async (io) => (await import('./commands/freeze.js')).freeze({ plan: file, check: Boolean(o.check) }, io)),
    );
  planCommand(program, 'status', 'frozen or not, and exactly which files drifted').action((file: string) =>
    run(async (io) => (await import('./commands/status.js')).status({ plan: file }, io)),
  );
  program
    .command('changed')
    .description('the plans a change touches: the plan, its lock, or a file its registries or inputs match')
    .argument('<base>', 'where the change starts: a commit, or its merge base with HEAD (forty zeros: every plan)')
    .argument('[head]', 'where it ends', 'HEAD')
    .action((base: string, head: string) => run(async (io) => (await import('./commands/changed.js')).changed({ base, head }, io)));
  program
    .command('review')
    .description('the Markdown of a pull-request comment: per plan what changed, the freeze, approvals, refusals, what would run')
    .argument('[plans...]', 'plan files (default: the plans the change touches)')
    .requiredOption('--base <ref>', "the pull request's base; the change is from where it and HEAD meet to HEAD")
    .option('--out <file>', 'also write the body to FILE')
    .action((plans: string[], o: { base: string; out?: string }) =>
      run(async (io) => (await import('./commands/review.js')).review({ plans, base: o.base, ...(o.out ? { out: o.out } : {}) }, io)),
    );
  planCommand(program, 'approve', "record the caller's approval of the current freeze digest in the lock (a commit of its own)")
    .option(
      '--key <path>',
      'sign the approval with this SSH key (ssh-keygen -Y sign; a public key works when ssh-agent holds its private key)',
    )
    .option(
      '--principal <name>',
      'with --key: the allowed-signers principal you approve as (default: the one the signers file gives the key, else your git e-mail)',
    )
    .action((file: string, o: { key?: string; principal?: string }) =>
      run(async (io) =>
        (await import('./commands/approve.js')).approve(
          { plan: file, ...(o.key ? { key: o.key } : {}), ...(o.principal ? { principal: o.principal } : {}) },
          io,
        ),
      ),
    );
  withStepRunOptions(planCommand(program, 'run', 'run the plan: preflight, steps, rollback, finally, hashes, record, commit'))
    .option('--no-commit', 'write the record but do not commit it')
    .option('--push', 'push the record commit to the upstream')
    .option('--resume', 'continue the unfinished run of this plan')
    .option('--require-merged <ref>', 'refuse unless the plan and lock are byte-equal to those in REF')
    .option('--author <identity>', 'author of the record commit, "Name <email>"')
    .option('--until <step>', 'spread run, coordinator: run the steps before matrix step STEP, write the hand-off (with --handoff)')
    .option('--shard <id>', "spread run: run one shard, STEP[VALUE], from the coordinator's hand-off (with --handoff and --out)")
    .option('--handoff <dir>', 'the hand-off folder: written by --until, read by --shard')
    .option('--out <dir>', "the shard's bundle folder (with --shard)")
    .option('--join <dirs...>', 'spread run, join: the hand-off and shard folders; runs the rest, rollback, finally, commits the record')
    .action(
      (
        file: string,
        o: SpreadFlags & {
          runId?: string;
          commit: boolean;
          push?: boolean;
          resume?: boolean;
          requireMerged?: string;
          failAt?: string;
          author?: string;
          grace: string;
        },
      ) =>
        run(async (io) =>
          (await import('./commands/run.js')).run(
            {
              plan: file,
              commit: o.commit,
              ...stepRunOptions(o),
              ...(o.push ? { push: true } : {}),
              ...(o.resume ? { resume: true } : {}),
              ...(o.requireMerged ? { requireMerged: o.requireMerged } : {}),
              ...(o.author ? { author: o.author } : {}),
              ...distributionOf(o),
            },
            io,
          ),
        ),
    );
  withStepRunOptions(
    planCommand(
      program,
      'rehearse',
      'run the plan as the work tree holds it, unfrozen, in a disposable work tree; commits nothing, proves nothing',
    ),
  )
    .option('--in-place', 'run in the work tree itself (the steps change it) instead of a disposable one')
    .action((file: string, o: { inPlace?: boolean; runId?: string; failAt?: string; grace: string }) =>
      run(async (io) =>
        (await import('./commands/rehearse.js')).rehearse(
          {
            plan: file,
            inPlace: Boolean(o.inPlace),
            ...stepRunOptions(o),
          },
          io,
        ),
      ),
    );
  planCommand(
    program,
    'abandon',
    'end an unfinished run (after a crash) without running anything: commit a record of what had run, clear its journal',
  )
    .option('--author <identity>', 'author of the record commit, "Name <email>"')
    .action((file: string, o: { author?: string }) =>
      run(async (io) => (await import('./commands/abandon.js')).abandon({ plan: file, ...(o.author ? { author: o.author } : {}) }, io)),
    );
  program
    .command('history')
    .description('past runs, newest first, from the record commits: date, plan, run id, outcome, root, commit, record')
    .argument('[plans...]', 'only the runs of these plan files')
    .option('--limit <n>', 'how many runs to list', '20')
    .action((plans: string[], o: { limit: string }) =>
      run(async (io) => (await import('./commands/history.js')).history({ plans, limit: o.limit }, io)),
    );
  program
    .command('show')
    .description("one run record: outcome, boundaries, steps, artifacts and roots, the failed step's last lines (json: run.json)")
    .argument('<record>', 'a record folder, or the run id of a committed record')
    .action((record: string) => run(async (io) => (await import('./commands/show.js')).show({ record }, io)));
  planCommand(
    program,
    'diff',
    'the content diff of the plan and its frozen files since the lock was last committed; exit 1 when they differ',
  ).action((file: string) => run(async (io) => (await import('./commands/diff.js')).diff({ plan: file }, io)));
  planCommand(program, 'unlock', 'remove a stale run lock, given the id its refusal printed')
    .argument('<id>', 'the run lock id')
    .action((file: string, id: string) => run(async (io) => (await import('./commands/unlock.js')).unlock({ plan: file, id }, io)));
  program
    .command('verify')
    .description('recompute and compare everything a committed run record claims')
    .argument('<record>', 'the record folder')
    .option('--artifacts <dir>', 'check artifacts stored under DIR/<artifact name> instead of their paths')
    .action((record: string, o: { artifacts?: string }) =>
      run(async (io) => (await import('./commands/verify.js')).verify({ record, ...(o.artifacts ? { artifacts: o.artifacts } : {}) }, io)),
    );
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
    streams.stderr.write(
      `cutover: internal error (a bug; please report it with this output)\n${(error as Error)?.stack ?? JSON.stringify(error)}\n`,
    );
    process.exitCode = EXIT_BUG;
  },
);
