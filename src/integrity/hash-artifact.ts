// Hashes one artifact (a file or a folder) into its manifest, Merkle root and, when asked, per-folder roots.
import { lstatSync } from 'node:fs';
import { HashPool, worthThreads, type HashProgress } from './hash-files.js';
import { formatManifest, formatManifestOf, type ManifestEntry, type ManifestLine } from './manifest.js';
import { childRoots, rootOfChunks } from './merkle.js';
import { artifactKind, listFiles } from './walk.js';

/** What hashing an artifact yields; `children` maps each immediate subfolder to its root. */
export interface ArtifactHash {
  entries: ManifestEntry[];
  manifest: string;
  root: string;
  files: number;
  bytes: number;
  children?: Record<string, string>;
}

/** `children`: also compute subfolder roots; `threads`: worker count (0 hashes on this thread). */
export interface HashArtifactOptions {
  children?: boolean;
  onProgress?: (progress: HashProgress) => void;
  threads?: number;
}

/**
 * Walks, hashes and roots an artifact at an absolute path (docs/integrity.md). The walk lists the
 * files in manifest order, so the results need no sorting; the worker threads start as soon as the
 * walk has found enough files to be worth them, and boot while it goes on.
 */
export async function hashArtifact(absPath: string, options: HashArtifactOptions = {}): Promise<ArtifactHash> {
  const found = await artifactKind(absPath);
  const pool = new HashPool(options.threads);
  try {
    let paths: string[];
    let totalBytes: number | undefined;
    if (found.kind === 'file') {
      paths = [found.path];
      totalBytes = found.size;
    } else {
      paths = await listFiles(found.base, (count) => {
        if (worthThreads(count, 0)) pool.start();
      });
      // A few files: their sizes cost next to nothing and tell whether threads are worth starting.
      if (!worthThreads(paths.length, 0))
        totalBytes = paths.reduce((sum, path) => sum + (lstatSync(`${found.base}/${path}`, { throwIfNoEntry: false })?.size ?? 0), 0);
    }
    const { digests, sizes, chunkRoots } = await pool.hash(found.base, paths, {
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(totalBytes === undefined ? {} : { totalBytes }),
    });
    let bytes = 0;
    for (let i = 0; i < paths.length; i++) bytes += sizes[i] as number;
    const result = lazyArtifactHash(paths, digests, sizes, { root: rootOfChunks(chunkRoots, paths.length), files: paths.length, bytes });
    if (options.children) result.children = childRoots(result.entries);
    return result;
  } finally {
    await pool.close();
  }
}

// Digests are turned into text this many at a time: one string for each block, sliced per entry.
const DIGEST_BLOCK = 4096;
// For a hash whose manifest is not built yet, whether it has been since, and its line i (digest and path).
const unbuilt = new WeakMap<ArtifactHash, { built: () => boolean; line: (i: number) => ManifestLine }>();

/**
 * Whether `text` is byte for byte the artifact's manifest. A manifest not built yet is compared line
 * by line in place, and stays unbuilt: verifying a million-file record needs its text once (the
 * record's), not twice.
 */
export function isManifestOf(hash: ArtifactHash, text: string): boolean {
  const lazy = unbuilt.get(hash);
  if (!lazy || lazy.built()) return hash.manifest === text;
  // Line by line, `<digest>  <path>\n` matched in place: no line is built to be compared.
  let at = 0;
  for (let i = 0; i < hash.files; i++) {
    const { digest, path } = lazy.line(i);
    if (!text.startsWith(digest, at) || !text.startsWith('  ', at + 64) || !text.startsWith(path, at + 66)) return false;
    at += 66 + path.length;
    if (text.charCodeAt(at++) !== 0x0a) return false;
  }
  return at === text.length;
}

/**
 * An artifact's hash whose `entries` and `manifest` are built on first use, from the paths and the
 * digests as bytes: `cutover hash` needs neither and a run only the manifest, and for a million
 * files each costs a hundred megabytes or more.
 */
function lazyArtifactHash(
  paths: readonly string[],
  digests: Buffer,
  sizes: Float64Array,
  fixed: Pick<ArtifactHash, 'root' | 'files' | 'bytes'>,
): ArtifactHash {
  let block = { from: -1, text: '' };
  const digestAt = (i: number) => {
    const from = i - (i % DIGEST_BLOCK);
    if (block.from !== from) block = { from, text: digests.toString('hex', 32 * from, 32 * Math.min(from + DIGEST_BLOCK, paths.length)) };
    return block.text.slice(64 * (i - from), 64 * (i - from) + 64);
  };
  let entries: ManifestEntry[] | undefined;
  let manifest: string | undefined;
  const result = { ...fixed } as ArtifactHash;
  const lineAt = (i: number) => ({ path: paths[i] as string, digest: digestAt(i) });
  unbuilt.set(result, {
    built: () => manifest !== undefined || entries !== undefined,
    line: lineAt,
  });
  Object.defineProperties(result, {
    entries: {
      enumerable: true,
      get: () => (entries ??= paths.map((path, i) => ({ path, digest: digestAt(i), size: sizes[i] as number }))),
    },
    manifest: {
      enumerable: true,
      get: () =>
        (manifest ??= entries
          ? formatManifest(entries)
          : formatManifestOf(paths.length, (i) => ({ path: paths[i] as string, digest: digestAt(i) }))),
    },
  });
  return result;
}
