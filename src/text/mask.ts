// Masks secret values (in every form secretVariants lists) in text, JSON and byte streams, also when a value is split across chunks.
import { PassThrough, Transform } from 'node:stream';
import { secretVariants } from './secret-variants.js';

/** What each run of secret bytes is replaced with. */
export const MASK = '***';

const MASK_BYTES = Buffer.from(MASK);

/** Masks a fixed set of secret values. */
export interface Masker {
  /** True when there is nothing to mask: every text and byte passes unchanged. */
  readonly identity: boolean;
  /**
   * The text with every occurrence of every secret replaced by `***`, except inside a digest or
   * commit id (64 or 40 hex digits) that is longer than the occurrence: those are one-way values
   * that verify recomputes, and a short secret inside one is chance, not the secret.
   */
  mask(text: string): string;
  /**
   * The same for a JSON text, inside its strings (and keys) only, a mask never splitting an escape
   * sequence: the document stays valid JSON with the same shape. Numbers, like digests, are left as they are.
   */
  maskJson(text: string): string;
  /** The bytes (a step's output) with every occurrence of every secret replaced by `***`, digests included. */
  maskBytes(bytes: Buffer): Buffer;
  /** A fresh byte stream transform doing the same; its output equals `maskBytes` of the whole input. */
  stream(): Transform;
}

/** Builds a masker for the given secret values (empty and too-short values are ignored). */
export function createMasker(secrets: readonly string[]): Masker {
  const needles = secretVariants(secrets);
  const needleBytes = needles.map((needle) => Buffer.from(needle, 'utf8'));

  const mask = (text: string): string => (needles.length === 0 ? text : applyRuns(text, coveredRuns(text, needles)));

  const maskJson = (text: string): string => {
    if (needles.length === 0) return text;
    // In valid JSON a string token is exactly this: a quote, escapes or characters other than `"` and `\`, a quote.
    return text.replace(/"(?:[^"\\]|\\.)*"/gs, (token) => {
      const body = token.slice(1, -1);
      return `"${applyRuns(body, snapToEscapes(body, coveredRuns(body, needles)))}"`;
    });
  };

  const maskBytes = (bytes: Buffer): Buffer => {
    if (needleBytes.length === 0) return bytes;
    const found = scan(
      needleBytes.map((n) => n.length),
      (i, from) => bytes.indexOf(needleBytes[i]!, from),
      bytes.length,
      { carry: 0, lastCovered: false },
    );
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
      const found = scan(
        needleBytes.map((n) => n.length),
        (i, from) => buf.indexOf(needleBytes[i]!, from),
        emitEnd,
        state,
      );
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

  return { identity: needles.length === 0, mask, maskJson, maskBytes, stream };
}

// A digest (sha256:, or bare) or a commit id, standing alone.
const DIGEST = /(?<![0-9a-f])(?:(?:sha256:)?[0-9a-f]{64}|[0-9a-f]{40})(?![0-9a-f])/g;

/** The maximal runs of a text covered by some needle, in order, leaving out occurrences inside a longer digest. */
function coveredRuns(text: string, needles: readonly string[]): Array<[number, number]> {
  const digests = [...text.matchAll(DIGEST)].map((m) => [m.index, m.index + m[0].length] as const);
  const insideDigest = (start: number, end: number) => digests.some(([s, e]) => s <= start && end <= e && end - start < e - s);
  const runs: Array<[number, number]> = [];
  for (const needle of needles) {
    // Search again from the next position, not past the match: occurrences may overlap.
    for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + 1)) {
      if (!insideDigest(at, at + needle.length)) runs.push([at, at + needle.length]);
    }
  }
  return mergeRuns(runs);
}

/** Sorts and merges touching or overlapping runs: one mask per maximal covered run. */
function mergeRuns(runs: Array<[number, number]>): Array<[number, number]> {
  runs.sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const [start, end] of runs) {
    const last = merged.at(-1);
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
}

/** The text with each run replaced by one mask. */
function applyRuns(text: string, runs: Array<[number, number]>): string {
  let out = '';
  let position = 0;
  for (const [start, end] of runs) {
    out += `${text.slice(position, start)}${MASK}`;
    position = end;
  }
  return out + text.slice(position);
}

/** Widens runs over a JSON string body so none starts or ends inside an escape (`\n`, `\"`, `\u00e9`). */
function snapToEscapes(body: string, runs: Array<[number, number]>): Array<[number, number]> {
  if (runs.length === 0 || !body.includes('\\')) return runs;
  const unitStart: number[] = []; // for each position, where the character or escape holding it starts
  for (let i = 0; i < body.length; ) {
    const length = body[i] !== '\\' ? 1 : body[i + 1] === 'u' ? 6 : 2;
    for (let j = i; j < i + length && j < body.length; j++) unitStart[j] = i;
    i += length;
  }
  const unitEnd = (end: number) => {
    if (end >= body.length || unitStart[end] === end) return end;
    const start = unitStart[end]!;
    return start + (body[start + 1] === 'u' ? 6 : 2);
  };
  return mergeRuns(runs.map(([start, end]) => [unitStart[start] ?? start, Math.min(body.length, unitEnd(end))]));
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
  const merged = mergeRuns(runs);

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

/** Masks every string value and key of a JSON-like value (digests as `mask` does), leaving numbers and booleans alone. */
export function maskDeep<T>(value: T, masker: Masker): T {
  if (typeof value === 'string') return masker.mask(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => maskDeep(item, masker)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [masker.mask(k), maskDeep(v, masker)])) as T;
  }
  return value;
}
