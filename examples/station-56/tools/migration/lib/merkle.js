// Checksums of a storage module and of a whole run.
//
// Construction (the same as cutover-manifest/v1, so any RFC 6962 implementation reproduces it):
// each file becomes the line `<sha256 hex>  <path>\n` (sha256sum format, path relative to the
// module folder, `/`-separated); lines are sorted by the bytes of the UTF-8 path; the root is the
// RFC 6962 Merkle Tree Hash over the lines: leaf = SHA-256(0x00 || line),
// node = SHA-256(0x01 || left || right), split at the largest power of two below n, and
// SHA-256("") for no lines. A run's root is the same construction over `<module root hex>  <module>\n`.
import { createHash } from 'node:crypto';

// SHA-256 of bytes as lowercase hex.
export function sha256Hex(data) {
  return createHash('sha256').update(data).digest('hex');
}

// Merkle root (`sha256:<hex>`) of { path: hexDigest } entries.
export function merkleRoot(digests) {
  const paths = Object.keys(digests).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const leaves = paths.map((p) => Buffer.from(`${digests[p]}  ${p}\n`, 'utf8'));
  return `sha256:${treeHash(leaves).toString('hex')}`;
}

function treeHash(leaves) {
  if (leaves.length === 0) return createHash('sha256').digest();
  if (leaves.length === 1) return createHash('sha256').update(Buffer.from([0])).update(leaves[0]).digest();
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  const left = treeHash(leaves.slice(0, k));
  const right = treeHash(leaves.slice(k));
  return createHash('sha256').update(Buffer.from([1])).update(left).update(right).digest();
}

// Hex part of a `sha256:<hex>` root.
export function rootHex(root) {
  return root.startsWith('sha256:') ? root.slice('sha256:'.length) : root;
}
