// Recomputes every number of the worked example in docs/integrity.md, so the spec cannot drift from the code.
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MANIFEST_FORMAT, formatManifest, parseManifest, sortEntries } from '../../../src/integrity/manifest.js';
import { childRoots, inclusionProof, manifestRoot, runRoot, verifyInclusion } from '../../../src/integrity/merkle.js';

const doc = readFileSync(fileURLToPath(new URL('../../../docs/integrity.md', import.meta.url)), 'utf8');

/** The named fenced blocks of the doc: ```lang name … ``` → name → content. */
function namedBlocks(markdown: string): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const match of markdown.matchAll(/^```\w+ ([\w-]+)\n([\s\S]*?)^```$/gm)) blocks.set(match[1] as string, match[2] as string);
  return blocks;
}

const blocks = namedBlocks(doc);
const block = (name: string): string => {
  const text = blocks.get(name);
  if (text === undefined) throw new Error(`docs/integrity.md has no \`\`\` block named ${name}`);
  return text;
};
/** `label  hex` lines of a block, as a map. */
const labelled = (name: string) =>
  new Map(
    block(name)
      .trim()
      .split('\n')
      .map((l) => l.split(/ +/) as [string, string]),
  );

// Written from the spec with node:crypto alone, so the doc is checked against the RFC, not just our code.
const sha = (...parts: (Uint8Array | string)[]) => parts.reduce((h, p) => h.update(p), createHash('sha256')).digest();
const leaf = (line: string) => sha(Uint8Array.of(0), Buffer.from(line, 'utf8'));
const node = (l: Uint8Array, r: Uint8Array) => sha(Uint8Array.of(1), l, r);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const files = JSON.parse(block('files')) as Record<string, string>;
const entries = sortEntries(
  Object.entries(files).map(([path, content]) => ({ path, digest: hex(sha(content)), size: Buffer.byteLength(content) })),
);
const lines = formatManifest(entries).split(/(?<=\n)/);

describe('docs/integrity.md worked example', () => {
  it('names the format and shows the manifest of its files in byte order', () => {
    expect(doc).toContain(MANIFEST_FORMAT);
    expect(entries.map((e) => e.path)).toEqual(['README.md', 'data/a.csv', 'data/empty.csv', 'ｚ.txt', '𝒜.txt']);
    expect(Object.keys(files).sort()).not.toEqual(entries.map((e) => e.path)); // the JS sort disagrees
    expect(block('manifest')).toBe(formatManifest(entries));
    expect(parseManifest(block('manifest'))).toHaveLength(5);
    expect(block('dirhash').trim()).toBe(hex(sha(block('manifest'))));
  });

  it('shows the leaf hashes, the nodes and the root', () => {
    const leaves = lines.map(leaf);
    expect([...labelled('leaves').values()]).toEqual(leaves.map(hex));
    const nodes = labelled('nodes');
    const [l0, l1, l2, l3, l4] = leaves as [Buffer, Buffer, Buffer, Buffer, Buffer];
    const n01 = node(l0, l1);
    const n23 = node(l2, l3);
    const n0123 = node(n01, n23);
    expect(nodes.get('n01')).toBe(hex(n01));
    expect(nodes.get('n23')).toBe(hex(n23));
    expect(nodes.get('n0123')).toBe(hex(n0123));
    expect(nodes.get('root')).toBe(hex(node(n0123, l4)));
    expect(block('root').trim()).toBe(`sha256:${hex(node(n0123, l4))}`);
    expect(block('root').trim()).toBe(manifestRoot(entries));
  });

  it('shows the children roots', () => {
    const data = ['data/a.csv', 'data/empty.csv'].map(
      (p) => `${files[p] === undefined ? '' : hex(sha(files[p] as string))}  ${p.slice(5)}\n`,
    );
    const expected = `sha256:${hex(node(leaf(data[0] as string), leaf(data[1] as string)))}`;
    expect(labelled('children')).toEqual(new Map([['data', expected]]));
    expect(childRoots(entries)).toEqual({ data: expected });
  });

  it('shows an inclusion proof that our code produces and that verifies', () => {
    const proof = JSON.parse(block('proof')) as { path: string; line: string; index: number; size: number; proof: string[]; root: string };
    const index = entries.findIndex((e) => e.path === proof.path);
    expect(proof).toMatchObject({ index, size: entries.length, line: lines[index], root: block('root').trim() });
    const buffers = lines.map((l) => Buffer.from(l, 'utf8'));
    expect(inclusionProof(buffers, index).map(hex)).toEqual(proof.proof);
    const root = Buffer.from(proof.root.slice('sha256:'.length), 'hex');
    expect(
      verifyInclusion({
        line: Buffer.from(proof.line),
        index,
        size: proof.size,
        proof: proof.proof.map((p) => Buffer.from(p, 'hex')),
        root,
      }),
    ).toBe(true);
  });

  it('shows the run root over the artifact lines', () => {
    const root = block('root').trim();
    const child = childRoots(entries).data as string;
    expect(block('run-lines')).toBe(`${root.slice(7)}  example\n${child.slice(7)}  example-data\n`);
    const expected = `sha256:${hex(node(leaf(`${root.slice(7)}  example\n`), leaf(`${child.slice(7)}  example-data\n`)))}`;
    expect(block('run-root').trim()).toBe(expected);
    expect(
      runRoot([
        { name: 'example-data', root: child },
        { name: 'example', root },
      ]),
    ).toBe(expected);
  });
});
