// Hashes one artifact (a file or a folder) into its manifest, Merkle root and, when asked, per-folder roots.
import { type HashedFile, hashFiles, type HashProgress } from './hash-files.js';
import { formatManifest, sortEntries, type ManifestEntry } from './manifest.js';
import { childRoots, rootOfLeafHashes } from './merkle.js';
import { walkArtifact } from './walk.js';

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

/** Walks, hashes and roots an artifact at an absolute path (docs/integrity.md). */
export async function hashArtifact(absPath: string, options: HashArtifactOptions = {}): Promise<ArtifactHash> {
  const { base, files } = await walkArtifact(absPath);
  const hashed = await hashFiles(base, files, {
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.threads === undefined ? {} : { threads: options.threads }),
  });
  // Sorted with their leaf hashes (computed where the files were hashed), then taken apart.
  const sorted = sortEntries(files.map(({ path }, i) => ({ path, ...(hashed[i] as HashedFile) })));
  const entries: ManifestEntry[] = sorted.map(({ path, digest, size }) => ({ path, digest, size }));
  const result: ArtifactHash = {
    entries,
    manifest: formatManifest(entries),
    root: rootOfLeafHashes(sorted.map((entry) => entry.leaf)),
    files: entries.length,
    bytes: entries.reduce((sum, entry) => sum + entry.size, 0),
  };
  if (options.children) result.children = childRoots(entries);
  return result;
}
