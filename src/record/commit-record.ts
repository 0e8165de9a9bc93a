// Commits a record (and the `commit: files` artifacts) with explicit pathspecs and no hooks; pushes it, rebasing on a race.
import { randomBytes } from 'node:crypto';
import { lstat, open, rename, rm, writeFile } from 'node:fs/promises';
import { copyIndex } from '../adapters/git.js';
import { dirname, join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SimpleGit } from 'simple-git';
import { CutoverError } from '../errors.js';
import { parseManifest } from '../integrity/manifest.js';
import type { RunResult } from '../run/result.js';
import { OWNER_TAG, ownerTag } from '../adapters/owner.js';
import { buildRunJson, recordCommitMessage } from './run-record.js';
import { createMasker } from '../text/mask.js';
import {
  firstLine,
  gitFailed,
  pathspecFile,
  recordGit,
  removeOrphaned,
  resolveIdentity,
  splitNul,
  stagedInStatus,
  stagedProblems,
  withScratch,
} from './record-git.js';

/** What `commitRecord` needs: the repository, the run, the files `writeRecord` wrote, an optional author. */
export interface CommitRecordOptions {
  root: string;
  result: RunResult;
  /** Repository-relative record files, as `writeRecord` returned them. */
  recordFiles: readonly string[];
  /** `Name <email>`; by default git's configured identity, or GitHub's bot in Actions. */
  author?: string;
  /** The environment git runs in (HOME, GITHUB_ACTIONS, GIT_AUTHOR_* / GIT_COMMITTER_*); defaults to the process's. */
  env?: Record<string, string | undefined>;
}

/** What `pushRecord` needs; remote and branch default to the current branch's upstream (or origin/<branch>). */
export interface PushRecordOptions {
  root: string;
  remote?: string;
  branch?: string;
  /** Push attempts in all (default 5). */
  attempts?: number;
  /** Called after each rebase, before pushing again (the run re-checks its freeze gate there). */
  beforeRetry?: () => Promise<void>;
  /** Base of the jittered, doubling delay between attempts (default 200 ms). */
  delayMs?: number;
  env?: Record<string, string | undefined>;
}

/**
 * Commits the record files and the artifacts marked `commit: files`, nothing else: staged in a copy
 * of the index by explicit literal pathspecs (from a NUL-separated file, so any number of files),
 * checked with `git diff --cached` and `git status` against what was meant, then committed with
 * hooks off. Changes someone else staged are neither committed nor lost. On a failed check nothing
 * is committed and the index is as it was (GIT_FAILED).
 */
export async function commitRecord(options: CommitRecordOptions): Promise<{ commit: string }> {
  const { root, result, recordFiles } = options;
  const env = options.env ?? process.env;
  return withScratch(async (scratch, hooks) => {
    const git = recordGit(root, hooks, env);
    // A miss prints nothing with --quiet, which simple-git resolves rather than rejects.
    const head = await git.raw(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']).catch(() => '');
    if (head.trim() === '') throw gitFailed('the repository has no commit to put the record on');
    const indexPath = resolve(root, (await git.raw(['rev-parse', '--git-path', 'index'])).trim());
    // What a killed commit left (its temporary index and git's lock on it) goes before anything else.
    await removeStaleIndexes(dirname(indexPath));
    if (result.committed) return syncCommitted(git, scratch, result, recordFiles, relative(root, indexPath));
    // On a detached HEAD the record commit would belong to no branch: one checkout later it is lost.
    const branch = (await git.raw(['symbolic-ref', '--quiet', 'HEAD']).catch(() => '')).trim();
    if (!branch) {
      throw new CutoverError('GIT_FAILED', `HEAD is detached: a record committed now would be on no branch and could be lost`, {
        hint: `the record is written in ${result.plan.record.dir}, not committed; check out a branch at this commit (git switch -c NAME), then \`cutover run ${result.planFile} --resume\` commits it`,
      });
    }
    const identity = await resolveIdentity(git, options.author, env);
    // The owner tag lets the next run tell this index from a live run's once this process is gone.
    const tempIndex = join(dirname(indexPath), `cutover-index-${ownerTag()}-${randomBytes(6).toString('hex')}`);
    let committed = false;
    try {
      const hadIndex = await copyIndex(indexPath, tempIndex);
      const staging = recordGit(root, hooks, env, { GIT_INDEX_FILE: tempIndex }, identity.config);
      if (!hadIndex) await staging.raw(['read-tree', 'HEAD']);

      // Whatever was staged before us stays staged in the real index and out of our commit.
      const before = splitNul(await staging.raw(['diff', '--cached', '--name-only', '-z', '--no-renames', 'HEAD']));
      if (before.length)
        await staging.raw([
          'reset',
          '--quiet',
          `--pathspec-from-file=${await pathspecFile(scratch, 'before', before)}`,
          '--pathspec-file-nul',
          'HEAD',
        ]);

      const artifacts = await filesArtifacts(root, result);
      const pathspecs = await pathspecFile(scratch, 'stage', [...recordFiles, ...artifacts.map((a) => a.path)]);
      await staging.raw(['add', '--force', `--pathspec-from-file=${pathspecs}`, '--pathspec-file-nul']).catch((cause: unknown) => {
        throw gitFailed(
          `git add of the record failed: ${firstLine((cause as Error).message)}`,
          cause,
          'nothing was committed and the index is as it was; the record is written in the work tree',
        );
      });

      const staged = splitNul(await staging.raw(['diff', '--cached', '--name-only', '-z', '--no-renames', 'HEAD']));
      const status = stagedInStatus(await staging.raw(['status', '--porcelain', '-z', '--untracked-files=no', '--no-renames']));
      const indexed = new Map<string, string[]>();
      for (const artifact of artifacts) indexed.set(artifact.path, splitNul(await staging.raw(['ls-files', '-z', '--', artifact.path])));
      const problems = stagedProblems({ staged, status, recordFiles, artifacts, indexed });
      if (problems.length) {
        throw new CutoverError('GIT_FAILED', `the staged set is not what cutover meant to commit: ${problems.join('; ')}`, {
          hint: 'nothing was committed and the index is as it was; the record is written in the work tree',
        });
      }

      const message = join(scratch, 'message');
      // The message is masked as its final bytes too: it is pushed and shown wherever the commit is.
      await writeFile(message, createMasker(result.secretValues).mask(recordCommitMessage(buildRunJson(result))));
      await staging
        .raw(['commit', '--no-verify', '--quiet', '--cleanup=verbatim', `--file=${message}`, ...identity.args])
        .catch((cause: unknown) => {
          // A ref lock left by a git command that was killed: git never removes it by itself.
          const lock = /Unable to create '([^']+\.lock)': File exists/.exec((cause as Error).message)?.[1];
          const hint = lock
            ? `nothing was committed; a git command holds ${relative(root, lock)}, or one was killed and left it: once none runs, remove it and run \`cutover run ${result.planFile} --resume\``
            : 'nothing was committed and the index is as it was';
          throw gitFailed(`git commit of the record failed: ${firstLine((cause as Error).message)}`, cause, hint);
        });
      committed = true;
      const commit = (await git.raw(['rev-parse', 'HEAD'])).trim();

      // Bring the real index up to the new HEAD for our paths: the copy when nobody else staged
      // anything (it carries fresh stat data), else a reset of just our paths.
      try {
        if (before.length === 0) await replaceIndex(tempIndex, indexPath);
        else await git.raw(['reset', '--quiet', `--pathspec-from-file=${pathspecs}`, '--pathspec-file-nul', 'HEAD']);
      } catch (cause) {
        throw indexNotUpdated(commit, relative(root, indexPath), cause, [result.plan.record.dir, ...artifacts.map((a) => a.path)]);
      }
      return { commit };
    } catch (error) {
      // Anything git refused here is reported, not a bug; before the commit the real index was never touched.
      if (error instanceof CutoverError) throw error;
      const hint = committed
        ? 'the record is committed; check the index with git status'
        : 'nothing was committed and the index is as it was';
      throw gitFailed(`committing the record failed: ${firstLine((error as Error).message)}`, error, hint);
    } finally {
      await rm(tempIndex, { force: true });
    }
  });
}

/**
 * A resumed run whose record an interrupted attempt already committed: nothing is staged or
 * committed again; only the index is brought up to HEAD for the record's paths (the attempt may have
 * died between its commit and its index update, which would leave the record staged for deletion).
 */
async function syncCommitted(
  git: SimpleGit,
  scratch: string,
  result: RunResult,
  recordFiles: readonly string[],
  indexPath: string,
): Promise<{ commit: string }> {
  const commit = result.committed!.commit;
  const paths = [
    ...recordFiles,
    ...result.artifacts
      .filter((a) => a.commit === 'files' && a.present)
      .map((a) =>
        a.path
          .split('/')
          .filter((p) => p !== '' && p !== '.')
          .join('/'),
      ),
  ];
  const pathspecs = await pathspecFile(scratch, 'sync', paths);
  await git.raw(['reset', '--quiet', `--pathspec-from-file=${pathspecs}`, '--pathspec-file-nul', 'HEAD']).catch((cause: unknown) => {
    throw indexNotUpdated(commit, indexPath, cause, [result.plan.record.dir]);
  });
  return { commit };
}

/** The error after a commit whose index update failed: the record is safe; how to fix the index. */
function indexNotUpdated(commit: string, indexPath: string, cause: unknown, paths: string[]): CutoverError {
  const held = /index\.lock|File exists|EEXIST/.test(String((cause as Error)?.message ?? cause));
  const reset = `git reset -q -- ${paths.join(' ')}`;
  return gitFailed(
    `the record is committed as ${commit.slice(0, 12)}, but the index could not be brought up to it${held ? ` (${indexPath}.lock exists)` : ''}`,
    cause,
    held
      ? `another git command holds ${indexPath}.lock, or one was killed and left it: once none runs, remove it and run: ${reset}`
      : `run: ${reset}`,
  );
}

/**
 * Puts our index in place of the real one the way git does: claim `index.lock` (O_EXCL, waiting
 * briefly for a git command that holds it), move ours onto the claim, then rename it into place.
 */
async function replaceIndex(tempIndex: string, indexPath: string): Promise<void> {
  const lock = `${indexPath}.lock`;
  for (let waited = 0; ; waited += 50) {
    try {
      await (await open(lock, 'wx')).close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || waited >= 2000) throw error;
      await sleep(50);
    }
  }
  try {
    await rename(tempIndex, lock);
    await rename(lock, indexPath);
  } catch (error) {
    await rm(lock, { force: true });
    throw error;
  }
}

/** Removes temporary indexes, and git's locks on them, that cutover processes since killed left in the git directory. */
async function removeStaleIndexes(gitDir: string): Promise<void> {
  await removeOrphaned(gitDir, new RegExp(`^cutover-index-(${OWNER_TAG})-[0-9a-f]{12}(?:\\.lock)?$`));
}

/**
 * Pushes HEAD to the upstream branch, never forcing. On a non-fast-forward: fetch, rebase the record
 * commit onto the remote branch, call `beforeRetry`, wait a short jittered delay and push again, up
 * to `attempts` times. Throws GIT_FAILED with a hint to push by hand (the record stays committed).
 */
export async function pushRecord(
  options: PushRecordOptions,
): Promise<{ commit: string; remote: string; branch: string; attempts: number }> {
  const env = options.env ?? process.env;
  const attempts = Math.max(1, options.attempts ?? 5);
  return withScratch(async (_scratch, hooks) => {
    // A rebase commits too: it needs the committer identity the record commit had.
    const identity = await resolveIdentity(recordGit(options.root, hooks, env), undefined, env).catch(() => ({
      args: [],
      config: [] as string[],
    }));
    const git = recordGit(options.root, hooks, env, {}, identity.config);
    const { remote, branch } = await upstreamOf(git, options);
    const head = async () => (await git.raw(['rev-parse', 'HEAD'])).trim();
    const byHand = async () =>
      `the record is committed locally as ${(await head()).slice(0, 12)}; push it by hand: git pull --rebase ${remote} ${branch} && git push ${remote} HEAD:${branch}`;
    const tracking = `refs/remotes/${remote}/${branch}`;

    for (let attempt = 1; ; attempt++) {
      const pushed = await git.raw(['push', '--no-verify', '--quiet', remote, `HEAD:refs/heads/${branch}`]).then(
        () => undefined,
        (error: unknown) => error as Error,
      );
      if (!pushed) return { commit: await head(), remote, branch, attempts: attempt };
      if (!isRace(pushed.message))
        throw gitFailed(`git push to ${remote} ${branch} failed: ${firstLine(pushed.message)}`, pushed, await byHand());
      if (attempt >= attempts)
        throw gitFailed(`git push to ${remote} ${branch} was rejected ${attempt} times (the branch kept moving)`, pushed, await byHand());

      await git.raw(['fetch', '--quiet', '--no-tags', remote, `+refs/heads/${branch}:${tracking}`]).catch(async (cause: unknown) => {
        throw gitFailed(`git fetch ${remote} ${branch} failed`, cause, await byHand());
      });
      const ahead = Number((await git.raw(['rev-list', '--count', `${tracking}..HEAD`])).trim());
      if (ahead === 0) return { commit: await head(), remote, branch, attempts: attempt }; // already there
      if (ahead !== 1) {
        // Rebasing more than our record commit would rewrite the commit the run ran on, which run.json names.
        throw gitFailed(
          `HEAD is ${ahead} commits ahead of ${remote}/${branch}; only the record commit may be rebased`,
          undefined,
          await byHand(),
        );
      }
      await git.raw(['rebase', '--no-verify', '--no-autostash', '--quiet', tracking]).catch(async (cause: unknown) => {
        await git.raw(['rebase', '--abort']).catch(() => undefined);
        throw gitFailed(
          `rebasing the record onto ${remote}/${branch} failed: ${firstLine((cause as Error).message)}`,
          cause,
          await byHand(),
        );
      });
      if (options.beforeRetry) await options.beforeRetry();
      const base = options.delayMs ?? 200;
      await sleep(Math.min(2000, base * 2 ** (attempt - 1)) * (0.5 + Math.random()));
    }
  });
}

/** The artifacts to commit as files, present at the end of the run, with their expected index paths. */
async function filesArtifacts(root: string, result: RunResult): Promise<{ path: string; expected: string[] }[]> {
  const out: { path: string; expected: string[] }[] = [];
  for (const artifact of result.artifacts) {
    if (artifact.commit !== 'files' || !artifact.present) continue;
    const path = artifact.path
      .split('/')
      .filter((p) => p !== '' && p !== '.')
      .join('/');
    const isFile = (await lstat(join(root, path)).catch(() => undefined))?.isFile() ?? false;
    const entries = parseManifest(artifact.manifest, `${artifact.name} manifest`);
    out.push({ path, expected: isFile ? [path] : entries.map((e) => `${path}/${e.path}`) });
  }
  return out;
}

/** The remote and branch to push to: given, else the current branch's upstream, else origin and the current branch. */
async function upstreamOf(git: SimpleGit, options: PushRecordOptions): Promise<{ remote: string; branch: string }> {
  const current = (await git.raw(['symbolic-ref', '--quiet', '--short', 'HEAD']).catch(() => '')).trim();
  const config = async (key: string) => (current ? (await git.raw(['config', '--get', key]).catch(() => '')).trim() : '');
  const remote = options.remote ?? ((await config(`branch.${current}.remote`)) || 'origin');
  const merge = await config(`branch.${current}.merge`);
  const branch = options.branch ?? (merge.replace(/^refs\/heads\//, '') || current);
  if (!branch)
    throw gitFailed('HEAD is detached and no branch to push to was given', undefined, 'check out a branch, or name the branch to push to');
  return { remote, branch };
}

// A push lost to a concurrent one: rejected as non-fast-forward, or the remote's ref moved under it.
function isRace(message: string): boolean {
  return /non-fast-forward|fetch first|\[rejected\]|cannot lock ref|failed to update ref|incorrect old value|stale info/i.test(message);
}
