// Canonical JSON, the one serialisation of records, locks and `--format json`.
import { configure } from 'safe-stable-stringify';
import { compareUtf8 } from './utf8.js';

// Keys sort by the bytes of their UTF-8 form, the same order manifests use.
const stableStringify = configure({ deterministic: compareUtf8, circularValue: Error, bigint: false });

/** Canonical JSON: sorted keys, 2-space indent, final newline (records, locks, `--format json`). */
export function canonicalJson(value: unknown): string {
  return `${stableStringify(value, null, 2) ?? 'null'}\n`;
}
