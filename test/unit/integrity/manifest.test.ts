import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CutoverError } from '../../../src/errors.js';
import {
  MANIFEST_FORMAT,
  checkEntryPath,
  diffManifests,
  entryPathProblem,
  formatManifest,
  manifestReader,
  parseManifest,
  sortEntries,
  type ManifestLine,
} from '../../../src/integrity/manifest.js';
import { compareUtf8 } from '../../../src/text/utf8.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);
const line = (digest: string, path: string) => `${digest}  ${path}\n`;

// Paths drawn from characters whose UTF-16 and UTF-8 orders disagree (U+E000+, astral) and separators.
const tricky = fc.string({
  unit: fc.constantFrom('a', 'B', '-', '.', '_', 'é', '\uE000', 'ｚ', '𝒜', '😀', '~'),
  minLength: 1,
  maxLength: 8,
});
const digest = fc.stringMatching(/^[0-9a-f]{64}$/);
// Any code point but a lone surrogate, spread over ASCII, the rest of the BMP and the astral planes.
const codePoint = fc
  .oneof(fc.integer({ min: 0, max: 0x7f }), fc.integer({ min: 0x80, max: 0xffff }), fc.integer({ min: 0x10000, max: 0x10ffff }))
  .filter((c) => c < 0xd800 || c > 0xdfff)
  .map((c) => String.fromCodePoint(c));
const anyString = fc.string({ unit: codePoint });

function problemsOf(run: () => unknown): { code: string; line?: number; col?: number }[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CutoverError);
    return (error as CutoverError).problems.map(({ code, line, col }) => ({ code, line, col }));
  }
  throw new Error('expected a CutoverError');
}

describe('entry paths', () => {
  it('accepts nested, non-ASCII and astral names', () => {
    for (const path of ['a', 'dir/file.txt', 'naïve/ｚ.txt', '𝒜/b c', ' lead', '*star', '.hidden', 'a..b']) {
      expect(entryPathProblem(path)).toBeUndefined();
      expect(checkEntryPath(path)).toBe(path);
    }
  });

  it('refuses control characters, backslashes, invalid UTF-8 and non-canonical forms', () => {
    const bad: (string | Uint8Array)[] = [
      'a\nb',
      'tab\there',
      'nul\u0000',
      'del\u007f',
      'cr\r',
      'a\\b',
      '\uD835lone',
      '',
      '/abs',
      'a//b',
      'a/',
      './a',
      'a/../b',
      '..',
    ];
    bad.push(Uint8Array.from([0x61, 0xff, 0x62]), Uint8Array.from([0xc3]));
    for (const path of bad) {
      expect(entryPathProblem(path), JSON.stringify(String(path))).toBeDefined();
      expect(problemsOf(() => checkEntryPath(path))[0]?.code).toBe('ARTIFACT_INVALID');
    }
  });

  it('names the offending path in the error, escaping bytes that are not text', () => {
    expect(() => checkEntryPath('dir/a\u0001b')).toThrow('"dir/a\\u0001b"');
    expect(() => checkEntryPath(Uint8Array.from([0x78, 0xff]))).toThrow('"x\\xff"');
  });
});

describe('byte order', () => {
  it('sorts by UTF-8 bytes, not UTF-16 units', () => {
    const entries = ['𝒜.txt', 'ｚ.txt', 'b', 'B', 'a/b', 'a-b', 'é'].map((path) => ({ path, digest: A }));
    expect(sortEntries(entries).map((e) => e.path)).toEqual(['B', 'a-b', 'a/b', 'b', 'é', 'ｚ.txt', '𝒜.txt']);
    expect(['𝒜.txt', 'ｚ.txt'].sort()).toEqual(['𝒜.txt', 'ｚ.txt']); // the default sort disagrees
  });

  it('compareUtf8 agrees with Buffer.compare on any strings', () => {
    fc.assert(
      fc.property(fc.oneof(tricky, anyString), fc.oneof(tricky, anyString), (a, b) => {
        expect(Math.sign(compareUtf8(a, b))).toBe(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
      }),
    );
  });

  it('sortEntries equals sorting the UTF-8 encodings with Buffer.compare', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(tricky, anyString), { maxLength: 40 }), (paths) => {
        const expected = paths
          .map((p) => Buffer.from(p))
          .sort(Buffer.compare)
          .map((b) => b.toString());
        expect(sortEntries(paths.map((path) => ({ path, digest: A }))).map((e) => e.path)).toEqual(expected);
      }),
    );
  });
});

describe('manifest text', () => {
  it('is the sha256sum format, one line an entry', () => {
    expect(MANIFEST_FORMAT).toBe('cutover-manifest/v1');
    expect(
      formatManifest([
        { path: 'a', digest: A },
        { path: 'b/c', digest: B },
      ]),
    ).toBe(`${A}  a\n${B}  b/c\n`);
    expect(formatManifest([])).toBe('');
  });

  it('round-trips through parseManifest for any valid sorted entry set', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.record({ path: tricky.filter((p) => !entryPathProblem(p)), digest }), { selector: (e) => e.path, maxLength: 30 }),
        (entries) => {
          const text = formatManifest(sortEntries(entries));
          expect(formatManifest(parseManifest(text))).toBe(text);
        },
      ),
    );
  });

  it('reports every malformed line with its number and column', () => {
    const text = [line(A, 'b'), line(A.toUpperCase(), 'c'), `${B} d\n`, line(B, 'a'), line(C, 'a'), line(C, 'x\\y'), line(C, 'x\ry')].join(
      '',
    );
    expect(problemsOf(() => parseManifest(text, 'm.sha256'))).toEqual([
      { code: 'ARTIFACT_INVALID', line: 2, col: 1 },
      { code: 'ARTIFACT_INVALID', line: 3, col: 65 },
      { code: 'ARTIFACT_INVALID', line: 4, col: 67 },
      { code: 'ARTIFACT_INVALID', line: 5, col: 67 },
      { code: 'ARTIFACT_INVALID', line: 6, col: 67 },
      { code: 'ARTIFACT_INVALID', line: 7, col: 67 },
    ]);
  });

  it('refuses a missing final newline, blank lines and byte-order violations', () => {
    expect(problemsOf(() => parseManifest(`${A}  a`))).toEqual([{ code: 'ARTIFACT_INVALID', line: 1, col: 1 }]);
    expect(problemsOf(() => parseManifest(`${line(A, 'a')}\n`))[0]?.line).toBe(2);
    expect(problemsOf(() => parseManifest(line(A, '𝒜') + line(A, 'ｚ')))[0]?.line).toBe(2);
    expect(parseManifest(line(A, 'ｚ') + line(A, '𝒜')).map((e) => e.path)).toEqual(['ｚ', '𝒜']);
  });

  it('carries the file name into the positions', () => {
    try {
      parseManifest('nope\n', 'manifests/candidate.sha256');
    } catch (error) {
      expect((error as CutoverError).position).toEqual({ file: 'manifests/candidate.sha256', line: 1, col: 1 });
    }
  });
});

describe('diffManifests', () => {
  it('lists added, removed and changed paths in byte order', () => {
    const before: ManifestLine[] = [
      { path: 'keep', digest: A },
      { path: 'gone', digest: A },
      { path: 'edit', digest: A },
    ];
    const after: ManifestLine[] = [
      { path: 'keep', digest: A },
      { path: 'edit', digest: B },
      { path: '𝒜', digest: C },
      { path: 'ｚ', digest: C },
    ];
    expect(diffManifests(before, after)).toEqual({ added: ['ｚ', '𝒜'], removed: ['gone'], changed: ['edit'] });
    expect(diffManifests(after, after)).toEqual({ added: [], removed: [], changed: [] });
  });

  it('is antisymmetric: swapping sides swaps added and removed', () => {
    const side = fc.uniqueArray(fc.record({ path: tricky, digest: fc.constantFrom(A, B) }), { selector: (e) => e.path, maxLength: 12 });
    fc.assert(
      fc.property(side, side, (x, y) => {
        const forward = diffManifests(x, y);
        const backward = diffManifests(y, x);
        expect(backward).toEqual({ added: forward.removed, removed: forward.added, changed: forward.changed });
      }),
    );
  });
});

describe('manifestReader', () => {
  // Good lines, a bad digest, paths out of order and a duplicate, and an unterminated last line.
  const text = [line(A, 'a'), line(B, 'c/é'), 'xyz  bad\n', line(C, 'b'), line(C, 'c/é'), line(A, 'z'), `${A}  zz`].join('');
  const whole = () => parseManifest(text, 'm');

  it('reads a manifest fed in pieces cut anywhere exactly as the whole text', () => {
    const expected = (() => {
      try {
        return whole();
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(typeof expected).toBe('string');
    for (let cut = 0; cut <= text.length; cut++) {
      const seen: ManifestLine[] = [];
      const reader = manifestReader('m', (entry) => seen.push(entry));
      reader.feed(text.slice(0, cut));
      reader.feed(text.slice(cut));
      expect(() => reader.end()).toThrow(expected as string);
      expect(seen.map((e) => e.path)).toEqual(['a', 'c/é', 'c/é', 'z']);
    }
  });

  it('gives the entries of a valid manifest fed a line at a time', () => {
    const valid = [line(A, 'a'), line(B, 'b/é'), line(C, 'b/😀')].join('');
    const seen: ManifestLine[] = [];
    const reader = manifestReader('m', (entry) => seen.push(entry));
    for (const piece of valid.split(/(?<=\n)/)) reader.feed(piece);
    reader.end();
    expect(seen).toEqual(parseManifest(valid));
  });
});
