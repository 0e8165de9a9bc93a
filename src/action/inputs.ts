// The action's inputs, read from the INPUT_* variables the runner sets (the names of action.yml, upper-cased).
import { CutoverError } from '../errors.js';
import type { OutputFormat } from '../adapters/io.js';

/** The commands the action runs. */
export const ACTION_COMMANDS = ['validate', 'plan', 'run', 'verify', 'status', 'changed', 'review'] as const;

/** One of the action's commands. */
export type ActionCommand = (typeof ACTION_COMMANDS)[number];

/** The action's inputs, checked. */
export interface ActionInputs {
  command: ActionCommand;
  /** Plan files: any number for validate (none: every plan under plans/) and review (none: those changed), exactly one for plan, run and status. */
  plans: string[];
  /** changed and review: where the change starts (its merge base with head). */
  base?: string;
  /** changed: where the change ends (HEAD by default). */
  head?: string;
  /** The record folder, for verify. */
  record?: string;
  push: boolean;
  runId?: string;
  requireMerged?: string;
  format: OutputFormat;
  verbose: boolean;
  workingDirectory?: string;
}

/** An input's value as the runner passes it: `INPUT_<NAME>`, spaces as `_`, trimmed (what @actions/core does). */
export function readInput(env: Record<string, string | undefined>, name: string): string {
  return (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
}

/** Reads and checks the inputs; a missing or unknown value is a usage error (exit 2). */
export function readInputs(env: Record<string, string | undefined>): ActionInputs {
  const command = readInput(env, 'command');
  if (!(ACTION_COMMANDS as readonly string[]).includes(command)) {
    throw usage(
      command ? `command ${JSON.stringify(command)} is not one the action runs` : 'the command input is required',
      `set command to one of ${ACTION_COMMANDS.join(', ')}`,
    );
  }
  const plans = readInput(env, 'plan')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
  if ((command === 'plan' || command === 'run' || command === 'status') && plans.length !== 1) {
    throw usage(`${command} needs exactly one plan (got ${plans.length})`, 'set plan to the plan file, for example plans/station-56.yaml');
  }
  const record = readInput(env, 'record');
  if (command === 'verify' && !record)
    throw usage('verify needs the record input', 'set record to the record folder, for example reports/station-56/gh-123-1');
  const base = readInput(env, 'base');
  if ((command === 'changed' || command === 'review') && !base) {
    throw usage(
      `${command} needs the base input`,
      "set base to the pull request's base, for example ${{ github.event.pull_request.base.sha }}",
    );
  }
  const head = readInput(env, 'head');
  const format = readInput(env, 'format') || 'github';
  if (format !== 'github' && format !== 'text' && format !== 'json')
    throw usage(`format ${JSON.stringify(format)} is not one of github, text, json`);
  const runId = readInput(env, 'run-id');
  const requireMerged = readInput(env, 'require-merged');
  const workingDirectory = readInput(env, 'working-directory');
  return {
    command: command as ActionCommand,
    plans,
    ...(record ? { record } : {}),
    ...(base ? { base } : {}),
    ...(head ? { head } : {}),
    push: readBoolean(env, 'push', false),
    ...(runId ? { runId } : {}),
    ...(requireMerged ? { requireMerged } : {}),
    format,
    verbose: readBoolean(env, 'verbose', true),
    ...(workingDirectory ? { workingDirectory } : {}),
  };
}

/** A boolean input in the YAML 1.2 core spellings @actions/core's getBooleanInput accepts. */
function readBoolean(env: Record<string, string | undefined>, name: string, fallback: boolean): boolean {
  const value = readInput(env, name);
  if (value === '') return fallback;
  if (['true', 'True', 'TRUE'].includes(value)) return true;
  if (['false', 'False', 'FALSE'].includes(value)) return false;
  throw usage(`${name} is ${JSON.stringify(value)}, not a boolean`, 'write true or false');
}

function usage(message: string, hint?: string): CutoverError {
  return new CutoverError('USAGE', message, hint ? { hint } : {});
}
