// The cutover-manifest/v1 model: entry paths, byte order, the sha256sum-format text, and diffs.
import { Buffer, isUtf8 } from 'node:buffer';
import { CutoverError, problemsError, type Problem } from '../errors.js';
import { compareUtf8, HIGH_UNITS } from '../text/utf8.js';
import { quote } from '../text/quote.js';

/** Name of the manifest and Merkle construction; records carry it so the format can evolve. */
export const MANIFEST_FORMAT = 'cutover-manifest/v1';

/** One manifest line: a file's SHA-256 (lowercase hex) and its `/`-separated path. */
export interface ManifestLine {
  path: string;
  digest: string;
}

/** A hashed regular file of an artifact. */
export interface ManifestEntry extends ManifestLine {
  size: number;
}

/** Files that differ between two manifests, each list in byte order. */
export interface ManifestDiff {
  added: string[];
  removed: string[];
  changed: string[];
}

const DIGEST = /^[0-9a-f]{64}$/;
const LONE_SURROGATE = /\p{Cs}/u;
const CONTROL = /[\u0000-\u001F\u007F]/;
const NOT_CANONICAL = /(?:^|\/)\.{0,2}(?:\/|$)/;

/** Renders a path for a message: valid text as a JSON string, other bytes as \xNN escapes. */
export function displayPath(path: string | Uint8Array): string {
  if (typeof path === 'string') return quote(path);
  if (isUtf8(path)) return quote(Buffer.from(path).toString('utf8'));
  const shown = Array.from(path, (b) =>
    b >= 0x20 && b < 0x7f && b !== 0x5c && b !== 0x22 ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`,
  );
  return `"${shown.join('')}"`;
}

/** Why a path cannot be a manifest entry, or undefined when it can. */
export function entryPathProblem(path: string | Uint8Array): string | undefined {
  if (typeof path !== 'string') return isUtf8(path) ? entryPathProblem(Buffer.from(path).toString('utf8')) : 'is not valid UTF-8';
  if (path === '') return 'is empty';
  if (LONE_SURROGATE.test(path)) return 'is not valid UTF-8 (lone surrogate)';
  if (CONTROL.test(path)) return 'contains a control character (U+0000–U+001F or U+007F)';
  if (path.includes('\\')) return 'contains a backslash';
  // Walked paths never take these forms; refusing them keeps a parsed manifest inside its root.
  if (path.startsWith('/')) return 'is absolute';
  if (NOT_CANONICAL.test(path)) return 'has an empty, "." or ".." component';
  return undefined;
}

/** Returns the path as text when it is a valid entry path; else throws ARTIFACT_INVALID naming it. */
export function checkEntryPath(path: string | Uint8Array): string {
  const problem = entryPathProblem(path);
  if (problem) {
    throw new CutoverError('ARTIFACT_INVALID', `entry path ${displayPath(path)} ${problem}`, {
      hint: 'entry paths are valid UTF-8 with no control character and no backslash',
    });
  }
  return typeof path === 'string' ? path : Buffer.from(path).toString('utf8');
}

/** Sorts entries in place by the bytes of their UTF-8 path and returns them. */
export function sortEntries<T extends ManifestLine>(entries: T[]): T[] {
  if (!entries.some((e) => HIGH_UNITS.test(e.path))) {
    return entries.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  }
  const keyed = entries.map((entry) => ({ entry, key: Buffer.from(entry.path, 'utf8') }));
  keyed.sort((x, y) => Buffer.compare(x.key, y.key));
  keyed.forEach((k, i) => (entries[i] = k.entry));
  return entries;
}

/** The manifest line of one entry, with its final newline. */
export function formatLine(entry: ManifestLine): string {
  return `${entry.digest}  ${entry.path}\n`;
}

/** The manifest text of entries already in byte order (sha256sum format). */
export function formatManifest(entries: readonly ManifestLine[]): string {
  return formatManifestOf(entries.length, (i) => entries[i] as ManifestLine);
}

/**
 * The manifest text of `count` entries in byte order, given one at a time. Lines are joined a block
 * at a time into flat text: a line never lives on as a string (or a rope node) of its own, which for
 * a million files is a few hundred megabytes.
 */
export function formatManifestOf(count: number, entryAt: (i: number) => ManifestLine): string {
  let text = '';
  const block: string[] = [];
  for (let i = 0; i < count; i++) {
    block.push(formatLine(entryAt(i)));
    if (block.length === 4096 || i === count - 1) {
      text += block.join('');
      block.length = 0;
    }
  }
  return text;
}

/** Parses a manifest strictly: canonical lines, valid paths, byte order, no duplicates. */
export function parseManifest(text: string, file = 'manifest'): ManifestLine[] {
  const entries: ManifestLine[] = [];
  visitManifest(text, file, (entry) => entries.push(entry));
  return entries;
}

/**
 * Reads a manifest as strictly as parseManifest, a line at a time, handing each valid entry to
 * `visit` and keeping none (a million-line manifest need not become a million objects); throws
 * every problem at the end, so what `visit` saw counts only when nothing is thrown.
 */
export function visitManifest(text: string, file: string, visit: (entry: ManifestLine) => void): void {
  const reader = manifestReader(file, visit);
  reader.feed(text);
  reader.end();
}

/** A manifest read a piece of text at a time: `feed` each piece in order, then `end` throws every problem. */
export interface ManifestReader {
  feed(text: string): void;
  end(): void;
}

/**
 * The reader behind visitManifest, for a manifest that comes in pieces (a block of lines at a time,
 * as it is written): the same checks, line numbers and problems as reading the whole text at once.
 */
export function manifestReader(file: string, visit: (entry: ManifestLine) => void): ManifestReader {
  const problems: Problem[] = [];
  const at = (line: number, col: number, message: string) => problems.push({ code: 'ARTIFACT_INVALID', message, file, line, col });
  let previous: string | undefined;
  let n = 1;
  let pending = ''; // an unterminated line, until the next piece ends it
  const line = (text: string) => {
    if (!DIGEST.test(text.slice(0, 64))) return at(n, 1, 'expected a lowercase SHA-256 hex digest');
    if (text.slice(64, 66) !== '  ') return at(n, 65, 'expected two spaces after the digest');
    const path = text.slice(66);
    const problem = entryPathProblem(path);
    const order = previous === undefined ? -1 : compareUtf8(previous, path);
    if (problem) at(n, 67, `entry path ${displayPath(path)} ${problem}`);
    else if (order === 0) at(n, 67, `duplicate entry ${displayPath(path)}`);
    else if (order > 0) at(n, 67, `entry ${displayPath(path)} is out of byte order`);
    else visit({ path, digest: text.slice(0, 64) });
    previous = path;
  };
  return {
    feed(piece) {
      const text = pending === '' ? piece : pending + piece;
      let start = 0;
      for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start), n++) {
        line(text.slice(start, end));
        start = end + 1;
      }
      pending = text.slice(start);
    },
    end() {
      // The unterminated last line is reported first, as a reader of the whole text sees it first.
      if (pending !== '')
        problems.unshift({ code: 'ARTIFACT_INVALID', message: 'manifest does not end with a newline', file, line: n, col: 1 });
      if (problems.length) throw problemsError(problems);
    },
  };
}

/** Lists the paths added, removed and changed from `before` to `after`. */
export function diffManifests(before: readonly ManifestLine[], after: readonly ManifestLine[]): ManifestDiff {
  if (before === after) return { added: [], removed: [], changed: [] };
  const old = new Map(before.map((e) => [e.path, e.digest]));
  const added: string[] = [];
  const changed: string[] = [];
  for (const entry of after) {
    const digest = old.get(entry.path);
    if (digest === undefined) added.push(entry.path);
    else if (digest !== entry.digest) changed.push(entry.path);
    old.delete(entry.path);
  }
  const byBytes = (list: string[]) => list.sort(compareUtf8);
  return { added: byBytes(added), removed: byBytes([...old.keys()]), changed: byBytes(changed) };
}
