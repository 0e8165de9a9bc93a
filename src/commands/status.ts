// `cutover status PLAN`: frozen or not, exactly which files drifted and how, and the approvals; changes nothing.
import { findRepositoryRoot } from '../adapters/git.js';
import { colors, writeJson, writeProblems } from '../ui/output.js';
import { approvalLines, approvalsDocument } from '../ui/approvals.js';
import { readValidPlan } from '../adapters/plan-file.js';
import { checkFreeze, describeDrift, type GateVerdict } from '../integrity/freeze-gate.js';
import type { CommandIo } from '../adapters/io.js';

/** Options of `cutover status`. */
export interface StatusOptions {
  plan: string;
}

/** Reports the freeze gate's verdict; exit 0 when a run would pass it, 3 when it would be refused. */
export async function status(options: StatusOptions, io: CommandIo): Promise<number> {
  const { plan, file } = await readValidPlan(options.plan, io.cwd);
  const root = await findRepositoryRoot({ cwd: io.cwd });
  const verdict = await checkFreeze({ root, planFile: file, plan });
  const ok = verdict.frozen && verdict.approved;
  if (io.format === 'json') {
    writeJson(io, statusDocument(verdict, ok));
    return ok ? 0 : 3;
  }
  if (io.format === 'github') writeProblems(verdict.problems, io);
  if (!io.quiet || !ok) io.stdout.write(renderText(verdict, ok, file.display, io));
  return ok ? 0 : 3;
}

/** The machine-readable status: one JSON document. */
function statusDocument(v: GateVerdict, ok: boolean) {
  return {
    ok,
    ...(ok ? {} : { code: v.frozen ? 'APPROVAL_MISSING' : 'REGISTRY_UNFROZEN' }),
    plan: v.plan,
    lock: v.lockFile,
    frozen: v.frozen,
    approved: v.approved,
    freezeDigest: v.freezeDigest,
    lockDigest: v.lock?.freezeDigest ?? null,
    frozenBy: v.lock?.frozenBy ?? null,
    approvals: approvalsDocument(v.approvals),
    drift: v.drift,
    problems: v.problems,
  };
}

function renderText(v: GateVerdict, ok: boolean, display: string, io: CommandIo): string {
  const c = colors(io);
  const lines = [`${c.bold(v.plan)}  ${c.dim(`lock ${v.lockFile}`)}`];
  lines.push(`frozen     ${v.frozen ? c.green('yes') : c.red('no')}`);
  for (const d of v.drift) lines.push(`  ${c.yellow(d.reason.padEnd(12))} ${d.path}  ${c.dim(describeDrift(d))}`);
  lines.push(...approvalLines(v.approvals, c));
  if (v.lock) lines.push(`frozen by  ${v.lock.frozenBy}`);
  lines.push(
    `freeze digest ${v.freezeDigest}${v.lock && v.lock.freezeDigest !== v.freezeDigest ? c.dim(` (the lock records ${v.lock.freezeDigest})`) : ''}`,
  );
  const approve = `another person runs cutover approve ${display}${v.approvals.signers === undefined ? '' : ' --key <their SSH key>'}`;
  if (!ok) lines.push(c.dim(`next: ${v.frozen ? approve : `run cutover freeze ${display}, commit the lock and every file listed above`}`));
  return `${lines.join('\n')}\n`;
}
