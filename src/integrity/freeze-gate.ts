// The freeze gate (docs/runs.md, "Preflight"; docs/integrity.md, "The freeze gate"): the committed lock, the work tree and git agree, and enough people approved.
import { lstat, readFile } from 'node:fs/promises';
import { CutoverError, type Problem } from '../errors.js';
import { findNestedRepositories, readHiddenPaths, readPathStates, type PathState } from '../adapters/git-files.js';
import { digestCommitted } from '../adapters/git-objects.js';
import { readAtRevision } from '../adapters/git.js';
import { resolveInside } from '../adapters/fs.js';
import { sshVerifier } from '../adapters/ssh-sign.js';
import { approvalPolicy, hashGroups, locatePlan, readLock, type FreezablePlan, type PlanLocation } from './freeze.js';
import { APPROVAL_NAMESPACE, approvalName, evaluateApprovals, type ApprovalVerdict } from './approvals.js';
import {
  diffLock,
  freezeDigestOf,
  lockedPaths,
  lockGroupsOf,
  lockInconsistencies,
  type Drift,
  type FrozenGroup,
  type Lock,
  freezeHint,
} from './lock.js';
import { parseLock } from './lock-parse.js';
import { canonicalJson } from '../text/json.js';
import { compareUtf8 } from '../text/utf8.js';
import { sha256Digest } from '../text/digest.js';

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

const SUBJECT = { registries: 'registry', inputs: 'input' } as const;

/** Checks the freeze without changing anything: every refusal reason, one problem each. */
export async function checkFreeze(options: FreezeGateOptions): Promise<GateVerdict> {
  const { root, planFile, plan } = options;
  const where = await locatePlan(root, planFile.path);
  const lock = options.lock === undefined ? await readLock(root, where.lock) : options.lock;
  const planDigest = sha256Digest(planFile.bytes);
  const { groups } = await hashGroups(root, plan, {
    allowUnmatched: true,
    ...(options.threads === undefined ? {} : { threads: options.threads }),
  });
  const freezeDigest = freezeDigestOf(planDigest, groups);
  const hint = freezeHint(planFile.display);

  const found = [
    ...contentDrift(lock, where, planDigest, groups, hint),
    ...(await gitDrift(root, lock, where, { planDigest, groups }, hint)),
  ];
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
  if (!lock)
    return [
      finding(
        { path: where.lock, kind: 'lock', reason: 'removed', detail: 'no lock' },
        'no lock: the registries and inputs of this plan were never frozen',
        hint,
      ),
    ];
  const found = lockInconsistencies(lock).map((detail) =>
    finding({ path: where.lock, kind: 'lock', reason: 'changed', detail }, `the lock was edited by hand: ${detail}`, hint),
  );
  if (lock.plan !== where.plan)
    found.push(
      finding(
        { path: where.lock, kind: 'lock', reason: 'changed', detail: `frozen for ${lock.plan}` },
        `the lock was frozen for ${lock.plan}, not ${where.plan}`,
        hint,
      ),
    );
  if (lock.planDigest !== planDigest) {
    found.push(
      finding(
        { path: where.plan, kind: 'plan', reason: 'changed', detail: `lock ${lock.planDigest.slice(0, 19)}…` },
        'the plan changed since the lock was frozen; an approval covers the plan too',
        hint,
      ),
    );
  }
  for (const d of diffLock(lock, lockGroupsOf(groups))) found.push(finding(d, describeDrift(d), hint));
  return found;
}

// What git holds: the plan, the lock and every matched or listed file must be committed as they are.
// Git's status is not trusted alone: index flags hide changes from it and it does not look inside a
// nested repository, so every file's bytes are also compared with the committed blob.
async function gitDrift(
  root: string,
  lock: Lock | null,
  where: PlanLocation,
  hashed: { planDigest: string; groups: FrozenGroup[] },
  hint: string,
): Promise<Finding[]> {
  const membership = new Map<string, Pick<Drift, 'kind' | 'group'>>([[where.plan, { kind: 'plan' }]]);
  if (lock) membership.set(where.lock, { kind: 'lock' });
  for (const group of hashed.groups)
    for (const e of group.entries) if (!membership.has(e.path)) membership.set(e.path, { kind: group.kind, group: group.name });
  for (const path of lock ? lockedPaths(lock) : []) if (!membership.has(path)) membership.set(path, lockMembership(lock as Lock, path));
  const drift = (path: string, found: Pick<Drift, 'reason' | 'detail'>): Drift => ({ path, ...membership.get(path), ...found });

  const nested = await findNestedRepositories([...membership.keys()], { cwd: root });
  const paths = [...membership.keys()].filter((p) => !nested.has(p));
  const states = await readPathStates(paths, { cwd: root });
  const hidden = await readHiddenPaths(paths, { cwd: root });
  const found: Drift[] = [...nested].map(([path, folder]) => drift(path, { reason: 'nested', detail: folder }));
  for (const state of states.values()) found.push(drift(state.path, stateDrift(state)));
  for (const [path, flags] of hidden) found.push(drift(path, { reason: 'hidden', detail: flags.join(' and ') }));
  found.push(
    ...(
      await committedDrift(
        root,
        lock,
        where,
        hashed,
        paths.filter((p) => !states.has(p)),
      )
    ).map((d) => drift(d.path, d)),
  );
  return found.map((d) => finding(d, describeDrift(d), driftHint(d, hint)));
}

// Each file's bytes against the blob HEAD commits: a change git's status missed, or a file HEAD lacks.
async function committedDrift(
  root: string,
  lock: Lock | null,
  where: PlanLocation,
  hashed: { planDigest: string; groups: FrozenGroup[] },
  paths: string[],
): Promise<Drift[]> {
  const expected = new Map<string, string>([[where.plan, hashed.planDigest.replace(/^sha256:/, '')]]);
  for (const group of hashed.groups) for (const e of group.entries) expected.set(e.path, e.digest);
  const asked = paths.filter((p) => expected.has(p));
  const committed = await digestCommitted(asked, 'HEAD', { cwd: root });
  const found: Drift[] = [];
  for (const path of asked) {
    const digest = committed.get(path);
    if (digest === undefined) found.push({ path, reason: 'untracked', detail: 'HEAD has no such file' });
    else if (digest !== expected.get(path))
      found.push({ path, reason: 'uncommitted', detail: "its bytes differ from HEAD's, though git's status shows no change" });
  }
  // The lock is compared by content: the one the gate read must be the one HEAD commits.
  if (lock && paths.includes(where.lock) && !(await sameLockInHead(root, where.lock, lock))) {
    found.push({ path: where.lock, reason: 'uncommitted', detail: "it differs from HEAD's, though git's status shows no change" });
  }
  return found;
}

async function sameLockInHead(root: string, lockPath: string, lock: Lock): Promise<boolean> {
  const bytes = await readAtRevision(lockPath, 'HEAD', { cwd: root });
  if (bytes === undefined) return false;
  try {
    return canonicalJson(parseLock(bytes.toString('utf8'), lockPath)) === canonicalJson(lock);
  } catch {
    return false;
  }
}

function driftHint(d: Drift, hint: string): string {
  if (d.reason === 'untracked') return 'commit it: the approved state is the committed state';
  if (d.reason === 'hidden')
    return `clear the flag (git update-index --no-skip-worktree --no-assume-unchanged -- ${d.path}), then commit or revert what git now shows`;
  if (d.reason === 'nested')
    return 'freeze only files this repository commits: narrow the pattern, or move the files out of the nested repository';
  return `commit or revert the change; ${hint}`;
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
  const message = verdict.frozen
    ? (first?.message ?? 'approvals missing')
    : `not frozen: ${files} file${files === 1 ? '' : 's'} differ from the committed lock`;
  return new CutoverError(code, message, { problems: verdict.problems, ...(first?.hint ? { hint: first.hint } : {}) });
}

/** One line for a drifted file: what it is to the plan and how it drifted. */
export function describeDrift(d: Drift): string {
  const subject =
    d.kind === 'plan' ? 'the plan' : d.kind === 'lock' ? 'the lock' : d.kind ? `${SUBJECT[d.kind]} "${d.group}" file` : 'frozen file';
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
    case 'hidden':
      return `${subject} is marked ${d.detail ?? 'hidden'} in git's index, so git's status does not show its changes`;
    case 'nested':
      return `${subject} is inside a nested repository or submodule (${d.detail ?? 'a folder with .git'}); this repository does not commit it`;
  }
}

const REASON_ORDER = ['changed', 'added', 'removed', 'nested', 'hidden', 'untracked', 'uncommitted'];

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
    problems.push({
      code: 'APPROVAL_MISSING',
      file: lockFile,
      message: `the approval by ${approvalName(approval)} does not count (${reason}): ${detail}`,
    });
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
