// Git adapters for frozen files: their work-tree state, what git hides of it, the caller's identity,
// and a commit of given paths only.
import { lstat, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { CutoverError } from '../errors.js';
import { gitClient } from './git.js';

/** How git sees one path: untracked (or ignored), or tracked with changes staged and/or not. */
export interface PathState {
  path: string;
  state: 'untracked' | 'ignored' | 'changed';
  /** The two-letter porcelain v1 code (`??`, `!!`, ` M`, `M `, `A `, ` D`, …). */
  code: string;
}

/** A commit made of given paths only. */
export interface CommitRequest {
  paths: readonly string[];
  message: string;
  /** `Name <email>`: the commit's author. */
  author: string;
}

// Pathspecs go to git in chunks so a large registry never overflows the argument list.
const PATHSPEC_CHUNK = 1000;
const IDENTITY_PART = /^[^<>\n]+$/;

/** A GIT_FAILED error saying what git could not do, with the first line of its message. */
export function gitFailed(what: string, cause: unknown, hint?: string): CutoverError {
  const detail = cause instanceof Error ? cause.message.trim().split('\n')[0] : String(cause);
  return new CutoverError('GIT_FAILED', `git could not ${what}: ${detail}`, { cause, ...(hint ? { hint } : {}) });
}

/** A pathspec that matches exactly this path: no glob or magic in a file name is ever interpreted. */
export function literalPathspec(path: string): string {
  return `:(literal)${path}`;
}

/**
 * The git state of the given repository-relative paths that are not committed as they are: untracked,
 * ignored, or with uncommitted changes (staged or not, including deletions). Clean tracked paths and
 * paths git does not know and that do not exist are absent from the result.
 */
export async function readPathStates(paths: readonly string[], { cwd }: { cwd: string }): Promise<Map<string, PathState>> {
  const wanted = new Set(paths);
  const states = new Map<string, PathState>();
  const git = gitClient(cwd);
  const unique = [...wanted];
  for (let i = 0; i < unique.length; i += PATHSPEC_CHUNK) {
    const specs = unique.slice(i, i + PATHSPEC_CHUNK).map(literalPathspec);
    let output: string;
    try {
      output = await git.raw([
        'status',
        '--porcelain=v1',
        '-z',
        '--untracked-files=all',
        '--ignored=traditional',
        '--no-renames',
        '--',
        ...specs,
      ]);
    } catch (cause) {
      throw gitFailed('read the work tree status', cause);
    }
    for (const record of output.split('\0')) {
      if (record.length < 4) continue;
      const code = record.slice(0, 2);
      const path = record.slice(3);
      if (!wanted.has(path)) continue;
      const state = code === '??' ? 'untracked' : code === '!!' ? 'ignored' : 'changed';
      states.set(path, { path, state, code });
    }
  }
  return states;
}

/** An index flag that tells git not to compare a path with the work tree. */
export type IndexFlag = 'skip-worktree' | 'assume-unchanged';

/**
 * The given paths whose index entries carry `skip-worktree` or `assume-unchanged` (`git ls-files -v`
 * shows them as `S` and in lowercase): git's status says nothing about their changes. The whole index
 * is listed once: thousands of pathspecs cost git far more than one pass over every entry.
 */
export async function readHiddenPaths(paths: readonly string[], { cwd }: { cwd: string }): Promise<Map<string, IndexFlag[]>> {
  const wanted = new Set(paths);
  const hidden = new Map<string, IndexFlag[]>();
  let output: string;
  try {
    output = await gitClient(cwd).raw(['ls-files', '-v', '-z']);
  } catch (cause) {
    throw gitFailed("read the index's flags", cause);
  }
  for (const record of output.split('\0')) {
    const path = record.slice(2);
    if (!wanted.has(path)) continue;
    const tag = record[0]!;
    const flags: IndexFlag[] = [];
    if (tag === 'S' || tag === 's') flags.push('skip-worktree');
    if (tag !== tag.toUpperCase()) flags.push('assume-unchanged');
    if (flags.length) hidden.set(path, flags);
  }
  return hidden;
}

/**
 * The given paths that lie inside a nested repository or a submodule (a folder below the root that
 * holds `.git`), each with that folder. Git reports such a folder as one untracked entry, or as a
 * commit id, and never looks at the files inside it.
 */
export async function findNestedRepositories(paths: readonly string[], { cwd }: { cwd: string }): Promise<Map<string, string>> {
  const isRepository = new Map<string, Promise<boolean>>();
  const check = (folder: string) => {
    let known = isRepository.get(folder);
    if (!known)
      isRepository.set(
        folder,
        (known = lstat(join(cwd, folder, '.git')).then(
          () => true,
          () => false,
        )),
      );
    return known;
  };
  const nested = new Map<string, string>();
  await Promise.all(
    paths.map(async (path) => {
      const parts = posix
        .dirname(path)
        .split('/')
        .filter((p) => p !== '.');
      for (let i = 1; i <= parts.length; i++) {
        const folder = parts.slice(0, i).join('/');
        if (await check(folder)) return void nested.set(path, folder);
      }
    }),
  );
  return nested;
}

/** The caller's git identity as `Name <email>`, from `user.name` and `user.email`. */
export async function readGitIdentity({ cwd }: { cwd: string }): Promise<string> {
  const git = gitClient(cwd);
  let name: string | null;
  let email: string | null;
  try {
    name = (await git.getConfig('user.name')).value;
    email = (await git.getConfig('user.email')).value;
  } catch (cause) {
    throw gitFailed('read user.name and user.email', cause);
  }
  const hint = 'set them with `git config user.name "Your Name"` and `git config user.email you@example.com`';
  if (!name?.trim() || !email?.trim())
    throw new CutoverError('GIT_FAILED', 'no git identity: user.name and user.email must both be set', { hint });
  if (!IDENTITY_PART.test(name.trim()) || !IDENTITY_PART.test(email.trim())) {
    throw new CutoverError('GIT_FAILED', 'the git identity must not contain "<", ">" or a line break', { hint });
  }
  return `${name.trim()} <${email.trim()}>`;
}

/**
 * Commits exactly the given tracked paths, whatever else is staged, with repository hooks disabled
 * (an empty hooks directory), and checks that the commit changed those paths and nothing else.
 * Returns the new commit's id.
 */
export async function commitPaths({ paths, message, author }: CommitRequest, { cwd }: { cwd: string }): Promise<string> {
  const git = gitClient(cwd);
  const hooks = await mkdtemp(join(tmpdir(), 'cutover-hooks-'));
  try {
    await git.raw([
      '-c',
      `core.hooksPath=${hooks}`,
      'commit',
      '--quiet',
      '--no-verify',
      '--only',
      `--author=${author}`,
      '-m',
      message,
      '--',
      ...paths.map(literalPathspec),
    ]);
  } catch (cause) {
    throw gitFailed('commit', cause);
  } finally {
    await rm(hooks, { recursive: true, force: true });
  }
  let sha: string;
  let changed: string[];
  try {
    sha = (await git.revparse(['HEAD'])).trim();
    changed = (await git.raw(['diff-tree', '--no-commit-id', '--name-only', '--no-renames', '-r', '-z', 'HEAD']))
      .split('\0')
      .filter(Boolean);
  } catch (cause) {
    throw gitFailed('read back the commit', cause);
  }
  const expected = new Set(paths);
  const unexpected = changed.filter((p) => !expected.has(p));
  if (unexpected.length)
    throw new CutoverError('GIT_FAILED', `commit ${sha.slice(0, 12)} changed more than asked: ${unexpected.join(', ')}`, {
      hint: 'inspect it with `git show --stat HEAD`',
    });
  return sha;
}
