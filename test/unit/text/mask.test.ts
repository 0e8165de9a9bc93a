import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMasker, MASK } from '../../../src/text/mask.js';
import { MIN_SECRET_LENGTH } from '../../../src/text/secret-variants.js';

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

describe('the escaped forms of a secret', () => {
  // Secrets with what escapes change: quotes, backslashes, line breaks, %, :, ",", Markdown's
  // punctuation, regex metacharacters, `$` and non-ASCII.
  const secrets = ['Tr0ub"le\\Pa55 w0rd', 'a\\b"c\nline-two', '50%:off,now', '$(x)|[y]*{z}^.+?', 'pässwörd€ 🔑', 'tab\tand\u0001ctl'];
  const once = (s: string) => JSON.stringify(s).slice(1, -1);
  const escapeData = (s: string) => s.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');

  it('masks a secret JSON-escaped once, twice and three times, as messages and records quote it', () => {
    for (const secret of secrets) {
      const { mask } = createMasker([secret]);
      for (const form of [once(secret), once(once(secret)), once(once(once(secret)))]) {
        expect(mask(`before ${form} after`), JSON.stringify(form)).toBe(`before ${MASK} after`);
      }
    }
  });

  it('masks a secret as a workflow command escapes it, in a message and in a property', () => {
    for (const secret of secrets) {
      const { mask } = createMasker([secret]);
      const property = escapeData(secret).replaceAll(':', '%3A').replaceAll(',', '%2C');
      for (const form of [escapeData(secret), property, escapeData(once(secret))]) expect(mask(`x ${form} y`), form).toBe(`x ${MASK} y`);
    }
  });

  it('masks a secret as Markdown and one-line messages write it', () => {
    const { mask } = createMasker(['a\\b*c_d\ne|f`g']);
    expect(mask('x a\\\\b\\*c\\_d e\\|f\\`g y')).toBe(`x ${MASK} y`); // Markdown text
    expect(mask("x a\\b*c_d e¦f'g y")).toBe(`x ${MASK} y`); // a code span
    expect(mask('x a\\b*c_d e|f`g y')).toBe(`x ${MASK} y`); // one line
  });

  it('leaves a digest or commit id alone when a shorter secret occurs inside it, not a secret that is one', () => {
    const digest = `sha256:${'0123abcd'.repeat(8)}`;
    const commit = 'abcd0123'.repeat(5);
    const { mask } = createMasker(['abcd', commit]);
    expect(mask(`root ${digest}`)).toBe(`root ${digest}`);
    expect(mask(`commit ${commit}`)).toBe(`commit ${MASK}`);
    expect(mask(`x abcd ${'0123abcd'.repeat(8)} abcd0`)).toBe(`x ${MASK} ${'0123abcd'.repeat(8)} ${MASK}0`);
  });
});

describe('createMasker().maskJson', () => {
  it('masks inside strings and keys, never a number, and keeps the document valid', () => {
    const masker = createMasker(['1234', 'pa"ss\\word']);
    const doc = { 'pa"ss\\word': 1234, reason: 'pin 1234 and pa"ss\\word', quoted: JSON.stringify('pa"ss\\word'), n: 12345 };
    const out = masker.maskJson(JSON.stringify(doc, null, 2));
    expect(JSON.parse(out)).toEqual({ [MASK]: 1234, reason: `pin ${MASK} and ${MASK}`, quoted: `"${MASK}"`, n: 12345 });
  });

  it('never splits an escape sequence, whatever the secret and the text', () => {
    const unit = fc.constantFrom('a', 'n', 'u', '0', '"', '\\', '\n', '\u0001', 'é', ' ');
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit, minLength: 4, maxLength: 8 }), { minLength: 1, maxLength: 3 }),
        fc.array(fc.string({ unit, maxLength: 30 }), { maxLength: 4 }),
        (secrets, values) => {
          const masker = createMasker(secrets);
          const text = JSON.stringify({ values, joined: values.join(secrets[0]) });
          const out = masker.maskJson(text);
          expect(() => JSON.parse(out)).not.toThrow();
          // What the strings held, masked: no secret's value is left in any of them.
          for (const value of Object.values(JSON.parse(out) as Record<string, unknown>).flat() as string[]) {
            for (const s of secrets) if ([...s.trim()].length >= MIN_SECRET_LENGTH) expect(value).not.toContain(s);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
