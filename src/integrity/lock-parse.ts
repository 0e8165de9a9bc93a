// Reading a lock file: its bytes as UTF-8, then strict parsing of cutover-lock/v1 with positioned LOCK_INVALID problems.
import { isUtf8 } from 'node:buffer';
import { LineCounter, parseDocument } from 'yaml';
import { CutoverError, type Problem } from '../errors.js';
import { positionOf, type DataPath } from '../plan/position.js';
import { pathProblem } from '../plan/paths.js';
import { entryPathProblem } from './manifest.js';
import { freezeHint, GROUP_KINDS, IDENTITY, LOCK_FORMAT, type Lock } from './lock.js';

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const HEX = /^[0-9a-f]{64}$/;
const GROUP_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const LOCK_KEYS = ['approvals', 'format', 'freezeDigest', 'frozenBy', 'inputs', 'plan', 'planDigest', 'registries'];
const GROUP_KEYS = ['files', 'patterns', 'root'];
const APPROVAL_KEYS = ['by', 'digest'];
const SIGNED_KEYS = ['key', 'principal', 'signature'];
// A principal as `ssh-keygen -Y verify -I` takes it: no space, comma, quote or pattern character.
const PRINCIPAL = /^[^\s\x00-\x1f\x7f,"'*?!\\]{1,256}$/;
const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;
// Base64 of an SSHSIG blob, which starts with the magic "SSHSIG".
const SIGNATURE = /^U1NIU0lH[A-Za-z0-9+/]{1,16384}={0,2}$/;

/** Parses a lock strictly: JSON, exactly the known keys, well-formed digests, paths and identities; else LOCK_INVALID. */
export function parseLock(text: string, file: string): Lock {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    const offset = Number(/at position (\d+)/.exec((error as Error).message)?.[1] ?? 0);
    throw new CutoverError(
      'LOCK_INVALID',
      `the lock is not valid JSON: ${(error as Error).message.replace(/ in JSON at position.*$/s, '')}`,
      {
        position: { file, ...lineColAtOffset(text, offset) },
        hint: freezeHint(),
      },
    );
  }
  const issues: { path: DataPath; key?: string; message: string }[] = [];
  const check = (ok: boolean, path: DataPath, message: string, key?: string) => {
    if (!ok) issues.push({ path, message, ...(key === undefined ? {} : { key }) });
    return ok;
  };
  const where = (path: DataPath) =>
    path.length
      ? path
          .map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`))
          .join('')
          .slice(1)
      : 'the lock';
  const keysOf = (value: unknown, path: DataPath, keys: readonly string[]) => {
    if (!check(isObject(value), path, `${where(path)} must be an object`)) return false;
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) check(keys.includes(key), path, `unknown key ${JSON.stringify(key)} in ${where(path)}`, key);
    for (const key of keys) check(key in record, path, `${where(path)} lacks ${JSON.stringify(key)}`);
    return true;
  };
  const digest = (value: unknown, path: DataPath) =>
    check(typeof value === 'string' && DIGEST.test(value), path, `${where(path)} must be sha256:<64 lowercase hex>`);
  const identity = (value: unknown, path: DataPath) =>
    check(typeof value === 'string' && IDENTITY.test(value), path, `${where(path)} must be a git identity "Name <email>"`);

  if (keysOf(data, [], LOCK_KEYS)) {
    const lock = data as Record<string, unknown>;
    if ('format' in lock)
      check(
        lock.format === LOCK_FORMAT,
        ['format'],
        `unsupported lock format ${JSON.stringify(lock.format)}; this cutover reads ${LOCK_FORMAT}`,
      );
    if ('plan' in lock)
      check(
        typeof lock.plan === 'string' && pathProblem(lock.plan) === undefined,
        ['plan'],
        'plan must be the repository-relative path of the plan',
      );
    if ('planDigest' in lock) digest(lock.planDigest, ['planDigest']);
    if ('freezeDigest' in lock) digest(lock.freezeDigest, ['freezeDigest']);
    if ('frozenBy' in lock) identity(lock.frozenBy, ['frozenBy']);
    for (const kind of GROUP_KINDS) {
      if (!(kind in lock) || !check(isObject(lock[kind]), [kind], `${kind} must be an object of groups`)) continue;
      for (const [name, group] of Object.entries(lock[kind] as Record<string, unknown>)) {
        const at = [kind, name];
        check(GROUP_NAME.test(name), [kind], `group name ${JSON.stringify(name)} must match ${GROUP_NAME.source}`, name);
        if (!keysOf(group, at, GROUP_KEYS)) continue;
        const { patterns, files, root } = group as Record<string, unknown>;
        if ('root' in (group as object)) digest(root, [...at, 'root']);
        if ('patterns' in (group as object)) {
          check(
            Array.isArray(patterns) && patterns.length > 0 && patterns.every((p) => typeof p === 'string' && p !== ''),
            [...at, 'patterns'],
            `${where([...at, 'patterns'])} must be a non-empty list of patterns`,
          );
        }
        if (
          !('files' in (group as object)) ||
          !check(isObject(files), [...at, 'files'], `${where([...at, 'files'])} must map paths to digests`)
        )
          continue;
        for (const [path, value] of Object.entries(files as Record<string, unknown>)) {
          const why = entryPathProblem(path) ?? pathProblem(path);
          check(why === undefined, [...at, 'files'], `file path ${JSON.stringify(path)} ${why}`, path);
          check(
            typeof value === 'string' && HEX.test(value),
            [...at, 'files', path],
            `the digest of ${JSON.stringify(path)} must be 64 lowercase hex digits`,
          );
        }
      }
    }
    if ('approvals' in lock && check(Array.isArray(lock.approvals), ['approvals'], 'approvals must be a list')) {
      for (const [i, approval] of (lock.approvals as unknown[]).entries()) {
        const signed = isObject(approval) && SIGNED_KEYS.some((key) => key in approval);
        if (!keysOf(approval, ['approvals', i], signed ? [...APPROVAL_KEYS, ...SIGNED_KEYS] : APPROVAL_KEYS)) continue;
        const { by, digest: approved, principal, key, signature } = approval as Record<string, unknown>;
        if (by !== undefined) identity(by, ['approvals', i, 'by']);
        if (approved !== undefined) digest(approved, ['approvals', i, 'digest']);
        if (!signed) continue;
        if (principal !== undefined)
          check(
            typeof principal === 'string' && PRINCIPAL.test(principal),
            ['approvals', i, 'principal'],
            `approvals[${i}].principal must be an allowed-signers principal: no spaces, commas, quotes or patterns`,
          );
        if (key !== undefined)
          check(
            typeof key === 'string' && FINGERPRINT.test(key),
            ['approvals', i, 'key'],
            `approvals[${i}].key must be an SSH key fingerprint SHA256:<43 base64 characters>`,
          );
        if (signature !== undefined)
          check(
            typeof signature === 'string' && SIGNATURE.test(signature),
            ['approvals', i, 'signature'],
            `approvals[${i}].signature must be an SSH signature: the base64 of an SSHSIG blob on one line`,
          );
      }
    }
  }
  if (issues.length) throw lockError(text, file, issues);
  return data as Lock;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Positions are only needed on failure, so the text is parsed again for them then, and only then.
function lockError(text: string, file: string, issues: { path: DataPath; key?: string; message: string }[]): CutoverError {
  const lines = new LineCounter();
  const source = { file, text, doc: parseDocument(text, { lineCounter: lines, uniqueKeys: false }), lines };
  const problems: Problem[] = issues.map((issue) => ({
    code: 'LOCK_INVALID',
    file,
    ...positionOf(source, issue.path, issue.key),
    message: issue.message,
  }));
  const first = problems[0] as Problem;
  return new CutoverError('LOCK_INVALID', first.message, {
    problems: problems.map((p, i) => (i === 0 ? { ...p, hint: freezeHint() } : p)),
    position: { file, line: first.line, col: first.col },
    hint: freezeHint(),
  });
}

function lineColAtOffset(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, col: (lines[lines.length - 1] as string).length + 1 };
}

/** The lock bytes as UTF-8 text, refusing bytes that are not UTF-8. */
export function lockText(bytes: Uint8Array, file: string): string {
  if (!isUtf8(bytes))
    throw new CutoverError('LOCK_INVALID', 'the lock is not valid UTF-8', {
      position: { file },
      hint: freezeHint(),
    });
  return new TextDecoder().decode(bytes);
}
