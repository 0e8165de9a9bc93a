// Git through simple-git: thin verb-named adapters that throw GIT_FAILED and never print.
import { execFile } from 'node:child_process';
import { lstatSync } from 'node:fs';
import { copyFile, mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
    throw new CutoverError('GIT_FAILED', `${cwd} is not inside a git repository`, {
      cause,
      hint: 'run cutover inside the repository that holds the plan',
    });
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
    execFile('git', ['show', `${rev}:${path}`], { cwd, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 }, (error, stdout) =>
      resolve(error ? undefined : stdout),
    );
  });
}

/** Paths under the given pathspecs with uncommitted changes or untracked files (`git status --porcelain -z`). */
export async function dirtyPaths(paths: string[], { cwd }: { cwd: string }): Promise<string[]> {
  if (paths.length === 0) return [];
  const out = await gitClient(cwd).raw([
    'status',
    '--porcelain=v1',
    '-z',
    '--untracked-files=all',
    '--',
    ...paths.map((p) => `:(literal)${p}`),
  ]);
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
    const changed = new Set(
      split(await git.raw(['status', '--porcelain=v1', '-z', '--untracked-files=no', '--no-renames', '--', spec])).map((entry) =>
        entry.slice(3),
      ),
    );
    return new Set(tracked.filter((file) => !changed.has(file)));
  } catch (cause) {
    throw new CutoverError('GIT_FAILED', `cannot read git's view of ${JSON.stringify(path)}`, { cause });
  }
}

/** The newest commit of HEAD's history that touched `path`, or undefined when none did. */
export async function lastCommitTouching(path: string, { cwd }: { cwd: string }): Promise<string | undefined> {
  const out = await gitClient(cwd)
    .raw(['rev-list', '-1', 'HEAD', '--', `:(literal)${path}`])
    .catch(() => '');
  return out.trim() || undefined;
}

/** True when `rev` names a commit. */
export async function revisionExists(rev: string, { cwd }: { cwd: string }): Promise<boolean> {
  // With --quiet a miss prints nothing, and simple-git then resolves instead of rejecting: look at the output.
  const out = await gitClient(cwd)
    .raw(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`])
    .catch(() => '');
  return out.trim() !== '';
}

/** The absolute path of the repository's common git directory (shared by all its work trees). */
export async function readCommonGitDir({ cwd }: { cwd: string }): Promise<string> {
  return (await runGit(['rev-parse', '--path-format=absolute', '--git-common-dir'], { cwd }, 'find the git directory')).trim();
}

/** True in a shallow clone (one that lacks older history). */
export async function isShallowRepository({ cwd }: { cwd: string }): Promise<boolean> {
  return (
    (
      await gitClient(cwd)
        .raw(['rev-parse', '--is-shallow-repository'])
        .catch(() => '')
    ).trim() === 'true'
  );
}

/** The committer dates (ISO 8601) of every commit of HEAD's history this clone holds, newest first. */
export async function listCommitDates({ cwd }: { cwd: string }): Promise<string[]> {
  return (await runGit(['log', '--format=%cI', 'HEAD'], { cwd }, 'read the history')).split('\n').filter(Boolean);
}

/** A commit of `listTrailerCommits`: its id, committer date, subject, trailers and the files it touched that the pathspec matched. */
export interface TrailerCommit {
  commit: string;
  date: string;
  subject: string;
  trailers: [string, string][];
  files: string[];
}

/**
 * The commits of HEAD's history, newest first, whose message has a line matching `grep` (a basic
 * regular expression) and that touched a path `pathspec` matches, with their trailers as git's own
 * parser reads them. Every commit is looked at (`--full-history`), merged branches included.
 */
export async function listTrailerCommits(grep: string, pathspec: string, { cwd }: { cwd: string }): Promise<TrailerCommit[]> {
  const format = '%x1e%H%x1f%cI%x1f%s%x1f%(trailers:only,unfold)%x1f';
  const out = await runGit(
    ['log', '-z', '--full-history', '--name-only', `--format=${format}`, `--grep=${grep}`, 'HEAD', '--', pathspec],
    { cwd },
    'read the history',
  ).catch((error: unknown) => {
    // No commit yet: no history to read.
    if (/does not have any commits|unknown revision/.test((error as Error).message)) return '';
    throw error;
  });
  return out
    .split('\x1e')
    .filter(Boolean)
    .map((chunk) => {
      const [commit = '', date = '', subject = '', block = '', names = ''] = chunk.split('\x1f');
      const trailers = block
        .split('\n')
        .map((line) => /^([^:\s]+):\s*(.*?)\s*$/.exec(line))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [m[1] as string, m[2] as string] as [string, string]);
      const files = names
        .split('\0')
        .map((name) => name.replace(/^\n/, ''))
        .filter(Boolean);
      return { commit, date, subject, trailers, files };
    });
}

/** One path that differs between a commit and the work tree. */
export interface PathChange {
  path: string;
  change: 'added' | 'removed' | 'changed';
}

/**
 * The difference between `commit` and the work tree for the given paths only: which changed and the
 * patch (`git diff` text). The paths are staged into a temporary index built from `commit`, so the
 * real index is never touched and untracked and ignored files are compared too.
 */
export async function diffWorkTree(
  commit: string,
  paths: readonly string[],
  { cwd, color = false }: { cwd: string; color?: boolean },
): Promise<{ changes: PathChange[]; patch: string }> {
  return withTempIndex(async (env, scratch) => {
    await runGit(['read-tree', commit], { cwd, env }, `read commit ${commit.slice(0, 12)}`);
    // A pathspec that matches nothing stops `git add`: only paths the commit or the work tree has.
    const committed = new Set((await runGit(['ls-files', '-z'], { cwd, env }, 'list the commit')).split('\0'));
    const present = paths.filter((p) => committed.has(p) || lstatSync(join(cwd, p), { throwIfNoEntry: false }) !== undefined);
    if (present.length) {
      const list = join(scratch, 'paths');
      await writeFile(list, present.map((p) => `:(literal)${p}`).join('\0'));
      await runGit(
        ['add', '--all', '--force', `--pathspec-from-file=${list}`, '--pathspec-file-nul'],
        { cwd, env },
        'compare the work tree',
      );
    }
    const base = ['diff', '--cached', '--no-renames', '--no-ext-diff', '--no-textconv'];
    const status = await runGit([...base, '--name-status', '-z', commit], { cwd, env }, 'compare the work tree');
    const fields = status.split('\0').filter(Boolean);
    const changes: PathChange[] = [];
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const letter = fields[i] as string;
      changes.push({ path: fields[i + 1] as string, change: letter === 'A' ? 'added' : letter === 'D' ? 'removed' : 'changed' });
    }
    const patch = changes.length
      ? await runGit([...base, `--color=${color ? 'always' : 'never'}`, commit], { cwd, env }, 'compare the work tree')
      : '';
    return { changes, patch };
  });
}

/**
 * The tree of the work tree as it stands: HEAD with every tracked change and every untracked file
 * that is not ignored, written as git objects through a temporary index. Neither the index nor the
 * work tree is touched. Returns the tree's id.
 */
export async function snapshotWorkTree({ cwd }: { cwd: string }): Promise<string> {
  const gitDir = await readGitDir({ cwd });
  return withTempIndex(async (env) => {
    const copied = await copyIndex(join(gitDir, 'index'), env.GIT_INDEX_FILE);
    if (!copied) await runGit(['read-tree', 'HEAD'], { cwd, env }, 'read HEAD');
    await runGit(['add', '--all'], { cwd, env }, 'snapshot the work tree');
    return (await runGit(['write-tree'], { cwd, env }, 'snapshot the work tree')).trim();
  });
}

/**
 * Copies the index keeping its modification time (false when there is none): git trusts an entry's
 * cached stat only when the file is older than the index, and re-reads the content of a file changed
 * in the same second as the index was written. A copy stamped "now" would make such a file look unchanged.
 */
export async function copyIndex(from: string, to: string): Promise<boolean> {
  try {
    const { atime, mtime } = await stat(from);
    await copyFile(from, to);
    await utimes(to, atime, mtime);
    return true;
  } catch {
    return false;
  }
}

/** Adds a work tree at `path` on a detached HEAD holding `tree` (no checkout hooks run). */
export async function addWorktree(path: string, tree: string, { cwd }: { cwd: string }): Promise<void> {
  await runGit(['worktree', 'add', '--quiet', '--detach', '--no-checkout', path, 'HEAD'], { cwd }, 'add a work tree');
  await runGit(['read-tree', '-u', '--reset', tree], { cwd: path }, 'fill the work tree');
}

/** Removes a work tree `addWorktree` made, whatever it holds, and git's record of it. */
export async function removeWorktree(path: string, { cwd }: { cwd: string }): Promise<void> {
  await runGit(['worktree', 'remove', '--force', '--force', path], { cwd }, 'remove the work tree').catch(async () => {
    await rm(path, { recursive: true, force: true });
    await runGit(['worktree', 'prune'], { cwd }, 'prune work trees');
  });
}

// A temporary index (and a scratch folder for argument files) that is removed afterwards, whatever happens.
async function withTempIndex<T>(action: (env: { GIT_INDEX_FILE: string }, scratch: string) => Promise<T>): Promise<T> {
  const scratch = await mkdtemp(join(tmpdir(), 'cutover-index-'));
  try {
    return await action({ GIT_INDEX_FILE: join(scratch, 'index') }, scratch);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

// git with extra environment variables (which simple-git filters), throwing GIT_FAILED with git's first line.
function runGit(args: string[], { cwd, env = {} }: { cwd: string; env?: Record<string, string> }, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, env: { ...process.env, ...env }, maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      const detail = (stderr || error.message).trim().split('\n')[0];
      reject(new CutoverError('GIT_FAILED', `git could not ${what}: ${detail}`, { cause: error }));
    });
  });
}
