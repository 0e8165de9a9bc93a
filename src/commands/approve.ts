// `cutover approve PLAN [--key PATH]`: records the caller's approval of the current freeze digest in the lock, signed with an SSH key when asked, in a commit of its own.
import { lstat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CutoverError, type Problem } from '../errors.js';
import { writeFileAtomic, resolveInside } from '../adapters/fs.js';
import { findRepositoryRoot } from '../adapters/git.js';
import { commitPaths, readGitIdentity } from '../adapters/git-files.js';
import { signMessage, sshVerifier, type SignatureVerifier } from '../adapters/ssh-sign.js';
import { colors, writeJson } from '../ui/output.js';
import { readValidPlan } from '../adapters/plan-file.js';
import {
  APPROVAL_NAMESPACE,
  approvalMessage,
  approvalName,
  evaluateApprovals,
  type RejectReason,
  approvalStanding,
} from '../integrity/approvals.js';
import { checkFreeze, readSignersFile } from '../integrity/freeze-gate.js';
import { approvalPolicy, readLockText, writeLock } from '../integrity/freeze.js';
import { identityEmail, type Approval, type Lock } from '../integrity/lock.js';
import type { CommandIo } from '../adapters/io.js';

/** Options of `cutover approve`: `key` signs the approval (`ssh-keygen -Y sign`); `principal` names the signer when the key alone does not. */
export interface ApproveOptions {
  plan: string;
  key?: string;
  principal?: string;
}

/** Adds the caller's approval to a current lock, refused unless it would count, and commits the lock alone; refusals exit 3. */
export async function approve(options: ApproveOptions, io: CommandIo): Promise<number> {
  const { plan, file } = await readValidPlan(options.plan, io.cwd);
  const root = await findRepositoryRoot({ cwd: io.cwd });
  const verdict = await checkFreeze({ root, planFile: file, plan });
  const refuse = (message: string, hint: string, more: Problem[] = []) =>
    new CutoverError('APPROVAL_REFUSED', message, {
      hint,
      problems: [{ code: 'APPROVAL_REFUSED', file: verdict.lockFile, message, hint }, ...more],
    });
  if (!verdict.frozen || !verdict.lock) {
    throw refuse(
      'cannot approve: the lock does not match the committed plan, registries and inputs',
      `run cutover freeze ${file.display}, commit, then approve`,
      verdict.problems,
    );
  }
  const lock = verdict.lock;
  const digest = verdict.freezeDigest;
  const by = await readGitIdentity({ cwd: root });
  const policy = approvalPolicy(plan);
  const verifier = sshVerifier(APPROVAL_NAMESPACE, policy.signers === undefined ? null : await readSignersFile(root, policy.signers));
  const candidate: Approval =
    options.key === undefined
      ? { by, digest }
      : await signedApproval({ ...options, key: options.key }, { by, digest, signers: policy.signers, verifier, io, refuse });

  // The approval is judged exactly as the gate will judge it, so one that would not count is never committed.
  const judged = await evaluateApprovals({ ...lock, approvals: [...lock.approvals, candidate] }, policy, digest, verifier);
  const rejected = judged.rejected.find((r) => r.approval === candidate);
  if (rejected)
    throw refuse(
      `the approval by ${approvalName(candidate)} would not count (${rejected.reason}): ${rejected.detail}`,
      refusalHint(rejected.reason, file.display),
    );
  const counted = judged.valid.find((v) => v.approval === candidate);

  const before = (await readLockText(root, verdict.lockFile)) as string;
  const approved: Lock = { ...lock, approvals: [...lock.approvals, candidate] };
  await writeLock(root, verdict.lockFile, approved);
  let sha: string;
  try {
    sha = await commitPaths(
      { paths: [verdict.lockFile], author: by, message: commitMessage(plan.metadata.name, verdict.plan, digest, candidate) },
      { cwd: root },
    );
  } catch (error) {
    // A refusal or failure leaves the repository as it was: the lock goes back to its committed bytes.
    await writeFileAtomic(await resolveInside(root, verdict.lockFile), before);
    throw error;
  }

  const { required } = judged;
  const count = judged.valid.length;
  if (io.format === 'json') {
    const signed =
      candidate.signature === undefined ? {} : { principal: candidate.principal, key: candidate.key, verified: counted?.verified ?? false };
    writeJson(io, {
      ok: true,
      plan: verdict.plan,
      lock: verdict.lockFile,
      by,
      digest,
      ...signed,
      commit: sha,
      approvals: { count, required },
    });
  } else if (!io.quiet) {
    const c = colors(io);
    const lines = [`${c.green('approved')} ${digest}`, `  by        ${by}`];
    if (candidate.principal !== undefined) lines.push(`  principal ${candidate.principal}`);
    if (counted) lines.push(`  standing  ${approvalStanding(counted)}`);
    lines.push(`  commit    ${sha.slice(0, 12)} (the lock alone)`, `  approvals ${count}${required ? ` of ${required} required` : ''}`);
    io.stdout.write(`${lines.join('\n')}\n`);
  }
  return 0;
}

interface SigningContext {
  by: string;
  digest: string;
  signers: string | undefined;
  verifier: SignatureVerifier;
  io: CommandIo;
  refuse: (message: string, hint: string) => CutoverError;
}

// Signs the digest and names the principal: --principal, else the one the signers file gives the key, else the git e-mail.
async function signedApproval(options: { key: string; principal?: string }, ctx: SigningContext): Promise<Approval> {
  const keyPath = resolve(ctx.io.cwd, options.key);
  if (
    !(await lstat(keyPath).then(
      (info) => info.isFile() || info.isSymbolicLink(),
      () => false,
    ))
  ) {
    throw new CutoverError('USAGE', `--key ${options.key}: no such key file`, {
      hint: 'name an SSH private key (or a public key whose private key ssh-agent holds), e.g. ~/.ssh/id_ed25519',
    });
  }
  const message = approvalMessage(ctx.digest);
  const signature = await signMessage(message, keyPath, APPROVAL_NAMESPACE, { env: ctx.io.env });
  const checked = await ctx.verifier.check(message, signature);
  if (!checked.ok)
    throw ctx.refuse(
      `ssh-keygen made a signature that does not verify: ${checked.error}`,
      'check the key and the ssh-keygen version (OpenSSH 8.2 or later)',
    );
  let principal = options.principal;
  if (principal === undefined && ctx.signers !== undefined) {
    const holders = await ctx.verifier.principalsOf(signature);
    if (holders.length === 0)
      throw ctx.refuse(
        `key ${checked.fingerprint} is not in ${ctx.signers}: its approval would not count`,
        `add "<your e-mail> <your public key>" to ${ctx.signers} in a reviewed pull request and freeze again, or sign with a key it lists`,
      );
    if (holders.length > 1)
      throw ctx.refuse(
        `key ${checked.fingerprint} belongs to several principals of ${ctx.signers} (${holders.join(', ')})`,
        'name the one you approve as with --principal',
      );
    principal = holders[0] as string;
  }
  return { by: ctx.by, digest: ctx.digest, principal: principal ?? identityEmail(ctx.by), key: checked.fingerprint, signature };
}

function refusalHint(reason: RejectReason, display: string): string {
  if (reason === 'unsigned') return `sign it with your SSH key: cutover approve ${display} --key ~/.ssh/id_ed25519`;
  if (reason === 'freezer') return 'ask a reviewer to run cutover approve';
  if (reason === 'duplicate') return 'nothing to do; another person can add a further approval';
  return 'sign with the key the allowed-signers file lists for you, as the principal it names';
}

function commitMessage(name: string, planPath: string, digest: string, approval: Approval): string {
  const signed =
    approval.signature === undefined ? [] : [`Cutover-Approval-Principal: ${approval.principal}`, `Cutover-Approval-Key: ${approval.key}`];
  return [
    `cutover(${name}): approve ${digest.slice('sha256:'.length, 'sha256:'.length + 12)}`,
    '',
    `Approves freeze digest ${digest} of ${planPath}.`,
    '',
    `Cutover-Plan: ${name}`,
    `Cutover-Freeze-Digest: ${digest}`,
    ...signed,
  ].join('\n');
}
