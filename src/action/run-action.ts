// The action as a function: the runner's inputs mapped onto the same command functions the CLI calls,
// in GitHub's format. Nothing here reimplements a command; it only chooses one and reports its end.
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { guardStreams } from '../adapters/streams.js';
import { protectIo, type CommandIo, type OutputFormat } from '../adapters/io.js';
import { changed } from '../commands/changed.js';
import { plan } from '../commands/plan.js';
import { review } from '../commands/review.js';
import { run } from '../commands/run.js';
import { status } from '../commands/status.js';
import { validate } from '../commands/validate.js';
import { verify } from '../commands/verify.js';
import { finishGithubCommand } from '../github/report.js';
import { reportError } from '../ui/output.js';
import { readInput, readInputs, type ActionInputs } from './inputs.js';

/** The io the action runs a command with: the runner's environment and streams, no terminal. */
export function actionIo(
  env: Record<string, string | undefined>,
  options: { cwd: string; format: OutputFormat; verbose: boolean },
): CommandIo {
  const { stdout, stderr } = guardStreams(process);
  return protectIo({
    cwd: options.cwd,
    env,
    stdout,
    stderr,
    format: options.format,
    color: !env.NO_COLOR && env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0',
    isTTY: false,
    quiet: false,
    verbose: options.verbose,
    now: () => new Date(),
  });
}

/** Runs the command the inputs name and returns its exit code; refusals and failures throw as in the CLI. */
export async function dispatch(inputs: ActionInputs, io: CommandIo): Promise<number> {
  switch (inputs.command) {
    case 'validate':
      return validate({ plans: inputs.plans }, io);
    case 'plan':
      return plan({ plan: inputs.plans[0] as string, ...(inputs.runId ? { runId: inputs.runId } : {}) }, io);
    case 'run':
      return run(
        {
          plan: inputs.plans[0] as string,
          commit: true,
          ...(inputs.push ? { push: true } : {}),
          ...(inputs.runId ? { runId: inputs.runId } : {}),
          ...(inputs.requireMerged ? { requireMerged: inputs.requireMerged } : {}),
        },
        io,
      );
    case 'verify':
      return verify({ record: inputs.record as string }, io);
    case 'status':
      return status({ plan: inputs.plans[0] as string }, io);
    case 'changed':
      return changed({ base: inputs.base as string, ...(inputs.head ? { head: inputs.head } : {}) }, io);
    case 'review':
      // The runner's temp folder belongs to this job and is emptied after it: the comment file's place.
      return review(
        { plans: inputs.plans, base: inputs.base as string, out: join(io.env.RUNNER_TEMP || tmpdir(), 'cutover-review.md') },
        io,
      );
  }
}

/** The whole action: read the inputs, run the command, set the outcome output; returns the exit code. */
export async function runAction(env: Record<string, string | undefined>, cwd: string): Promise<number> {
  // Until the inputs are read, problems with them are reported in GitHub's format.
  let io = actionIo(env, { cwd, format: 'github', verbose: false });
  const command = readInput(env, 'command') || 'action';
  try {
    const inputs = readInputs(env);
    io = actionIo(env, { cwd: resolve(cwd, inputs.workingDirectory ?? '.'), format: inputs.format, verbose: inputs.verbose });
    const exitCode = await dispatch(inputs, io);
    await finishGithubCommand(io, command, exitCode);
    return exitCode;
  } catch (error) {
    const exitCode = reportError(error, io);
    await finishGithubCommand(io, command, exitCode, error);
    return exitCode;
  }
}
