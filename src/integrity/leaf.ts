// The Merkle leaf of a manifest line, SHA-256(0x00 ‖ "<digest>  <path>\n"): shared by the hashing
// workers, which hash each file's leaf beside its content, and the tree builder.
import { Buffer } from 'node:buffer';
import { hash } from 'node:crypto';
import type { ManifestLine } from './manifest.js';

let leafScratch = Buffer.alloc(1024);

/** SHA-256(0x00 ‖ line): the leaf hash of one manifest line (with its newline). */
export function leafHash(line: Uint8Array): Buffer {
  if (leafScratch.length < line.length + 1) leafScratch = Buffer.alloc(2 * (line.length + 1));
  leafScratch[0] = 0;
  leafScratch.set(line, 1);
  return hash('sha256', leafScratch.subarray(0, line.length + 1), 'buffer');
}

/** The leaf hash of an entry's manifest line, written straight into a scratch buffer (no string or Buffer a line). */
export function entryLeafHash({ digest, path }: ManifestLine): Buffer {
  const length = 1 + Buffer.byteLength(digest, 'utf8') + 2 + Buffer.byteLength(path, 'utf8') + 1;
  if (leafScratch.length < length) leafScratch = Buffer.alloc(2 * length);
  leafScratch[0] = 0;
  let at = 1 + leafScratch.write(digest, 1, 'utf8');
  at += leafScratch.write('  ', at, 'utf8');
  at += leafScratch.write(path, at, 'utf8');
  leafScratch[at] = 0x0a;
  return hash('sha256', leafScratch.subarray(0, length), 'buffer');
}

// The lowercase hex digits as character codes, to write a digest's hex without making a string of it.
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');

/** Writes the manifest line of a SHA-256 (32 bytes, as lowercase hex) and a path (UTF-8 bytes) after a 0x00 into the scratch; returns its length. */
function lineLeafPreimage(digest: Uint8Array, path: Uint8Array): number {
  const length = 1 + 64 + 2 + path.length + 1;
  if (leafScratch.length < length) leafScratch = Buffer.alloc(2 * length);
  leafScratch[0] = 0;
  for (let k = 0; k < 32; k++) {
    const byte = digest[k] as number;
    leafScratch[1 + 2 * k] = HEX_DIGITS[byte >> 4] as number;
    leafScratch[2 + 2 * k] = HEX_DIGITS[byte & 15] as number;
  }
  leafScratch[65] = 0x20;
  leafScratch[66] = 0x20;
  leafScratch.set(path, 67);
  leafScratch[length - 1] = 0x0a;
  return length;
}

/** The leaf hash of the manifest line of a SHA-256 (32 bytes, written as lowercase hex) and a path given as UTF-8 bytes. */
export function lineLeafHash(digest: Uint8Array, path: Uint8Array): Buffer {
  return hash('sha256', leafScratch.subarray(0, lineLeafPreimage(digest, path)), 'buffer');
}

/**
 * lineLeafHash written into `into` at `at`. The hash comes out as hex and is written as bytes: a
 * string costs far less than the buffer a binary digest allocates, once for each file of a tree.
 */
export function writeLineLeaf(digest: Uint8Array, path: Uint8Array, into: Buffer, at: number): void {
  into.write(hash('sha256', leafScratch.subarray(0, lineLeafPreimage(digest, path))), at, 32, 'hex');
}
