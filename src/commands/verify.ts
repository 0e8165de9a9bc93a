// `cutover verify RECORD`: recomputes everything a run record claims and prints each check.
import { createHash } from 'node:crypto';
import { lstat } from 'node:fs/promises';
import { basename, dirname, join, posix, resolve, sep } from 'node:path';
import { CutoverError, EXIT, type Problem } from '../errors.js';
import { RUN_JSON_LIMIT, type RunJsonArtifact } from '../record/run-record.js';
import { kindOf, readRegularFile, resolveInside } from '../adapters/fs.js';
import { listEntries } from '../adapters/unsaved.js';
import { findRepositoryRoot, isShallowRepository, revisionExists } from '../adapters/git.js';
import { annotation } from '../github/commands.js';
import { colors, writeJson } from '../ui/output.js';
import { hashArtifact, isManifestOf, type ArtifactHash } from '../integrity/hash-artifact.js';
import type { ManifestLine } from '../integrity/manifest.js';
import {
  checkArtifactFiles,
  checkArtifactSame,
  checkEvidence,
  checkLogs,
  checkManifest,
  checkRecordFiles,
  checkReport,
  checkRunRoot,
  checkPauseWindow,
  checkSameManifest,
  checkStatement,
  readManifestAgainst,
  type Check,
  type FileDigest,
  type KnownManifest,
} from '../record/verify.js';
import { manifestFacts, type ManifestFacts } from '../record/statement.js';
import { parseRunJson } from '../record/verify-run-json.js';
import type { CommandIo } from '../adapters/io.js';
import { VERSION } from '../adapters/version.js';
import { hashProgressReporter } from '../ui/progress.js';
import { digestOf } from '../text/digest.js';

/** `record`: the record folder; `artifacts`: a folder holding `<artifact name>/` for artifacts committed as `manifest`. */
export interface VerifyOptions {
  record: string;
  artifacts?: string;
}

/** How many files a failed check lists in text output (`--format json` lists all). */
const SHOWN_FILES = 50;

/**
 * Verifies a record and prints every check. Returns 0 when all hold; otherwise throws
 * VERIFY_MISMATCH (exit 4) naming each failed check, except with `--format json`, whose one document
 * already says so (`ok: false`) and which returns 4.
 */
export async function verify(options: VerifyOptions, io: CommandIo): Promise<number> {
  const checks = await collectChecks(options, io);
  const ok = checks.every((c) => c.ok);
  if (io.format === 'json') {
    writeJson(io, { ok, record: options.record, checks });
    return ok ? EXIT.ok : EXIT.mismatch;
  }
  printChecks(checks, io);
  if (ok) return EXIT.ok;
  const failed = checks.filter((c) => !c.ok);
  const problems: Problem[] = failed.map((c) => ({
    code: 'VERIFY_MISMATCH',
    message: `${c.name}: ${c.detail}${c.files?.length ? ` (${c.files.slice(0, 5).join(', ')}${c.files.length > 5 ? `, and ${c.files.length - 5} more` : ''})` : ''}`,
  }));
  throw new CutoverError('VERIFY_MISMATCH', `${failed.length} of ${checks.length} checks failed`, {
    problems,
    hint: failed.some((c) => c.name === 'evidence')
      ? 'a rehearsal tries a plan; evidence is the committed record of `cutover run` on the frozen plan'
      : 'the record does not match what is there; each ✗ line above names the files',
  });
}

/** Gathers the facts a record's claims are checked against and runs every check. */
async function collectChecks(options: VerifyOptions, io: CommandIo): Promise<Check[]> {
  const recordAbs = resolve(io.cwd, options.record);
  // The folder itself, not what a link there points at: nothing of a record is ever followed.
  if (
    !(await lstat(recordAbs).then(
      (s) => s.isDirectory(),
      () => false,
    ))
  ) {
    throw new CutoverError('USAGE', `no record folder at ${options.record}`, {
      hint: 'name the folder that holds run.json (not a link to it), e.g. cutover verify reports/<plan>/<run id>',
    });
  }
  // The repository the record lives in, which need not be the one the command started in.
  const [root, runRead] = await Promise.all([
    findRepositoryRoot({ cwd: recordAbs }).catch(() => undefined),
    readRegularFile(join(recordAbs, 'run.json'), RUN_JSON_LIMIT),
  ]);
  const runText = 'bytes' in runRead ? runRead.bytes.toString('utf8') : undefined;
  const parsed = parseRunJson(runText, 'problem' in runRead ? runRead.problem : undefined);
  if (!parsed.run || runText === undefined) return [parsed.check];
  const run = parsed.run;
  // A rehearsal is refused as a whole: every later check would weigh a record that proves nothing.
  if (run.rehearsal) return [parsed.check, checkEvidence(run)];
  const checks: Check[] = [parsed.check];
  if (root !== undefined) await assertHistory(root, run.commit);

  // What git says of the record is read while the artifacts hash (git runs in processes of its own),
  // its code loaded meanwhile too.
  const gitChecks = (async () => {
    const { commitChecks, outsideRepositoryChecks } = await import('../record/verify-commit.js');
    return root === undefined ? outsideRepositoryChecks(options.record) : commitChecks(root, recordAbs, run, runText);
  })();
  gitChecks.catch(() => undefined); // awaited below; a failure must not count as unhandled meanwhile

  const manifests: Record<string, ManifestFacts> = {};
  // Each artifact's recorded entries, or 'same' when its manifest is byte for byte the artifact's as hashed.
  const recorded = new Map<string, ManifestLine[] | 'same'>();
  // Each artifact as hashed now; for one whose manifest is the record's, only its size is kept (a
  // large artifact's paths and digests are then let go before the rest of the checks).
  const found = new Map<string, ArtifactHash | { error: string } | { files: number; bytes: number }>();
  for (const artifact of run.artifacts) {
    // Hashed first: a record's manifest that is byte for byte the artifact's need not be parsed or
    // rooted again; and the manifest is read once the hashing threads and their memory are gone.
    const hashed = artifact.present && artifact.manifest ? await hashNow(artifact, root, options, io) : undefined;
    const known = hashed && 'root' in hashed ? knownManifest(hashed) : undefined;
    const { check, entries, same } = await readManifest(artifact, join(recordAbs, artifact.manifest ?? ''), hashed, manifests, known);
    checks.push(check);
    if (check.ok && (entries || same)) recorded.set(artifact.name, entries ?? 'same');
    if (hashed) found.set(artifact.name, same && 'root' in hashed ? { files: hashed.files, bytes: hashed.bytes } : hashed);
  }
  checks.push(checkRunRoot(run));
  checks.push(checkPauseWindow(run));

  for (const artifact of run.artifacts) {
    const entries = recorded.get(artifact.name);
    const hashed = found.get(artifact.name);
    if (!artifact.present || !entries || !hashed) continue;
    const { where, base } = artifactPlace(artifact, options);
    if ('error' in hashed) checks.push(checkArtifactFiles(artifact, entries === 'same' ? [] : entries, hashed, where, base));
    else if (entries === 'same' || !('entries' in hashed)) checks.push(checkArtifactSame(artifact, hashed, where));
    else checks.push(checkArtifactFiles(artifact, entries, { entries: hashed.entries, bytes: hashed.bytes }, where, base));
  }

  const logs = new Map<string, FileDigest | undefined>();
  for (const step of run.steps) if (step.log) logs.set(step.log.path, await digestFile(join(recordAbs, step.log.path), step.log.bytes));
  checks.push(checkLogs(run, logs));
  const { files, irregular } = await listFiles(recordAbs);
  checks.push(checkRecordFiles(run, files, irregular));
  // statement.json and report.md are rendered from run.json: a few times its size at most.
  const derived = 1024 * 1024 + 4 * Buffer.byteLength(runText);
  checks.push(checkStatement(run, await readText(join(recordAbs, 'statement.json'), derived), runText, manifests));
  checks.push(checkReport(run, await readText(join(recordAbs, 'report.md'), derived), run.tool?.version === VERSION));

  checks.push(...(await gitChecks));
  return checks;
}

/** Where an artifact is checked (`--artifacts DIR` stands in for live storage), and the folder its entry paths are relative to. */
function artifactPlace(artifact: RunJsonArtifact, options: VerifyOptions): { where: string; base: string; external: boolean } {
  // Artifacts committed as files are checked in the checkout.
  const external = options.artifacts !== undefined && artifact.commit === 'manifest';
  const where = toPosix(external ? join(options.artifacts as string, artifact.name) : artifact.path);
  // A single file's entry is its base name, relative to its folder; under DIR/<name> it sits in that folder.
  const base = !external && artifact.kind === 'file' ? posix.dirname(where) : where;
  return { where, base, external };
}

/** The manifest of an artifact as hashed now, compared with the record's without being built whole. */
function knownManifest(hashed: ArtifactHash): KnownManifest {
  return {
    isManifest: (text) => isManifestOf(hashed, text),
    root: hashed.root,
    files: hashed.files,
    get entries() {
      return hashed.entries;
    },
  };
}

/** An artifact hashed as it is now, or why it could not be. */
async function hashNow(
  artifact: RunJsonArtifact,
  root: string | undefined,
  options: VerifyOptions,
  io: CommandIo,
): Promise<ArtifactHash | { error: string }> {
  const { where, external } = artifactPlace(artifact, options);
  try {
    const abs = external ? resolve(io.cwd, where) : await resolveInside(root ?? io.cwd, artifact.path, { links: 'none' });
    const progress = hashProgressReporter(io, `verify ${artifact.name}`);
    const hashed = await hashArtifact(abs, { onProgress: progress.onProgress });
    progress.done();
    return hashed;
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/**
 * A shallow clone (CI checks out one commit by default) may lack the commit the run ran on: that is
 * not a mismatch, but nothing can be checked against it either, so say how to fetch it.
 */
async function assertHistory(root: string, commit: string): Promise<void> {
  if (typeof commit !== 'string' || (await revisionExists(commit, { cwd: root }))) return;
  if (!(await isShallowRepository({ cwd: root }))) return; // a commit missing from a full clone is a finding: the checks below name it
  throw new CutoverError(
    'GIT_FAILED',
    `the run's commit ${commit.slice(0, 12)} is not in this shallow clone, so the plan and lock it ran with cannot be checked`,
    {
      hint: 'fetch the history first: git fetch --unshallow (in GitHub Actions: actions/checkout with fetch-depth: 0)',
    },
  );
}

/** Prints each check as a ✓ or ✗ line, the files of a failed one below it; GitHub format adds annotations. */
function printChecks(checks: Check[], io: CommandIo): void {
  const c = colors(io);
  for (const check of checks) {
    if (check.ok && io.quiet) continue;
    io.stdout.write(`${check.ok ? c.green('✓') : c.red('✗')} ${c.bold(check.name)}: ${check.detail}\n`);
    const files = check.ok ? [] : (check.files ?? []);
    for (const file of files.slice(0, SHOWN_FILES)) io.stdout.write(`    ${file}\n`);
    if (files.length > SHOWN_FILES) io.stdout.write(`    … and ${files.length - SHOWN_FILES} more (--format json lists them all)\n`);
    if (!check.ok && io.format === 'github')
      io.commands.write(annotation('error', `${check.name}: ${check.detail}`, { title: 'cutover verify' }));
  }
  const failed = checks.filter((x) => !x.ok).length;
  if (!io.quiet || failed)
    io.stdout.write(
      failed ? `${c.red(`${failed} of ${checks.length} checks failed`)}\n` : `${c.green(`all ${checks.length} checks pass`)}\n`,
    );
}

/**
 * Reads and checks an artifact's manifest in the record, noting its facts for the statement. Matched
 * against the artifact as hashed a chunk at a time first: the common case, a manifest that is the
 * artifact's, is never held whole. One that differs is read as bytes and parsed.
 */
async function readManifest(
  artifact: RunJsonArtifact,
  path: string,
  hashed: ArtifactHash | { error: string } | undefined,
  manifests: Record<string, ManifestFacts>,
  known: KnownManifest | undefined,
): Promise<ReturnType<typeof checkManifest>> {
  if (!artifact.manifest) return checkManifest(artifact, undefined, known);
  // A manifest line is a digest, two spaces, a path (at most 4096 bytes) and a newline.
  const limit = artifact.files * (64 + 2 + 4096 + 1);
  if (known && hashed && 'root' in hashed) {
    const matched = await readManifestAgainst(path, hashed, limit);
    if (matched) manifests[artifact.name] = matched.facts;
    if (matched?.same && artifact.present) return checkSameManifest(artifact, known);
  }
  const bytes = await readBytes(path, limit);
  if (bytes !== undefined) manifests[artifact.name] = manifestFacts(bytes);
  return checkManifest(artifact, bytes, known);
}

/** A record file's text, read as a regular file of at most `maxBytes` (never a link, device or FIFO); undefined otherwise. */
async function readText(path: string, maxBytes: number): Promise<string | undefined> {
  return (await readBytes(path, maxBytes))?.toString('utf8');
}

/** A regular file's bytes, up to `maxBytes`; undefined when it is missing, no regular file or larger. */
async function readBytes(path: string, maxBytes: number): Promise<Buffer | undefined> {
  const read = await readRegularFile(path, maxBytes);
  return 'bytes' in read ? read.bytes : undefined;
}

/**
 * A log's SHA-256 and size, streamed, reading no more than the `stated` size run.json gives (a log
 * that holds more has changed); undefined when it is missing or no regular file.
 */
async function digestFile(path: string, stated: number): Promise<FileDigest | undefined> {
  const hash = createHash('sha256');
  const read = await readRegularFile(path, Number.isSafeInteger(stated) && stated >= 0 ? stated : 0, (chunk) => hash.update(chunk));
  if ('size' in read) return { digest: digestOf(hash), bytes: read.size };
  return read.tooLarge ? { digest: 'more bytes than run.json states', bytes: stated + 1 } : undefined;
}

/** Every entry below a record folder that is not a folder, record-relative, never following a link; and those that are no regular file. */
async function listFiles(dir: string): Promise<{ files: string[]; irregular: Map<string, string> }> {
  const entries = await listEntries(dirname(dir), basename(dir)).catch(() => [] as string[]);
  const files = entries.map((e) => e.slice(basename(dir).length + 1)).sort();
  const irregular = new Map<string, string>();
  for (const file of files) {
    const info = await lstat(join(dir, file)).catch(() => undefined);
    if (info && !info.isFile()) irregular.set(file, kindOf(info));
  }
  return { files, irregular };
}

function toPosix(path: string): string {
  return path.split(sep).join('/');
}
