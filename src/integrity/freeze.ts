// Expands a plan's registry and input patterns inside the repository, hashes what they match, and reads and writes the lock.
import { readdir, readdirSync, type Dirent, type Stats } from 'node:fs';
import { lstat, readFile, realpath } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { CutoverError, problemsError, type Problem } from '../errors.js';
import { isInside, resolveInside, writeFileAtomic } from '../adapters/fs.js';
import { canonicalJson } from '../text/json.js';
import { positionOf, type SourceDoc } from '../plan/position.js';
import type { ResolvedPlan } from '../plan/resolve.js';
import { approvalPolicyOf, SIGNERS_GROUP, type ApprovalPolicy } from '../plan/approvals.js';
import type { FileGroup, Plan } from '../plan/types.js';
import { hashFiles, type FileToHash } from './hash-files.js';
import { GROUP_KINDS, lockPathFor, type FrozenGroup, type GroupKind, type Lock } from './lock.js';
import { lockText, parseLock } from './lock-parse.js';
import { entryPathProblem } from './manifest.js';
import { compareUtf8 } from '../text/utf8.js';
import { manifestRoot } from './merkle.js';
import { FROZEN_GLOB } from './pattern-match.js';

/** A plan as written or as resolved: both name the groups to freeze. */
export type FreezablePlan = Plan | ResolvedPlan;

/** A group declared by a plan, with its place there (for positions). */
export interface DeclaredGroup extends FileGroup {
  kind: GroupKind;
  index: number;
}

/** A pattern that matched no file. */
export interface UnmatchedPattern {
  kind: GroupKind;
  group: string;
  pattern: string;
  /** Where the pattern is in the plan: `spec.<kind>[groupIndex].paths[patternIndex]`. */
  groupIndex: number;
  patternIndex: number;
}

/** Groups hashed from the work tree, registries first, in plan order; and the patterns that matched nothing. */
export interface HashedGroups {
  groups: FrozenGroup[];
  unmatched: UnmatchedPattern[];
}

/** `allowUnmatched`: report patterns that match nothing instead of refusing; `source`: the plan's text, for positions. */
export interface HashGroupsOptions {
  allowUnmatched?: boolean;
  source?: SourceDoc;
  threads?: number;
}

/** Where a plan and its lock are, relative to the repository root. */
export interface PlanLocation {
  plan: string;
  lock: string;
}

// The index the signers group stands at: it has no place in spec.inputs, its pattern is spec.approvals.signers.
const SIGNERS_INDEX = -1;

const UNSAFE_HINT = 'registries and inputs are regular files inside the repository; git records a link, not the bytes it points to';

// A directory listing in which links look like files: the glob then matches a link without ever
// following it, and checkMatch refuses it by name (tinyglobby otherwise either skips links silently or
// follows them, which can walk out of the repository and across the whole file system).
function linksAsFiles(entries: Dirent[]): Dirent[] {
  return entries.map((entry) =>
    entry.isSymbolicLink() ? Object.create(entry, { isFile: { value: () => true }, isSymbolicLink: { value: () => false } }) : entry,
  );
}
const GLOB_FS = {
  readdir: ((path: string, options: object, callback: (error: NodeJS.ErrnoException | null, entries: Dirent[]) => void) =>
    readdir(path, { ...options, withFileTypes: true }, (error, entries) =>
      callback(error, error ? entries : linksAsFiles(entries)),
    )) as unknown as typeof readdir,
  readdirSync: ((path: string, options: object) =>
    linksAsFiles(readdirSync(path, { ...options, withFileTypes: true }))) as unknown as typeof readdirSync,
};

/**
 * The registry and input groups a plan declares: registries first, each kind in plan order, then
 * the allowed-signers file of `approvals.signers` as the input group `approval-signers`.
 */
export function declaredGroups(plan: FreezablePlan): DeclaredGroup[] {
  const spec = 'spec' in plan ? plan.spec : plan;
  const groups: DeclaredGroup[] = GROUP_KINDS.flatMap((kind) =>
    (spec[kind] ?? []).map((group, index) => ({ kind, index, name: group.name, paths: group.paths })),
  );
  const { signers } = approvalPolicy(plan);
  if (signers !== undefined) groups.push({ kind: 'inputs', index: SIGNERS_INDEX, name: SIGNERS_GROUP, paths: [signers] });
  return groups;
}

/** The approval policy of a plan as written or as resolved. */
export function approvalPolicy(plan: FreezablePlan): ApprovalPolicy {
  return 'spec' in plan ? approvalPolicyOf(plan) : plan.approvals;
}

/** The plan's and its lock's repository-relative paths; a plan outside the repository is refused. */
export async function locatePlan(root: string, planPath: string): Promise<PlanLocation> {
  const realRoot = await realpath(root);
  const real = join(await realpath(dirname(planPath)), basename(planPath));
  if (!isInside(realRoot, real) || real === realRoot) {
    throw new CutoverError('USAGE', `the plan ${planPath} is outside the repository ${realRoot}`, {
      hint: 'a plan and its lock live in the repository whose files they freeze',
    });
  }
  const plan = relative(realRoot, real).split(sep).join('/');
  return { plan, lock: lockPathFor(plan) };
}

/**
 * Expands every group's patterns (relative to the repository root; links never followed, a match
 * that is or passes through a link refused) and hashes the matched files, each file once.
 */
export async function hashGroups(root: string, plan: FreezablePlan, options: HashGroupsOptions = {}): Promise<HashedGroups> {
  const realRoot = await realpath(root);
  const unmatched: UnmatchedPattern[] = [];
  const matched: { group: DeclaredGroup; paths: string[] }[] = [];
  const files = new Map<string, FileToHash>();
  const checked = new Map<string, Promise<Stats>>();
  for (const group of declaredGroups(plan)) {
    const paths = new Set<string>();
    for (const [patternIndex, pattern] of group.paths.entries()) {
      await checkPatternBase(root, realRoot, pattern, group);
      const found = await glob([pattern], { ...FROZEN_GLOB, ignore: [...FROZEN_GLOB.ignore], cwd: root, fs: GLOB_FS });
      if (found.length === 0) unmatched.push({ kind: group.kind, group: group.name, pattern, groupIndex: group.index, patternIndex });
      for (const path of found) paths.add(path);
    }
    const fresh = [...paths].filter((path) => !files.has(path));
    for (const file of await Promise.all(fresh.map((path) => checkMatch(root, realRoot, path, group, checked)))) files.set(file.path, file);
    matched.push({ group, paths: [...paths] });
  }
  if (unmatched.length && !options.allowUnmatched) throw unmatchedError(unmatched, options.source);
  const list = [...files.values()];
  const hashed = await hashFiles(root, list, options.threads === undefined ? {} : { threads: options.threads });
  const digests = new Map(list.map((file, i) => [file.path, (hashed[i] as { digest: string }).digest]));
  const groups = matched.map(({ group, paths }) => {
    const entries = paths.map((path) => ({ path, digest: digests.get(path) as string })).sort((a, b) => compareUtf8(a.path, b.path));
    return { kind: group.kind, name: group.name, patterns: [...group.paths], entries, root: manifestRoot(entries) };
  });
  return { groups, unmatched };
}

// The glob starts listing at a pattern's literal folders and would follow a link there (even to `/`),
// so those folders are checked before it runs.
async function checkPatternBase(root: string, realRoot: string, pattern: string, group: DeclaredGroup): Promise<void> {
  const parts = pattern.split('/');
  const literal = parts.findIndex((part) => isDynamicPattern(part));
  const folders = literal < 0 ? parts.slice(0, -1) : parts.slice(0, literal);
  for (let i = 1; i <= folders.length; i++) {
    const prefix = folders.slice(0, i).join('/');
    const info = await lstat(join(root, prefix)).catch(() => undefined);
    if (!info) return;
    if (info.isSymbolicLink()) {
      const target = await realpath(join(root, prefix)).catch(() => undefined);
      throw new CutoverError(
        'PATH_UNSAFE',
        `${group.kind} "${group.name}": pattern ${JSON.stringify(pattern)} passes through ${JSON.stringify(prefix)}, a symbolic link${linkDestination(realRoot, target)}`,
        { hint: UNSAFE_HINT },
      );
    }
  }
}

// A match must be a regular file reached without passing through a link: checked component by component.
async function checkMatch(
  root: string,
  realRoot: string,
  path: string,
  group: DeclaredGroup,
  checked: Map<string, Promise<Stats>>,
): Promise<FileToHash> {
  const unsafe = (why: string) =>
    new CutoverError('PATH_UNSAFE', `${group.kind} "${group.name}": ${JSON.stringify(path)} ${why}`, { hint: UNSAFE_HINT });
  const problem = entryPathProblem(path);
  if (problem) throw unsafe(problem);
  const parts = path.split('/');
  let info: Stats | undefined;
  for (let i = 1; i <= parts.length; i++) {
    const prefix = parts.slice(0, i).join('/');
    let pending = checked.get(prefix);
    if (!pending) checked.set(prefix, (pending = lstat(join(root, prefix))));
    try {
      info = await pending;
    } catch (error) {
      throw new CutoverError(
        'IO_FAILED',
        `${group.kind} "${group.name}": cannot read ${JSON.stringify(prefix)} (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
        { cause: error },
      );
    }
    if (info.isSymbolicLink()) {
      const target = await realpath(join(root, prefix)).catch(() => undefined);
      throw unsafe(`${i === parts.length ? 'is' : `passes through (${prefix})`} a symbolic link${linkDestination(realRoot, target)}`);
    }
  }
  if (!info?.isFile()) throw unsafe('is not a regular file');
  return { path, size: info.size };
}

function linkDestination(realRoot: string, target: string | undefined): string {
  if (target === undefined) return ' that leads nowhere';
  return isInside(realRoot, target) ? '' : ' that leads outside the repository';
}

function unmatchedError(unmatched: UnmatchedPattern[], source: SourceDoc | undefined): CutoverError {
  const problems: Problem[] = unmatched.map((u) => {
    const signers = u.groupIndex === SIGNERS_INDEX;
    return {
      code: 'PLAN_PATH',
      message: signers
        ? `approvals.signers: no file at ${JSON.stringify(u.pattern)}`
        : `${u.kind} "${u.group}": pattern ${JSON.stringify(u.pattern)} matches no file`,
      hint: signers
        ? 'commit the allowed-signers file (one line a principal: "email key-type base64-key") at that path'
        : 'patterns are relative to the repository root; a folder needs "/**"',
      ...(source
        ? {
            file: source.file,
            ...positionOf(source, signers ? ['spec', 'approvals', 'signers'] : ['spec', u.kind, u.groupIndex, 'paths', u.patternIndex]),
          }
        : {}),
    };
  });
  return problemsError(problems);
}

/** The lock's text, or null when there is no lock; a link or anything but a regular file is refused. */
export async function readLockText(root: string, lockPath: string): Promise<string | null> {
  const abs = await resolveInside(root, lockPath);
  let info: Stats;
  try {
    info = await lstat(abs);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CutoverError('IO_FAILED', `cannot read the lock (${(error as NodeJS.ErrnoException).code})`, {
      position: { file: lockPath },
      cause: error,
    });
  }
  if (!info.isFile())
    throw new CutoverError('LOCK_INVALID', 'the lock is not a regular file (a link or a folder)', {
      position: { file: lockPath },
      hint: 'remove it and run `cutover freeze PLAN`',
    });
  return lockText(await readFile(abs), lockPath);
}

/** The parsed lock, or null when there is none. */
export async function readLock(root: string, lockPath: string): Promise<Lock | null> {
  const text = await readLockText(root, lockPath);
  return text === null ? null : parseLock(text, lockPath);
}

/** Writes a lock as canonical JSON, atomically (a temp file renamed over it, never through a link). */
export async function writeLock(root: string, lockPath: string, lock: Lock): Promise<void> {
  await writeFileAtomic(await resolveInside(root, lockPath), canonicalJson(lock));
}
