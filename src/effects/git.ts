// Git through simple-git: thin verb-named adapters that throw GIT_FAILED and never print.
import { simpleGit, type SimpleGit } from 'simple-git';
import { CutoverError } from '../errors.js';

/** A simple-git client for a directory. */
export function gitClient(cwd: string): SimpleGit {
  return simpleGit({ baseDir: cwd, unsafe: { allowUnsafeHooksPath: true } });
}

/** The commit and branch checked out, or empty strings outside a repository or before the first commit. */
export async function readGitFacts({ cwd }: { cwd: string }): Promise<{ sha: string; branch: string }> {
  const git = gitClient(cwd);
  const sha = await git.revparse(['HEAD']).catch(() => '');
  const branch = await git.raw(['symbolic-ref', '--quiet', '--short', 'HEAD']).catch(() => '');
  return { sha: sha.trim(), branch: branch.trim() };
}

/** The top of the work tree containing `cwd`. */
export async function findRepositoryRoot({ cwd }: { cwd: string }): Promise<string> {
  try {
    return (await gitClient(cwd).revparse(['--show-toplevel'])).trim();
  } catch (cause) {
    throw new CutoverError('GIT_FAILED', `${cwd} is not inside a git repository`, { cause, hint: 'run cutover inside the repository that holds the plan' });
  }
}
