// Hashing a run's declared artifacts into manifests and Merkle roots, once its steps are done.
import { pathExists, resolveInside } from '../adapters/fs.js';
import { carryManifest, hashArtifact, type ArtifactHash } from '../integrity/hash-artifact.js';
import { mergeManifests, type ManifestPart } from '../integrity/merge-manifests.js';
import { manifestRoot } from '../integrity/merkle.js';
import type { ResolvedPlan } from '../plan/resolve.js';
import type { EventSink } from './events.js';
import type { PartialArtifact } from './handoff.js';
import type { ArtifactResult } from './result.js';

type Artifact = ResolvedPlan['artifacts'][number];

/** What other runners' trees held under the artifacts (a run spread over runners), by the part they ran. */
export interface RemoteParts {
  from: string;
  artifacts: readonly PartialArtifact[];
}

/**
 * Hashes every declared artifact (an absent one is recorded as absent, with the empty root). With
 * `remote`, each artifact's manifest is the union of this tree's files and the other runners'
 * (docs/integrity.md, "Artifacts spread over runners"); files they hold differently are `conflicts`.
 */
export async function hashArtifacts(
  root: string,
  plan: Pick<ResolvedPlan, 'artifacts'>,
  emit: EventSink,
  remote: readonly RemoteParts[] = [],
): Promise<{ artifacts: ArtifactResult[]; conflicts: string[] }> {
  const artifacts: ArtifactResult[] = [];
  const conflicts: string[] = [];
  for (const a of plan.artifacts) {
    const hash = await hashOne(root, a, emit);
    const parts: ManifestPart[] = remote.flatMap(({ from, artifacts }) =>
      artifacts.filter((p) => p.name === a.name).map((p) => ({ from, entries: p.entries })),
    );
    if (parts.length === 0) {
      artifacts.push(hash ? present(a, hash) : absent(a));
      continue;
    }
    const merged = mergeManifests([...(hash ? [{ from: 'join', entries: hash.entries }] : []), ...parts], {
      children: a.roots === 'children',
    });
    conflicts.push(...merged.conflicts.map((c) => `${a.name}: ${c}`));
    artifacts.push(present(a, merged));
  }
  return { artifacts, conflicts };
}

/** The files this tree holds under each present artifact: a coordinator's or a shard's part of a spread run. */
export async function hashPartials(root: string, plan: Pick<ResolvedPlan, 'artifacts'>, emit: EventSink): Promise<PartialArtifact[]> {
  const parts: PartialArtifact[] = [];
  for (const a of plan.artifacts) {
    const hash = await hashOne(root, a, emit);
    if (hash) parts.push({ name: a.name, entries: hash.entries });
  }
  return parts;
}

async function hashOne(root: string, a: Artifact, emit: EventSink): Promise<ArtifactHash | undefined> {
  const abs = await resolveInside(root, a.path, { links: 'none' });
  if (!(await pathExists(abs))) return undefined;
  return hashArtifact(abs, {
    children: a.roots === 'children',
    onProgress: (p) =>
      emit({ type: 'hash-progress', artifact: a.name, files: p.files, bytes: p.bytes, totalFiles: p.totalFiles, totalBytes: p.totalBytes }),
  });
}

// The manifest is the hash's, built only if asked for as text: the record writes it a block at a time.
function present(a: Artifact, hash: ArtifactHash): ArtifactResult {
  const result: ArtifactResult = {
    name: a.name,
    path: a.path,
    commit: a.commit,
    present: true,
    files: hash.files,
    bytes: hash.bytes,
    root: hash.root,
    get manifest() {
      return hash.manifest;
    },
    ...(hash.children ? { children: hash.children } : {}),
  };
  carryManifest(result, hash);
  return result;
}

function absent(a: Artifact): ArtifactResult {
  return { name: a.name, path: a.path, commit: a.commit, present: false, files: 0, bytes: 0, root: manifestRoot([]), manifest: '' };
}
