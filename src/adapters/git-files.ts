// Git adapters for frozen files: their work-tree state, what git hides of it, their committed bytes,
// the caller's identity, and a commit of given paths only.
import { spawn } from 'node:child_process';
import { createHash, type Hash } from 'node:crypto';
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

function gitFailed(what: string, cause: unknown, hint?: string): CutoverError {
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
      output = await git.raw(['status', '--porcelain=v1', '-z', '--untracked-files=all', '--ignored=traditional', '--no-renames', '--', ...specs]);
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
    if (!known) isRepository.set(folder, (known = lstat(join(cwd, folder, '.git')).then(() => true, () => false)));
    return known;
  };
  const nested = new Map<string, string>();
  await Promise.all(
    paths.map(async (path) => {
      const parts = posix.dirname(path).split('/').filter((p) => p !== '.');
      for (let i = 1; i <= parts.length; i++) {
        const folder = parts.slice(0, i).join('/');
        if (await check(folder)) return void nested.set(path, folder);
      }
    }),
  );
  return nested;
}

/**
 * The SHA-256 (hex) of each path's bytes as committed in `rev`, read from git's object store (no
 * filters or line-ending conversion), or undefined when `rev` has no file there. The tree is listed
 * once (`git ls-tree -r`) and the blobs streamed by id (`git cat-file --batch`), never held whole.
 */
export async function digestCommitted(paths: readonly string[], rev: string, { cwd }: { cwd: string }): Promise<Map<string, string | undefined>> {
  const blobs = await readBlobIds(paths, rev, { cwd });
  const ids = [...new Set(blobs.values())];
  const byId = new Map<string, string | undefined>();
  if (ids.length) {
    const child = spawn('git', ['cat-file', '--batch'], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.on('data', batchReader(ids, byId));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin.on('error', () => undefined);
    child.stdin.end(ids.map((id) => `${id}\n`).join(''));
    const code = await new Promise<number | null>((resolve, reject) => child.on('error', reject).on('close', resolve)).catch((cause: unknown) => {
      throw gitFailed('read committed files', cause);
    });
    if (code !== 0 || byId.size !== ids.length) throw gitFailed('read committed files', new Error(stderr.trim() || `git cat-file exited with ${code}`));
  }
  return new Map(paths.map((path) => [path, blobs.has(path) ? byId.get(blobs.get(path)!) : undefined]));
}

// The blob id of each given path that `rev` commits as a file (not a folder or a submodule).
async function readBlobIds(paths: readonly string[], rev: string, { cwd }: { cwd: string }): Promise<Map<string, string>> {
  const wanted = new Set(paths);
  const git = gitClient(cwd);
  let listing: string;
  try {
    listing = await git.raw(['ls-tree', '-r', '-z', '--full-tree', rev]);
  } catch (cause) {
    // A repository without a commit yet commits nothing.
    if (!(await git.raw(['rev-parse', '--verify', '--quiet', rev]).catch(() => ''))) return new Map();
    throw gitFailed(`list the files of ${rev}`, cause);
  }
  const blobs = new Map<string, string>();
  for (const record of listing.split('\0')) {
    const tab = record.indexOf('\t');
    const [, type, id] = record.slice(0, tab).split(' ');
    const path = record.slice(tab + 1);
    if (type === 'blob' && id && wanted.has(path)) blobs.set(path, id);
  }
  return blobs;
}

// Parses `git cat-file --batch` output (`<oid> <type> <size>\n<bytes>\n`, or `<name> missing\n`) as
// it streams, hashing each blob without holding it in memory.
function batchReader(asked: readonly string[], digests: Map<string, string | undefined>): (chunk: Buffer) => void {
  let next = 0;
  let header = Buffer.alloc(0);
  let body: { hash: Hash | undefined; left: number } | undefined;
  return (chunk) => {
    let data = chunk;
    while (data.length > 0) {
      if (body) {
        const take = Math.min(body.left, data.length);
        body.hash?.update(data.subarray(0, Math.max(0, take - (body.left === take ? 1 : 0))));
        body.left -= take;
        data = data.subarray(take);
        if (body.left === 0) {
          digests.set(asked[next++]!, body.hash?.digest('hex'));
          body = undefined;
        }
        continue;
      }
      const end = data.indexOf(10);
      if (end < 0) {
        header = Buffer.concat([header, data]);
        return;
      }
      const line = Buffer.concat([header, data.subarray(0, end)]).toString('utf8');
      header = Buffer.alloc(0);
      data = data.subarray(end + 1);
      // Anything but an object header (`missing`, `ambiguous`) means there is no such file.
      const found = /^[0-9a-f]{40,64} ([a-z]+) (\d+)$/.exec(line);
      if (!found) {
        digests.set(asked[next++]!, undefined);
        continue;
      }
      // The object's bytes and the newline after them; only a blob is a file.
      body = { hash: found[1] === 'blob' ? createHash('sha256') : undefined, left: Number(found[2]) + 1 };
    }
  };
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
  if (!name?.trim() || !email?.trim()) throw new CutoverError('GIT_FAILED', 'no git identity: user.name and user.email must both be set', { hint });
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
    await git.raw(['-c', `core.hooksPath=${hooks}`, 'commit', '--quiet', '--no-verify', '--only', `--author=${author}`, '-m', message, '--', ...paths.map(literalPathspec)]);
  } catch (cause) {
    throw gitFailed('commit', cause);
  } finally {
    await rm(hooks, { recursive: true, force: true });
  }
  let sha: string;
  let changed: string[];
  try {
    sha = (await git.revparse(['HEAD'])).trim();
    changed = (await git.raw(['diff-tree', '--no-commit-id', '--name-only', '--no-renames', '-r', '-z', 'HEAD'])).split('\0').filter(Boolean);
  } catch (cause) {
    throw gitFailed('read back the commit', cause);
  }
  const expected = new Set(paths);
  const unexpected = changed.filter((p) => !expected.has(p));
  if (unexpected.length) throw new CutoverError('GIT_FAILED', `commit ${sha.slice(0, 12)} changed more than asked: ${unexpected.join(', ')}`, { hint: 'inspect it with `git show --stat HEAD`' });
  return sha;
}
