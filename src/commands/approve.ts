// `cutover approve PLAN`: records the caller's approval of the current freeze digest in the lock, in a commit of its own.
import { CutoverError, type Problem } from '../errors.js';
import { writeFileAtomic, resolveInside } from '../adapters/fs.js';
import { findRepositoryRoot } from '../adapters/git.js';
import { commitPaths, readGitIdentity } from '../adapters/git-files.js';
import { colors, writeJson } from '../ui/output.js';
import { readValidPlan } from '../adapters/plan-file.js';
import { checkFreeze } from '../integrity/freeze-gate.js';
import { readLockText, writeLock } from '../integrity/freeze.js';
import { sameIdentity, type Lock } from '../integrity/lock.js';
import type { CommandIo } from '../adapters/io.js';

/** Options of `cutover approve`. */
export interface ApproveOptions {
  plan: string;
}

/** Adds `{ by, digest }` for the caller to a current lock and commits the lock alone; refusals exit 3. */
export async function approve(options: ApproveOptions, io: CommandIo): Promise<number> {
  const { plan, file } = await readValidPlan(options.plan, io.cwd);
  const root = await findRepositoryRoot({ cwd: io.cwd });
  const verdict = await checkFreeze({ root, planFile: file, plan });
  const refuse = (message: string, hint: string, more: Problem[] = []) =>
    new CutoverError('APPROVAL_REFUSED', message, { hint, problems: [{ code: 'APPROVAL_REFUSED', file: verdict.lockFile, message, hint }, ...more] });
  if (!verdict.frozen || !verdict.lock) {
    throw refuse('cannot approve: the lock does not match the committed plan, registries and inputs', `run cutover freeze ${file.display}, commit, then approve`, verdict.problems);
  }
  const lock = verdict.lock;
  const digest = verdict.freezeDigest;
  const by = await readGitIdentity({ cwd: root });
  if (sameIdentity(by, lock.frozenBy)) {
    throw refuse(`${by} froze this lock and cannot approve it; an approval must come from someone else`, 'ask a reviewer to run cutover approve');
  }
  if (lock.approvals.some((a) => a.digest === digest && sameIdentity(a.by, by))) {
    throw refuse(`${by} already approved freeze digest ${digest}`, 'nothing to do; another person can add a further approval');
  }

  const before = (await readLockText(root, verdict.lockFile)) as string;
  const approved: Lock = { ...lock, approvals: [...lock.approvals, { by, digest }] };
  await writeLock(root, verdict.lockFile, approved);
  let sha: string;
  try {
    sha = await commitPaths({ paths: [verdict.lockFile], author: by, message: commitMessage(plan.metadata.name, verdict.plan, digest) }, { cwd: root });
  } catch (error) {
    // A refusal or failure leaves the repository as it was: the lock goes back to its committed bytes.
    await writeFileAtomic(await resolveInside(root, verdict.lockFile), before);
    throw error;
  }

  const count = verdict.approvals.counted.length + 1;
  const required = verdict.approvals.required;
  if (io.format === 'json') {
    writeJson(io, { ok: true, plan: verdict.plan, lock: verdict.lockFile, by, digest, commit: sha, approvals: { count, required } });
  } else if (!io.quiet) {
    const c = colors(io);
    io.stdout.write(`${c.green('approved')} ${digest}\n  by        ${by}\n  commit    ${sha.slice(0, 12)} (the lock alone)\n  approvals ${count}${required ? ` of ${required} required` : ''}\n`);
  }
  return 0;
}

function commitMessage(name: string, planPath: string, digest: string): string {
  return [`cutover(${name}): approve ${digest.slice('sha256:'.length, 'sha256:'.length + 12)}`, '', `Approves freeze digest ${digest} of ${planPath}.`, '', `Cutover-Plan: ${name}`, `Cutover-Freeze-Digest: ${digest}`].join('\n');
}
