// Reading plan bytes into a YAML document safely: one document, no aliases, tags or directives, positions kept.
import { LineCounter, isAlias, isScalar, parseAllDocuments, visit, type Document, type Node } from 'yaml';
import type { Problem } from '../errors.js';
import { firstInvalidUtf8, lineColAt } from '../text/utf8.js';
import { lineColOf, type SourceDoc } from './position.js';
import { explainYamlErrors } from './yaml-errors.js';

/** Plans larger than this are refused before parsing (docs/operations.md, "The hardening suite"). */
export const MAX_PLAN_BYTES = 1024 * 1024;

/** A plan parsed without problems: its source document and its plain data. */
export interface LoadedPlan extends SourceDoc {
  data: unknown;
}

/** Either a loaded plan or the problems that kept it from loading (all of them). */
export type LoadResult = { ok: true; plan: LoadedPlan } | { ok: false; problems: Problem[] };

const YAML_OPTIONS = {
  schema: 'core',
  version: '1.2',
  merge: false,
  strict: true,
  prettyErrors: true,
  maxAliasCount: 0,
  // `1` and "1" are one key to a reader, so they are one key to us.
  uniqueKeys: (a: unknown, b: unknown) => (isScalar(a) && isScalar(b) ? String(a.value) === String(b.value) : a === b),
} as const;

/** Parses plan bytes. Pure: the caller reads the file (and checks its size before reading). */
export function loadPlan(bytes: Uint8Array, file: string, maxBytes = MAX_PLAN_BYTES): LoadResult {
  const fail = (problem: Omit<Problem, 'file'>): LoadResult => ({ ok: false, problems: [{ file, ...problem }] });
  if (bytes.length > maxBytes) {
    return fail({
      code: 'PLAN_TOO_LARGE',
      message: `the plan is ${bytes.length} bytes, over the ${maxBytes}-byte limit`,
      hint: 'split the plan or move data into input files',
    });
  }
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) {
    return fail({
      code: 'PLAN_ENCODING',
      message: `byte 0x${bytes[bad]!.toString(16).padStart(2, '0')} is not valid UTF-8`,
      ...lineColAt(bytes, bad),
      hint: 'save the plan as UTF-8',
    });
  }
  let text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  if (text.startsWith('\uFEFF')) text = text.slice(1);

  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { ...YAML_OPTIONS, lineCounter: lines });
  const list: Document.Parsed[] = Array.isArray(docs) ? docs : [];
  const first = list[0];
  if (!first || first.contents === null) {
    return fail({
      code: 'PLAN_SYNTAX',
      message: 'the plan is empty',
      line: 1,
      col: 1,
      hint: 'start from `cutover init` or `cutover schema`',
    });
  }
  const source: SourceDoc = { file, text, doc: first, lines };
  const problems: Problem[] = [];
  const at = (offset: number) => ({ file, ...lineColOf(source, offset) });

  for (const extra of list.slice(1)) {
    problems.push({
      code: 'PLAN_SYNTAX',
      message: 'a plan file holds one YAML document; found another',
      ...at(extra.range[0]),
      hint: 'remove the `---` separator and everything after it',
    });
  }
  const reported = [...first.errors, ...first.warnings];
  for (const e of reported.filter((r) => r.code === 'DUPLICATE_KEY' || r.code === 'TAG_RESOLVE_FAILED')) {
    problems.push({
      code: e.code === 'DUPLICATE_KEY' ? 'PLAN_DUPLICATE' : 'PLAN_YAML_FEATURE',
      message: yamlMessage(e.code, e.message),
      ...at(e.pos[0]),
    });
  }
  const syntax = reported.filter((r) => r.code !== 'DUPLICATE_KEY' && r.code !== 'TAG_RESOLVE_FAILED');
  for (const e of explainYamlErrors(
    text,
    syntax.map((r) => ({ code: r.code, message: r.message, offset: r.pos[0] })),
  )) {
    problems.push({ code: 'PLAN_SYNTAX', message: e.message, ...at(e.offset), hint: e.hint });
  }
  const directive = directiveOffset(text, first);
  if (directive >= 0) {
    problems.push({
      code: 'PLAN_YAML_FEATURE',
      message: 'YAML directives are not allowed',
      ...at(directive),
      hint: 'remove the `%` line: plans are read as YAML 1.2 (core schema) only',
    });
  }
  problems.push(
    ...unsupportedNodes(first).map(({ node, what }) => ({
      code: 'PLAN_YAML_FEATURE' as const,
      message: `${what} are not allowed in plans`,
      ...at(markerOffset(text, node.range?.[0] ?? 0, what === 'tags' ? '!' : what === 'anchors' ? '&' : '*')),
      hint: what === 'tags' ? 'write the value as a plain string' : 'write the value out in full',
    })),
  );
  if (problems.length > 0) return { ok: false, problems: dedupe(problems) };
  return { ok: true, plan: { ...source, data: first.toJS({ maxAliasCount: 0 }) } };
}

/** Nodes that use aliases, anchors or explicit tags. */
function unsupportedNodes(doc: Document.Parsed): { node: Node; what: string }[] {
  const found: { node: Node; what: string }[] = [];
  visit(doc, (_key, node) => {
    if (isAlias(node)) found.push({ node, what: 'aliases' });
    else if (node && typeof node === 'object' && 'range' in node) {
      const n = node as Node;
      if (n.anchor) found.push({ node: n, what: 'anchors' });
      if (n.tag) found.push({ node: n, what: 'tags' });
    }
  });
  return found;
}

/**
 * A node's range starts after its properties; walk back over them (and the space between) to the
 * `!tag` or `&anchor` itself, so the position points at what the user wrote.
 */
function markerOffset(text: string, start: number, marker: string): number {
  let i = start;
  for (let tokens = 0; tokens < 2 && i > 0; tokens++) {
    let j = i;
    while (j > 0 && /\s/.test(text[j - 1]!)) j--;
    let k = j;
    while (k > 0 && !/[\s[{,]/.test(text[k - 1]!)) k--;
    if (text[k] === marker) return k;
    if (text[k] !== '!' && text[k] !== '&') break;
    i = k;
  }
  return start;
}

/** Offset of the first directive line (`%YAML`, `%TAG`), or -1 when there is none. */
function directiveOffset(text: string, doc: Document.Parsed): number {
  const directives = doc.directives;
  const hasTags = directives ? Object.keys(directives.tags).some((h) => h !== '!!' && h !== '!') : false;
  if (!directives?.yaml.explicit && !hasTags) return -1;
  const match = /^%/m.exec(text);
  return match ? match.index : 0;
}

function yamlMessage(code: string, message: string): string {
  const firstLine = message.split('\n')[0] ?? message;
  const plain = firstLine.replace(/ at line \d+, column \d+:?$/, '');
  if (code === 'DUPLICATE_KEY') return 'duplicate key (keys are compared as text, so 1 and "1" are the same key)';
  return plain.charAt(0).toLowerCase() + plain.slice(1);
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems
    .filter((p) => {
      const key = `${p.line}:${p.col}:${p.code}:${p.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
}
