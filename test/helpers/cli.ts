// Runs the built CLI (dist/cli.js) as a user would, capturing output and exit code.
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Absolute path of the built CLI. */
export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/** Result of one CLI run. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment the CLI runs with in tests: the caller's, without GitHub's or CI's variables or colours, plus `extra`. */
export function cliEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: Record<string, string | undefined> = {
    ...process.env,
    NO_COLOR: '1',
    GITHUB_ACTIONS: '',
    CI: '',
    CUTOVER_DEBUG: '',
    GITHUB_STEP_SUMMARY: '',
    GITHUB_OUTPUT: '',
  };
  delete env.FORCE_COLOR;
  return { ...env, ...extra } as NodeJS.ProcessEnv;
}

/** True where util-linux `script` can give the CLI a real pseudo-terminal. */
export const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Runs `cutover ARGS` in `cwd` with a controlled environment (no inherited GitHub/CI variables). */
export function cutover(
  args: string[],
  options: { cwd?: string; env?: Record<string, string | undefined>; input?: string } = {},
): CliResult {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? process.cwd(),
    env: cliEnv(options.env),
    input: options.input ?? '',
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Removes ANSI colour codes. */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, '');
}
