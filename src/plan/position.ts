// Mapping places in a parsed plan (JSON Pointer paths, YAML nodes) back to line and column.
import { isMap, isNode, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

/** A parsed YAML document with the line counter that knows its offsets. */
export interface SourceDoc {
  file: string;
  text: string;
  doc: Document.Parsed;
  lines: LineCounter;
}

/** A path into the plan data, as keys and indexes. */
export type DataPath = readonly (string | number)[];

const lineStartsOf = new WeakMap<SourceDoc, number[]>();

/**
 * Line and column (1-based) of an offset into the source text: lines end at `\n`, columns count
 * characters (code points, as encoding errors do). Computed from the text, not the parser's
 * LineCounter, which misses line breaks inside some broken tokens and counts UTF-16 units.
 */
export function lineColOf(source: SourceDoc, offset: number): { line: number; col: number } {
  let starts = lineStartsOf.get(source);
  if (!starts) {
    starts = [0];
    for (let i = source.text.indexOf('\n'); i !== -1; i = source.text.indexOf('\n', i + 1)) starts.push(i + 1);
    lineStartsOf.set(source, starts);
  }
  const at = Math.max(0, Math.min(Number.isFinite(offset) ? offset : 0, source.text.length));
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= at) lo = mid;
    else hi = mid - 1;
  }
  const lineStart = starts[lo]!;
  let col = 1;
  for (let i = lineStart; i < at; i++) {
    const unit = source.text.charCodeAt(i);
    // The second half of a surrogate pair is the same character as the first.
    if (unit >= 0xdc00 && unit <= 0xdfff && i > lineStart && isHighSurrogate(source.text.charCodeAt(i - 1))) continue;
    col++;
  }
  return { line: lo + 1, col };
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

/** Splits a JSON Pointer (as ajv's instancePath) into its unescaped segments. */
export function pointerToPath(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** The node at a data path, walking maps by key and sequences by index. */
function nodeAt(source: SourceDoc, path: DataPath): Node | undefined {
  let node: unknown = source.doc.contents;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      node = pair?.value;
    } else if (isSeq(node)) {
      node = node.items[Number(segment)];
    } else return undefined;
  }
  return isNode(node) ? node : undefined;
}

/** The key node of `key` inside the map at `path`. */
function keyNodeAt(source: SourceDoc, path: DataPath, key: string): Node | undefined {
  const parent = nodeAt(source, path);
  if (!isMap(parent)) return undefined;
  const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === key);
  return isNode(pair?.key) ? pair.key : undefined;
}

/**
 * Position of the value at `path` (or of `key`'s key inside it), falling back to the nearest
 * ancestor that exists, and to 1:1 for an empty document.
 */
export function positionOf(source: SourceDoc, path: DataPath, key?: string): { line: number; col: number } {
  if (key !== undefined) {
    const keyNode = keyNodeAt(source, path, key);
    if (keyNode?.range) return lineColOf(source, keyNode.range[0]);
  }
  for (let n = path.length; n >= 0; n--) {
    const node = nodeAt(source, path.slice(0, n));
    if (node?.range) return lineColOf(source, node.range[0]);
  }
  return { line: 1, col: 1 };
}

/** Position of a character offset inside the string value at `path` (for `${{` inside a scalar). */
export function positionInString(source: SourceDoc, path: DataPath, index: number): { line: number; col: number } {
  const node = nodeAt(source, path);
  if (!isScalar(node) || !node.range) return positionOf(source, path);
  const start = node.range[0];
  const raw = source.text.slice(start, node.range[1]);
  // Plain and single-line quoted scalars map one to one after the opening quote; elsewhere point at the scalar.
  const quote = raw.startsWith('"') || raw.startsWith("'") ? 1 : 0;
  const value = String(node.value);
  if (raw.slice(quote, quote + value.length) === value) return lineColOf(source, start + quote + index);
  const inBlock = blockOffset(raw, value, index);
  return lineColOf(source, start + (inBlock ?? 0));
}

// A literal or folded block scalar (`|`, `>`): its value is its lines without their indentation, so
// an offset maps line by line; the mapping is used only where the raw text shows the same character.
function blockOffset(raw: string, value: string, index: number): number | undefined {
  if (!/^[|>]/.test(raw)) return undefined;
  const body = raw.indexOf('\n') + 1;
  if (body === 0) return undefined;
  const lines = raw.slice(body).split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length));
  let at = body;
  let left = index;
  for (const line of lines) {
    const content = Math.max(0, line.length - indent);
    if (left <= content) {
      const offset = at + Math.min(indent, line.length) + left;
      return raw[offset] === value[index] ? offset : undefined;
    }
    left -= content + 1;
    at += line.length + 1;
  }
  return undefined;
}
