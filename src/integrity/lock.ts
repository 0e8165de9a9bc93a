// The lock file model (cutover-lock/v1): what a freeze pins, its freeze digest, approvals, strict parsing and drift.
import { isUtf8 } from 'node:buffer';
import { hash } from 'node:crypto';
import { posix } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { CutoverError, type Problem } from '../errors.js';
import { positionOf, type DataPath } from '../plan/position.js';
import { pathProblem } from '../plan/paths.js';
import { entryPathProblem, type ManifestLine } from './manifest.js';
import { compareUtf8 } from '../text/utf8.js';
import { manifestRoot, runRoot } from './merkle.js';

/** Name of the lock format; a lock carries it so the format can evolve without silent re-hashing. */
export const LOCK_FORMAT = 'cutover-lock/v1';

/** The two kinds of frozen file groups, as they are keyed in the lock. */
export const GROUP_KINDS = ['registries', 'inputs'] as const;
export type GroupKind = (typeof GROUP_KINDS)[number];

/** One frozen group in the lock: its patterns, every matched file's digest, and their Merkle root. */
export interface LockGroup {
  patterns: string[];
  /** Repository-relative path → SHA-256 (lowercase hex). */
  files: Record<string, string>;
  root: string;
}

/**
 * An approval: who approved (their git identity) and the freeze digest they approved; a signed one
 * also names its allowed-signers principal, its key's fingerprint and the SSH signature over the
 * digest (base64 of the SSHSIG blob `ssh-keygen -Y sign` armors).
 */
export interface Approval {
  by: string;
  digest: string;
  principal?: string;
  key?: string;
  signature?: string;
}

/** A lock file's content. */
export interface Lock {
  format: typeof LOCK_FORMAT;
  plan: string;
  planDigest: string;
  registries: Record<string, LockGroup>;
  inputs: Record<string, LockGroup>;
  freezeDigest: string;
  frozenBy: string;
  approvals: Approval[];
}

/** A group as hashed from the work tree: entries in UTF-8 byte order of their repository-relative paths. */
export interface FrozenGroup {
  kind: GroupKind;
  name: string;
  patterns: string[];
  entries: ManifestLine[];
  root: string;
}

/**
 * Why a frozen file no longer matches: content, glob matches, or its git state (`hidden`: an index
 * flag keeps its changes out of git's status; `nested`: it lies in a nested repository or submodule).
 */
export type DriftReason = 'changed' | 'added' | 'removed' | 'untracked' | 'uncommitted' | 'hidden' | 'nested';

/** One file that differs from what the lock pins, and how. `group` is set for registry and input files. */
export interface Drift {
  path: string;
  /** What the file is to the plan; unknown for a bare stat comparison. */
  kind?: GroupKind | 'plan' | 'lock';
  group?: string;
  reason: DriftReason;
  detail?: string;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const HEX = /^[0-9a-f]{64}$/;
const GROUP_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const IDENTITY = /^([^<>\n]*) <([^<>\n]+)>$/;
const LOCK_KEYS = ['approvals', 'format', 'freezeDigest', 'frozenBy', 'inputs', 'plan', 'planDigest', 'registries'];
const GROUP_KEYS = ['files', 'patterns', 'root'];
const APPROVAL_KEYS = ['by', 'digest'];
const SIGNED_KEYS = ['key', 'principal', 'signature'];
// A principal as `ssh-keygen -Y verify -I` takes it: no space, comma, quote or pattern character.
const PRINCIPAL = /^[^\s\x00-\x1f\x7f,"'*?!\\]{1,256}$/;
const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;
// Base64 of an SSHSIG blob, which starts with the magic "SSHSIG".
const SIGNATURE = /^U1NIU0lH[A-Za-z0-9+/]{1,16384}={0,2}$/;

/** The lock's repository-relative path for a plan's: beside it, named after it without `.yaml`/`.yml`. */
export function lockPathFor(planPath: string): string {
  const name = posix.basename(planPath).replace(/\.ya?ml$/i, '');
  return posix.join(posix.dirname(planPath), `${name}.lock.json`);
}

/** The `sha256:<hex>` digest of some bytes (the plan file's digest). */
export function digestBytes(bytes: Uint8Array): string {
  return `sha256:${hash('sha256', bytes, 'hex')}`;
}

/** The group's key in freeze-digest lines and messages: `registries/<name>` or `inputs/<name>`. */
export function groupKey(kind: GroupKind, name: string): string {
  return `${kind}/${name}`;
}

/**
 * The freeze digest: RFC 6962 Merkle Tree Hash over the lines `<group root hex>  <kind>/<name>\n`
 * (one a group) and `<plan sha256 hex>  plan\n`, sorted by the bytes of the name (the run-root
 * construction of docs/integrity.md), written `sha256:<hex>`.
 */
export function freezeDigestOf(planDigest: string, groups: readonly { kind: GroupKind; name: string; root: string }[]): string {
  return runRoot([{ name: 'plan', root: planDigest }, ...groups.map((g) => ({ name: groupKey(g.kind, g.name), root: g.root }))]);
}

/** A group's entries (path → digest) in UTF-8 byte order. */
export function groupEntries(group: LockGroup): ManifestLine[] {
  return Object.entries(group.files)
    .map(([path, digest]) => ({ path, digest }))
    .sort((a, b) => compareUtf8(a.path, b.path));
}

/** Builds a lock from hashed groups; approvals not bound to the new freeze digest are left out. */
export function computeLock(input: {
  plan: string;
  planDigest: string;
  groups: readonly FrozenGroup[];
  frozenBy: string;
  approvals?: readonly Approval[];
}): Lock {
  const freezeDigest = freezeDigestOf(input.planDigest, input.groups);
  return {
    format: LOCK_FORMAT,
    plan: input.plan,
    planDigest: input.planDigest,
    ...lockGroupsOf(input.groups),
    freezeDigest,
    frozenBy: input.frozenBy,
    approvals: (input.approvals ?? []).filter((a) => a.digest === freezeDigest).map(approvalFields),
  };
}

/** Hashed groups in the lock's shape: `registries` and `inputs`, each keyed by group name. */
export function lockGroupsOf(groups: readonly FrozenGroup[]): Pick<Lock, GroupKind> {
  const lock: Pick<Lock, GroupKind> = { registries: {}, inputs: {} };
  for (const group of groups) {
    lock[group.kind][group.name] = {
      patterns: [...group.patterns],
      files: Object.fromEntries(group.entries.map((e) => [e.path, e.digest])),
      root: group.root,
    };
  }
  return lock;
}

/** A lock's groups in the shape hashing yields: registries first, entries in UTF-8 byte order. */
export function groupsOfLock(lock: Pick<Lock, GroupKind>): FrozenGroup[] {
  return GROUP_KINDS.flatMap((kind) =>
    Object.entries(lock[kind]).map(([name, group]) => ({
      kind,
      name,
      patterns: group.patterns,
      entries: groupEntries(group),
      root: group.root,
    })),
  );
}

/** An approval with exactly the lock's keys: `by` and `digest`, and the signed three when it is signed. */
export function approvalFields(a: Approval): Approval {
  return {
    by: a.by,
    digest: a.digest,
    ...(a.signature !== undefined ? { principal: a.principal, key: a.key, signature: a.signature } : {}),
  };
}

/** Every repository-relative file a lock lists, once each. */
export function lockedPaths(lock: Pick<Lock, GroupKind>): string[] {
  return [...new Set(GROUP_KINDS.flatMap((kind) => Object.values(lock[kind]).flatMap((group) => Object.keys(group.files))))];
}

/** Every place where a lock's recorded roots or freeze digest do not follow from its own content (a hand edit). */
export function lockInconsistencies(lock: Lock): string[] {
  const found: string[] = [];
  for (const group of groupsOfLock(lock)) {
    const root = manifestRoot(group.entries);
    if (root !== group.root) found.push(`${groupKey(group.kind, group.name)} records root ${group.root}, but its file list gives ${root}`);
  }
  const digest = freezeDigestOf(lock.planDigest, groupsOfLock(lock));
  if (digest !== lock.freezeDigest)
    found.push(`freezeDigest is ${lock.freezeDigest}, but the recorded plan digest and group roots give ${digest}`);
  return found;
}

/** Lists every file whose digest or presence differs from `expected` (the lock) to `actual` (the work tree). */
export function diffLock(expected: Pick<Lock, GroupKind>, actual: Pick<Lock, GroupKind>): Drift[] {
  const drift: Drift[] = [];
  for (const kind of GROUP_KINDS) {
    const names = new Set([...Object.keys(expected[kind]), ...Object.keys(actual[kind])]);
    for (const group of [...names].sort(compareUtf8)) {
      const before = new Map(Object.entries(expected[kind][group]?.files ?? {}));
      const after = new Map(Object.entries(actual[kind][group]?.files ?? {}));
      const here: Drift[] = [];
      for (const [path, digest] of after) {
        const old = before.get(path);
        if (old === undefined) here.push({ path, kind, group, reason: 'added' });
        else if (old !== digest)
          here.push({ path, kind, group, reason: 'changed', detail: `lock ${old.slice(0, 12)}…, now ${digest.slice(0, 12)}…` });
      }
      for (const path of before.keys()) if (!after.has(path)) here.push({ path, kind, group, reason: 'removed' });
      drift.push(...here.sort((a, b) => compareUtf8(a.path, b.path)));
    }
  }
  return drift;
}

/** The e-mail address of a `Name <email>` identity, lowercased: identities are compared by it. */
export function identityEmail(identity: string): string {
  return (IDENTITY.exec(identity)?.[2] ?? identity).trim().toLowerCase();
}

/** True when two `Name <email>` identities are the same person (same e-mail, any case or display name). */
export function sameIdentity(a: string, b: string): boolean {
  return identityEmail(a) === identityEmail(b);
}

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
        hint: 'run `cutover freeze PLAN` to write it again',
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
    problems: problems.map((p, i) => (i === 0 ? { ...p, hint: 'run `cutover freeze PLAN` to write the lock again' } : p)),
    position: { file, line: first.line, col: first.col },
    hint: 'run `cutover freeze PLAN` to write the lock again',
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
      hint: 'run `cutover freeze PLAN` to write it again',
    });
  return new TextDecoder().decode(bytes);
}
