// Canonical JSON, the one serialisation of records, locks and `--format json`; dotted paths into a document.
import { configure } from 'safe-stable-stringify';
import { compareUtf8 } from './utf8.js';

// Keys sort by the bytes of their UTF-8 form, the same order manifests use.
const stableStringify = configure({ deterministic: compareUtf8, circularValue: Error, bigint: false });

/** Canonical JSON: sorted keys, 2-space indent, final newline (records, locks, `--format json`). */
export function canonicalJson(value: unknown): string {
  return `${stableStringify(value, null, 2) ?? 'null'}\n`;
}

/** The value at a dotted path (numeric segments index arrays). */
export function valueAt(doc: unknown, path: string): { exists: boolean; value?: unknown } {
  let current: unknown = doc;
  for (const segment of path.split('.')) {
    if (Array.isArray(current) && /^\d+$/.test(segment) && Number(segment) < current.length) current = current[Number(segment)];
    else if (current && typeof current === 'object' && !Array.isArray(current) && Object.hasOwn(current, segment))
      current = (current as Record<string, unknown>)[segment];
    else return { exists: false };
  }
  return { exists: true, value: current };
}
