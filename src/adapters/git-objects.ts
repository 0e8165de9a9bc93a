// Frozen files as a commit holds them: the SHA-256 of each file's bytes, read from git's object store.
import { spawn } from 'node:child_process';
import { createHash, type Hash } from 'node:crypto';
import { gitClient } from './git.js';
import { gitFailed } from './git-files.js';

/**
 * The SHA-256 (hex) of each path's bytes as committed in `rev`, read from git's object store (no
 * filters or line-ending conversion), or undefined when `rev` has no file there. The tree is listed
 * once (`git ls-tree -r`) and the blobs streamed by id (`git cat-file --batch`), never held whole.
 */
export async function digestCommitted(
  paths: readonly string[],
  rev: string,
  { cwd }: { cwd: string },
): Promise<Map<string, string | undefined>> {
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
    const code = await new Promise<number | null>((resolve, reject) => child.on('error', reject).on('close', resolve)).catch(
      (cause: unknown) => {
        throw gitFailed('read committed files', cause);
      },
    );
    if (code !== 0 || byId.size !== ids.length)
      throw gitFailed('read committed files', new Error(stderr.trim() || `git cat-file exited with ${code}`));
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
