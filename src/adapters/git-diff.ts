// What a range of commits changed, as a pull request shows it: from the merge base of BASE and HEAD to HEAD.
import { CutoverError } from '../errors.js';
import { gitClient } from './git.js';

/** A commit range: the commits named, and where the diff starts (their merge base, or the empty tree). */
export interface CommitRange {
  base: string;
  head: string;
  /** The merge base of base and head; the empty tree when base is GitHub's all-zero "no commit". */
  from: string;
}

/** One file the range changed, with its line counts (null for a binary file). */
export interface FileChange {
  path: string;
  added: number | null;
  deleted: number | null;
}

const FETCH_HINT = 'fetch the history first (actions/checkout with fetch-depth: 0, or git fetch)';

/** True for GitHub's `before` of a push that created a branch: forty (or sixty-four) zeros. */
export function isNullCommit(rev: string): boolean {
  return /^0{40}$|^0{64}$/.test(rev);
}

/** Resolves BASE and HEAD to commits and finds where their diff starts. */
export async function resolveRange(base: string, head: string, { cwd }: { cwd: string }): Promise<CommitRange> {
  const headSha = await commitOf(head, cwd);
  if (isNullCommit(base)) return { base, head: headSha, from: await emptyTree(cwd) };
  const baseSha = await commitOf(base, cwd);
  try {
    const from = (await gitClient(cwd).raw(['merge-base', baseSha, headSha])).trim();
    if (!from) throw new Error('no merge base');
    return { base: baseSha, head: headSha, from };
  } catch (cause) {
    throw new CutoverError('GIT_FAILED', `${base} and ${head} have no common history here`, { cause, hint: FETCH_HINT });
  }
}

/** Every file that differs between two commits, with its added and deleted line counts; renames count as a delete and an add. */
export async function diffFiles(from: string, to: string, { cwd }: { cwd: string }): Promise<FileChange[]> {
  let out: string;
  try {
    out = await gitClient(cwd).raw(['diff', '--numstat', '-z', '--no-renames', '--no-ext-diff', '--no-textconv', from, to, '--']);
  } catch (cause) {
    throw new CutoverError('GIT_FAILED', `git could not diff ${from.slice(0, 12)}..${to.slice(0, 12)}`, { cause });
  }
  // With -z and no renames, each record is `added TAB deleted TAB path NUL`; `-` counts mean binary.
  return out
    .split('\0')
    .filter((record) => record !== '')
    .map((record) => {
      const [added = '-', deleted = '-', ...path] = record.split('\t');
      return { path: path.join('\t'), added: added === '-' ? null : Number(added), deleted: deleted === '-' ? null : Number(deleted) };
    });
}

/** The files of a commit's tree below a folder, repository-relative. */
export async function listFilesAt(rev: string, folder: string, { cwd }: { cwd: string }): Promise<string[]> {
  try {
    const out = await gitClient(cwd).raw(['ls-tree', '-r', '-z', '--name-only', '--full-tree', rev, '--', folder]);
    return out.split('\0').filter((path) => path !== '');
  } catch (cause) {
    throw new CutoverError('GIT_FAILED', `git could not list ${folder} at ${rev}`, { cause });
  }
}

async function commitOf(rev: string, cwd: string): Promise<string> {
  // --end-of-options: a name that starts with `-` is a revision, never an option.
  const sha = await gitClient(cwd)
    .raw(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`])
    .catch(() => '');
  if (!sha.trim()) throw new CutoverError('USAGE', `${rev} is not a commit in this repository`, { hint: FETCH_HINT });
  return sha.trim();
}

async function emptyTree(cwd: string): Promise<string> {
  // The empty tree's id depends on the repository's hash function (SHA-1 or SHA-256), so git is asked.
  return (await gitClient(cwd).raw(['hash-object', '-t', 'tree', '/dev/null'])).trim();
}
