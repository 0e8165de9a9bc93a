// One artifact's manifest from the parts several runners hashed (docs/integrity.md, "Artifacts spread over runners").
import type { ArtifactHash } from './hash-artifact.js';
import { formatManifest, sortEntries, type ManifestEntry } from './manifest.js';
import { childRoots, manifestRoot } from './merkle.js';

/** What one runner's tree held under an artifact: `from` names the runner's part (`coordinator`, a shard id, `join`). */
export interface ManifestPart {
  from: string;
  entries: readonly ManifestEntry[];
}

/** A merged manifest, its root and totals; `conflicts` names each file two parts hashed differently. */
export interface MergedManifest extends ArtifactHash {
  conflicts: string[];
}

/**
 * The union of the parts' entries: a file several parts hold (committed to the repository, or
 * written the same by two runners) counts once when its bytes agree; when they differ, the file is
 * kept as the first part had it and named in `conflicts`, which fails the run.
 */
export function mergeManifests(parts: readonly ManifestPart[], options: { children?: boolean } = {}): MergedManifest {
  const byPath = new Map<string, { entry: ManifestEntry; from: string }>();
  const conflicts: string[] = [];
  for (const part of parts) {
    for (const entry of part.entries) {
      const seen = byPath.get(entry.path);
      if (!seen) byPath.set(entry.path, { entry, from: part.from });
      else if (seen.entry.digest !== entry.digest || seen.entry.size !== entry.size)
        conflicts.push(`${entry.path} (${seen.from} and ${part.from} hold different bytes)`);
    }
  }
  const entries = sortEntries([...byPath.values()].map(({ entry }) => ({ path: entry.path, digest: entry.digest, size: entry.size })));
  return {
    entries,
    manifest: formatManifest(entries),
    root: manifestRoot(entries),
    files: entries.length,
    bytes: entries.reduce((sum, entry) => sum + entry.size, 0),
    ...(options.children ? { children: childRoots(entries) } : {}),
    conflicts,
  };
}
