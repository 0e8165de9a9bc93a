// The git plumbing under the record commit and push: a hook-free client, the identity, scratch folders, the staged-set check.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { CutoverError } from '../errors.js';
import { OWNER_TAG, ownerGone, ownerTag } from '../adapters/owner.js';

/** The identity GitHub Actions commits as when no other is configured. */
export const GITHUB_BOT = { name: 'github-actions[bot]', email: '41898282+github-actions[bot]@users.noreply.github.com' } as const;

// Variables simple-git strips from the environment unless allowed: ours, the identity, and how the
// operator's own environment authenticates a push (never taken from a plan).
const PASSED_ENV = [
  'GIT_INDEX_FILE',
  'GIT_LITERAL_PATHSPECS',
  'GIT_TERMINAL_PROMPT',
  'GIT_AUTHOR_NAME',
  'GIT_AUTHOR_EMAIL',
  'GIT_AUTHOR_DATE',
  'GIT_COMMITTER_NAME',
  'GIT_COMMITTER_EMAIL',
  'GIT_COMMITTER_DATE',
  'GIT_SSH_COMMAND',
  'GIT_SSH',
  'GIT_ASKPASS',
  'SSH_ASKPASS',
];
// Never needed (no editor opens, nothing is paged) and refused by simple-git's guard.
const DROPPED_ENV = /^(?:git_.*|editor|visual|pager|prefix)$/i;
const IDENTITY = /^[^<>\n]+ <[^<>\n]+>$/;

/** Removes scratch folders (hooks, message, pathspecs) left in the temp folder by killed cutover processes. */
async function removeStaleScratch(dir: string): Promise<void> {
  await removeOrphaned(dir, new RegExp(`^cutover-git-(${OWNER_TAG})-[A-Za-z0-9]{6}$`));
}

/** Removes the entries of a folder whose names match `pattern` and whose owner (its first group) is gone. */
export async function removeOrphaned(dir: string, pattern: RegExp): Promise<void> {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const owner = pattern.exec(name)?.[1];
    // Another user's leftovers in a shared temp folder may not be ours to remove: never fail over them.
    if (owner !== undefined && ownerGone(owner)) await rm(join(dir, name), { recursive: true, force: true }).catch(() => undefined);
  }
}

/** A simple-git client for our writes: hooks off (an empty hooks folder), fsmonitor off, literal pathspecs. */
export function recordGit(
  root: string,
  hooks: string,
  env: Record<string, string | undefined>,
  extra: Record<string, string> = {},
  config: string[] = [],
): SimpleGit {
  // simple-git refuses GIT_* variables it was not told about; pass ours, drop the rest.
  const clean: Record<string, string> = {};
  for (const [key, value] of Object.entries(env))
    if (value !== undefined && (!DROPPED_ENV.test(key) || PASSED_ENV.includes(key))) clean[key] = value;
  return simpleGit({
    baseDir: root,
    config: [`core.hooksPath=${hooks}`, 'core.fsmonitor=false', ...config],
    unsafe: { allowUnsafeHooksPath: true, allowUnsafeFsMonitor: true, allowUnsafeSshCommand: true, allowUnsafeAskPass: true },
    allowEnvironment: PASSED_ENV,
  }).env({ ...clean, GIT_LITERAL_PATHSPECS: '1', GIT_TERMINAL_PROMPT: '0', ...extra });
}

/** Who commits: `--author`, else git's configured identity, else GitHub's bot in Actions; else GIT_FAILED. */
export async function resolveIdentity(
  git: SimpleGit,
  author: string | undefined,
  env: Record<string, string | undefined>,
): Promise<{ args: string[]; config: string[] }> {
  const configured = async (key: string) => (await git.raw(['config', '--get', key]).catch(() => '')).trim();
  const name = env.GIT_COMMITTER_NAME ?? (await configured('user.name'));
  const email = env.GIT_COMMITTER_EMAIL ?? (await configured('user.email'));
  const hasCommitter = name !== '' && email !== '';
  if (author !== undefined) {
    if (!IDENTITY.test(author)) throw new CutoverError('USAGE', `--author ${JSON.stringify(author)} is not "Name <email>"`);
    const [, authorName, authorEmail] = /^(.*) <(.*)>$/.exec(author) as RegExpExecArray;
    return { args: [`--author=${author}`], config: hasCommitter ? [] : [`user.name=${authorName}`, `user.email=${authorEmail}`] };
  }
  if (hasCommitter) return { args: [], config: [] };
  if (env.GITHUB_ACTIONS === 'true') return { args: [], config: [`user.name=${GITHUB_BOT.name}`, `user.email=${GITHUB_BOT.email}`] };
  throw new CutoverError('GIT_FAILED', 'no git identity to commit the record with', {
    hint: 'set git config user.name and user.email, or pass --author "Name <email>"; the record is written in the work tree',
  });
}

/** What differs between the staged set and the one meant: each problem names its paths (a few of them). */
export function stagedProblems(input: {
  staged: readonly string[];
  status: readonly string[];
  recordFiles: readonly string[];
  artifacts: readonly { path: string; expected: readonly string[] }[];
  indexed: ReadonlyMap<string, readonly string[]>;
}): string[] {
  const problems: string[] = [];
  const staged = new Set(input.staged);
  const record = new Set(input.recordFiles);
  const inArtifact = (p: string) => input.artifacts.some((a) => p === a.path || p.startsWith(`${a.path}/`));
  const status = new Set(input.status);
  const statusOnly = input.status.filter((p) => !staged.has(p));
  const diffOnly = input.staged.filter((p) => !status.has(p));
  if (statusOnly.length || diffOnly.length)
    problems.push(`git status and git diff --cached disagree on ${some([...statusOnly, ...diffOnly])}`);
  const unexpected = input.staged.filter((p) => !record.has(p) && !inArtifact(p));
  if (unexpected.length) problems.push(`staged but not part of the record: ${some(unexpected)}`);
  const missing = input.recordFiles.filter((p) => !staged.has(p));
  if (missing.length) problems.push(`record files not staged: ${some(missing)}`);
  for (const artifact of input.artifacts) {
    const indexed = new Set(input.indexed.get(artifact.path) ?? []);
    const expected = new Set(artifact.expected);
    const extra = [...indexed].filter((p) => !expected.has(p));
    const absent = [...expected].filter((p) => !indexed.has(p));
    if (extra.length) problems.push(`in the index under ${artifact.path} but not in its manifest: ${some(extra)}`);
    if (absent.length) problems.push(`in the manifest of ${artifact.path} but not in the index: ${some(absent)}`);
  }
  return problems;
}

/** Paths whose index column in `git status --porcelain -z` output shows a staged change. */
export function stagedInStatus(output: string): string[] {
  return splitNul(output)
    .filter((entry) => entry.length > 3 && ![' ', '?', '!'].includes(entry[0] as string))
    .map((entry) => entry.slice(3));
}

export function splitNul(output: string): string[] {
  return output.split('\0').filter((p) => p !== '');
}

export async function pathspecFile(scratch: string, name: string, paths: readonly string[]): Promise<string> {
  const file = join(scratch, `${name}.pathspec`);
  await writeFile(file, paths.map((p) => `${p}\0`).join(''));
  return file;
}

export async function withScratch<T>(fn: (scratch: string, hooks: string) => Promise<T>): Promise<T> {
  await removeStaleScratch(tmpdir());
  // The owner tag in the name lets a later run tell the folder of a killed one from a live one's.
  const scratch = await mkdtemp(join(tmpdir(), `cutover-git-${ownerTag()}-`));
  try {
    const hooks = join(scratch, 'no-hooks');
    await mkdir(hooks);
    return await fn(scratch, hooks);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function some(paths: readonly string[]): string {
  const shown = paths.slice(0, 5).join(', ');
  return paths.length > 5 ? `${shown} and ${paths.length - 5} more` : shown;
}

export function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '' && !/^hint:/.test(l)) ?? text.trim()
  );
}

export function gitFailed(message: string, cause?: unknown, hint?: string): CutoverError {
  return new CutoverError('GIT_FAILED', message, { ...(cause === undefined ? {} : { cause }), ...(hint ? { hint } : {}) });
}
