// What a digest looks like: SHA-256 in lowercase hex (manifest lines, as sha256sum writes them), and
// `sha256:<hex>` wherever a record, a lock or a message names one.
import { hash, type Hash } from 'node:crypto';

/** The prefix of a named digest. */
export const DIGEST_PREFIX = 'sha256:';

/** Lowercase hex SHA-256 of bytes (text as UTF-8). */
export function sha256Hex(bytes: string | Uint8Array): string {
  return hash('sha256', bytes, 'hex');
}

/** `sha256:<hex>` of bytes (text as UTF-8). */
export function sha256Digest(bytes: string | Uint8Array): string {
  return `${DIGEST_PREFIX}${sha256Hex(bytes)}`;
}

/** `sha256:<hex>` of a hash that has been fed. */
export function digestOf(sha256: Hash): string {
  return `${DIGEST_PREFIX}${sha256.digest('hex')}`;
}

/** `sha256:<hex>` for a bare hex digest; anything else unchanged. */
export function prefixedDigest(digest: string): string {
  return /^[0-9a-f]{64}$/.test(digest) ? `${DIGEST_PREFIX}${digest}` : digest;
}
