// `cutover freeze PLAN`: hashes the plan's registries and inputs and writes the lock beside it; `--check` only compares.
import { CutoverError, type Problem } from '../errors.js';
import { findRepositoryRoot } from '../adapters/git.js';
import { findNestedRepositories, readGitIdentity, readHiddenPaths, readPathStates } from '../adapters/git-files.js';
import { colors, writeJson, writeProblems } from '../ui/output.js';
import { canonicalJson } from '../text/json.js';
import { readValidPlan } from '../adapters/plan-file.js';
import { describeDrift } from '../integrity/freeze-gate.js';
import { approvalPolicy, hashGroups, locatePlan, readLockText, writeLock } from '../integrity/freeze.js';
import {
  computeLock,
  diffLock,
  freezeDigestOf,
  groupKey,
  lockGroupsOf,
  lockInconsistencies,
  type Approval,
  type Drift,
  type FrozenGroup,
  type Lock,
} from '../integrity/lock.js';
import { parseLock } from '../integrity/lock-parse.js';
import type { CommandIo } from '../adapters/io.js';
import { sha256Digest } from '../text/digest.js';

/** Options of `cutover freeze`. */
export interface FreezeOptions {
  plan: string;
  /** Compare only: exit 3 when the lock is missing or stale, write nothing. */
  check?: boolean;
}

/** Freezes a plan's registries and inputs into its lock (or checks the lock is current); returns the exit code. */
export async function freeze(options: FreezeOptions, io: CommandIo): Promise<number> {
  const { plan, source, file } = await readValidPlan(options.plan, io.cwd);
  const root = await findRepositoryRoot({ cwd: io.cwd });
  const where = await locatePlan(root, file.path);
  const { groups } = await hashGroups(root, plan, { source });
  const planDigest = sha256Digest(file.bytes);
  const freezeDigest = freezeDigestOf(planDigest, groups);
  const text = await readLockText(root, where.lock);
  let existing: Lock | null = null;
  let unreadable: CutoverError | undefined;
  if (text !== null) {
    try {
      existing = parseLock(text, where.lock);
    } catch (error) {
      // --check reports a broken lock as it is; freeze replaces it, and says so.
      if (options.check || !(error instanceof CutoverError)) throw error;
      unreadable = error;
    }
  }
  const stale = staleness(existing, { plan: where.plan, planDigest, groups, freezeDigest });
  if (options.check) return reportCheck(io, { ...where, freezeDigest, existing, stale, display: file.display });

  const current = existing !== null && stale.length === 0;
  const lock = current
    ? existing!
    : computeLock({
        plan: where.plan,
        planDigest,
        groups,
        frozenBy: await readGitIdentity({ cwd: root }),
        approvals: existing?.approvals ?? [],
      });
  const dropped: Approval[] = current ? [] : (existing?.approvals ?? []).filter((a) => a.digest !== lock.freezeDigest);
  const written = text !== canonicalJson(lock);
  if (written) await writeLock(root, where.lock, lock);
  // Not a refusal: freezing the work tree is how a change gets frozen, but the gate wants it all committed.
  const frozenPaths = [where.plan, ...new Set(groups.flatMap((g) => g.entries.map((e) => e.path)))];
  const states = await readPathStates(frozenPaths, { cwd: root });
  const notes = [...states.values()].map(
    (s) =>
      `${s.path} ${s.state === 'changed' ? 'has uncommitted changes' : s.state === 'ignored' ? 'is ignored by git' : 'is untracked'}: commit it with the lock`,
  );
  // What the gate will refuse whatever is committed: files git is told not to look at, or cannot.
  for (const [path, flags] of await readHiddenPaths(frozenPaths, { cwd: root }))
    notes.push(`${path} is marked ${flags.join(' and ')} in git's index: the gate refuses it until the flag is cleared`);
  for (const [path, folder] of await findNestedRepositories(frozenPaths, { cwd: root }))
    notes.push(`${path} is inside the nested repository ${folder}: the gate refuses it`);
  if (unreadable) notes.unshift(`the previous lock could not be read (${unreadable.message}); it was replaced`);
  if (dropped.length)
    notes.push(
      `${dropped.length} approval${dropped.length === 1 ? '' : 's'} of an older freeze digest dropped: ${dropped.map((a) => a.by).join(', ')}`,
    );

  const { required, signers } = approvalPolicy(plan);
  if (io.format === 'json') {
    writeJson(io, {
      ok: true,
      plan: where.plan,
      lock: where.lock,
      written,
      freezeDigest: lock.freezeDigest,
      frozenBy: lock.frozenBy,
      groups: summary(groups),
      approvals: { required, count: lock.approvals.length },
      droppedApprovals: dropped,
      notes,
    });
    return 0;
  }
  if (!io.quiet) {
    const c = colors(io);
    const lines = [written ? `${c.green('froze')} ${where.plan} → ${where.lock}` : `${where.lock} is current; nothing written`];
    for (const g of groups)
      lines.push(
        `  ${groupKey(g.kind, g.name).padEnd(28)} ${String(g.entries.length).padStart(5)} file${g.entries.length === 1 ? ' ' : 's'}  ${c.dim(g.root)}`,
      );
    lines.push(`freeze digest ${lock.freezeDigest}`, `frozen by     ${lock.frozenBy}`);
    if (required > 0)
      lines.push(
        `approvals     ${lock.approvals.length} recorded, ${required} required (cutover approve ${file.display}${signers === undefined ? '' : ' --key <SSH key>'}, by someone else)`,
      );
    for (const note of notes) lines.push(c.yellow(`note: ${note}`));
    if (written) lines.push(c.dim(`next: commit ${where.lock}`));
    io.stdout.write(`${lines.join('\n')}\n`);
  }
  return 0;
}

/** Why a lock does not pin the current content: each drifted file, a changed plan, or a hand edit. */
function staleness(lock: Lock | null, now: { plan: string; planDigest: string; groups: FrozenGroup[]; freezeDigest: string }): Drift[] {
  if (!lock) return [];
  const drift: Drift[] = lockInconsistencies(lock).map((detail) => ({
    path: '',
    kind: 'lock',
    reason: 'changed',
    detail: `edited by hand: ${detail}`,
  }));
  if (lock.plan !== now.plan) drift.push({ path: '', kind: 'lock', reason: 'changed', detail: `frozen for ${lock.plan}` });
  if (lock.planDigest !== now.planDigest) drift.push({ path: now.plan, kind: 'plan', reason: 'changed' });
  drift.push(...diffLock(lock, lockGroupsOf(now.groups)));
  if (drift.length === 0 && lock.freezeDigest !== now.freezeDigest)
    drift.push({ path: '', kind: 'lock', reason: 'changed', detail: 'freeze digest differs' });
  return drift;
}

function reportCheck(
  io: CommandIo,
  r: { plan: string; lock: string; freezeDigest: string; existing: Lock | null; stale: Drift[]; display: string },
): number {
  const drift = r.existing
    ? r.stale.map((d) => (d.path === '' ? { ...d, path: r.lock } : d))
    : [{ path: r.lock, kind: 'lock' as const, reason: 'removed' as const, detail: 'no lock' }];
  const hint = `run cutover freeze ${r.display} and commit the lock`;
  const problems: Problem[] = drift.map((d) => ({
    code: 'REGISTRY_UNFROZEN',
    file: d.path,
    message: d.detail === 'no lock' ? 'no lock: the registries and inputs of this plan were never frozen' : describeDrift(d),
    hint,
  }));
  const current = problems.length === 0;
  if (io.format === 'json') {
    writeJson(io, {
      ok: current,
      ...(current ? {} : { code: 'REGISTRY_UNFROZEN' }),
      plan: r.plan,
      lock: r.lock,
      current,
      freezeDigest: r.freezeDigest,
      lockDigest: r.existing?.freezeDigest ?? null,
      drift,
      problems,
    });
  } else if (current) {
    if (!io.quiet) io.stdout.write(`${r.lock} is current (${r.freezeDigest})\n`);
  } else {
    writeProblems(problems, io);
  }
  return current ? 0 : 3;
}

function summary(groups: FrozenGroup[]) {
  return groups.map((g) => ({ kind: g.kind, name: g.name, files: g.entries.length, root: g.root }));
}
