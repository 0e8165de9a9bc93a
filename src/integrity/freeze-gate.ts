// The freeze gate (docs/runs.md, "Preflight"; docs/integrity.md, "The freeze gate"): the committed lock, the work tree and git agree, and enough people approved.
import { lstatSync } from 'node:fs';
import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CutoverError, type Problem } from '../errors.js';
import { readPathStates, type PathState } from '../adapters/git-files.js';
import { resolveInside } from '../adapters/fs.js';
import { sshVerifier } from '../adapters/ssh-sign.js';
import { approvalPolicy, hashGroups, locatePlan, readLock, type FreezablePlan, type PlanLocation } from './freeze.js';
import { APPROVAL_NAMESPACE, approvalName, evaluateApprovals, type ApprovalVerdict } from './approvals.js';
import {
  diffLock,
  digestBytes,
  freezeDigestOf,
  lockedPaths,
  lockGroupsOf,
  lockInconsistencies,
  type Drift,
  type FrozenGroup,
  type Lock,
} from './lock.js';
import { compareUtf8 } from '../text/utf8.js';


/** What the gate needs: the repository root, the plan file as read, the plan, and optionally the lock already read. */
export interface FreezeGateOptions {
  root: string;
  planFile: { path: string; display: string; bytes: Uint8Array };
  plan: FreezablePlan;
  /** The lock to check; read from beside the plan when left out (null: there is none). */
  lock?: Lock | null;
  threads?: number;
}

/** The gate's answer: frozen (content and git state match the lock), approved, and every problem. */
export interface GateVerdict {
  frozen: boolean;
  approved: boolean;
  problems: Problem[];
  drift: Drift[];
  /** The freeze digest of the plan, registries and inputs as they are now. */
  freezeDigest: string;
  approvals: ApprovalVerdict;
  /** Repository-relative paths of the plan and its lock. */
  plan: string;
  lockFile: string;
  lock: Lock | null;
  /** Every registry and input file the plan's patterns match now, repository-relative. */
  files: string[];
}

/** A regular file's size, modification time and inode, or null when it is gone. */
export type FileStat = { size: bigint; mtimeNs: bigint; ino: bigint } | null;

const SUBJECT = { registries: 'registry', inputs: 'input' } as const;

/** Checks the freeze without changing anything: every refusal reason, one problem each. */
export async function checkFreeze(options: FreezeGateOptions): Promise<GateVerdict> {
  const { root, planFile, plan } = options;
  const where = await locatePlan(root, planFile.path);
  const lock = options.lock === undefined ? await readLock(root, where.lock) : options.lock;
  const planDigest = digestBytes(planFile.bytes);
  const { groups } = await hashGroups(root, plan, { allowUnmatched: true, ...(options.threads === undefined ? {} : { threads: options.threads }) });
  const freezeDigest = freezeDigestOf(planDigest, groups);
  const freezeHint = `run cutover freeze ${planFile.display} and commit the lock`;

  const found = [...contentDrift(lock, where, planDigest, groups, freezeHint), ...(await gitDrift(root, lock, where, groups, freezeHint))];
  found.sort((a, b) => driftOrder(a.drift, b.drift));
  const drift = found.map((f) => f.drift);
  const problems = found.map((f) => f.problem);
  const frozen = problems.length === 0;
  const policy = approvalPolicy(plan);
  const signers = policy.signers === undefined ? null : await readSignersFile(root, policy.signers);
  const approvals = await evaluateApprovals(lock, policy, freezeDigest, sshVerifier(APPROVAL_NAMESPACE, signers));
  const approved = approvals.satisfied;
  if (frozen && !approved) problems.push(...approvalProblems(approvals, where.lock, freezeDigest, planFile.display));
  const files = [...new Set(groups.flatMap((g) => g.entries.map((e) => e.path)))];
  return { frozen, approved, problems, drift, freezeDigest, approvals, plan: where.plan, lockFile: where.lock, lock, files };
}

interface Finding {
  drift: Drift;
  problem: Problem;
}

function finding(drift: Drift, message: string, hint: string): Finding {
  return { drift, problem: { code: 'REGISTRY_UNFROZEN', file: drift.path, message, hint } };
}

// What the lock says against what the work tree holds: the lock itself, the plan, every group's files.
function contentDrift(lock: Lock | null, where: PlanLocation, planDigest: string, groups: FrozenGroup[], hint: string): Finding[] {
  if (!lock) return [finding({ path: where.lock, kind: 'lock', reason: 'removed', detail: 'no lock' }, 'no lock: the registries and inputs of this plan were never frozen', hint)];
  const found = lockInconsistencies(lock).map((detail) => finding({ path: where.lock, kind: 'lock', reason: 'changed', detail }, `the lock was edited by hand: ${detail}`, hint));
  if (lock.plan !== where.plan) found.push(finding({ path: where.lock, kind: 'lock', reason: 'changed', detail: `frozen for ${lock.plan}` }, `the lock was frozen for ${lock.plan}, not ${where.plan}`, hint));
  if (lock.planDigest !== planDigest) {
    found.push(finding({ path: where.plan, kind: 'plan', reason: 'changed', detail: `lock ${lock.planDigest.slice(0, 19)}…` }, 'the plan changed since the lock was frozen; an approval covers the plan too', hint));
  }
  for (const d of diffLock(lock, lockGroupsOf(groups))) found.push(finding(d, describeDrift(d), hint));
  return found;
}

// What git says: the plan, the lock and every matched or listed file must be committed as they are.
async function gitDrift(root: string, lock: Lock | null, where: PlanLocation, groups: FrozenGroup[], hint: string): Promise<Finding[]> {
  const membership = new Map<string, Pick<Drift, 'kind' | 'group'>>([[where.plan, { kind: 'plan' }]]);
  if (lock) membership.set(where.lock, { kind: 'lock' });
  for (const group of groups) for (const e of group.entries) if (!membership.has(e.path)) membership.set(e.path, { kind: group.kind, group: group.name });
  for (const path of lock ? lockedPaths(lock) : []) if (!membership.has(path)) membership.set(path, lockMembership(lock as Lock, path));
  const states = await readPathStates([...membership.keys()], { cwd: root });
  return [...states.values()].map((state) => {
    const d: Drift = { path: state.path, ...membership.get(state.path), ...stateDrift(state) };
    return finding(d, describeDrift(d), d.reason === 'untracked' ? 'commit it: the approved state is the committed state' : `commit or revert the change; ${hint}`);
  });
}

/** The gate as a refusal: REGISTRY_UNFROZEN (exit 3) naming every drifted file, or APPROVAL_MISSING. */
export async function assertFrozen(options: FreezeGateOptions): Promise<GateVerdict> {
  const verdict = await checkFreeze(options);
  if (!verdict.frozen || !verdict.approved) throw gateError(verdict);
  return verdict;
}

/** The error a failed verdict refuses with, carrying every problem. */
export function gateError(verdict: GateVerdict): CutoverError {
  const code = verdict.frozen ? 'APPROVAL_MISSING' : 'REGISTRY_UNFROZEN';
  const first = verdict.problems[0];
  const files = new Set(verdict.drift.map((d) => d.path)).size;
  const message = verdict.frozen ? (first?.message ?? 'approvals missing') : `not frozen: ${files} file${files === 1 ? '' : 's'} differ from the committed lock`;
  return new CutoverError(code, message, { problems: verdict.problems, ...(first?.hint ? { hint: first.hint } : {}) });
}

/** One line for a drifted file: what it is to the plan and how it drifted. */
export function describeDrift(d: Drift): string {
  const subject = d.kind === 'plan' ? 'the plan' : d.kind === 'lock' ? 'the lock' : d.kind ? `${SUBJECT[d.kind]} "${d.group}" file` : 'frozen file';
  const detail = d.detail ? ` (${d.detail})` : '';
  switch (d.reason) {
    case 'changed':
      return `${subject} changed since the lock was frozen${detail}`;
    case 'added':
      return `${subject} is matched by the plan's patterns but not listed in the lock${detail}`;
    case 'removed':
      return `${subject} listed in the lock is missing or no longer matched${detail}`;
    case 'untracked':
      return `${subject} is not committed${detail}; the approved state is the committed state`;
    case 'uncommitted':
      return `${subject} has uncommitted changes${detail}; the approved state is the committed state`;
  }
}

const REASON_ORDER = ['changed', 'added', 'removed', 'untracked', 'uncommitted'];

// The lock first, then the plan, then file by file (each file's reasons together), as a reader scans them.
function driftOrder(a: Drift, b: Drift): number {
  const rank = (d: Drift) => (d.kind === 'lock' ? 0 : d.kind === 'plan' ? 1 : 2);
  return rank(a) - rank(b) || compareUtf8(a.path, b.path) || REASON_ORDER.indexOf(a.reason) - REASON_ORDER.indexOf(b.reason);
}

function lockMembership(lock: Lock, path: string): Pick<Drift, 'kind' | 'group'> {
  for (const kind of ['registries', 'inputs'] as const) {
    for (const [group, entry] of Object.entries(lock[kind])) if (Object.hasOwn(entry.files, path)) return { kind, group };
  }
  return {};
}

function stateDrift(state: PathState): Pick<Drift, 'reason' | 'detail'> {
  if (state.state === 'untracked') return { reason: 'untracked', detail: 'untracked' };
  if (state.state === 'ignored') return { reason: 'untracked', detail: 'ignored by git' };
  const [index, tree] = [state.code[0], state.code[1]];
  const deleted = index === 'D' || tree === 'D';
  const staged = index !== ' ' && index !== '?';
  const unstaged = tree !== ' ';
  const where = staged && unstaged ? 'staged and not staged' : staged ? 'staged' : 'not staged';
  return { reason: 'uncommitted', detail: `${deleted ? 'deleted, ' : ''}${where}` };
}

function approvalProblems(approvals: ApprovalVerdict, lockFile: string, digest: string, planDisplay: string): Problem[] {
  const { required, signers } = approvals;
  const who = signers === undefined ? 'by distinct people' : `signed by distinct principals of ${signers}`;
  const problems: Problem[] = [
    {
      code: 'APPROVAL_MISSING',
      file: lockFile,
      message: `the plan needs ${required} approval${required === 1 ? '' : 's'} of freeze digest ${digest} ${who}; ${approvals.valid.length} of the lock's ${approvals.valid.length + approvals.rejected.length} count`,
      hint: `another person runs cutover approve ${planDisplay}${signers === undefined ? '' : ' --key <their SSH key>'} (it commits the approval)`,
    },
  ];
  for (const { approval, reason, detail } of approvals.rejected) {
    problems.push({ code: 'APPROVAL_MISSING', file: lockFile, message: `the approval by ${approvalName(approval)} does not count (${reason}): ${detail}` });
  }
  return problems;
}

/** The allowed-signers file's bytes as the work tree holds them, or null when it is not a regular file there. */
export async function readSignersFile(root: string, path: string): Promise<Uint8Array | null> {
  const abs = await resolveInside(root, path);
  // A link is refused when the file is hashed with the inputs; here it is simply no signers file.
  const info = await lstat(abs).catch(() => undefined);
  return info?.isFile() ? readFile(abs) : null;
}

/** Size, modification time and inode of each repository-relative path (null when gone), for the cheap re-check after a step. */
export function statFiles(root: string, paths: readonly string[]): Map<string, FileStat> {
  // Synchronous: a run takes this after every step, and an lstat is cheaper than a trip through the thread pool.
  const stats = new Map<string, FileStat>();
  for (const path of paths) {
    try {
      const info = lstatSync(join(root, path), { bigint: true });
      stats.set(path, { size: info.size, mtimeNs: info.mtimeNs, ino: info.ino });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new CutoverError('IO_FAILED', `cannot stat ${JSON.stringify(path)} (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { cause: error });
      }
      stats.set(path, null);
    }
  }
  return stats;
}

/** Files whose size, modification time or inode changed between two stat snapshots; a file that appeared counts as added. */
export function compareStats(before: ReadonlyMap<string, FileStat>, after: ReadonlyMap<string, FileStat>): Drift[] {
  const drift: Drift[] = [];
  for (const [path, was] of before) {
    const now = after.get(path) ?? null;
    if (was && !now) drift.push({ path, reason: 'removed' });
    else if (!was && now) drift.push({ path, reason: 'added' });
    else if (was && now && (was.size !== now.size || was.mtimeNs !== now.mtimeNs || was.ino !== now.ino)) {
      drift.push({ path, reason: 'changed', detail: was.size !== now.size ? `size ${was.size} → ${now.size}` : 'modification time or inode changed' });
    }
  }
  for (const [path, now] of after) if (!before.has(path) && now) drift.push({ path, reason: 'added' });
  return drift.sort((a, b) => compareUtf8(a.path, b.path));
}

/** Re-hashes every registry and input and lists what differs from the lock (content and glob matches only). */
export async function rehashFrozen(options: { root: string; plan: FreezablePlan; lock: Lock; threads?: number }): Promise<Drift[]> {
  const { groups } = await hashGroups(options.root, options.plan, { allowUnmatched: true, ...(options.threads === undefined ? {} : { threads: options.threads }) });
  return diffLock(options.lock, lockGroupsOf(groups));
}
