// How a review shows a plan's approvals: who approved, whether it counts, whether it is signed.
// The one place the review reads approvals from the gate's verdict.
import { approvalName, approvalStanding } from '../integrity/approvals.js';
import type { GateVerdict } from '../integrity/freeze-gate.js';

/** One approval as a reviewer sees it. */
export interface ApprovalRow {
  by: string;
  /** Bound by a signature; an unsigned approval is a claim of a git identity. */
  signed: boolean;
  counts: boolean;
  /** Why it does not count. */
  why?: string;
}

/** A plan's approvals: how many count of how many the plan requires, for which freeze digest. */
export interface ApprovalsView {
  required: number;
  valid: number;
  digest: string;
  rows: ApprovalRow[];
}

/** The lock's approvals as the gate judged them: a signed one counts as verified only against the plan's signers. */
export function approvalsView(verdict: GateVerdict): ApprovalsView {
  const { required, valid, rejected } = verdict.approvals;
  return {
    required,
    valid: valid.length,
    digest: verdict.freezeDigest,
    rows: [
      ...valid.map((counted) => ({
        by: approvalName(counted.approval),
        signed: counted.verified,
        counts: true,
        why: approvalStanding(counted),
      })),
      ...rejected.map(({ approval, reason, detail }) => ({
        by: approvalName(approval),
        signed: approval.signature !== undefined,
        counts: false,
        why: `${reason}: ${detail}`,
      })),
    ],
  };
}
