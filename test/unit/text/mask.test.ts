import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMasker, MASK, MIN_SECRET_LENGTH } from '../../../src/text/mask.js';

/** Feeds the chunks through a fresh stream of the masker and returns everything it put out. */
async function maskStream(secrets: string[], chunks: Buffer[]): Promise<Buffer> {
  return buffer(Readable.from(chunks).pipe(createMasker(secrets).stream()));
}

/** Splits bytes at the given cut points (any order, any values). */
function splitAt(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(from, point));
    from = point;
  }
  return chunks.filter((c) => c.length > 0);
}

describe('createMasker().mask', () => {
  it('replaces every occurrence of every secret', () => {
    const { mask } = createMasker(['hunter22', 'tok-abc']);
    expect(mask('pw=hunter22 token=tok-abc again hunter22')).toBe(`pw=${MASK} token=${MASK} again ${MASK}`);
  });

  it(`ignores empty values and values shorter than ${MIN_SECRET_LENGTH} characters`, () => {
    const { mask } = createMasker(['', 'abc', '  x  ', 'abcd']);
    expect(mask('abc x abcd')).toBe(`abc x ${MASK}`);
  });

  it('masks both of two overlapping secrets completely, as one run', () => {
    const { mask } = createMasker(['abcdef', 'defghi']);
    expect(mask('>abcdefghi<')).toBe(`>${MASK}<`);
  });

  it('masks each line of a multi-line secret on its own', () => {
    const { mask } = createMasker(['line-one\nline-two\r\nx']);
    expect(mask('a line-two b line-one\nline-two\r\nx c')).toBe(`a ${MASK} b ${MASK} c`);
  });

  it('leaves text without secrets untouched, including lone surrogates', () => {
    const text = 'plain \ud800 text';
    expect(createMasker(['secret!']).mask(text)).toBe(text);
    expect(createMasker([]).mask(text)).toBe(text);
  });

  it('masks non-ASCII secrets', () => {
    expect(createMasker(['pässwörd€']).mask('x=pässwörd€;')).toBe(`x=${MASK};`);
  });
});

describe('createMasker().stream', () => {
  it('catches a secret split across chunks, also inside a multi-byte character', async () => {
    const secret = 'ключ-🔑-secret';
    const bytes = Buffer.from(`before ${secret} after`);
    // Split one byte at a time: every boundary, including those inside a character.
    const chunks = [...bytes].map((b) => Buffer.from([b]));
    const out = await maskStream([secret], chunks);
    expect(out.toString()).toBe(`before ${MASK} after`);
  });

  it('passes bytes through unchanged when there is no secret, and says so', async () => {
    const bytes = Buffer.from([0xff, 0x00, 0xe2, 0x82]);
    expect(createMasker([]).identity).toBe(true);
    expect(createMasker(['ab']).identity).toBe(true); // too short to mask
    expect(createMasker(['abcd']).identity).toBe(false);
    expect(createMasker([]).maskBytes(bytes)).toBe(bytes);
  });

  it('passes a stream through unchanged when there is no secret', async () => {
    const bytes = Buffer.from([0xff, 0x00, 0xc3, 0x28]);
    expect(await maskStream([], [bytes])).toEqual(bytes);
    expect(await maskStream(['abcd'], [bytes])).toEqual(bytes);
  });

  it('holds back only an end that could begin a secret', async () => {
    const masked = createMasker(['0123456789']).stream();
    const seen: Buffer[] = [];
    masked.on('data', (chunk: Buffer) => seen.push(chunk));
    masked.write(Buffer.from('line one\n'));
    masked.write(Buffer.from('x0x012'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(Buffer.concat(seen).toString()).toBe('line one\nx0x');
    masked.end(Buffer.from('3456789!'));
    await new Promise((resolve) => masked.once('end', resolve));
    expect(Buffer.concat(seen).toString()).toBe(`line one\nx0x${MASK}!`);
  });

  it('never lets a secret through, whatever the chunking, and agrees with mask()', async () => {
    // Secrets from a small alphabet so they overlap each other and the filler; no `*`, which a mask could complete.
    const alphabet = fc.constantFrom('a', 'b', 'c', 'é', '🔑', ' ', '\n');
    const secret = fc.array(alphabet, { minLength: MIN_SECRET_LENGTH, maxLength: 12 }).map((cs) => cs.join(''));
    const filler = fc.array(fc.oneof(alphabet, fc.constantFrom('x', 'y')), { maxLength: 60 }).map((cs) => cs.join(''));
    await fc.assert(
      fc.asyncProperty(
        fc.array(secret, { minLength: 1, maxLength: 3 }),
        fc.array(fc.tuple(filler, fc.nat()), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        async (secrets, parts, cuts) => {
          const masker = createMasker(secrets);
          // Insert secrets between pieces of filler, chosen by index.
          const text = parts.map(([fill, pick]) => fill + secrets[pick % secrets.length]!).join('');
          const out = (await maskStream(secrets, splitAt(Buffer.from(text), cuts))).toString();
          expect(out).toBe(masker.mask(text));
          expect(masker.maskBytes(Buffer.from(text)).toString()).toBe(out);
          for (const s of secrets) if ([...s.trim()].length >= MIN_SECRET_LENGTH) expect(out).not.toContain(s);
        },
      ),
      { numRuns: 500 },
    );
  });
});
