// Writes an artifact's manifest into a record a block of lines at a time, checking it as it goes.
import { createHash } from 'node:crypto';
import { CutoverError } from '../errors.js';
import { writeNewFile } from '../adapters/fs.js';
import { manifestBlocks } from '../integrity/hash-artifact.js';
import { manifestRootReader } from '../integrity/merkle.js';
import type { Masker } from '../text/mask.js';
import type { ArtifactResult } from '../run/result.js';
import type { ManifestFacts } from './statement.js';

/**
 * Writes `artifact`'s manifest to `path` (a new file, synced) and returns what the statement says of
 * it. Each block of lines is written, digested and read back into the Merkle root in one pass, so a
 * million-file manifest is never whole in memory, as text or bytes. Refuses (ARTIFACT_INVALID) a
 * manifest that does not give the artifact's root, or a path holding a secret value: the record
 * could not show it masked without changing the root.
 */
export async function writeManifestFile(path: string, artifact: ArtifactResult, masker: Masker): Promise<ManifestFacts> {
  let leaking = false;
  const root = manifestRootReader(`${artifact.name} manifest`, (e) => {
    leaking ||= masker.mask(e.path) !== e.path;
  });
  const sha256 = createHash('sha256');
  let first: Buffer | undefined;
  let blocks = 0;
  function* checked(): Generator<Buffer> {
    for (const block of manifestBlocks(artifact)) {
      root.feed(block.toString('utf8'));
      sha256.update(block);
      first ??= block;
      blocks++;
      yield block;
    }
  }
  await writeNewFile(path, checked());
  if (root.end() !== artifact.root) {
    throw new CutoverError('ARTIFACT_INVALID', `artifact ${artifact.name}: its manifest does not give its root ${artifact.root}`);
  }
  if (leaking) {
    throw new CutoverError('ARTIFACT_INVALID', `artifact ${artifact.name} has a file whose path contains a secret value`, {
      hint: 'rename the file so its path holds no secret; the record cannot show the path masked without changing the root',
    });
  }
  const line = blocks === 1 && first ? first.toString('utf8') : undefined;
  return { sha256: sha256.digest('hex'), ...(line !== undefined && line.indexOf('\n') === line.length - 1 ? { line } : {}) };
}
