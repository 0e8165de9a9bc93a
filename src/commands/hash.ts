// `cutover hash PATH`: an artifact's Merkle root or manifest, an inclusion proof for one file, or a proof's check.
import { Buffer } from 'node:buffer';
import { readFile, lstat } from 'node:fs/promises';
import { basename, relative, resolve, sep } from 'node:path';
import { CutoverError } from '../errors.js';
import { hashArtifact } from '../integrity/hash-artifact.js';
import { hashFiles } from '../integrity/hash-files.js';
import { MANIFEST_FORMAT, entryPathProblem, formatLine, type ManifestEntry } from '../integrity/manifest.js';
import { formatRoot, inclusionProof, parseRoot, verifyInclusion } from '../integrity/merkle.js';
import type { CommandIo } from '../adapters/io.js';
import { hashProgressReporter } from '../ui/progress.js';

/** Name of the inclusion-proof document written by `--prove` and read by `--check-proof`. */
export const PROOF_FORMAT = 'cutover-inclusion-proof/v1';

/** Options of `cutover hash`; PATH may be left out only with `checkProof`. */
export interface HashOptions {
  path?: string;
  manifest?: boolean;
  prove?: string;
  checkProof?: string;
  root?: string;
}

/** An inclusion proof as stored in JSON: the leaf line (with its `\n`) and the audit path in hex. */
export interface ProofDocument {
  format: typeof PROOF_FORMAT;
  manifestFormat: typeof MANIFEST_FORMAT;
  path: string;
  line: string;
  index: number;
  size: number;
  proof: string[];
  root: string;
}

const HEX32 = /^[0-9a-f]{64}$/;
const LINE = /^([0-9a-f]{64}) {2}(.*)\n$/s;

function usage(message: string, hint?: string): CutoverError {
  return new CutoverError('USAGE', message, hint ? { hint } : {});
}

function print(io: CommandIo, json: unknown, text: string): void {
  io.stdout.write(io.format === 'json' ? `${JSON.stringify(json, null, 2)}\n` : text);
}

/** Prints an artifact's root (default), manifest, inclusion proof, or checks a proof; returns the exit code. */
export async function hash(options: HashOptions, io: CommandIo): Promise<number> {
  const modes = [
    options.manifest && '--manifest',
    options.prove !== undefined && '--prove',
    options.checkProof !== undefined && '--check-proof',
  ].filter(Boolean);
  if (modes.length > 1) throw usage(`${modes.join(' and ')} cannot be combined`);
  if (options.root !== undefined && options.checkProof === undefined) throw usage('--root is only used with --check-proof');
  if (options.checkProof !== undefined) return checkProof(options.checkProof, options, io);
  if (options.path === undefined) throw usage('cutover hash needs a PATH', 'cutover hash PATH [--manifest | --prove FILE]');
  const abs = resolve(io.cwd, options.path);
  const progress = hashProgressReporter(io, `hash ${options.path}`);
  const artifact = await hashArtifact(abs, { onProgress: progress.onProgress });
  progress.done();
  if (options.prove !== undefined) {
    const proof = proveEntry(
      artifact.entries,
      findEntry(artifact.entries, abs, resolve(io.cwd, options.prove), options.prove),
      artifact.root,
    );
    io.stdout.write(`${JSON.stringify(proof, null, 2)}\n`);
    return 0;
  }
  const summary = { format: MANIFEST_FORMAT, path: options.path, root: artifact.root, files: artifact.files, bytes: artifact.bytes };
  if (options.manifest) print(io, { ...summary, entries: artifact.entries }, artifact.manifest);
  else print(io, summary, `${artifact.root}\n`);
  return 0;
}

/** Finds the entry `--prove` names: an entry path, or a file path (relative to cwd) inside the artifact. */
function findEntry(entries: readonly ManifestEntry[], artifactAbs: string, fileAbs: string, given: string): number {
  const byEntry = entries.findIndex((entry) => entry.path === given);
  if (byEntry >= 0) return byEntry;
  const rel = entries.length === 1 && fileAbs === artifactAbs ? entries[0]?.path : relative(artifactAbs, fileAbs).split(sep).join('/');
  // A path leading outside the artifact ("../x") can match no entry, as entries have no ".." component.
  const byFile = entries.findIndex((entry) => entry.path === rel);
  if (byFile < 0)
    throw usage(
      `${JSON.stringify(given)} is not a file of the artifact`,
      'name it as the manifest does (cutover hash PATH --manifest lists them)',
    );
  return byFile;
}

/** Builds the proof document for entry `index` of a manifest. */
function proveEntry(entries: readonly ManifestEntry[], index: number, root: string): ProofDocument {
  const lines = entries.map((entry) => Buffer.from(formatLine(entry), 'utf8'));
  const entry = entries[index] as ManifestEntry;
  return {
    format: PROOF_FORMAT,
    manifestFormat: MANIFEST_FORMAT,
    path: entry.path,
    line: formatLine(entry),
    index,
    size: entries.length,
    proof: inclusionProof(lines, index).map((node) => node.toString('hex')),
    root,
  };
}

/** Reads and shape-checks a proof document; a malformed one is a usage error (exit 2). */
async function readProof(file: string, io: CommandIo): Promise<ProofDocument> {
  const abs = resolve(io.cwd, file);
  let doc: Partial<Record<keyof ProofDocument, unknown>>;
  try {
    doc = JSON.parse(await readFile(abs, 'utf8')) as typeof doc;
  } catch (error) {
    const why = error instanceof SyntaxError ? 'is not JSON' : `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
    throw new CutoverError(error instanceof SyntaxError ? 'USAGE' : 'IO_FAILED', `proof ${JSON.stringify(file)} ${why}`, { cause: error });
  }
  const bad = (field: string) =>
    usage(`proof ${JSON.stringify(file)}: ${field}`, `expected a ${PROOF_FORMAT} document written by cutover hash --prove`);
  if (doc === null || typeof doc !== 'object') throw bad('not a JSON object');
  if (doc.format !== PROOF_FORMAT) throw bad(`format is not ${PROOF_FORMAT}`);
  if (doc.manifestFormat !== MANIFEST_FORMAT) throw bad(`manifestFormat is not ${MANIFEST_FORMAT}`);
  if (typeof doc.path !== 'string' || entryPathProblem(doc.path)) throw bad('path is not an entry path');
  if (typeof doc.line !== 'string') throw bad('line is not a string');
  if (!Number.isSafeInteger(doc.size) || (doc.size as number) < 1) throw bad('size is not a positive integer');
  if (!Number.isSafeInteger(doc.index) || (doc.index as number) < 0) throw bad('index is not a non-negative integer');
  if (!Array.isArray(doc.proof) || !doc.proof.every((node) => typeof node === 'string' && HEX32.test(node)))
    throw bad('proof is not a list of SHA-256 hex strings');
  if (typeof doc.root !== 'string' || !parseRoot(doc.root)) throw bad('root is not sha256:<64 hex>');
  return doc as ProofDocument;
}

/** Checks a proof against its root or `--root`, and with PATH also the file on disk against the proof's line. */
async function checkProof(file: string, options: HashOptions, io: CommandIo): Promise<number> {
  const doc = await readProof(file, io);
  const trusted = options.root ?? doc.root;
  const root = parseRoot(trusted);
  if (!root) throw usage(`--root ${JSON.stringify(trusted)} is not sha256:<64 hex>`);
  const invalid = (why: string) => new CutoverError('PROOF_INVALID', `proof ${JSON.stringify(file)} does not hold: ${why}`);
  const line = LINE.exec(doc.line);
  if (!line || line[2] !== doc.path) throw invalid(`its line is not "<sha256>  ${doc.path}\\n"`);
  const holds = verifyInclusion({
    line: Buffer.from(doc.line, 'utf8'),
    index: doc.index,
    size: doc.size,
    proof: doc.proof.map((node) => Buffer.from(node, 'hex')),
    root,
  });
  if (!holds) throw invalid(`the audit path does not lead to ${trusted}`);
  if (options.path !== undefined) {
    const digest = await digestOfEntry(resolve(io.cwd, options.path), doc.path);
    if (digest !== line[1]) throw invalid(`${JSON.stringify(doc.path)} on disk has SHA-256 ${digest}, the proof says ${line[1]}`);
  }
  const fileChecked = options.path !== undefined;
  const shown = formatRoot(root);
  const text = `proof holds: ${JSON.stringify(doc.path)} is entry ${doc.index} of ${doc.size} under ${shown}${fileChecked ? ' (file on disk matches)' : ''}\n`;
  print(io, { format: PROOF_FORMAT, valid: true, path: doc.path, index: doc.index, size: doc.size, root: shown, fileChecked }, text);
  return 0;
}

/** SHA-256 of one entry of the artifact at `artifactAbs`, refusing links on the way as the walk does. */
async function digestOfEntry(artifactAbs: string, entryPath: string): Promise<string> {
  const info = await lstat(artifactAbs).catch(() => undefined);
  const missing = () => new CutoverError('PROOF_INVALID', `${JSON.stringify(entryPath)} is not a file of ${JSON.stringify(artifactAbs)}`);
  if (!info) throw missing();
  if (info.isFile()) {
    if (basename(artifactAbs) !== entryPath) throw missing();
    return digestOf(resolve(artifactAbs, '..'), entryPath, info.size);
  }
  let current = artifactAbs;
  const parts = entryPath.split('/');
  for (const [i, part] of parts.entries()) {
    current = `${current}/${part}`;
    const step = await lstat(current).catch(() => undefined);
    const wanted = i === parts.length - 1 ? step?.isFile() : step?.isDirectory();
    if (!step || !wanted)
      throw step?.isSymbolicLink()
        ? new CutoverError('ARTIFACT_INVALID', `symbolic link inside artifact: ${JSON.stringify(current)}`)
        : missing();
    if (i === parts.length - 1) return digestOf(artifactAbs, entryPath, step.size);
  }
  throw missing();
}

async function digestOf(base: string, path: string, size: number): Promise<string> {
  const [hashed] = await hashFiles(base, [{ path, size }], { threads: 1 });
  return (hashed as { digest: string }).digest;
}
