// Writes a run's record folder: run.json, report.md, statement.json, manifests and masked logs, all at once.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, lstatSync, readFileSync, existsSync } from 'node:fs';
import { lstat, mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { CutoverError } from '../errors.js';
import { gitClient } from '../adapters/git.js';
import { canonicalJson } from '../text/json.js';
import { eachLimit, resolveInside, writeNewFile } from '../adapters/fs.js';
import { runRoot } from '../integrity/merkle.js';
import { createMasker, type Masker } from '../text/mask.js';
import { writeManifestFile } from './manifest-file.js';
import type { RunResult } from '../run/result.js';
import { buildReport } from './report.js';
import { buildRunJson, manifestPath, stepLogPath, type CopiedLog, type RunJson } from './run-record.js';
import { normaliseRecordDir } from '../plan/paths.js';
import { buildStatement, type ManifestFacts } from './statement.js';
import { checkRecordFolder } from './record-folder.js';
import { prefixedDigest, sha256Digest } from '../text/digest.js';

/** A log longer than this is kept as its head and tail (the full log's digest and size go into run.json). */
export const LOG_LIMIT = 8 * 1024 * 1024;
/** How much of each end of a long log the record keeps. */
export const LOG_KEEP = 4 * 1024 * 1024;
/** How many logs are copied into the record at once, so that their writes and syncs overlap. */
const COPY_PARALLEL = 8;

/**
 * Writes the record of a finished run to `record.dir` and returns its repository-relative folder and
 * files (in byte order). Everything is written into a fresh sibling folder and renamed into place, so
 * the folder is either absent or complete; a folder holding an uncommitted record of the same run is
 * replaced, anything else in the way is refused (checkRecordFolder), never removed. With `into` (an
 * absolute folder outside the work tree: a rehearsal's), the record is written there instead, and the
 * files returned are absolute.
 */
export async function writeRecord(root: string, result: RunResult, into?: string): Promise<{ dir: string; files: string[] }> {
  const dir = into ?? normaliseRecordDir(result.plan.record.dir);
  if (result.committed) return { dir, files: await committedFiles(root, dir, result.committed.commit) };
  try {
    return await writeRecordFolder(root, dir, result, into);
  } catch (error) {
    if (error instanceof CutoverError) throw error;
    // A folder we may not write (read-only, full disk): the steps are done; say how to finish.
    const e = error as NodeJS.ErrnoException;
    const failed = e.path ? relative(root, e.path) || '.' : dir;
    throw new CutoverError(
      'IO_FAILED',
      `cannot write the record folder ${dir}: ${e.code ?? e.message} (${e.syscall ?? 'writing'} ${failed})`,
      {
        cause: error,
        hint: `the steps are done and will not run again: make ${failed} writable (or free space), then \`cutover run ${result.planFile} --resume\` writes and commits the record`,
      },
    );
  }
}

/** The files of a record committed in `commit`, repository-relative, in byte order. */
async function committedFiles(root: string, dir: string, commit: string): Promise<string[]> {
  const listed = await gitClient(root)
    .raw(['ls-tree', '-r', '-z', '--name-only', commit, '--', dir])
    .catch((cause: unknown) => {
      throw new CutoverError('GIT_FAILED', `cannot list the committed record ${dir}`, { cause });
    });
  return listed.split('\0').filter(Boolean).sort(compareBytes);
}

async function writeRecordFolder(root: string, dir: string, result: RunResult, into?: string): Promise<{ dir: string; files: string[] }> {
  // Steps ran since preflight checked the folder: look again, right before writing.
  // A rehearsal's folder is cutover's own (under the git directory): an earlier rehearsal's is replaced.
  const replacing = into
    ? existsSync(into)
    : await checkRecordFolder(root, dir, { plan: result.plan.name, runId: result.runId }).catch((error: unknown) => {
        if (!(error instanceof CutoverError) || error.code === 'PATH_UNSAFE') throw error;
        throw new CutoverError(error.code, error.message, {
          cause: error,
          hint: `cutover never removes what it did not write, and the steps are done and will not run again: move them away, then \`cutover run ${result.planFile} --resume\` writes and commits the record`,
        });
      });
  const abs = into ?? join(root, dir);
  const masker = createMasker(result.secretValues);
  checkRunRoot(result);

  await mkdir(dirname(abs), { recursive: true });
  if (!into) await resolveInside(root, dir, { links: 'none' }); // mkdir may have raced a link into place; look again before writing
  await removeStaleSiblings(abs);
  const staging = join(dirname(abs), `.${basename(abs)}.partial-${randomBytes(6).toString('hex')}`);
  await mkdir(staging);
  try {
    const written: string[] = [];
    // The staging folder is ours alone and renamed into place once complete: each file is written once, new.
    const put = async (rel: string, data: string | Uint8Array) => {
      await writeNewFile(join(staging, rel), data);
      written.push(rel);
    };

    const present = result.artifacts.filter((a) => a.present);
    const ordinal = new Map<string, number>();
    const copies = result.steps.map((step) => {
      const seen = ordinal.get(step.phase) ?? 0;
      ordinal.set(step.phase, seen + 1);
      const path = stepLogPath(result.plan, step, seen);
      return { step, rel: masker.mask(path), source: join(result.logsDir, basename(path)) };
    });
    const folders = new Set(
      [...present.map((a) => masker.mask(manifestPath(a.name))), ...copies.map((c) => c.rel)].map((rel) => dirname(join(staging, rel))),
    );
    for (const folder of folders) await mkdir(folder, { recursive: true });

    const manifests: Record<string, ManifestFacts> = {};
    for (const artifact of present) {
      const rel = masker.mask(manifestPath(artifact.name));
      manifests[artifact.name] = await writeManifestFile(join(staging, rel), artifact, masker);
      written.push(rel);
    }

    const logs = new Map<string, CopiedLog | null>();
    await eachLimit(copies, COPY_PARALLEL, async ({ step, rel, source }) => {
      const copied = await copyLog(source, join(staging, rel), masker, step.logDigest === null ? undefined : step.logBytes);
      logs.set(step.id, copied);
      if (copied) written.push(rel);
    });

    const kinds = new Map<string, 'file' | 'directory'>();
    for (const artifact of present) {
      const info = await lstat(await resolveInside(root, artifact.path)).catch(() => undefined);
      if (info) kinds.set(artifact.name, info.isFile() ? 'file' : 'directory');
    }

    // Masked as values by buildRunJson, and each file again as its final bytes (a value's escaped
    // form included); the report and statement are of run.json as written, as verify reads it.
    const runJson = masker.maskJson(canonicalJson(buildRunJson(result, { logs, kinds })));
    const run = JSON.parse(runJson) as RunJson;
    await put('report.md', masker.mask(buildReport(run)));
    await put('statement.json', masker.maskJson(canonicalJson(buildStatement(run, { runJson, manifests }))));
    await put('run.json', runJson); // last: a folder with run.json is a finished record

    await swapInto(staging, abs, replacing);
    return { dir, files: written.map((rel) => `${dir}/${rel}`).sort(compareBytes) };
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

/** Refuses a run root that is not its artifacts' (each manifest is checked against its root as it is written). */
function checkRunRoot(result: RunResult): void {
  if (runRoot(result.artifacts) !== result.runRoot) {
    throw new CutoverError('ARTIFACT_INVALID', `the run root ${result.runRoot} is not the root of the artifacts' roots`);
  }
}

/**
 * Copies a step log through the masker into the record, keeping the first and last LOG_KEEP bytes of
 * a log over LOG_LIMIT with a note between them. Returns the copy's digest and size (and the full
 * masked log's when truncated), or null when the step left no log. Memory stays under 2 × LOG_KEEP.
 * With `length`, only the log's first `length` bytes are taken: what it held when its step ended (a
 * process that escaped the step's group may have written to it since).
 */
export async function copyLog(source: string, target: string, masker: Masker, length?: number): Promise<CopiedLog | null> {
  const info = lstatSync(source, { throwIfNoEntry: false });
  if (!info?.isFile()) return null;
  const size = Math.min(info.size, length ?? Infinity);
  if (size <= LOG_LIMIT) {
    // Kept whole (masking only shortens it): read at once rather than streamed, the common case.
    const content = masker.maskBytes(readFileSync(source).subarray(0, size));
    await writeNewFile(target, content);
    return { digest: sha256Digest(content), bytes: content.length };
  }
  const full = createHash('sha256');
  const head: Buffer[] = [];
  const tail: Buffer[] = [];
  let headBytes = 0;
  let tailBytes = 0;
  let total = 0;
  for await (const piece of createReadStream(source, { end: size - 1 }).pipe(masker.stream())) {
    let chunk = piece as Buffer;
    full.update(chunk);
    total += chunk.length;
    if (headBytes < LOG_KEEP) {
      const take = chunk.subarray(0, LOG_KEEP - headBytes);
      head.push(take);
      headBytes += take.length;
      chunk = chunk.subarray(take.length);
    }
    if (chunk.length === 0) continue;
    tail.push(chunk);
    tailBytes += chunk.length;
    while (tail.length > 1 && tailBytes - (tail[0] as Buffer).length >= LOG_KEEP) tailBytes -= (tail.shift() as Buffer).length;
  }
  let content: Buffer;
  const fullDigest = full.digest('hex');
  if (total <= LOG_LIMIT) content = Buffer.concat([...head, ...tail]);
  else {
    const last = Buffer.concat(tail);
    const kept = last.subarray(last.length - LOG_KEEP);
    const note = `\n\n[cutover: log truncated: ${total - 2 * LOG_KEEP} bytes omitted here; the record keeps the first ${LOG_KEEP} and the last ${LOG_KEEP} of ${total} bytes; the full log had SHA-256 ${fullDigest}]\n\n`;
    content = Buffer.concat([...head, Buffer.from(note), kept]);
  }
  await writeNewFile(target, content);
  const copy: CopiedLog = { digest: sha256Digest(content), bytes: content.length };
  if (total > LOG_LIMIT) copy.full = { digest: prefixedDigest(fullDigest), bytes: total };
  return copy;
}

/** Removes staging folders of earlier crashed attempts beside the record folder. */
async function removeStaleSiblings(abs: string): Promise<void> {
  const prefix = `.${basename(abs)}.`;
  const names = await readdir(dirname(abs)).catch(() => [] as string[]);
  for (const name of names) {
    if (name.startsWith(prefix) && /\.(?:partial|old)-[0-9a-f]{12}$/.test(name))
      await rm(join(dirname(abs), name), { recursive: true, force: true });
  }
}

/** Renames the finished staging folder into place (the old attempt aside first), then syncs the parent. */
async function swapInto(staging: string, abs: string, replacing: boolean): Promise<void> {
  let aside: string | undefined;
  if (replacing) {
    aside = join(dirname(abs), `.${basename(abs)}.old-${randomBytes(6).toString('hex')}`);
    await rename(abs, aside);
  }
  await rename(staging, abs);
  if (aside) await rm(aside, { recursive: true, force: true });
  const parent = await open(dirname(abs), 'r');
  try {
    await parent.sync();
  } finally {
    await parent.close();
  }
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
