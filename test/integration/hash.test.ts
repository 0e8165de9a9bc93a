// hashArtifact and `cutover hash` against an independent implementation of docs/integrity.md, sha256sum and real trees.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CutoverError } from '../../src/errors.js';
import { memoryIo } from '../../src/adapters/io.js';
import { hash } from '../../src/commands/hash.js';
import { hashArtifact, isManifestOf } from '../../src/integrity/hash-artifact.js';
import { HashPool, digestsHex, type HashProgress } from '../../src/integrity/hash-files.js';
import { sha, specHash } from '../helpers/spec-hash.js';

// ---- fixtures ----
const scratch = mkdtempSync(join(tmpdir(), 'cutover-hash-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let counter = 0;
function tree(files: Record<string, string | Buffer>, dirs: string[] = []): string {
  const root = join(scratch, `t${counter++}`);
  mkdirSync(root);
  for (const dir of dirs) mkdirSync(join(root, dir), { recursive: true });
  const made = new Set<string>();
  for (const [path, content] of Object.entries(files)) {
    const dir = dirname(join(root, path));
    if (!made.has(dir)) mkdirSync(dir, { recursive: true });
    made.add(dir);
    writeFileSync(join(root, path), content);
  }
  return root;
}
async function refusal(run: () => Promise<unknown>): Promise<CutoverError> {
  const error = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CutoverError);
  return error as CutoverError;
}
const unicodeTree = () =>
  tree(
    {
      'b.txt': 'b\n',
      '𝒜.txt': 'astral\n',
      'ｚ.txt': 'fullwidth\n',
      'é/ñ.csv': 'x,y\n',
      'a/empty': '',
      'a/b/c/deep.bin': Buffer.from([0, 1, 2, 255]),
      'a-b': 'dash\n',
      A: 'upper',
      'mod/😀': 'emoji',
    },
    ['empty-dir/inner'],
  );

describe('hashArtifact equals the independent implementation', () => {
  it('for nested folders, Unicode names beyond U+FFFF, empty files and an empty folder', async () => {
    const root = unicodeTree();
    const ours = await hashArtifact(root, { children: true });
    const spec = specHash(root);
    expect(ours.manifest).toBe(spec.manifest);
    expect(ours.root).toBe(spec.root);
    expect(ours.children).toEqual(spec.children);
    expect(ours.manifest.indexOf('ｚ.txt')).toBeLessThan(ours.manifest.indexOf('𝒜.txt'));
    expect(ours.manifest).not.toContain('empty-dir');
    expect({ files: ours.files, bytes: ours.bytes }).toEqual({ files: 9, bytes: 2 + 7 + 10 + 4 + 0 + 4 + 5 + 5 + 5 });
    expect(ours.entries.find((e) => e.path === 'a/empty')).toMatchObject({ size: 0, digest: sha(new Uint8Array()).toString('hex') });
  });

  it('for 10,000 files', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 10_000; i++) files[`d${i % 17}/f${i}.txt`] = `file ${i}\n`.repeat(i % 5);
    const root = tree(files);
    const ours = await hashArtifact(root, { children: true });
    const spec = specHash(root);
    expect(ours.files).toBe(10_000);
    expect(ours.root).toBe(spec.root);
    expect(ours.manifest).toBe(spec.manifest);
    expect(ours.children).toEqual(spec.children);
  });

  it('tells whether a text is its manifest, built or not, byte for byte', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 9000; i++) files[`d${i % 3}/f${i}`] = `${i}`; // more lines than one block of the comparison
    const root = tree(files);
    const { manifest } = specHash(root);
    const last = manifest.length - 2;
    const others = [manifest.slice(0, -1), `${manifest}x`, `${manifest.slice(0, last)}${manifest[last] === 'a' ? 'b' : 'a'}\n`, ''];
    const unbuilt = await hashArtifact(root);
    expect(isManifestOf(unbuilt, manifest)).toBe(true);
    for (const other of others) expect(isManifestOf(unbuilt, other)).toBe(false);
    const built = await hashArtifact(root);
    expect(built.manifest).toBe(manifest);
    expect(isManifestOf(built, manifest)).toBe(true);
    for (const other of others) expect(isManifestOf(built, other)).toBe(false);
  });

  it('tells whether bytes are its manifest, built or not, without building it', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 3000; i++) files[`d${i % 3}/é${i}`] = `${i}`; // more lines than one block of the comparison
    const root = tree(files);
    const manifest = Buffer.from(specHash(root).manifest);
    const flipped = Buffer.from(manifest);
    flipped[40_000] = flipped[40_000] === 0x61 ? 0x62 : 0x61;
    const others = [manifest.subarray(0, -1), Buffer.concat([manifest, Buffer.from('x')]), flipped, Buffer.alloc(0)];
    const unbuilt = await hashArtifact(root);
    expect(isManifestOf(unbuilt, manifest)).toBe(true);
    for (const other of others) expect(isManifestOf(unbuilt, other)).toBe(false);
    expect(isManifestOf(unbuilt, manifest.toString('utf8').replace('é', 'e'))).toBe(false); // unbuilt still: compared in place
    const built = await hashArtifact(root);
    expect(Buffer.from(built.manifest).equals(manifest)).toBe(true);
    expect(isManifestOf(built, manifest)).toBe(true);
    for (const other of others) expect(isManifestOf(built, other)).toBe(false);
  });

  it('for a single-file artifact, named by its base name', async () => {
    const root = tree({ 'report ü.json': '{"ok":true}\n' });
    const file = join(root, 'report ü.json');
    const ours = await hashArtifact(file, { children: true });
    expect(ours.manifest).toBe(specHash(file).manifest);
    expect(ours.root).toBe(specHash(file).root);
    expect(ours.entries.map((e) => e.path)).toEqual(['report ü.json']);
    expect(ours.children).toEqual({});
  });

  it('for an empty folder: no entries, the root of the empty tree', async () => {
    const ours = await hashArtifact(tree({}, ['only/empty']));
    expect(ours).toMatchObject({ manifest: '', files: 0, bytes: 0, root: `sha256:${sha(new Uint8Array()).toString('hex')}` });
  });

  it('streams a file bigger than the read buffer and reports progress up to the totals', async () => {
    const big = Buffer.alloc((65 << 20) | 12345, 7);
    big.write('not all sevens', 3 << 20);
    const root = tree({ 'big.bin': big, 'small/a': 'a', 'small/b': '' });
    const seen: HashProgress[] = [];
    const ours = await hashArtifact(root, { onProgress: (p) => seen.push(p) });
    expect(ours.root).toBe(specHash(root).root);
    // While the files are being listed their count is not known yet; then the totals are.
    expect(seen[0]).toEqual({ files: 0, bytes: 0, totalFiles: 0, counting: true });
    expect(seen).toContainEqual({ files: 0, bytes: 0, totalFiles: 3, totalBytes: big.length + 1 });
    expect(seen.at(-1)).toEqual({ files: 3, bytes: big.length + 1, totalFiles: 3, totalBytes: big.length + 1 });
    expect(seen.every((p, i) => i === 0 || (p.files >= (seen[i - 1]?.files ?? 0) && p.bytes >= (seen[i - 1]?.bytes ?? 0)))).toBe(true);
  });

  const built = fileURLToPath(new URL('../../dist/integrity/hash-artifact.js', import.meta.url));
  it.skipIf(!existsSync(built))('gives the same result on worker threads (built dist/)', () => {
    const files: Record<string, string | Buffer> = Object.fromEntries(
      // More files than one Merkle chunk (4,096 leaves), so the threads build several subtrees and a partial one.
      Array.from({ length: 5000 }, (_, i) => [`w/${i % 7}/${i}`, `${i}`.repeat(i % 300)]),
    );
    files['big/one.bin'] = Buffer.alloc(16 << 20, 1); // bigger than the read buffer: streamed
    files['big/two.bin'] = Buffer.alloc((16 << 20) + 1, 2);
    const root = tree(files);
    const script = `import(process.argv[1]).then(async (m) => { const r = await m.hashArtifact(process.argv[2], { threads: 2 }); process.stdout.write(r.root); })`;
    const result = spawnSync(process.execPath, ['-e', script, built, root], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(specHash(root).root);
  });

  const builtPool = fileURLToPath(new URL('../../dist/integrity/hash-files.js', import.meta.url));
  it.skipIf(!existsSync(builtPool))('hashes a full segment on the worker threads before the list has ended (built dist/)', () => {
    const root = tree(Object.fromEntries(Array.from({ length: 4100 }, (_, i) => [`s/${String(i).padStart(5, '0')}`, `${i}`])));
    // 4,096 files make a segment: the workers hash it while the list is still open, and only then
    // are the last four added and the list ended.
    const script = `
      const m = await import(process.argv[2]);
      const pool = new m.HashPool(1);
      let progress;
      const stream = pool.stream(process.argv[3], { onProgress: (p) => (progress = p) });
      pool.start();
      for (let i = 0; i < 4096; i++) stream.add('s/' + String(i).padStart(5, '0'));
      const since = Date.now();
      while (!(stream.progress.files === 4096 && stream.progress.counting)) {
        if (Date.now() - since > 20000) throw new Error('the open list was not hashed: ' + JSON.stringify(stream.progress));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      for (let i = 4096; i < 4100; i++) stream.add('s/' + String(i).padStart(5, '0'));
      const columns = await stream.end();
      await pool.close();
      process.stdout.write(JSON.stringify({ count: columns.count, segments: columns.segments.length, progress }));`;
    const file = join(scratch, 'open-list.mjs');
    writeFileSync(file, script);
    const result = spawnSync(process.execPath, [file, builtPool, root], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({
      count: 4100,
      segments: 2,
      progress: { files: 4100, bytes: expect.any(Number), totalFiles: 4100 },
    });
  });

  it('on this thread, hashes a big file in slices that let timers and signals be served', async () => {
    const content = Buffer.alloc(128 << 20, 3);
    const root = tree({ 'big.bin': content });
    const pool = new HashPool(0);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      const columns = await pool.hash(root, ['big.bin']);
      expect(digestsHex(columns, 0, 1)).toBe(sha(content).toString('hex'));
    } finally {
      clearInterval(timer);
      await pool.close();
    }
    // The file read in one go would let no timer run until it was hashed; slices of 8 ms let many.
    expect(ticks).toBeGreaterThanOrEqual(3);
  });
});

describe('sha256sum -c accepts our manifest', () => {
  it('run in the artifact root', async () => {
    const root = unicodeTree();
    const manifestFile = join(scratch, `m${counter++}.sha256`);
    writeFileSync(manifestFile, (await hashArtifact(root)).manifest);
    const check = spawnSync('sha256sum', ['-c', '--strict', manifestFile], { cwd: root, encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
    expect(check.stdout.match(/: OK$/gm)).toHaveLength(9);
    writeFileSync(join(root, 'a/empty'), 'changed');
    expect(spawnSync('sha256sum', ['-c', '--quiet', manifestFile], { cwd: root }).status).toBe(1);
  });
});

describe('what an artifact may not hold', () => {
  const cases: [string, (root: string) => string][] = [
    [
      'a symbolic link',
      (root) => {
        symlinkSync('keep.txt', join(root, 'sub/link.txt'));
        return 'sub/link.txt';
      },
    ],
    [
      'a link to a folder',
      (root) => {
        symlinkSync('/tmp', join(root, 'sub/tmp'));
        return 'sub/tmp';
      },
    ],
    [
      'a FIFO',
      (root) => {
        spawnSync('mkfifo', [join(root, 'sub/pipe')]);
        return 'sub/pipe';
      },
    ],
    [
      'a control character',
      (root) => {
        writeFileSync(join(root, 'sub/bell\u0007.txt'), '');
        return 'sub/bell\\u0007.txt';
      },
    ],
    [
      'a backslash',
      (root) => {
        writeFileSync(join(root, 'sub/back\\slash'), '');
        return 'sub/back\\\\slash';
      },
    ],
    [
      'bytes that are not UTF-8',
      (root) => {
        writeFileSync(Buffer.concat([Buffer.from(`${root}/sub/latin-`), Buffer.from([0xe9])]), '');
        return 'sub/latin-\\xe9';
      },
    ],
  ];
  for (const [what, plant] of cases) {
    it(`refuses ${what}, naming the path (ARTIFACT_INVALID, exit 2)`, async () => {
      const root = tree({ 'keep.txt': 'k', 'sub/keep.txt': 'k' });
      const named = plant(root);
      const error = await refusal(() => hashArtifact(root));
      expect(error.code).toBe('ARTIFACT_INVALID');
      expect(error.exitCode).toBe(2);
      expect(error.message).toContain(named);
      expect((await refusal(() => hash({ path: basename(root) }, memoryIo({ cwd: scratch })))).code).toBe('ARTIFACT_INVALID');
    });
  }

  it('refuses an artifact that is itself a link, or missing', async () => {
    const root = tree({ 'f.txt': 'f' });
    symlinkSync(join(root, 'f.txt'), join(root, 'link'));
    expect((await refusal(() => hashArtifact(join(root, 'link')))).code).toBe('ARTIFACT_INVALID');
    expect((await refusal(() => hashArtifact(join(root, 'missing')))).code).toBe('ARTIFACT_INVALID');
  });
});

describe('cutover hash', () => {
  it('prints the root, the manifest, or one JSON document', async () => {
    const root = unicodeTree();
    const spec = specHash(root);
    const io = memoryIo({ cwd: dirname(root) });
    expect(await hash({ path: basename(root) }, io)).toBe(0);
    expect(io.out()).toBe(`${spec.root}\n`);
    const listing = memoryIo({ cwd: root });
    await hash({ path: '.', manifest: true }, listing);
    expect(listing.out()).toBe(spec.manifest);
    const json = memoryIo({ cwd: dirname(root), format: 'json' });
    await hash({ path: basename(root), manifest: true }, json);
    const doc = JSON.parse(json.out()) as { format: string; root: string; files: number; entries: { path: string }[] };
    expect(doc).toMatchObject({ format: 'cutover-manifest/v1', path: basename(root), root: spec.root, files: 9, bytes: 42 });
    expect(doc.entries.map((e) => e.path)).toEqual(
      spec.manifest
        .split('\n')
        .slice(0, -1)
        .map((l) => l.slice(66)),
    );
  });

  it('refuses conflicting or missing options (USAGE, exit 2)', async () => {
    const io = memoryIo({ cwd: scratch });
    for (const options of [{}, { path: '.', manifest: true, prove: 'x' }, { path: '.', root: 'sha256:00' }]) {
      const error = await refusal(() => hash(options, io));
      expect([error.code, error.exitCode]).toEqual(['USAGE', 2]);
    }
  });
});

describe('inclusion proofs through cutover hash', () => {
  const docPath = fileURLToPath(new URL('../../docs/integrity.md', import.meta.url));
  const docBlock = (lang: string, name = '') => {
    const match = new RegExp(`^\`\`\`${lang}${name ? ` ${name}` : ''}\\n([\\s\\S]*?)^\`\`\`$`, 'm').exec(readFileSync(docPath, 'utf8'));
    if (!match) throw new Error(`no ${lang} ${name} block in docs/integrity.md`);
    return match[1] as string;
  };
  const example = () => tree(JSON.parse(docBlock('json', 'files')) as Record<string, string>);
  const prove = async (cwd: string, path: string, file: string) => {
    const io = memoryIo({ cwd });
    expect(await hash({ path, prove: file }, io)).toBe(0);
    const proofFile = join(scratch, `proof${counter++}.json`);
    writeFileSync(proofFile, io.out());
    return { text: io.out(), proofFile };
  };
  const check = (options: { path?: string; root?: string }, proofFile: string, format: 'text' | 'json' = 'text') => {
    const io = memoryIo({ cwd: scratch, format });
    return hash({ checkProof: proofFile, ...options }, io).then((code) => ({ code, out: io.out() }));
  };

  it('writes the worked example proof of docs/integrity.md exactly, by entry path or by file path', async () => {
    const root = example();
    expect((await prove(root, '.', 'ｚ.txt')).text).toBe(docBlock('json', 'proof'));
    expect((await prove(scratch, root, join(root, 'ｚ.txt'))).text).toBe(docBlock('json', 'proof'));
    expect((await refusal(() => prove(root, '.', 'nope.txt'))).code).toBe('USAGE');
  });

  it('checks a proof against its root, a given root, and the file on disk', async () => {
    const root = unicodeTree();
    const { proofFile } = await prove(root, '.', 'a/b/c/deep.bin');
    expect(await check({}, proofFile)).toMatchObject({ code: 0, out: expect.stringContaining('proof holds') as unknown });
    const json = JSON.parse((await check({ path: root }, proofFile, 'json')).out) as { valid: boolean; fileChecked: boolean };
    expect(json).toMatchObject({ valid: true, fileChecked: true });
    const other = (await hashArtifact(tree({ x: 'x' }))).root;
    const wrongRoot = await refusal(() => check({ root: other }, proofFile));
    expect([wrongRoot.code, wrongRoot.exitCode]).toEqual(['PROOF_INVALID', 4]);
    writeFileSync(join(root, 'a/b/c/deep.bin'), 'tampered');
    expect((await refusal(() => check({ path: root }, proofFile))).code).toBe('PROOF_INVALID');
  });

  it('refuses a tampered proof (exit 4) and a malformed one (exit 2)', async () => {
    const { proofFile, text } = await prove(example(), '.', '𝒜.txt');
    const doc = JSON.parse(text) as { proof: string[]; index: number; line: string };
    const variants = [
      { ...doc, index: doc.index - 1 },
      { ...doc, proof: doc.proof.slice(1) },
      { ...doc, proof: doc.proof.map((p) => p.replace(/^./, (c) => (c === '0' ? '1' : '0'))) },
      { ...doc, line: doc.line.replace(/^./, (c) => (c === '0' ? '1' : '0')) },
      { ...doc, line: doc.line.replace('𝒜', 'ｚ') },
    ];
    for (const variant of variants) {
      writeFileSync(proofFile, JSON.stringify(variant));
      expect((await refusal(() => check({}, proofFile))).exitCode).toBe(4);
    }
    for (const broken of ['{', '[]', JSON.stringify({ ...doc, format: 'other' }), JSON.stringify({ ...doc, proof: ['zz'] })]) {
      writeFileSync(proofFile, broken);
      expect((await refusal(() => check({}, proofFile))).exitCode).toBe(2);
    }
  });
});

describe('the independent Python checker of docs/integrity.md', () => {
  const python = spawnSync('python3', ['--version']).status === 0;
  it.skipIf(!python)('computes the same roots and manifest as cutover', async () => {
    const script = join(scratch, 'root.py');
    writeFileSync(
      script,
      /^```python\n([\s\S]*?)^```$/m.exec(readFileSync(fileURLToPath(new URL('../../docs/integrity.md', import.meta.url)), 'utf8'))?.[1] ??
        '',
    );
    const root = unicodeTree();
    const run = (...args: string[]) => spawnSync('python3', [script, ...args], { encoding: 'utf8' });
    const ours = await hashArtifact(root);
    expect(run(root).stdout).toBe(`${ours.root}\n`);
    expect(run(root, '--manifest').stdout).toBe(ours.manifest);
    expect(run(join(root, 'b.txt')).stdout).toBe(`${(await hashArtifact(join(root, 'b.txt'))).root}\n`);
  });
});
