// How a review shows a plan's approvals: who approved, whether it counts, whether it is signed.
// The one place the review reads approvals from the gate's verdict.
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

/** The lock's approvals as the gate sorted them (every one a claim: the lock records identities, not signatures). */
export function approvalsView(verdict: GateVerdict): ApprovalsView {
  const { required, counted, ignored } = verdict.approvals;
  return {
    required,
    valid: counted.length,
    digest: verdict.freezeDigest,
    rows: [...counted.map((a) => ({ by: a.by, signed: false, counts: true })), ...ignored.map(({ approval, reason }) => ({ by: approval.by, signed: false, counts: false, why: reason }))],
  };
}
