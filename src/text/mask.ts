// Masks secret values in text and in byte streams, also when a value is split across chunks.
import { PassThrough, Transform } from 'node:stream';

/**
 * Secret values shorter than this many characters (ignoring surrounding white space) are not
 * masked: starring every `a` or `1` in a log destroys the log and, by the pattern of stars, tells a
 * reader the value anyway. The lead may warn about such values; they are never silently "safe".
 */
export const MIN_SECRET_LENGTH = 4;

/** What each run of secret bytes is replaced with. */
export const MASK = '***';

const MASK_BYTES = Buffer.from(MASK);

/** Masks a fixed set of secret values. */
export interface Masker {
  /** True when there is nothing to mask: every text and byte passes unchanged. */
  readonly identity: boolean;
  /** The text with every occurrence of every secret replaced by `***`. */
  mask(text: string): string;
  /** The bytes with every occurrence of every secret replaced by `***` (the same as `stream` of them). */
  maskBytes(bytes: Buffer): Buffer;
  /** A fresh byte stream transform doing the same; its output equals `mask` of the whole input. */
  stream(): Transform;
}

/** Builds a masker for the given secret values (empty and too-short values are ignored). */
export function createMasker(secrets: readonly string[]): Masker {
  const needles = secretVariants(secrets);
  const needleBytes = needles.map((needle) => Buffer.from(needle, 'utf8'));

  const mask = (text: string): string => {
    if (needles.length === 0) return text;
    const found = scan(needles.map((n) => n.length), (i, from) => text.indexOf(needles[i]!, from), text.length, { carry: 0, lastCovered: false });
    return found.pieces.map((piece) => (piece ? text.slice(piece[0], piece[1]) : MASK)).join('');
  };

  const maskBytes = (bytes: Buffer): Buffer => {
    if (needleBytes.length === 0) return bytes;
    const found = scan(needleBytes.map((n) => n.length), (i, from) => bytes.indexOf(needleBytes[i]!, from), bytes.length, { carry: 0, lastCovered: false });
    return Buffer.concat(found.pieces.map((piece) => (piece ? bytes.subarray(piece[0], piece[1]) : MASK_BYTES)));
  };

  const stream = (): Transform => {
    if (needleBytes.length === 0) return new PassThrough();
    // Only bytes that could begin a secret completed by the next chunk wait in `tail` (at most the
    // longest secret less one): memory stays flat however long a line is, and a line without a
    // secret prefix at its end is not held back from the log.
    let tail: Buffer = Buffer.alloc(0);
    let state: ScanState = { carry: 0, lastCovered: false };
    const step = (buf: Buffer, final: boolean): Buffer => {
      const emitEnd = final ? buf.length : buf.length - pendingPrefix(buf, needleBytes);
      const found = scan(needleBytes.map((n) => n.length), (i, from) => buf.indexOf(needleBytes[i]!, from), emitEnd, state);
      state = found.state;
      // Copy the tail so it does not pin the whole incoming chunk in memory.
      tail = Buffer.from(buf.subarray(emitEnd));
      return Buffer.concat(found.pieces.map((piece) => (piece ? buf.subarray(piece[0], piece[1]) : MASK_BYTES)));
    };
    return new Transform({
      transform(chunk: Buffer, _encoding, done) {
        const out = step(tail.length > 0 ? Buffer.concat([tail, chunk]) : chunk, false);
        done(null, out.length > 0 ? out : undefined);
      },
      flush(done) {
        const out = step(tail, true);
        done(null, out.length > 0 ? out : undefined);
      },
    });
  };

  return { identity: needles.length === 0, mask, maskBytes, stream };
}

/**
 * The strings to look for: each value, and each line of it trimmed (a multi-line value such as a
 * key is often printed line by line, as GitHub Actions also assumes), minus the too-short ones.
 */
function secretVariants(secrets: readonly string[]): string[] {
  const variants = new Set<string>();
  for (const value of secrets) {
    for (const candidate of [value, ...value.split(/\r?\n/).map((line) => line.trim())]) {
      if ([...candidate.trim()].length >= MIN_SECRET_LENGTH) variants.add(candidate);
    }
  }
  return [...variants];
}

/** The length of the longest end of `buf` that is the start (not all) of some needle. */
function pendingPrefix(buf: Buffer, needles: Buffer[]): number {
  let longest = 0;
  for (const needle of needles) {
    for (let at = Math.max(0, buf.length - needle.length + 1); at < buf.length - longest; at++) {
      if (buf[at] === needle[0] && buf.compare(needle, 0, buf.length - at, at) === 0) {
        longest = buf.length - at;
        break;
      }
    }
  }
  return longest;
}

/** What a stream carries from one chunk to the next. */
interface ScanState {
  /** How many bytes at the start of the next input are covered by a secret that began earlier. */
  carry: number;
  /** Whether the last byte emitted was covered (so a run continuing into the next input gets no second mask). */
  lastCovered: boolean;
}

/** A copy range of the input, or `null` for one mask. */
type Piece = [number, number] | null;

/**
 * Covers every byte of every occurrence of every needle (overlapping ones included, so two
 * overlapping secrets cannot leak each other's remainder) and emits one mask per maximal covered
 * run, for the input before `emitEnd`. Occurrences starting before `emitEnd` lie wholly in the
 * input because the caller holds back any end of it that could begin a needle.
 */
function scan(
  lengths: number[],
  find: (needle: number, from: number) => number,
  emitEnd: number,
  state: ScanState,
): { pieces: Piece[]; state: ScanState } {
  const runs: Array<[number, number]> = state.carry > 0 ? [[0, state.carry]] : [];
  lengths.forEach((length, i) => {
    // Search again from the next position, not past the match: occurrences may overlap.
    for (let at = find(i, 0); at !== -1 && at < emitEnd; at = find(i, at + 1)) runs.push([at, at + length]);
  });
  runs.sort((a, b) => a[0] - b[0]);

  // Merge touching or overlapping occurrences: one mask per maximal covered run.
  const merged: Array<[number, number]> = [];
  for (const [start, end] of runs) {
    const last = merged.at(-1);
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }

  const pieces: Piece[] = [];
  let position = 0;
  let lastCovered = state.lastCovered;
  for (const [start, end] of merged) {
    if (start >= emitEnd) break; // only a carried run when nothing can be emitted yet
    if (start > position) {
      pieces.push([position, start]);
      lastCovered = false;
    }
    // A run at 0 that the previous input's last byte belongs to already has its mask.
    if (!(start === 0 && lastCovered)) pieces.push(null);
    position = Math.min(end, emitEnd);
    lastCovered = true;
  }
  if (emitEnd > position) {
    pieces.push([position, emitEnd]);
    lastCovered = false;
  }
  const carry = Math.max(0, (merged.at(-1)?.[1] ?? 0) - emitEnd);
  return { pieces, state: { carry, lastCovered } };
}

// Digests, roots and commit ids are one-way values, never a secret's text; masking a 4-character
// secret inside one would only corrupt a number verify recomputes.
const DIGEST_LIKE = /^(?:sha256:)?[0-9a-f]{64}$|^[0-9a-f]{40}$/;

/** Masks every string value and key of a JSON-like value, leaving digests, numbers and booleans alone. */
export function maskDeep<T>(value: T, masker: Masker): T {
  if (typeof value === 'string') return (DIGEST_LIKE.test(value) ? value : masker.mask(value)) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => maskDeep(item, masker)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [masker.mask(k), maskDeep(v, masker)])) as T;
  }
  return value;
}
