// Which plans a range of commits touches: the plan file itself, its lock, or a file one of its
// registry or input patterns matches (changed, added or deleted). `changed` lists them; `review` shows them.
import { readAtRevision } from '../adapters/git.js';
import { diffFiles, listFilesAt, resolveRange, type CommitRange, type FileChange } from '../adapters/git-diff.js';
import { isPlanPath, PLANS_DIR } from '../plan/paths.js';
import type { Plan } from '../plan/types.js';
import { validatePlan } from '../plan/validate.js';
import { compareUtf8 } from '../text/utf8.js';
import { declaredGroups } from './freeze.js';
import { groupKey, lockPathFor, type GroupKind } from './lock.js';
import { matchPattern, virtualTree } from './pattern-match.js';

/** Why a plan counts as touched: its file, its lock, or these files of one of its groups. */
export type TouchReason = { kind: 'plan' | 'lock'; path: string } | { kind: GroupKind; group: string; paths: string[] };

/** A plan at HEAD that the range touches. `plan` is null when the plan at HEAD is not a valid plan. */
export interface TouchedPlan {
  path: string;
  lock: string;
  plan: Plan | null;
  reasons: TouchReason[];
}

/** What a range changed and which plans that touches; `removed` are plan files the range deleted. */
export interface TouchedPlans {
  range: CommitRange;
  changes: FileChange[];
  plans: TouchedPlan[];
  removed: string[];
}

/**
 * The plans under plans/ at HEAD that the change from BASE (its merge base with HEAD) to HEAD touches;
 * with `only`, exactly those plans (repository-relative), each with what of it the change touched.
 */
export async function findTouchedPlans(options: {
  root: string;
  base: string;
  head: string;
  only?: readonly string[];
}): Promise<TouchedPlans> {
  const { root } = options;
  const range = await resolveRange(options.base, options.head, { cwd: root });
  const changes = await diffFiles(range.from, range.head, { cwd: root });
  const changed = new Set(changes.map((c) => c.path));
  const tree = virtualTree([...changed]);
  const atHead = (await listFilesAt(range.head, PLANS_DIR, { cwd: root })).filter(isPlanPath).sort(compareUtf8);
  const plans: TouchedPlan[] = [];
  for (const path of options.only ?? atHead) {
    const touched = await touchesOf(path, range.head, root, changed, tree);
    if (touched.reasons.length || options.only) plans.push(touched);
  }
  const present = new Set(atHead);
  const removed = [...changed].filter((path) => isPlanPath(path) && !present.has(path)).sort(compareUtf8);
  return { range, changes, plans, removed };
}

async function touchesOf(
  path: string,
  head: string,
  root: string,
  changed: ReadonlySet<string>,
  tree: ReturnType<typeof virtualTree>,
): Promise<TouchedPlan> {
  const lock = lockPathFor(path);
  const reasons: TouchReason[] = [];
  if (changed.has(path)) reasons.push({ kind: 'plan', path });
  if (changed.has(lock)) reasons.push({ kind: 'lock', path: lock });
  const bytes = await readAtRevision(path, head, { cwd: root });
  const result = bytes ? validatePlan(bytes, path) : undefined;
  // An invalid plan names no groups that can be trusted: only its file and its lock count.
  const plan = result?.ok ? result.valid.plan : null;
  for (const group of plan ? declaredGroups(plan) : []) {
    const matched = new Set<string>();
    for (const pattern of group.paths) for (const file of await matchPattern(pattern, tree)) matched.add(file);
    if (matched.size) reasons.push({ kind: group.kind, group: group.name, paths: [...matched].sort(compareUtf8) });
  }
  return { path, lock, plan, reasons };
}

/** A reason in a few words: `the plan`, `the lock`, `registries/mapping (2 files)`. */
export function describeReason(reason: TouchReason): string {
  if (!('paths' in reason)) return `the ${reason.kind}`;
  return `${groupKey(reason.kind, reason.group)} (${reason.paths.length} file${reason.paths.length === 1 ? '' : 's'})`;
}
