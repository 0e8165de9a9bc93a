// The action's inputs as the runner passes them: INPUT_<NAME> upper-cased, hyphens kept, values trimmed.
import { expect, it } from 'vitest';
import { readInputs } from '../../src/action/inputs.js';
import { isCutoverError } from '../../src/errors.js';

function usageOf(env: Record<string, string>): string {
  try {
    readInputs(env);
  } catch (error) {
    if (isCutoverError(error) && error.code === 'USAGE') return error.message;
    throw error;
  }
  throw new Error('no usage error');
}

it('reads every input under the name the runner gives it', () => {
  expect(
    readInputs({
      INPUT_COMMAND: ' run ',
      INPUT_PLAN: 'plans/station-56.yaml\n',
      INPUT_PUSH: 'True',
      'INPUT_RUN-ID': 'gh-1-1',
      'INPUT_REQUIRE-MERGED': 'origin/main',
      INPUT_FORMAT: 'text',
      INPUT_VERBOSE: 'FALSE',
      'INPUT_WORKING-DIRECTORY': 'repo',
    }),
  ).toEqual({
    command: 'run',
    plans: ['plans/station-56.yaml'],
    push: true,
    runId: 'gh-1-1',
    requireMerged: 'origin/main',
    format: 'text',
    verbose: false,
    workingDirectory: 'repo',
  });
});

it('defaults as action.yml does, and takes several plans (or none) for validate', () => {
  expect(readInputs({ INPUT_COMMAND: 'validate', INPUT_PUSH: '', INPUT_FORMAT: '' })).toEqual({
    command: 'validate',
    plans: [],
    push: false,
    format: 'github',
    verbose: true,
  });
  expect(readInputs({ INPUT_COMMAND: 'validate', INPUT_PLAN: 'plans/a.yaml\r\n\n  plans/b.yaml  \n' }).plans).toEqual([
    'plans/a.yaml',
    'plans/b.yaml',
  ]);
  expect(readInputs({ INPUT_COMMAND: 'verify', INPUT_RECORD: 'reports/p/r1' }).record).toBe('reports/p/r1');
});

it('refuses what it cannot run', () => {
  expect(usageOf({})).toBe('the command input is required');
  expect(usageOf({ INPUT_COMMAND: 'deploy' })).toBe('command "deploy" is not one the action runs');
  expect(usageOf({ INPUT_COMMAND: 'plan' })).toBe('plan needs exactly one plan (got 0)');
  expect(usageOf({ INPUT_COMMAND: 'verify' })).toBe('verify needs the record input');
  expect(usageOf({ INPUT_COMMAND: 'run', INPUT_PLAN: 'p.yaml', INPUT_PUSH: 'yes' })).toBe('push is "yes", not a boolean');
  expect(usageOf({ INPUT_COMMAND: 'validate', INPUT_FORMAT: 'xml' })).toBe('format "xml" is not one of github, text, json');
});
