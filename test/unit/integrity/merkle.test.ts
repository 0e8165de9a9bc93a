import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { CutoverError } from '../../../src/errors.js';
import { formatManifest, type ManifestLine } from '../../../src/integrity/manifest.js';
import { leafHash } from '../../../src/integrity/leaf.js';
import {
  childRoots,
  formatRoot,
  inclusionProof,
  manifestRoot,
  manifestTextRoot,
  MERKLE_CHUNK,
  merkleRoot,
  nodeHash,
  parseRoot,
  rootOfChunks,
  runRoot,
  subtreeRootInPlace,
  verifyInclusion,
} from '../../../src/integrity/merkle.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const sha = (...parts: Uint8Array[]) => parts.reduce((h, p) => h.update(p), createHash('sha256')).digest();

// RFC 6962 §2.1 written as the RFC writes it, recursive, to compare against.
function referenceRoot(leaves: Uint8Array[]): Buffer {
  if (leaves.length === 0) return sha(new Uint8Array());
  if (leaves.length === 1) return sha(Uint8Array.of(0), leaves[0] as Uint8Array);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return sha(Uint8Array.of(1), referenceRoot(leaves.slice(0, k)), referenceRoot(leaves.slice(k)));
}

// The Certificate Transparency reference data (RFC 6962 test vectors): leaves and roots for sizes 1..8.
const CT_LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map((h) =>
  Buffer.from(h, 'hex'),
);
const CT_ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const CT_PROOFS: { index: number; size: number; proof: string[] }[] = [
  {
    index: 0,
    size: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    size: 8,
    proof: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  { index: 2, size: 3, proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  {
    index: 1,
    size: 5,
    proof: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
];

// Distinct leaves, so a proof moved to another index cannot hold by symmetry.
const leafSets = fc.uniqueArray(fc.uint8Array({ maxLength: 12 }), {
  minLength: 1,
  maxLength: 70,
  selector: (b) => Buffer.from(b).toString('hex'),
});

describe('Merkle Tree Hash', () => {
  it('matches the RFC 6962 reference roots for 0..8 leaves', () => {
    for (let n = 0; n <= 8; n++) expect(hex(merkleRoot(CT_LEAVES.slice(0, n))), `size ${n}`).toBe(CT_ROOTS[n]);
  });

  it('uses the 0x00 leaf and 0x01 node prefixes', () => {
    const line = Buffer.from('x\n');
    expect(leafHash(line)).toEqual(sha(Uint8Array.of(0), line));
    expect(nodeHash(leafHash(line), leafHash(line))).toEqual(sha(Uint8Array.of(1), leafHash(line), leafHash(line)));
  });

  it('equals the recursive definition for any leaf set', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 12 }), { maxLength: 140 }), (leaves) => {
        expect(hex(merkleRoot(leaves))).toBe(hex(referenceRoot(leaves)));
      }),
    );
  });

  it('handles tens of thousands of leaves without recursion, matching a level-by-level build', () => {
    const leaves = Array.from({ length: 20_003 }, (_, i) => Buffer.from(`${i}\n`));
    // Pair each level left to right, carrying an odd last node up unchanged: the same tree as RFC 6962.
    let level: Buffer[] = leaves.map((l) => sha(Uint8Array.of(0), l));
    while (level.length > 1)
      level = Array.from({ length: Math.ceil(level.length / 2) }, (_, i) =>
        level[2 * i + 1] ? sha(Uint8Array.of(1), level[2 * i] as Buffer, level[2 * i + 1] as Buffer) : (level[2 * i] as Buffer),
      );
    expect(hex(merkleRoot(leaves))).toBe(hex(level[0] as Buffer));
  });

  it('builds the same root from chunks of leaves, full or with a partial last one', () => {
    const most = 3 * MERKLE_CHUNK + 5;
    const lines = Array.from({ length: most }, (_, i) => Buffer.from(`${i}\n`));
    const packed = Buffer.concat(lines.map((line) => leafHash(line)));
    for (const count of [0, 1, 5, MERKLE_CHUNK - 1, MERKLE_CHUNK, MERKLE_CHUNK + 1, 2 * MERKLE_CHUNK, 3 * MERKLE_CHUNK + 1, most]) {
      const chunks = Math.ceil(count / MERKLE_CHUNK);
      const roots = Buffer.concat(
        Array.from({ length: chunks }, (_, c) =>
          Buffer.from(
            subtreeRootInPlace(Buffer.from(packed.subarray(32 * c * MERKLE_CHUNK)), Math.min(MERKLE_CHUNK, count - c * MERKLE_CHUNK)),
          ),
        ),
      );
      expect(rootOfChunks(roots, count), `${count} leaves`).toBe(formatRoot(merkleRoot(lines.slice(0, count))));
    }
  });

  it('builds a subtree in place as RFC 6962 does, for any number of leaves', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 12 }), { maxLength: 300 }), (lines) => {
        const packed = Buffer.concat([...lines.map((line) => leafHash(line)), Buffer.alloc(32)]);
        expect(hex(subtreeRootInPlace(packed, lines.length))).toBe(hex(referenceRoot(lines)));
      }),
    );
  });

  it('formats and parses roots as sha256:<hex>', () => {
    const root = merkleRoot([Buffer.from('a\n')]);
    expect(formatRoot(root)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(parseRoot(formatRoot(root))).toEqual(root);
    for (const bad of ['sha256:XYZ', `sha1:${'a'.repeat(64)}`, 'a'.repeat(64), `sha256:${'A'.repeat(64)}`])
      expect(parseRoot(bad)).toBeUndefined();
  });
});

describe('manifest and run roots', () => {
  const entries: ManifestLine[] = [
    { path: 'a/x', digest: '1'.repeat(64) },
    { path: 'a/y', digest: '2'.repeat(64) },
    { path: 'b', digest: '3'.repeat(64) },
    { path: 'c/z/w', digest: '4'.repeat(64) },
  ];

  it('hashes the manifest lines with their newlines, from entries or from text', () => {
    const lines = entries.map((e) => Buffer.from(`${e.digest}  ${e.path}\n`));
    expect(manifestRoot(entries)).toBe(formatRoot(referenceRoot(lines)));
    expect(manifestRoot(formatManifest(entries))).toBe(manifestRoot(entries));
    expect(manifestRoot([])).toBe(`sha256:${CT_ROOTS[0]}`);
  });

  it('roots a manifest text line by line as it roots the parsed entries, showing each entry', () => {
    const entries = Array.from({ length: 5000 }, (_, i) => ({
      path: `d/${String(i).padStart(5, '0')}`,
      digest: hex(sha(Buffer.from(`${i}`))),
    }));
    const seen: string[] = [];
    expect(manifestTextRoot(formatManifest(entries), 'm', (e) => seen.push(e.path))).toBe(manifestRoot(entries));
    expect(seen).toEqual(entries.map((e) => e.path));
    expect(manifestTextRoot('', 'm')).toBe(manifestRoot([]));
    expect(() => manifestTextRoot(formatManifest(entries.slice().reverse()), 'm')).toThrow(CutoverError);
  });

  it('refuses a malformed manifest text', () => {
    expect(() => manifestRoot('not a manifest\n')).toThrow(CutoverError);
  });

  it('gives each immediate subfolder the root it would have as an artifact of its own', () => {
    expect(childRoots(entries)).toEqual({
      a: manifestRoot([
        { path: 'x', digest: '1'.repeat(64) },
        { path: 'y', digest: '2'.repeat(64) },
      ]),
      c: manifestRoot([{ path: 'z/w', digest: '4'.repeat(64) }]),
    });
  });

  it('builds the run root over <root hex>  <name> lines in name byte order', () => {
    const r1 = manifestRoot([entries[0] as ManifestLine]);
    const r2 = manifestRoot([entries[2] as ManifestLine]);
    const expected = manifestRoot([
      { path: 'ｚ', digest: r2.slice(7) },
      { path: '𝒜', digest: r1.slice(7) },
    ]);
    expect(
      runRoot([
        { name: '𝒜', root: r1 },
        { name: 'ｚ', root: r2 },
      ]),
    ).toBe(expected);
    expect(
      runRoot([
        { name: 'ｚ', root: r2 },
        { name: '𝒜', root: r1 },
      ]),
    ).toBe(expected);
    expect(runRoot([])).toBe(`sha256:${CT_ROOTS[0]}`);
  });

  it('refuses duplicate names, bad names and bad roots in a run root', () => {
    const root = manifestRoot(entries);
    expect(() =>
      runRoot([
        { name: 'a', root },
        { name: 'a', root },
      ]),
    ).toThrow(/twice/);
    expect(() => runRoot([{ name: 'a\nb', root }])).toThrow(CutoverError);
    expect(() => runRoot([{ name: 'a', root: root.slice(7) }])).toThrow(CutoverError);
  });
});

describe('inclusion proofs', () => {
  it('match the RFC 6962 reference audit paths and verify', () => {
    for (const { index, size, proof } of CT_PROOFS) {
      const got = inclusionProof(CT_LEAVES.slice(0, size), index);
      expect(got.map(hex), `${index}/${size}`).toEqual(proof);
      const root = Buffer.from(CT_ROOTS[size] as string, 'hex');
      expect(verifyInclusion({ line: CT_LEAVES[index] as Buffer, index, size, proof: got, root })).toBe(true);
    }
  });

  it('verify for every index of any leaf set, and fail when anything is altered', () => {
    fc.assert(
      fc.property(leafSets, fc.nat(), (leaves, pick) => {
        const root = merkleRoot(leaves);
        const size = leaves.length;
        for (let index = 0; index < size; index++) {
          const line = leaves[index] as Uint8Array;
          const proof = inclusionProof(leaves, index);
          expect(verifyInclusion({ line, index, size, proof, root })).toBe(true);
          expect(proof.length).toBeLessThanOrEqual(Math.ceil(Math.log2(size)));
          const other = Buffer.concat([line, Buffer.from('!')]);
          expect(verifyInclusion({ line: other, index, size, proof, root })).toBe(false);
          if (size > 1) expect(verifyInclusion({ line, index: (index + 1) % size, size, proof, root }), 'moved').toBe(false);
          if (proof.length > 0) {
            const tampered = proof.map((p, i) => (i === pick % proof.length ? Buffer.from(p.map((b, j) => (j === 0 ? b ^ 1 : b))) : p));
            expect(verifyInclusion({ line, index, size, proof: tampered, root })).toBe(false);
            expect(verifyInclusion({ line, index, size, proof: proof.slice(1), root })).toBe(false);
          }
          expect(verifyInclusion({ line, index, size, proof: [...proof, root], root })).toBe(false);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('refuses indexes outside the tree', () => {
    expect(() => inclusionProof([Buffer.from('a')], 1)).toThrow(RangeError);
    expect(verifyInclusion({ line: Buffer.from('a'), index: 1, size: 1, proof: [], root: merkleRoot([Buffer.from('a')]) })).toBe(false);
  });
});
