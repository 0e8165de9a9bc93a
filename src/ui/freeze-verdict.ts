// The freeze gate's verdict as `cutover plan` and a run's header show it: frozen or which files drift
// and how, and whether the approvals the plan asks for are there.
import { describeDrift, type GateVerdict } from '../integrity/freeze-gate.js';
import { approvalLines, approvalsDocument } from './approvals.js';
import type { colors } from './output.js';

/** A verdict, or why there is none (no repository to check against). */
export type FreezeView = { verdict: GateVerdict } | { unknown: string };

/** The machine-readable verdict: frozen, every drifted file, the digests, and the approvals. */
export function freezeDocument(view: FreezeView) {
  if ('unknown' in view) return { checked: false, reason: view.unknown };
  const v = view.verdict;
  return {
    checked: true,
    frozen: v.frozen,
    approved: v.approved,
    lock: v.lockFile,
    freezeDigest: v.freezeDigest,
    lockDigest: v.lock?.freezeDigest ?? null,
    drift: v.drift.map((d) => ({ ...d, description: describeDrift(d) })),
    approvals: approvalsDocument(v.approvals),
  };
}

/** The verdict's text lines: frozen or not (each drifted file with how it drifted), then the approvals. */
export function freezeLines(view: FreezeView, c: ReturnType<typeof colors>): string[] {
  if ('unknown' in view) return [`freeze     ${c.yellow('not checked')}: ${view.unknown}`];
  const v = view.verdict;
  const files = new Set(v.drift.map((d) => d.path)).size;
  const lines = [
    v.frozen
      ? `freeze     ${c.green('frozen')}  ${c.dim(`lock ${v.lockFile} · ${v.freezeDigest}`)}`
      : `freeze     ${c.red('not frozen')}: ${files} file${files === 1 ? '' : 's'} differ from the lock ${v.lockFile}; a run is refused`,
  ];
  for (const d of v.drift) lines.push(`  ${c.yellow(d.reason.padEnd(12))} ${d.path}  ${c.dim(describeDrift(d))}`);
  lines.push(...approvalLines(v.approvals, c));
  return lines;
}
