// An independent implementation of docs/integrity.md, written from the spec with node:crypto alone:
// its own walk, byte order, SHA-256 and RFC 6962 tree. Tests check cutover's numbers against it, so
// they check the code against the spec, not against itself.
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';

const SLASH = Buffer.from('/');

/** SHA-256 of the concatenated parts. */
export const sha = (...parts: (Uint8Array | string)[]): Buffer => parts.reduce((h, p) => h.update(p), createHash('sha256')).digest();

/** Lowercase hex of bytes. */
export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** RFC 6962 §2.1 Merkle Tree Hash over leaf hashes, split at the largest power of two below n. */
export function treeHash(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return sha(new Uint8Array());
  if (leaves.length === 1) return leaves[0] as Buffer;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return sha(Uint8Array.of(1), treeHash(leaves.slice(0, k)), treeHash(leaves.slice(k)));
}

/** The leaf hash of one line: SHA-256(0x00 ‖ line). */
export const leaf = (line: Uint8Array | string): Buffer =>
  sha(Uint8Array.of(0), typeof line === 'string' ? Buffer.from(line, 'utf8') : line);

/** `sha256:<hex>` root of manifest lines (each with its `\n`), in the order given. */
export const rootOfLines = (lines: (Uint8Array | string)[]): string => `sha256:${hex(treeHash(lines.map(leaf)))}`;

// Manifest lines of files below a base (paths as bytes), in byte order.
function specLines(base: Buffer, paths: Buffer[]): Buffer[] {
  return paths
    .sort(Buffer.compare)
    .map((p) =>
      Buffer.concat([Buffer.from(hex(sha(readFileSync(Buffer.concat([base, SLASH, p]))))), Buffer.from('  '), p, Buffer.from('\n')]),
    );
}

/** Manifest, root and per-subfolder roots of a file or folder, walked without following links. */
export function specHash(artifact: string): { manifest: string; root: string; children: Record<string, string> } {
  const root = Buffer.from(artifact);
  if (lstatSync(root).isFile()) {
    const lines = specLines(Buffer.from(dirname(artifact)), [Buffer.from(basename(artifact))]);
    return { manifest: Buffer.concat(lines).toString(), root: rootOfLines(lines), children: {} };
  }
  const found: Buffer[] = [];
  const visit = (rel: Buffer | null) => {
    for (const name of readdirSync(rel ? Buffer.concat([root, SLASH, rel]) : root, { encoding: 'buffer' })) {
      const path = rel ? Buffer.concat([rel, SLASH, name]) : name;
      const info = lstatSync(Buffer.concat([root, SLASH, path]));
      if (info.isDirectory()) visit(path);
      else if (info.isFile()) found.push(path);
      else throw new Error('spec: not a regular file');
    }
  };
  visit(null);
  const lines = specLines(root, found);
  const children: Record<string, string> = {};
  for (const top of new Set(found.filter((p) => p.includes(SLASH)).map((p) => p.subarray(0, p.indexOf(SLASH)).toString()))) {
    const inside = found.filter((p) => p.toString().startsWith(`${top}/`)).map((p) => p.subarray(Buffer.byteLength(top) + 1));
    children[top] = rootOfLines(specLines(Buffer.concat([root, SLASH, Buffer.from(top)]), inside));
  }
  return { manifest: Buffer.concat(lines).toString(), root: rootOfLines(lines), children };
}

/** A run's root: the same tree over `<artifact root hex>  <name>\n`, in name byte order. */
export function specRunRoot(artifacts: { name: string; root: string }[]): string {
  const lines = artifacts
    .map((a) => Buffer.from(`${a.root.slice(7)}  ${a.name}\n`))
    .sort((x, y) => Buffer.compare(x.subarray(66), y.subarray(66)));
  return rootOfLines(lines);
}
