// Git through simple-git: thin verb-named adapters that throw GIT_FAILED and never print.
import { execFile } from 'node:child_process';
import { simpleGit, type SimpleGit } from 'simple-git';
import { CutoverError } from '../errors.js';

/** A simple-git client for a directory. */
export function gitClient(cwd: string): SimpleGit {
  return simpleGit({ baseDir: cwd, unsafe: { allowUnsafeHooksPath: true } });
}

/** The commit and branch checked out, or empty strings outside a repository or before the first commit. */
export async function readGitFacts({ cwd }: { cwd: string }): Promise<{ sha: string; branch: string }> {
  const git = gitClient(cwd);
  // One call for both; `--abbrev-ref` names a detached HEAD `HEAD`, which is no branch.
  const both = await git.revparse(['HEAD', '--abbrev-ref', 'HEAD']).catch(() => undefined);
  if (both !== undefined) {
    const [sha = '', branch = ''] = both.trim().split('\n');
    return { sha, branch: branch === 'HEAD' ? '' : branch };
  }
  // No commit yet: a branch is checked out all the same.
  const branch = await git.raw(['symbolic-ref', '--quiet', '--short', 'HEAD']).catch(() => '');
  return { sha: '', branch: branch.trim() };
}

// Repository roots this process found, with their git directories (asked for in the same call).
const gitDirs = new Map<string, string>();

/** The top of the work tree containing `cwd`. */
export async function findRepositoryRoot({ cwd }: { cwd: string }): Promise<string> {
  try {
    const [root = '', gitDir = ''] = (await gitClient(cwd).revparse(['--show-toplevel', '--absolute-git-dir'])).trim().split('\n');
    gitDirs.set(root, gitDir);
    return root;
  } catch (cause) {
    throw new CutoverError('GIT_FAILED', `${cwd} is not inside a git repository`, { cause, hint: 'run cutover inside the repository that holds the plan' });
  }
}

/** The absolute path of the repository's git directory (scratch space, run locks and journals live there). */
export async function readGitDir({ cwd }: { cwd: string }): Promise<string> {
  const known = gitDirs.get(cwd);
  if (known) return known;
  try {
    return (await gitClient(cwd).revparse(['--absolute-git-dir'])).trim();
  } catch (cause) {
    throw new CutoverError('GIT_FAILED', `${cwd} is not inside a git repository`, { cause });
  }
}

/** True when `path` exists in the tree of `rev`. */
export async function existsAtRevision(path: string, rev: string, { cwd }: { cwd: string }): Promise<boolean> {
  try {
    await gitClient(cwd).raw(['cat-file', '-e', `${rev}:${path}`]);
    return true;
  } catch {
    return false;
  }
}

/** A file's bytes at a revision, or undefined when the revision has no such file. */
export async function readAtRevision(path: string, rev: string, { cwd }: { cwd: string }): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    execFile('git', ['show', `${rev}:${path}`], { cwd, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 }, (error, stdout) => resolve(error ? undefined : stdout));
  });
}

/** Paths under the given pathspecs with uncommitted changes or untracked files (`git status --porcelain -z`). */
export async function dirtyPaths(paths: string[], { cwd }: { cwd: string }): Promise<string[]> {
  if (paths.length === 0) return [];
  const out = await gitClient(cwd).raw(['status', '--porcelain=v1', '-z', '--untracked-files=all', '--', ...paths.map((p) => `:(literal)${p}`)]);
  return out
    .split('\0')
    .filter((entry) => entry.length > 3)
    .map((entry) => entry.slice(3));
}

/** Files below `path` that git tracks and that are unchanged since HEAD (staged and work tree alike): git holds their bytes. */
export async function unchangedTrackedFiles(path: string, { cwd }: { cwd: string }): Promise<Set<string>> {
  const git = gitClient(cwd);
  const spec = `:(literal)${path}`;
  const split = (out: string) => out.split('\0').filter((entry) => entry !== '');
  try {
    const tracked = split(await git.raw(['ls-files', '-z', '--cached', '--', spec]));
    if (tracked.length === 0) return new Set();
    const changed = new Set(split(await git.raw(['status', '--porcelain=v1', '-z', '--untracked-files=no', '--no-renames', '--', spec])).map((entry) => entry.slice(3)));
    return new Set(tracked.filter((file) => !changed.has(file)));
  } catch (cause) {
    throw new CutoverError('GIT_FAILED', `cannot read git's view of ${JSON.stringify(path)}`, { cause });
  }
}

/** The newest commit of HEAD's history that touched `path`, or undefined when none did. */
export async function lastCommitTouching(path: string, { cwd }: { cwd: string }): Promise<string | undefined> {
  const out = await gitClient(cwd).raw(['rev-list', '-1', 'HEAD', '--', `:(literal)${path}`]).catch(() => '');
  return out.trim() || undefined;
}

/** True when `rev` names a commit. */
export async function revisionExists(rev: string, { cwd }: { cwd: string }): Promise<boolean> {
  // With --quiet a miss prints nothing, and simple-git then resolves instead of rejecting: look at the output.
  const out = await gitClient(cwd).raw(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]).catch(() => '');
  return out.trim() !== '';
}
