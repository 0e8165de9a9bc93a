// `cutover rehearse PLAN`: the plan as the work tree holds it, uncommitted and unfrozen, in a
// disposable work tree (or in place); the freeze verdict only warns, the record is written under the
// git directory, and nothing is committed or pushed.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { CutoverError, formatProblem, type Problem } from '../errors.js';
import { pathExists } from '../adapters/fs.js';
import { addWorktree, findRepositoryRoot, readCommonGitDir, removeWorktree, snapshotWorkTree } from '../adapters/git.js';
import type { CommandIo } from '../adapters/io.js';
import { annotation } from '../github/commands.js';
import { checkFreeze, type GateVerdict } from '../integrity/freeze-gate.js';
import { compareStats, statFiles, type FileStat } from '../integrity/recheck.js';
import { lockedPaths } from '../integrity/lock.js';
import { writeRecord } from '../record/write-record.js';
import type { FreezeChecks } from '../run/lifecycle.js';
import type { Prepared } from '../run/preflight.js';
import { colors } from '../ui/output.js';
import { runWith } from './run.js';

/** Options of `cutover rehearse`. */
export interface RehearseOptions {
  plan: string;
  /** Run in the work tree itself instead of a disposable one. */
  inPlace?: boolean;
  runId?: string;
  failAt?: string;
  graceMs?: number;
}

/** Where rehearsal records go, below the repository's common git directory: `<plan>/<run id>/`. */
export const REHEARSAL_RECORDS = join('cutover', 'rehearsal', 'records');

/** Rehearses a plan; exit codes as `cutover run` (0, 1, 130/143), refusals throw. */
export async function rehearse(options: RehearseOptions, io: CommandIo): Promise<number> {
  const root = await findRepositoryRoot({ cwd: io.cwd });
  const plan = relative(root, resolve(io.cwd, options.plan));
  if (plan.startsWith('..') || isAbsolute(plan)) {
    throw new CutoverError('USAGE', `the plan ${options.plan} is outside the repository ${root}`, {
      hint: 'rehearse a plan of the repository you are in',
    });
  }
  const records = join(await readCommonGitDir({ cwd: root }), REHEARSAL_RECORDS);
  if (options.inPlace) return rehearseIn(root, plan, records, options, io);

  // HEAD plus every change and untracked file that is not ignored, as the operator sees them;
  // the snapshot goes through a temporary index, so the operator's index and tree stay as they are.
  const tree = await snapshotWorkTree({ cwd: root });
  const place = await mkdtemp(join(tmpdir(), 'cutover-rehearsal-'));
  try {
    await addWorktree(place, tree, { cwd: root });
    if (!(await pathExists(join(place, plan)))) {
      throw new CutoverError('PLAN_IO', 'the plan is ignored by git, so the disposable work tree does not hold it', {
        position: { file: options.plan },
        hint: 'rehearse it with --in-place, or stop ignoring it',
      });
    }
    return await rehearseIn(place, plan, records, options, { ...io, cwd: place });
  } finally {
    await removeWorktree(place, { cwd: root });
  }
}

/** The run itself, in `root` (the disposable work tree or the operator's). */
async function rehearseIn(root: string, plan: string, records: string, options: RehearseOptions, io: CommandIo): Promise<number> {
  let verdict: GateVerdict | undefined;
  let problems: Problem[] = [];
  let written: string | undefined;
  const exitCode = await runWith(
    {
      plan: join(root, plan),
      commit: false,
      ...(options.runId ? { runId: options.runId } : {}),
      ...(options.failAt ? { failAt: options.failAt } : {}),
      ...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {}),
    },
    io,
    {
      root,
      rehearsal: true,
      checks: rehearsalChecks(root, (v, found) => {
        verdict = v;
        problems = found;
        warn(found, io);
      }),
      async finish(result, emit) {
        const into = join(records, result.plan.name, result.runId);
        await writeRecord(root, result, into);
        written = into;
        emit({ type: 'record', dir: into, root: result.runRoot });
      },
      document: () => ({
        rehearsal: true,
        record: written ?? null,
        freeze: verdict ? { frozen: verdict.frozen, approved: verdict.approved, freezeDigest: verdict.freezeDigest, problems } : null,
      }),
    },
  );
  if (io.format !== 'json' && !io.quiet && written) {
    io.stdout.write(
      `${colors(io).bold('rehearsal')}: nothing was committed or pushed; the record is ${written} (not evidence: \`cutover verify\` refuses it)\n`,
    );
  }
  return exitCode;
}

/**
 * The freeze gate as a warning: its verdict goes to `onVerdict` and the run goes on. Frozen files
 * are still watched (a step that changes a registry fails), against how they were when the run
 * began: a lock may not even exist yet.
 */
function rehearsalChecks(root: string, onVerdict: (verdict: GateVerdict, problems: Problem[]) => void): FreezeChecks {
  let paths: string[] = [];
  let before = new Map<string, FileStat>();
  const changed = async () => compareStats(before, statFiles(root, paths)).map((d) => d.path);
  return {
    async assertFrozen(prepared: Prepared) {
      const runId = prepared.resolved.runId;
      if (/^\.+$/.test(runId))
        throw new CutoverError('USAGE', `run id ${JSON.stringify(runId)} cannot name the rehearsal's record folder`, {
          hint: 'pass --run-id with a letter or digit in it',
        });
      const verdict = await readVerdict(root, prepared);
      onVerdict(verdict.verdict, verdict.problems);
      paths = [...new Set([...verdict.verdict.files, ...(verdict.verdict.lock ? lockedPaths(verdict.verdict.lock) : [])])];
      before = statFiles(root, paths);
      return { freezeDigest: verdict.verdict.freezeDigest };
    },
    recheck: changed,
    rehash: changed,
  };
}

/** The freeze verdict; a lock that does not even parse is one more warning, and the verdict is taken as if there were none. */
async function readVerdict(root: string, prepared: Prepared): Promise<{ verdict: GateVerdict; problems: Problem[] }> {
  const path = resolve(root, prepared.planFile);
  const options = { root, planFile: { path, display: prepared.planFile, bytes: await readFile(path) }, plan: prepared.resolved };
  try {
    const verdict = await checkFreeze(options);
    return { verdict, problems: verdict.problems };
  } catch (error) {
    if (!(error instanceof CutoverError) || error.code !== 'LOCK_INVALID') throw error;
    const verdict = await checkFreeze({ ...options, lock: null });
    return { verdict, problems: [...error.problems, ...verdict.problems] };
  }
}

/** Prints the freeze gate's problems as warnings (annotations in GitHub's format; JSON carries them in its document). */
function warn(problems: Problem[], io: CommandIo): void {
  if (problems.length === 0 || io.format === 'json') return;
  const c = colors(io);
  for (const p of problems) {
    const text = `${formatProblem(p).replace(`error ${p.code}`, p.code)} (not enforced in a rehearsal)`;
    if (io.format === 'github')
      io.commands.write(annotation('warning', text, { file: p.file, line: p.line, col: p.col, title: 'REHEARSAL' }));
    else io.stderr.write(`${c.yellow('warning')}: ${text}\n`);
  }
}
