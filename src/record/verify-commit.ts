// The checks of `cutover verify` that read git: the plan and lock at the run's commit and now, the approvals, the record's commit.
import { realpath } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import { isCutoverError } from '../errors.js';
import { sshVerifier } from '../adapters/ssh-sign.js';
import { readRegularFile, resolveInside } from '../adapters/fs.js';
import { gitClient, readAtRevision } from '../adapters/git.js';
import { APPROVAL_NAMESPACE, evaluateApprovals, type ApprovalVerdict } from '../integrity/approvals.js';
import type { Lock } from '../integrity/lock.js';
import { lockText, parseLock } from '../integrity/lock-parse.js';
import { approvalPolicyOf } from '../plan/approvals.js';
import { MAX_PLAN_BYTES } from '../plan/load.js';
import { validatePlan } from '../plan/validate.js';
import { sha256Digest } from '../text/digest.js';
import type { RunJson } from './run-record.js';
import { checkApprovals, checkAtCommit, checkTrailers, checkUnchanged, type Check, type RecordCommit } from './verify.js';

const GIT_CHECKS = [
  "plan at the run's commit",
  "lock at the run's commit",
  'plan unchanged since the run',
  'lock unchanged since the run',
  'approvals',
  'commit trailers',
];

/** The git checks, failed, for a record that is not inside a git repository. */
export function outsideRepositoryChecks(record: string): Check[] {
  const detail = `${record} is not inside a git repository`;
  return GIT_CHECKS.map((name) => ({ name, ok: false, detail }));
}

/**
 * The plan and lock as the run's commit holds them and as the checkout holds them now, the
 * approvals judged again at that commit, and the commit that added run.json. Each file is read from
 * git once, whoever needs it.
 */
export async function commitChecks(root: string, recordAbs: string, run: RunJson, runText: string): Promise<Check[]> {
  const reads = new Map<string, Promise<Buffer | undefined>>();
  const atCommit = (path: string) => {
    if (!reads.has(path)) reads.set(path, readAtRevision(path, run.commit, { cwd: root }));
    return reads.get(path) as Promise<Buffer | undefined>;
  };
  const [approvals, committed, ...files] = await Promise.all([
    approvalsAtCommit(run, atCommit),
    recordCommit(root, recordAbs, runText),
    ...(['plan', 'lock'] as const).map((what) => fileChecks(root, run, what, atCommit)),
  ]);
  return [...files.flat(), checkApprovals(run, approvals), checkTrailers(run, committed)];
}

// A plan or lock at the run's commit, and in the checkout now.
async function fileChecks(root: string, run: RunJson, what: 'plan' | 'lock', atCommit: (path: string) => Promise<Buffer | undefined>) {
  const path = run[what].path;
  const then = await atCommit(path);
  // More bytes than the committed file has cannot be the same file: read no further.
  const bound = then?.length ?? MAX_PLAN_BYTES;
  const current = await resolveInside(root, path, { links: 'none' }).then(
    (abs) => currentDigest(abs, bound),
    () => undefined,
  );
  return [checkAtCommit(what, run, then === undefined ? undefined : sha256Digest(then)), checkUnchanged(what, run, current)];
}

/** The lock's approvals judged as the run's commit holds the lock, the plan and its allowed-signers file: offline, by ssh-keygen. */
async function approvalsAtCommit(
  run: RunJson,
  at: (path: string) => Promise<Buffer | undefined>,
): Promise<ApprovalVerdict | { error: string }> {
  const [planBytes, lockBytes] = await Promise.all([at(run.plan.path), at(run.lock.path)]);
  if (!planBytes || !lockBytes) return { error: `the plan or the lock is not in commit ${run.commit.slice(0, 12)}` };
  const valid = validatePlan(planBytes, run.plan.path);
  if (!valid.ok) return { error: `the plan at ${run.commit.slice(0, 12)} is not valid: ${valid.problems[0]?.message}` };
  let lock: Lock;
  try {
    lock = parseLock(lockText(lockBytes, run.lock.path), run.lock.path);
  } catch (error) {
    if (!isCutoverError(error)) throw error;
    return { error: `the lock at ${run.commit.slice(0, 12)} does not parse: ${error.message}` };
  }
  const policy = approvalPolicyOf(valid.valid.plan);
  const signers = policy.signers === undefined ? null : ((await at(policy.signers)) ?? null);
  return evaluateApprovals(lock, policy, run.freezeDigest, sshVerifier(APPROVAL_NAMESPACE, signers));
}

/** The commit that last touched `<record>/run.json`, its subject, its trailers (git's own parser) and whether run.json still equals it. */
async function recordCommit(root: string, recordAbs: string, runText: string): Promise<RecordCommit | { error: string }> {
  const rel = relative(await realpath(root), await realpath(recordAbs))
    .split(sep)
    .join('/');
  const path = rel === '' ? 'run.json' : `${rel}/run.json`;
  // %(trailers) is git-interpret-trailers --parse applied to the message: duplicates kept, folded lines joined.
  const out = await gitClient(root)
    .raw(['log', '-1', '--format=%H%x00%s%x00%(trailers:only,unfold)', '--', `:(literal)${path}`])
    .catch(() => '');
  const [commit = '', subject = '', block = ''] = out.split('\0');
  if (commit.trim() === '') return { error: `${path} is in no commit: the record is not committed` };
  const trailers = block
    .split('\n')
    .map((line) => /^([^:\s]+):\s*(.*?)\s*$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [m[1] as string, m[2] as string] as [string, string]);
  const committed = await readAtRevision(path, commit, { cwd: root });
  return { commit, subject: subject.trim(), trailers, sameRunJson: committed?.equals(Buffer.from(runText, 'utf8')) === true };
}

/** A checkout file's digest, read as a regular file of at most `maxBytes`; a larger one is said to be so (it changed). */
async function currentDigest(path: string, maxBytes: number): Promise<string | undefined> {
  const read = await readRegularFile(path, maxBytes);
  if ('bytes' in read) return sha256Digest(read.bytes);
  return read.tooLarge ? `larger than its ${maxBytes} bytes at the run's commit` : undefined;
}
