// Hashing a run's declared artifacts into manifests and Merkle roots, once its steps are done.
import { pathExists, resolveInside } from '../adapters/fs.js';
import { hashArtifact } from '../integrity/hash-artifact.js';
import { manifestRoot } from '../integrity/merkle.js';
import type { ResolvedPlan } from '../plan/resolve.js';
import type { EventSink } from './events.js';
import type { ArtifactResult } from './result.js';

/** Hashes every declared artifact (an absent one is recorded as absent, with the empty root). */
export async function hashArtifacts(root: string, plan: Pick<ResolvedPlan, 'artifacts'>, emit: EventSink): Promise<ArtifactResult[]> {
  const results: ArtifactResult[] = [];
  for (const a of plan.artifacts) {
    const abs = await resolveInside(root, a.path, { links: 'none' });
    if (!(await pathExists(abs))) {
      results.push({
        name: a.name,
        path: a.path,
        commit: a.commit,
        present: false,
        files: 0,
        bytes: 0,
        root: manifestRoot([]),
        manifest: '',
      });
      continue;
    }
    const hash = await hashArtifact(abs, {
      children: a.roots === 'children',
      onProgress: (p) =>
        emit({
          type: 'hash-progress',
          artifact: a.name,
          files: p.files,
          bytes: p.bytes,
          totalFiles: p.totalFiles,
          totalBytes: p.totalBytes,
        }),
    });
    results.push({
      name: a.name,
      path: a.path,
      commit: a.commit,
      present: true,
      files: hash.files,
      bytes: hash.bytes,
      root: hash.root,
      manifest: hash.manifest,
      ...(hash.children ? { children: hash.children } : {}),
    });
  }
  return results;
}
