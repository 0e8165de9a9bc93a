// The checks of `cutover verify` on an artifact: its manifest in the record, and the artifact as it is now against it.
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { readRegularFile } from '../adapters/fs.js';
import { manifestMatcher } from '../integrity/hash-artifact.js';
import { manifestFacts, type ManifestFacts } from './statement.js';
import { diffManifests, parseManifest, type ManifestLine } from '../integrity/manifest.js';
import { childRoots, manifestRoot } from '../integrity/merkle.js';
import { isCutoverError } from '../errors.js';
import { fail, pass, type Check } from './check.js';
import type { RunJsonArtifact } from './run-record.js';

const EMPTY_ROOT = manifestRoot([]);

/** A manifest known to be canonical, with its root and entries: the artifact's, as hashed just now. */
export interface KnownManifest {
  /** Whether a text (or its UTF-8 bytes) is byte for byte this manifest. */
  isManifest: (text: string | Uint8Array) => boolean;
  root: string;
  files: number;
  /** Read only when needed (folder roots): for a large artifact they are built on first use. */
  entries: ManifestLine[];
}

/** checkManifest of a record's manifest known to be byte for byte `known`'s: its root and count are known's. */
export function checkSameManifest(artifact: RunJsonArtifact, known: KnownManifest): { check: Check; same: true } {
  return { check: checkManifestFacts(artifact, artifact.manifest as string, known.root, known.files, () => known.entries), same: true };
}

// A manifest this long or shorter may be one line (a single file's): its facts then need its text.
const ONE_LINE_MAX = 64 + 2 + 4096 + 1;

/**
 * Reads a record's manifest file a chunk at a time against the artifact as hashed now, digesting it
 * as it goes: whether it is byte for byte the artifact's manifest, and what the statement says of it.
 * Neither the file nor the artifact's manifest is ever whole in memory. Undefined when the file is
 * missing, no regular file or more than `maxBytes`.
 */
export async function readManifestAgainst(
  path: string,
  hash: { manifest: string },
  maxBytes: number,
): Promise<{ same: boolean; facts: ManifestFacts } | undefined> {
  const matcher = manifestMatcher(hash);
  const sha256 = createHash('sha256');
  const head: Buffer[] = [];
  let size = 0;
  const read = await readRegularFile(path, maxBytes, (chunk) => {
    matcher.feed(chunk);
    sha256.update(chunk);
    size += chunk.length;
    if (size <= ONE_LINE_MAX) head.push(chunk);
  });
  if (!('size' in read)) return undefined;
  const facts = size <= ONE_LINE_MAX ? manifestFacts(Buffer.concat(head)) : { sha256: sha256.digest('hex') };
  return { same: matcher.end(), facts };
}

/**
 * A manifest in the record parses strictly, and its root, file count and folder roots are run.json's.
 * When the text is byte for byte `known`'s (the artifact as it is now, the common case), its parse
 * and root are `known`'s: the same lines give the same entries and the same root; `same` says so,
 * and no entries are returned (the artifact needs no diff against them).
 */
export function checkManifest(
  artifact: RunJsonArtifact,
  manifest: string | Uint8Array | undefined,
  known?: KnownManifest,
): { check: Check; entries?: ManifestLine[]; same?: true } {
  const name = `manifest ${artifact.name}`;
  if (!artifact.present) {
    const ok = artifact.root === EMPTY_ROOT && artifact.files === 0 && artifact.bytes === 0;
    return {
      check: ok
        ? pass(name, 'absent when the run ended: no manifest, the empty root')
        : fail(name, `marked absent but claims ${artifact.files} file(s) and root ${artifact.root}`),
    };
  }
  const file = artifact.manifest as string;
  if (manifest === undefined) return { check: fail(name, `${file} is missing from the record`, [file]) };
  if (known?.isManifest(manifest)) return checkSameManifest(artifact, known);
  let entries: ManifestLine[];
  try {
    entries = parseManifest(typeof manifest === 'string' ? manifest : Buffer.from(manifest).toString('utf8'), file);
  } catch (error) {
    if (!isCutoverError(error)) throw error;
    const first = error.problems[0];
    return { check: fail(name, `${file} does not parse: line ${first?.line ?? '?'}: ${first?.message ?? error.message}`, [file]) };
  }
  const parsed = entries;
  return { check: checkManifestFacts(artifact, file, manifestRoot(entries), entries.length, () => parsed), entries };
}

// A manifest's root, file count and folder roots against run.json's.
function checkManifestFacts(
  artifact: RunJsonArtifact,
  file: string,
  root: string,
  count: number,
  entriesOf: () => readonly ManifestLine[],
): Check {
  const name = `manifest ${artifact.name}`;
  if (root !== artifact.root) return fail(name, `${file} has root ${root}; run.json claims ${artifact.root}`, [file]);
  if (count !== artifact.files) return fail(name, `${file} lists ${count} file(s); run.json claims ${artifact.files}`, [file]);
  if (artifact.children !== undefined) {
    const children = childRoots(entriesOf());
    const names = [...new Set([...Object.keys(children), ...Object.keys(artifact.children)])].sort();
    const differing = names.filter((folder) => children[folder] !== artifact.children?.[folder]);
    if (differing.length)
      return fail(
        name,
        `folder roots differ from run.json for ${differing.join(', ')}`,
        differing.map((f) => `${artifact.path}/${f}`),
      );
  }
  return pass(
    name,
    `${count} file(s), root ${root}${artifact.children ? `, ${Object.keys(artifact.children).length} folder root(s)` : ''}`,
  );
}

/**
 * The artifact as it is now (at `where`) has exactly the recorded manifest: names each file added,
 * removed or changed, as `base/<entry path>` (`base`: the folder entry paths are relative to).
 */
export function checkArtifactFiles(
  artifact: RunJsonArtifact,
  recorded: readonly ManifestLine[],
  found: { entries: readonly ManifestLine[]; bytes: number } | { error: string },
  where: string,
  base: string = where,
): Check {
  const name = `artifact ${artifact.name}`;
  if ('error' in found) return fail(name, `cannot hash ${where}: ${found.error}`, [where]);
  const diff = diffManifests(recorded, found.entries);
  const at = (p: string) => (base === '' || base === '.' ? p : `${base}/${p}`);
  const files = [
    ...diff.added.map((p) => `added: ${at(p)}`),
    ...diff.removed.map((p) => `removed: ${at(p)}`),
    ...diff.changed.map((p) => `changed: ${at(p)}`),
  ];
  if (files.length) {
    const counts = [
      diff.added.length && `${diff.added.length} added`,
      diff.removed.length && `${diff.removed.length} removed`,
      diff.changed.length && `${diff.changed.length} changed`,
    ]
      .filter(Boolean)
      .join(', ');
    return fail(name, `${where} differs from its manifest: ${counts}`, files);
  }
  return checkArtifactSame(artifact, { files: found.entries.length, bytes: found.bytes }, where);
}

/** The artifact as it is now has exactly the recorded manifest (its manifest is byte for byte the record's): its size is run.json's. */
export function checkArtifactSame(artifact: RunJsonArtifact, found: { files: number; bytes: number }, where: string): Check {
  const name = `artifact ${artifact.name}`;
  if (found.bytes !== artifact.bytes) return fail(name, `${where} holds ${found.bytes} bytes; run.json claims ${artifact.bytes}`, [where]);
  return pass(name, `${where} matches its manifest (${found.files} file(s), ${found.bytes} bytes)`);
}
