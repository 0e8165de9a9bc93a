import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CutoverError } from '../../../src/errors.js';
import { carryManifest, hashArtifact, manifestBlocks, manifestMatcher } from '../../../src/integrity/hash-artifact.js';
import { readManifestAgainst } from '../../../src/record/verify-artifacts.js';
import { writeManifestFile } from '../../../src/record/manifest-file.js';
import { manifestFacts } from '../../../src/record/statement.js';
import { buildRunJson } from '../../../src/record/run-record.js';
import type { ArtifactResult } from '../../../src/run/result.js';
import { createMasker } from '../../../src/text/mask.js';
import { tempDir, writeFiles } from '../../helpers/git-repo.js';
import { specHash } from '../../helpers/spec-hash.js';
import { runResult } from './fixture.js';

// A tree of more files than one block of manifest lines holds, with multi-byte names.
function tree(count = 1300): string {
  const dir = tempDir();
  const files: Record<string, string> = {};
  for (let i = 0; i < count; i++) files[`d${i % 7}/é${i}-😀.txt`] = `file ${i}\n`;
  writeFiles(dir, files);
  return dir;
}

// An artifact result that carries `hash`'s manifest and throws if anyone asks for it as text.
function carrier(hash: Awaited<ReturnType<typeof hashArtifact>>, root = hash.root): ArtifactResult {
  const result = {
    name: 'data',
    path: 'data',
    commit: 'manifest' as const,
    present: true,
    files: hash.files,
    bytes: hash.bytes,
    root,
    get manifest(): string {
      throw new Error('the manifest was built as one text');
    },
  };
  carryManifest(result, hash);
  return result;
}

describe('manifestBlocks', () => {
  it('yields the manifest of an unbuilt hash as the spec writes it, in blocks of whole lines', async () => {
    const dir = tree();
    const hash = await hashArtifact(dir, { threads: 0 });
    const blocks = [...manifestBlocks(hash)];
    expect(blocks.length).toBeGreaterThan(1);
    for (const block of blocks) expect(block.at(-1)).toBe(0x0a);
    expect(Buffer.concat(blocks).toString('utf8')).toBe(specHash(dir).manifest);
  });

  it('cuts a built manifest after newlines only, never inside a character', () => {
    const manifest = Array.from({ length: 3000 }, (_, i) => `${'a'.repeat(64)}  ${String(i).padStart(5, '0')}😀é\n`).join('');
    const blocks = [...manifestBlocks({ manifest })];
    expect(blocks.length).toBeGreaterThan(1);
    for (const block of blocks) expect(block.toString('utf8').endsWith('\n')).toBe(true);
    expect(Buffer.concat(blocks).equals(Buffer.from(manifest))).toBe(true);
  });
});

describe('writeManifestFile', () => {
  it('writes and digests a carried manifest without building its text', async () => {
    const dir = tree();
    const hash = await hashArtifact(dir, { threads: 0 });
    const out = join(tempDir(), 'data.sha256');
    const facts = await writeManifestFile(out, carrier(hash), createMasker([]));
    const expected = specHash(dir).manifest;
    expect(readFileSync(out, 'utf8')).toBe(expected);
    expect(facts).toEqual(manifestFacts(expected));
  });

  it('keeps the one line of a single file, as the statement names the file by it', async () => {
    const dir = tempDir();
    writeFiles(dir, { 'one.bin': 'x' });
    const hash = await hashArtifact(join(dir, 'one.bin'), { threads: 0 });
    const facts = await writeManifestFile(join(dir, 'm.sha256'), carrier(hash), createMasker([]));
    expect(facts).toEqual(manifestFacts(specHash(join(dir, 'one.bin')).manifest));
    expect(facts.line).toMatch(/^[0-9a-f]{64} {2}one\.bin\n$/);
  });

  it('refuses a manifest that does not give the root, and a path holding a secret', async () => {
    const dir = tree(20);
    const hash = await hashArtifact(dir, { threads: 0 });
    const wrong = carrier(hash, `sha256:${'0'.repeat(64)}`);
    const refused = writeManifestFile(join(tempDir(), 'a.sha256'), wrong, createMasker([]));
    await expect(refused).rejects.toThrow(/does not give its root/);
    const leaking = writeManifestFile(join(tempDir(), 'b.sha256'), carrier(hash), createMasker(['é13-😀.txt']));
    await expect(leaking).rejects.toBeInstanceOf(CutoverError);
    await expect(leaking).rejects.toThrow(/contains a secret value/);
  });
});

describe('buildRunJson', () => {
  it('tells a folder of many files from a file without reading the manifest', async () => {
    const dir = tree(30);
    const hash = await hashArtifact(dir, { threads: 0 });
    const result = runResult({ artifacts: [carrier(hash)] });
    expect(buildRunJson(result).artifacts[0]?.kind).toBe('directory');
  });
});

describe('reading a record manifest against the artifact', () => {
  it('matches bytes fed in pieces of any size, and nothing else', async () => {
    const dir = tree();
    const hash = await hashArtifact(dir, { threads: 0 });
    const manifest = Buffer.from(specHash(dir).manifest);
    const fed = (bytes: Buffer, piece: number) => {
      const matcher = manifestMatcher(hash);
      for (let at = 0; at < bytes.length; at += piece) matcher.feed(bytes.subarray(at, at + piece));
      return matcher.end();
    };
    for (const piece of [1, 7, 4096, 1 << 20]) expect(fed(manifest, piece)).toBe(true);
    const flipped = Buffer.from(manifest);
    flipped[flipped.length - 3] = (flipped[flipped.length - 3] as number) ^ 1;
    for (const other of [flipped, manifest.subarray(0, -1), Buffer.concat([manifest, Buffer.from('\n')]), Buffer.alloc(0)])
      expect(fed(other, 1000)).toBe(false);
  });

  it('says whether the file is the manifest and gives the facts of its bytes', async () => {
    const dir = tree();
    const hash = await hashArtifact(dir, { threads: 0 });
    const manifest = specHash(dir).manifest;
    const file = join(tempDir(), 'data.sha256');
    writeFileSync(file, manifest);
    expect(await readManifestAgainst(file, hash, 1 << 30)).toEqual({ same: true, facts: manifestFacts(manifest) });
    const edited = manifest.replace('é1', 'e1');
    writeFileSync(file, edited);
    expect(await readManifestAgainst(file, hash, 1 << 30)).toEqual({ same: false, facts: manifestFacts(edited) });
    expect(await readManifestAgainst(file, hash, 100)).toBeUndefined();
    expect(await readManifestAgainst(`${file}.missing`, hash, 1 << 30)).toBeUndefined();
  });

  it('keeps the one line of a single file', async () => {
    const dir = tempDir();
    writeFiles(dir, { 'one.bin': 'x' });
    const hash = await hashArtifact(join(dir, 'one.bin'), { threads: 0 });
    const manifest = specHash(join(dir, 'one.bin')).manifest;
    writeFileSync(join(dir, 'm.sha256'), manifest);
    expect(await readManifestAgainst(join(dir, 'm.sha256'), hash, 1 << 20)).toEqual({ same: true, facts: manifestFacts(manifest) });
  });
});
