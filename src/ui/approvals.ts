// How the freeze gate's verdict and its approvals are shown: one JSON shape and one set of text lines, for status, plan and review.
import type { ApprovalVerdict } from '../integrity/approvals.js';
import { approvalName, approvalStanding } from '../integrity/approvals.js';
import type { GateVerdict } from '../integrity/freeze-gate.js';
import type { Approval } from '../integrity/lock.js';
import type { colors } from './output.js';

/** An approval as documents show it: the signature itself is left out (the lock has it), whether it was signed is kept. */
function shown(approval: Approval) {
  const { signature, ...rest } = approval;
  return { ...rest, signed: signature !== undefined };
}

/** The machine-readable approvals: what is required, what counts (verified or a claim) and what does not, with why. */
export function approvalsDocument(v: ApprovalVerdict) {
  return {
    required: v.required,
    satisfied: v.satisfied,
    signers: v.signers ?? null,
    count: v.valid.length,
    counted: v.valid.map(({ approval, verified }) => ({ ...shown(approval), verified })),
    ignored: v.rejected.map(({ approval, reason, detail }) => ({ ...shown(approval), reason, detail })),
  };
}

/** The text lines of `status` and `plan`: the count against what is required, then every approval and its standing. */
export function approvalLines(v: ApprovalVerdict, c: ReturnType<typeof colors>): string[] {
  const count = `${v.valid.length} of ${v.required} required`;
  const head = v.required === 0 ? `${v.valid.length} (none required)` : v.satisfied ? c.green(count) : c.red(count);
  const lines = [`approvals  ${head}${v.signers === undefined ? '' : c.dim(`  signed, by the principals of ${v.signers}`)}`];
  for (const a of v.valid) lines.push(`  ${c.green('counted')}      ${approvalName(a.approval)}  ${c.dim(approvalStanding(a))}`);
  for (const r of v.rejected)
    lines.push(`  ${c.yellow('not counted')}  ${approvalName(r.approval)}  ${c.bold(r.reason)}${c.dim(`: ${r.detail}`)}`);
  return lines;
}

/** The verdict in brief for a preview: frozen or not, approved or not, and the approvals. */
export function verdictDocument(v: GateVerdict) {
  return {
    lock: v.lockFile,
    frozen: v.frozen,
    approved: v.approved,
    freezeDigest: v.freezeDigest,
    drifted: new Set(v.drift.map((d) => d.path)).size,
    approvals: approvalsDocument(v.approvals),
  };
}

/** The verdict in brief as text: whether a run would pass the gate now, then the approvals. */
export function verdictLines(v: GateVerdict, display: string, c: ReturnType<typeof colors>): string[] {
  const drifted = new Set(v.drift.map((d) => d.path)).size;
  const frozen = v.frozen
    ? c.green(`frozen (${v.freezeDigest})`)
    : c.red(`not frozen: ${drifted} file${drifted === 1 ? '' : 's'} differ from ${v.lockFile} (cutover status ${display})`);
  return [`freeze     ${frozen}`, ...approvalLines(v.approvals, c)];
}
