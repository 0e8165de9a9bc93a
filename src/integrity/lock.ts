// The lock file model (cutover-lock/v1): what a freeze pins, its freeze digest, approvals and drift (parsing: lock-parse.ts).
import { posix } from 'node:path';
import type { ManifestLine } from './manifest.js';
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

/** A `Name <email>` identity; the e-mail address is its second group. */
export const IDENTITY = /^([^<>\n]*) <([^<>\n]+)>$/;

/** The one hint for a missing, stale or unreadable lock: freeze the plan again and commit what it writes. */
export function freezeHint(plan = 'PLAN'): string {
  return `run cutover freeze ${plan} and commit the lock`;
}

/** The lock's repository-relative path for a plan's: beside it, named after it without `.yaml`/`.yml`. */
export function lockPathFor(planPath: string): string {
  const name = posix.basename(planPath).replace(/\.ya?ml$/i, '');
  return posix.join(posix.dirname(planPath), `${name}.lock.json`);
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
