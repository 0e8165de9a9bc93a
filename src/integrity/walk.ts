// Lists an artifact's regular files without following links, refusing anything that is not a file or folder.
import { Buffer, isUtf8 } from 'node:buffer';
import { lstatSync, type Dirent, type Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { CutoverError } from '../errors.js';
import { displayPath, entryPathProblem } from './manifest.js';

/** A regular file found below an artifact: its entry path and its size when listed. */
export interface WalkedFile {
  path: string;
  size: number;
}

/** An artifact's files: entry paths are relative to `base` (the folder, or a single file's parent). */
export interface ArtifactFiles {
  kind: 'file' | 'directory';
  base: string;
  /** In walk order; the manifest sorts them. */
  files: WalkedFile[];
}

const HINT = 'an artifact holds regular files and folders only; links, devices, FIFOs and sockets are refused';
const NAME_HINT = 'entry paths are valid UTF-8 with no control character and no backslash; rename the file';

function refuse(what: string, shown: string): CutoverError {
  return new CutoverError('ARTIFACT_INVALID', `${what} inside artifact: ${shown}`, {
    hint: what === 'symbolic link' ? `${HINT}: replace the link with what it points to, or remove it` : HINT,
  });
}

function ioFailed(shown: string, cause: unknown): CutoverError {
  const reason = (cause as NodeJS.ErrnoException).code ?? String(cause);
  return new CutoverError('IO_FAILED', `cannot read ${shown} (${reason})`, { cause });
}

function kindOf(entry: Dirent | Stats): string {
  if (entry.isSymbolicLink()) return 'symbolic link';
  if (entry.isFIFO()) return 'FIFO';
  if (entry.isSocket()) return 'socket';
  if (entry.isBlockDevice() || entry.isCharacterDevice()) return 'device';
  return 'special file';
}

/** Checks a single-file artifact or lists a folder's files; throws ARTIFACT_INVALID naming the path. */
export async function walkArtifact(absPath: string): Promise<ArtifactFiles> {
  let info: Stats;
  try {
    info = await lstat(absPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CutoverError('ARTIFACT_INVALID', `artifact does not exist: ${JSON.stringify(absPath)}`);
    }
    throw ioFailed(JSON.stringify(absPath), error);
  }
  if (info.isFile()) {
    const name = basename(absPath);
    const problem = entryPathProblem(name);
    if (problem) throw new CutoverError('ARTIFACT_INVALID', `artifact name ${JSON.stringify(absPath)} ${problem}`, { hint: NAME_HINT });
    return { kind: 'file', base: dirname(absPath), files: [{ path: name, size: info.size }] };
  }
  if (!info.isDirectory())
    throw new CutoverError('ARTIFACT_INVALID', `artifact ${JSON.stringify(absPath)} is a ${kindOf(info)}`, { hint: HINT });
  return { kind: 'directory', base: absPath, files: await listFiles(absPath) };
}

/**
 * Walks a folder with an explicit stack (no recursion depth limit). Entry types come from the
 * directory entries themselves (the lstat view: Node lstats when the file system does not say), and
 * each file is lstat-ed for its size.
 */
async function listFiles(root: string): Promise<WalkedFile[]> {
  const files: WalkedFile[] = [];
  const pending: string[] = [''];
  while (pending.length > 0) {
    const prefix = pending.pop() as string;
    const dir = prefix === '' ? root : `${root}/${prefix}`;
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      throw ioFailed(JSON.stringify(dir), error);
    }
    for (const entry of entries) {
      const name = entry.name;
      // A name that is not UTF-8 decodes with U+FFFD; only then are the raw bytes read to tell.
      if (name.includes('\uFFFD')) await refuseUndecodable(dir);
      const path = prefix === '' ? name : `${prefix}/${name}`;
      const problem = entryPathProblem(name);
      if (problem) {
        throw new CutoverError('ARTIFACT_INVALID', `entry path ${JSON.stringify(`${dir}/${name}`)} ${problem}`, { hint: NAME_HINT });
      }
      if (entry.isDirectory()) pending.push(path);
      else if (entry.isFile()) files.push({ path, size: statSize(`${root}/${path}`) });
      else throw refuse(kindOf(entry), JSON.stringify(`${root}/${path}`));
    }
  }
  return files;
}

// Reads a folder's names as bytes and refuses the first that is not UTF-8, shown with \xNN escapes.
async function refuseUndecodable(dir: string): Promise<void> {
  const names = await readdir(dir, { encoding: 'buffer' }).catch((error: unknown) => {
    throw ioFailed(JSON.stringify(dir), error);
  });
  const bad = names.find((name) => !isUtf8(name));
  if (bad) {
    throw new CutoverError(
      'ARTIFACT_INVALID',
      `entry path ${displayPath(Buffer.concat([Buffer.from(`${dir}/`), bad]))} is not valid UTF-8`,
      { hint: NAME_HINT },
    );
  }
}

// Synchronous on purpose: 100k async lstat calls cost seconds in promise overhead, sync ones ~0.25 s.
function statSize(abs: string): number {
  try {
    const info = lstatSync(abs);
    if (!info.isFile()) throw refuse(kindOf(info), JSON.stringify(abs));
    return info.size;
  } catch (error) {
    if (error instanceof CutoverError) throw error;
    throw ioFailed(JSON.stringify(abs), error);
  }
}
