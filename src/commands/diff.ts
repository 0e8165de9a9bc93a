// `cutover diff PLAN`: what changed in the frozen files since the lock was last committed, as a patch;
// exit 0 when nothing did, 1 when something did (like `git diff --exit-code`).
import { sep } from 'node:path';
import { CutoverError } from '../errors.js';
import { diffWorkTree, findRepositoryRoot, lastCommitTouching, readAtRevision } from '../adapters/git.js';
import type { CommandIo } from '../adapters/io.js';
import { readValidPlan } from '../adapters/plan-file.js';
import { hashGroups, locatePlan } from '../integrity/freeze.js';
import { freezeHint, lockedPaths } from '../integrity/lock.js';
import { parseLock } from '../integrity/lock-parse.js';
import { colors, writeJson } from '../ui/output.js';

/** Options of `cutover diff`. */
export interface DiffOptions {
  plan: string;
}

/** Compares the plan and its frozen files with the commit that last wrote the lock; 0 same, 1 different. */
export async function diff(options: DiffOptions, io: CommandIo): Promise<number> {
  const { plan, file } = await readValidPlan(options.plan, io.cwd);
  const root = await findRepositoryRoot({ cwd: io.cwd });
  const where = await locatePlan(root, file.path);
  const commit = await lastCommitTouching(where.lock, { cwd: root });
  if (!commit) {
    throw new CutoverError('REGISTRY_UNFROZEN', `${where.lock} is in no commit: there is no frozen state to compare with`, {
      hint: freezeHint(file.display),
    });
  }
  const committed = await readAtRevision(where.lock, commit, { cwd: root });
  const lock = committed && parseLock(committed.toString('utf8'), where.lock);
  // The files the lock froze and the ones the plan's patterns match now: added and removed both show.
  const { groups } = await hashGroups(root, plan, { allowUnmatched: true });
  const matched = groups.flatMap((g) => g.entries.map((e) => e.path));
  const paths = [...new Set([where.plan, ...(lock ? lockedPaths(lock) : []), ...matched])].map((p) => p.split(sep).join('/'));
  const { changes, patch } = await diffWorkTree(commit, paths, { cwd: root, color: io.color });
  const differs = changes.length > 0;
  if (io.format === 'json') {
    writeJson(io, { differs, plan: where.plan, lock: where.lock, lockCommit: commit, files: changes, patch });
    return differs ? 1 : 0;
  }
  if (io.quiet) return differs ? 1 : 0;
  const c = colors(io);
  const at = `${commit.slice(0, 12)}, where ${where.lock} was last committed`;
  if (!differs) {
    io.stdout.write(`${c.green('no frozen file differs')} from ${at} (${paths.length} file(s) compared)\n`);
    return 0;
  }
  io.stdout.write(`${c.bold(`${changes.length} of the plan's frozen file(s) differ`)} from ${at}:\n`);
  const paint = { added: c.green, removed: c.red, changed: c.yellow };
  for (const change of changes) io.stdout.write(`  ${paint[change.change](change.change.padEnd(7))}  ${change.path}\n`);
  io.stdout.write(`\n${patch}`);
  return 1;
}
