// Hashes one artifact (a file or a folder) into its manifest, Merkle root and, when asked, per-folder roots.
import { lstatSync } from 'node:fs';
import { HashPool, worthThreads, type HashProgress } from './hash-files.js';
import { formatManifest, type ManifestEntry } from './manifest.js';
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
    const { hex, sizes, chunkRoots } = await pool.hash(found.base, paths, {
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(totalBytes === undefined ? {} : { totalBytes }),
    });
    let bytes = 0;
    const entries: ManifestEntry[] = paths.map((path, i) => {
      const size = sizes[i] as number;
      bytes += size;
      return { path, digest: hex.slice(64 * i, 64 * i + 64), size };
    });
    const result: ArtifactHash = {
      entries,
      manifest: formatManifest(entries),
      root: rootOfChunks(chunkRoots, entries.length),
      files: entries.length,
      bytes,
    };
    if (options.children) result.children = childRoots(entries);
    return result;
  } finally {
    await pool.close();
  }
}
