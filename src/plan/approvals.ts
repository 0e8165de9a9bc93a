// A plan's approval policy: how many approvals, whose signatures count, and whether the freezer may approve.
import type { Plan } from './types.js';

/** What the freeze gate asks of approvals: how many, whose signatures (an allowed-signers file), and whether the freezer may approve. */
export interface ApprovalPolicy {
  required: number;
  /** Repository-relative path of the allowed-signers file; unset, approvals are unsigned claims. */
  signers?: string;
  distinctFromFreezer: boolean;
}

/**
 * The input group under which the allowed-signers file is frozen: who may approve is part of what
 * is approved, so changing the file changes the freeze digest and voids every approval.
 */
export const SIGNERS_GROUP = 'approval-signers';

/** A plan's approval policy with its defaults applied. */
export function approvalPolicyOf(plan: Plan): ApprovalPolicy {
  const approvals = plan.spec.approvals ?? {};
  return {
    required: approvals.required ?? 0,
    ...(approvals.signers !== undefined ? { signers: approvals.signers } : {}),
    distinctFromFreezer: approvals.distinctFromFreezer ?? true,
  };
}
