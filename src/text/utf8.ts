// UTF-8 facts: byte order of strings, and locating the first byte that is not valid UTF-8 so an
// encoding error can name its line and column.
import { Buffer } from 'node:buffer';

/** Code points that sort differently as UTF-16 units than as UTF-8 bytes: surrogates and U+E000..U+FFFF. */
export const HIGH_UNITS = /[\uD800-\uFFFF]/;

/** Orders two paths by the bytes of their UTF-8 encoding (as Buffer.compare would). */
export function compareUtf8(a: string, b: string): number {
  // UTF-16 unit order equals code-point (= UTF-8 byte) order unless a unit ≥ U+D800 is involved.
  if (!HIGH_UNITS.test(a) && !HIGH_UNITS.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Byte offset of the first invalid UTF-8 sequence, or -1 when the bytes are valid UTF-8. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    // Lead byte decides the length and the allowed range of the first continuation byte
    // (this rejects overlong forms, surrogates and code points above U+10FFFF).
    let length: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) length = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      length = 3;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      length = 4;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    if (i + length > bytes.length) return i;
    const second = bytes[i + 1]!;
    if (second < lo || second > hi) return i;
    for (let k = 2; k < length; k++) {
      const c = bytes[i + k]!;
      if (c < 0x80 || c > 0xbf) return i;
    }
    i += length;
  }
  return -1;
}

/** Line and column (1-based, columns in characters) of a byte offset in UTF-8 bytes. */
export function lineColAt(bytes: Uint8Array, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  let col = 1;
  for (let i = lineStart; i < offset; i++) if ((bytes[i]! & 0xc0) !== 0x80) col++;
  return { line, col };
}
