// Which approvals in a lock count towards a plan's `approvals.required`, and why each other one does not.
import type { ApprovalPolicy } from '../plan/approvals.js';
import type { SignatureVerifier } from '../adapters/ssh-sign.js';
import { identityEmail, sameIdentity, type Approval, type Lock } from './lock.js';

/** The SSH signature namespace of approvals (`ssh-keygen -n`): a commit or file signature never passes for one. */
export const APPROVAL_NAMESPACE = 'cutover-approval';

/** Why an approval does not count, as a name `status`, `plan` and the gate show with the detail. */
export type RejectReason =
  | 'unsigned'
  | 'hand-edited'
  | 'key-mismatch'
  | 'older-digest'
  | 'unknown-principal'
  | 'not-allowed'
  | 'freezer'
  | 'duplicate';

/** An approval that counts; `verified` when the allowed-signers file vouches for its principal's key, else a claim. */
export interface CountedApproval {
  approval: Approval;
  verified: boolean;
}

/** An approval that does not count, and why. */
export interface RejectedApproval {
  approval: Approval;
  reason: RejectReason;
  detail: string;
}

/** The approvals of a lock judged against a plan's policy and the current freeze digest. */
export interface ApprovalVerdict {
  required: number;
  /** At least `required` approvals count. */
  satisfied: boolean;
  /** The allowed-signers file the policy names: only signed approvals can count. */
  signers?: string;
  valid: CountedApproval[];
  rejected: RejectedApproval[];
}

/** The bytes an approval signs: the freeze digest and a newline, so `echo "$digest" | ssh-keygen -Y verify …` re-checks one by hand. */
export function approvalMessage(digest: string): string {
  return `${digest}\n`;
}

/** Who an approval is by, for `distinctFromFreezer` and one-a-person: the signed principal, else the git identity's e-mail. */
export function approverOf(approval: Approval): string {
  return approval.principal ?? identityEmail(approval.by);
}

/** How an approval names its approver to a reader: the principal of a signed one, else the git identity. */
export function approvalName(approval: Approval): string {
  return approval.principal ?? approval.by;
}

/** What an approval that counts rests on, in a few words. */
export function approvalStanding({ approval, verified }: CountedApproval): string {
  if (verified) return `signed with ${approval.key}, verified against the allowed signers`;
  if (approval.signature !== undefined) return `claim: signed with ${approval.key}, but no approvals.signers file says whose key that is`;
  return 'claim: unsigned, a git identity anyone can type';
}

/**
 * Judges every approval of a lock, in lock order. With `policy.signers` only signed approvals count,
 * and only when `ssh-keygen -Y verify` accepts the signature over the current freeze digest for the
 * principal the approval names; without it an unsigned approval is a claim that counts, and a signed
 * one must still verify with its own key. An approval by the freezer (`distinctFromFreezer`) or by
 * someone already counted does not count.
 */
export async function evaluateApprovals(
  lock: Pick<Lock, 'approvals' | 'frozenBy'> | null,
  policy: ApprovalPolicy,
  digest: string,
  verifier: SignatureVerifier,
): Promise<ApprovalVerdict> {
  const verdict: ApprovalVerdict = {
    required: policy.required,
    satisfied: false,
    ...(policy.signers !== undefined ? { signers: policy.signers } : {}),
    valid: [],
    rejected: [],
  };
  const counted = new Set<string>();
  for (const approval of lock?.approvals ?? []) {
    const judged = await judgeProof(approval, policy, digest, verifier);
    const who = approverOf(approval);
    const reject = (reason: RejectReason, detail: string) => verdict.rejected.push({ approval, reason, detail });
    if ('reason' in judged) reject(judged.reason, judged.detail);
    else if (policy.distinctFromFreezer && lock && (sameIdentity(who, lock.frozenBy) || sameIdentity(approval.by, lock.frozenBy))) {
      reject('freezer', `${who} froze this lock; an approval must come from someone else (approvals.distinctFromFreezer)`);
    } else if (counted.has(who.toLowerCase())) reject('duplicate', `${who} already approved this freeze digest; each person counts once`);
    else {
      counted.add(who.toLowerCase());
      verdict.valid.push({ approval, verified: judged.verified });
    }
  }
  verdict.satisfied = verdict.valid.length >= verdict.required;
  return verdict;
}

type Judged = { verified: boolean } | { reason: RejectReason; detail: string };

// Whether the approval proves what it claims: its signature, its key, its digest, its principal.
async function judgeProof(approval: Approval, policy: ApprovalPolicy, digest: string, verifier: SignatureVerifier): Promise<Judged> {
  const older = {
    reason: 'older-digest' as const,
    detail: `it approves ${approval.digest}, an older freeze, not the current ${digest}: an approval binds to content`,
  };
  if (approval.signature === undefined || approval.key === undefined || approval.principal === undefined) {
    if (policy.signers !== undefined)
      return {
        reason: 'unsigned',
        detail: `it is not signed, and with approvals.signers (${policy.signers}) only signed approvals count: cutover approve --key`,
      };
    return approval.digest === digest ? { verified: false } : older;
  }
  const message = approvalMessage(approval.digest);
  const checked = await verifier.check(message, approval.signature);
  if (!checked.ok)
    return {
      reason: 'hand-edited',
      detail: `its signature does not verify over the digest it names (${checked.error}): the approval was edited by hand`,
    };
  if (checked.fingerprint !== approval.key)
    return { reason: 'key-mismatch', detail: `it names key ${approval.key}, but its signature was made with key ${checked.fingerprint}` };
  if (approval.digest !== digest) return older;
  if (policy.signers === undefined) return { verified: false };
  const verified = await verifier.verify(message, approval.signature, approval.principal);
  if (verified.ok) return { verified: true };
  return whyNotAllowed(approval, checked.fingerprint, policy.signers, verified.error, verifier);
}

// ssh-keygen says only that verification failed; find-principals and match-principals say why.
async function whyNotAllowed(
  approval: Approval,
  fingerprint: string,
  signers: string,
  error: string,
  verifier: SignatureVerifier,
): Promise<Judged> {
  const principal = approval.principal as string;
  if ((await verifier.knows(principal)) === false)
    return { reason: 'unknown-principal', detail: `${principal} is not a principal of ${signers}` };
  const holders = await verifier.principalsOf(approval.signature as string);
  if (!holders.includes(principal)) {
    const owner = holders.length ? `; ${signers} gives it to ${holders.join(', ')}` : `; ${signers} lists it for no one`;
    return { reason: 'key-mismatch', detail: `key ${fingerprint} that signed it is not a key of ${principal} in ${signers}${owner}` };
  }
  return {
    reason: 'not-allowed',
    detail: `${signers} does not let ${principal} sign approvals with key ${fingerprint} (${error}); check its namespaces= and valid-before= options`,
  };
}
