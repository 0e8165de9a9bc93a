// Hashes one artifact (a file or a folder) into its manifest, Merkle root and, when asked, per-folder roots.
import { lstatSync } from 'node:fs';
import { HashPool, digestsHex, sizeAt, worthThreads, type HashedColumns, type HashProgress } from './hash-files.js';
import { formatLine, formatManifest, formatManifestOf, type ManifestEntry, type ManifestLine } from './manifest.js';
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
 * files in manifest order, so the results need no sorting, and hands them to the hashing threads as
 * it finds them: the worker threads start as soon as the walk has found enough files to be worth
 * them, and hash while it goes on; this thread joins them when it is done listing.
 */
export async function hashArtifact(absPath: string, options: HashArtifactOptions = {}): Promise<ArtifactHash> {
  const found = await artifactKind(absPath);
  const pool = new HashPool(options.threads);
  try {
    const stream = pool.stream(found.base, options.onProgress ? { onProgress: options.onProgress } : {});
    let paths: string[];
    let totalBytes: number | undefined;
    if (found.kind === 'file') {
      paths = [found.path];
      stream.add(found.path);
      totalBytes = found.size;
    } else {
      paths = await listFiles(
        found.base,
        (count) => {
          if (worthThreads(count, 0)) pool.start();
        },
        (path) => stream.add(path),
      );
      // A few files: their sizes cost next to nothing and tell whether threads are worth starting.
      if (!worthThreads(paths.length, 0))
        totalBytes = paths.reduce((sum, path) => sum + (lstatSync(`${found.base}/${path}`, { throwIfNoEntry: false })?.size ?? 0), 0);
    }
    if (worthThreads(paths.length, totalBytes)) pool.start();
    const columns = await stream.end(totalBytes);
    let bytes = 0;
    for (const segment of columns.segments) for (const size of segment.sizes) bytes += size;
    const result = lazyArtifactHash(paths, columns, { root: rootOfChunks(columns.chunkRoots, paths.length), files: paths.length, bytes });
    if (options.children) result.children = childRoots(result.entries);
    return result;
  } finally {
    await pool.close();
  }
}

// Digests are turned into text this many at a time: one string for each block, sliced per entry. It
// is kept under V8's large-object size (128 KiB), so the strings of a block die young: a million
// files' worth of large objects would wait for a full collection and grow the heap meanwhile. It
// divides a hashing segment (MERKLE_CHUNK files), so a block lies in one.
const DIGEST_BLOCK = 1024;
// For a hash whose manifest is not built yet, whether it has been since, and its line i (digest and path).
const unbuilt = new WeakMap<ArtifactHash, { built: () => boolean; line: (i: number) => ManifestLine }>();

/**
 * Whether `text` (or bytes: UTF-8) is byte for byte the artifact's manifest. A manifest not built yet
 * is compared line by line in place, and stays unbuilt: verifying a million-file record needs its
 * text once (the record's), not twice; given as bytes, not even once.
 */
export function isManifestOf(hash: ArtifactHash, text: string | Uint8Array): boolean {
  if (typeof text !== 'string') return isManifestBytes(hash, text);
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

// What carries a hash's manifest (a run's artifact result, say), to the hash itself.
const carried = new WeakMap<object, ArtifactHash>();

/** Lets manifestBlocks read `carrier`'s manifest from `hash` as it would the hash's own. */
export function carryManifest(carrier: { manifest: string }, hash: ArtifactHash): void {
  carried.set(carrier, hash);
}

// A manifest is handed out in pieces of this many lines (unbuilt) or about this many characters
// (built), each ending a line: small enough for its text and bytes to die young (see DIGEST_BLOCK).
const BLOCK_LINES = 512;
const TEXT_BLOCK = 32 * 1024;

/**
 * The manifest of a hash (or of what carries one) as UTF-8 bytes, a block of whole lines at a time.
 * A manifest not built yet stays unbuilt: a million-file record's manifest is written and digested
 * without its text or its bytes ever being whole in memory.
 */
export function* manifestBlocks(source: { manifest: string }): Generator<Buffer> {
  const hash = carried.get(source) ?? (source as ArtifactHash);
  const lazy = unbuilt.get(hash);
  if (lazy && !lazy.built()) {
    for (let from = 0; from < hash.files; from += BLOCK_LINES) {
      const lines: string[] = [];
      for (let i = from; i < Math.min(from + BLOCK_LINES, hash.files); i++) lines.push(formatLine(lazy.line(i)));
      yield Buffer.from(lines.join(''));
    }
    return;
  }
  const text = source.manifest;
  for (let start = 0; start < text.length; ) {
    // Cut after a newline, so that no character is split between two blocks.
    const cut = text.indexOf('\n', start + TEXT_BLOCK);
    const end = cut < 0 ? text.length : cut + 1;
    yield Buffer.from(text.slice(start, end));
    start = end;
  }
}

// Bytes against the manifest a block at a time, neither side turned into one text.
function isManifestBytes(hash: ArtifactHash, bytes: Uint8Array): boolean {
  const matcher = manifestMatcher(hash);
  matcher.feed(bytes);
  return matcher.end();
}

/**
 * Matches bytes that come in pieces (a file read a chunk at a time) against the manifest of a hash
 * (or of what carries one), a block at a time: `feed` each piece, then `end` says whether they were
 * byte for byte the manifest. Neither side is ever whole in memory.
 */
export function manifestMatcher(source: { manifest: string }): { feed(bytes: Uint8Array): void; end(): boolean } {
  const blocks = manifestBlocks(source);
  let block: Buffer | undefined = Buffer.alloc(0);
  let at = 0;
  let same = true;
  const next = () => {
    const step = blocks.next();
    block = step.done ? undefined : step.value;
    at = 0;
  };
  return {
    feed(bytes) {
      for (let i = 0; same && i < bytes.length; ) {
        if (block && at === block.length) next();
        else if (!block) same = false;
        else {
          const n = Math.min(block.length - at, bytes.length - i);
          same = block.subarray(at, at + n).equals(bytes.subarray(i, i + n));
          at += n;
          i += n;
        }
      }
    },
    end() {
      while (same && block && at === block.length) next();
      return same && block === undefined;
    },
  };
}

/**
 * An artifact's hash whose `entries` and `manifest` are built on first use, from the paths and the
 * digests as bytes: `cutover hash` needs neither and a run only the manifest, and for a million
 * files each costs a hundred megabytes or more.
 */
function lazyArtifactHash(
  paths: readonly string[],
  columns: HashedColumns,
  fixed: Pick<ArtifactHash, 'root' | 'files' | 'bytes'>,
): ArtifactHash {
  let block = { from: -1, text: '' };
  const digestAt = (i: number) => {
    const from = i - (i % DIGEST_BLOCK);
    if (block.from !== from) block = { from, text: digestsHex(columns, from, Math.min(from + DIGEST_BLOCK, paths.length)) };
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
      get: () => (entries ??= paths.map((path, i) => ({ path, digest: digestAt(i), size: sizeAt(columns, i) }))),
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
