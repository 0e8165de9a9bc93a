// RFC 6962 Merkle Tree Hash over manifest lines, run roots, and inclusion proofs (RFC 6962 §2.1.1).
import { Buffer } from 'node:buffer';
import { hash } from 'node:crypto';
import { CutoverError } from '../errors.js';
import { displayPath, entryPathProblem, manifestReader, parseManifest, type ManifestLine } from './manifest.js';
import { compareUtf8 } from '../text/utf8.js';
import { entryLeafHash, leafHash } from './leaf.js';

/** A decoded root or node: 32 bytes of SHA-256. */
export type Digest = Buffer;

const ROOT = /^sha256:([0-9a-f]{64})$/;
const EMPTY_ROOT = hash('sha256', Buffer.alloc(0), 'buffer');
// One scratch buffer for node preimages (0x01 ‖ left ‖ right): no allocation per node.
const nodeScratch = Buffer.alloc(65, 1);

/** SHA-256(0x01 ‖ left ‖ right): the hash of an interior node. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Digest {
  nodeScratch.set(left, 1);
  nodeScratch.set(right, 33);
  return hash('sha256', nodeScratch, 'buffer');
}

/**
 * The Merkle Tree Hash of `count` leaves given by their hashes, built left to right on a stack of
 * perfect subtrees (a binary counter) in O(log n) memory; folding the stack from the right at the
 * end yields exactly RFC 6962's split at the largest power of two below n.
 */
function rootOfLeaves(count: number, leafAt: (i: number) => Digest): Digest {
  const tree = treeBuilder();
  for (let i = 0; i < count; i++) tree.add(leafAt(i));
  return tree.root();
}

// The binary counter behind rootOfLeaves, fed one leaf hash at a time.
function treeBuilder(): { add: (leaf: Digest) => void; root: () => Digest } {
  const stack: Digest[] = [];
  const heights: number[] = [];
  return {
    add(leaf) {
      let node = leaf;
      let height = 0;
      while (heights.length > 0 && heights[heights.length - 1] === height) {
        node = nodeHash(stack.pop() as Digest, node);
        heights.pop();
        height++;
      }
      stack.push(node);
      heights.push(height);
    },
    root() {
      if (stack.length === 0) return EMPTY_ROOT;
      let root = stack[stack.length - 1] as Digest;
      for (let i = stack.length - 2; i >= 0; i--) root = nodeHash(stack[i] as Digest, root);
      return root;
    },
  };
}

/**
 * The root (`sha256:<hex>`) of a manifest text read strictly (as parseManifest reads it) a line at a
 * time, its entries kept by no one; `visit` sees each. Throws the manifest's problems.
 */
export function manifestTextRoot(text: string, file: string, visit?: (entry: ManifestLine) => void): string {
  const reader = manifestRootReader(file, visit);
  reader.feed(text);
  return reader.end();
}

/**
 * manifestTextRoot for a manifest that comes a piece of text at a time (as it is written, a block of
 * lines at once): `feed` each piece in order; `end` throws the manifest's problems or gives its root.
 */
export function manifestRootReader(file: string, visit?: (entry: ManifestLine) => void): { feed(text: string): void; end(): string } {
  const tree = treeBuilder();
  const reader = manifestReader(file, (entry) => {
    visit?.(entry);
    tree.add(entryLeafHash(entry));
  });
  return {
    feed: (text) => reader.feed(text),
    end() {
      reader.end();
      return formatRoot(tree.root());
    },
  };
}

/**
 * Leaves are grouped in chunks of this many (a power of two): chunk c's leaves [c·4096, (c+1)·4096)
 * form one perfect, aligned subtree of the RFC 6962 tree, so the threads that hash the files can
 * build each chunk's subtree as soon as its last leaf is known, and the root needs only those.
 */
export const MERKLE_CHUNK = 4096;

/**
 * The root of the first `count` leaf hashes packed 32 bytes each in `nodes`, built in place (the
 * leaves are overwritten): each level pairs neighbours and carries an odd last node up unchanged,
 * which is RFC 6962's tree. Returns a view of the root's 32 bytes at the start of `nodes`.
 */
export function subtreeRootInPlace(nodes: Buffer, count: number): Buffer {
  if (count === 0) return EMPTY_ROOT;
  for (let width = count; width > 1; width = (width + 1) >> 1) {
    const pairs = width >> 1;
    pairLevel(nodes, pairs);
    if (width % 2 === 1) nodes.copyWithin(32 * pairs, 32 * (width - 1), 32 * width);
  }
  return nodes.subarray(0, 32);
}

// Nodes 0..pairs of the level above, each over its two children; a loop of its own, so that it is
// optimized once. Node p's children at 64 p are read before it is written at 32 p (≤ 64 p).
function pairLevel(nodes: Buffer, pairs: number): void {
  for (let p = 0; p < pairs; p++) {
    nodes.copy(nodeScratch, 1, 64 * p, 64 * p + 64);
    nodes.write(hash('sha256', nodeScratch), 32 * p, 32, 'hex');
  }
}

/**
 * The root (`sha256:<hex>`) of `count` leaves given by their chunks' subtree roots (32 bytes a chunk,
 * from `subtreeRoot`). Full chunks are perfect subtrees, so they go on the stack like leaves one
 * level up; a last, partial chunk comes last, and everything on the stack folds onto its right, so it
 * lands where RFC 6962's split puts it.
 */
export function rootOfChunks(chunkRoots: Uint8Array, count: number): string {
  return formatRoot(rootOfLeaves(Math.ceil(count / MERKLE_CHUNK), (c) => chunkRoots.subarray(32 * c, 32 * c + 32) as Digest));
}

/** RFC 6962 Merkle Tree Hash of the given leaf data (manifest lines, each with its `\n`). */
export function merkleRoot(lines: readonly Uint8Array[]): Digest {
  return rootOfLeaves(lines.length, (i) => leafHash(lines[i] as Uint8Array));
}

/** Writes a root as `sha256:<hex>`. */
export function formatRoot(root: Uint8Array): string {
  return `sha256:${Buffer.from(root).toString('hex')}`;
}

/** Decodes `sha256:<64 lowercase hex>`, or undefined when the text is not a root. */
export function parseRoot(text: string): Digest | undefined {
  const match = ROOT.exec(text);
  return match ? Buffer.from(match[1] as string, 'hex') : undefined;
}

/** The root (`sha256:<hex>`) of a manifest, given as entries in byte order or as strictly parsed text. */
export function manifestRoot(manifest: readonly ManifestLine[] | string, file?: string): string {
  const entries = typeof manifest === 'string' ? parseManifest(manifest, file) : manifest;
  return formatRoot(rootOfLeaves(entries.length, (i) => entryLeafHash(entries[i] as ManifestLine)));
}

/** A run's root: the same construction over `<artifact root hex>  <artifact name>\n`, in name byte order. */
export function runRoot(artifacts: readonly { name: string; root: string }[]): string {
  const lines = artifacts.map(({ name, root }) => {
    const digest = parseRoot(root);
    const problem = entryPathProblem(name);
    if (problem) throw new CutoverError('ARTIFACT_INVALID', `artifact name ${displayPath(name)} ${problem}`);
    if (!digest) throw new CutoverError('ARTIFACT_INVALID', `artifact ${displayPath(name)} has no valid root (${JSON.stringify(root)})`);
    return { path: name, digest: digest.toString('hex') };
  });
  lines.sort((a, b) => compareUtf8(a.path, b.path));
  lines.forEach((line, i) => {
    if (i > 0 && lines[i - 1]?.path === line.path)
      throw new CutoverError('ARTIFACT_INVALID', `artifact name ${displayPath(line.path)} appears twice`);
  });
  return manifestRoot(lines);
}

/** The root of each immediate subfolder, from a folder's entries in byte order (folders holding files only). */
export function childRoots(entries: readonly ManifestLine[]): Record<string, string> {
  const groups = new Map<string, ManifestLine[]>();
  for (const { path, digest } of entries) {
    const slash = path.indexOf('/');
    if (slash < 0) continue;
    const name = path.slice(0, slash);
    const group = groups.get(name) ?? [];
    if (group.length === 0) groups.set(name, group);
    // Entries sharing a prefix are contiguous in byte order and stay ordered once it is cut off.
    group.push({ path: path.slice(slash + 1), digest });
  }
  const roots: Record<string, string> = {};
  for (const [name, group] of groups) roots[name] = manifestRoot(group);
  return roots;
}

/** The largest power of two strictly below n (n ≥ 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** The audit path of leaf `index` among `lines` (RFC 6962 §2.1.1), deepest sibling first. */
export function inclusionProof(lines: readonly Uint8Array[], index: number): Digest[] {
  if (!Number.isInteger(index) || index < 0 || index >= lines.length) {
    throw new RangeError(`leaf index ${index} is outside 0..${lines.length - 1}`);
  }
  const leaves = lines.map((line) => leafHash(line));
  const subtree = (from: number, to: number) => rootOfLeaves(to - from, (i) => leaves[from + i] as Digest);
  const path: Digest[] = [];
  let [from, to, m] = [0, lines.length, index];
  // PATH(m, D[from:to]) peels the top level first; the RFC lists it last, hence the reverse.
  while (to - from > 1) {
    const k = splitPoint(to - from);
    if (m < k) {
      path.push(subtree(from + k, to));
      to = from + k;
    } else {
      path.push(subtree(from, from + k));
      from += k;
      m -= k;
    }
  }
  return path.reverse();
}

/** What an inclusion proof claims: leaf data at `index` of a tree of `size` leaves has this `root`. */
export interface InclusionClaim {
  line: Uint8Array;
  index: number;
  size: number;
  proof: readonly Uint8Array[];
  root: Uint8Array;
}

/** Checks an inclusion proof with the algorithm of RFC 9162 §2.1.3.2. */
export function verifyInclusion({ line, index, size, proof, root }: InclusionClaim): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  if (root.length !== 32 || proof.some((p) => p.length !== 32)) return false;
  let fn = index;
  let sn = size - 1;
  let r: Uint8Array = leafHash(line);
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && Buffer.compare(r, root) === 0;
}
