// Lists an artifact's regular files in manifest order without following links, refusing anything that is not a file or folder.
import { Buffer, isUtf8 } from 'node:buffer';
import type { Dirent, Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { CutoverError } from '../errors.js';
import { HIGH_UNITS } from '../text/utf8.js';
import { displayPath, entryPathProblem } from './manifest.js';

/** An artifact: a single file (its size from lstat) or a folder; entry paths are relative to `base`. */
export type ArtifactKind = { kind: 'file'; base: string; path: string; size: number } | { kind: 'directory'; base: string };

/** An artifact's files: entry paths relative to `base` (the folder, or a single file's parent), in byte order. */
export interface ArtifactFiles {
  kind: 'file' | 'directory';
  base: string;
  /** Sorted by the bytes of their UTF-8 path: the manifest's order. */
  paths: string[];
  /** A single file's size, from the lstat that found it. */
  size?: number;
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

/** What an artifact path is: a single file (checked and named) or a folder; throws ARTIFACT_INVALID otherwise. */
export async function artifactKind(absPath: string): Promise<ArtifactKind> {
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
    return { kind: 'file', base: dirname(absPath), path: name, size: info.size };
  }
  if (!info.isDirectory())
    throw new CutoverError('ARTIFACT_INVALID', `artifact ${JSON.stringify(absPath)} is a ${kindOf(info)}`, { hint: HINT });
  return { kind: 'directory', base: absPath };
}

/** Checks a single-file artifact or lists a folder's files in byte order; throws ARTIFACT_INVALID naming the path. */
export async function walkArtifact(absPath: string): Promise<ArtifactFiles> {
  const found = await artifactKind(absPath);
  if (found.kind === 'file') return { kind: 'file', base: found.base, paths: [found.path], size: found.size };
  return { kind: 'directory', base: found.base, paths: await listFiles(found.base) };
}

/** A folder being listed: its entry-path prefix and its sorted keys (a folder's name and a `/`), consumed in order. */
interface Level {
  prefix: string;
  keys: string[];
  next: number;
}

/**
 * Lists a folder's regular files depth first, each folder's entries sorted, so the paths come out in
 * the manifest's byte order with no global sort: a subfolder sorts by its name and a `/`, as its
 * files' paths do (`a.txt` < `a/x`, since `.` < `/`). Entry types come from the directory entries
 * (Node lstats when the file system does not say); no file is stat-ed, as the hashing fstat-s each
 * file it opens anyway. An explicit stack: no recursion depth limit. `onFound` hears the running count
 * at each folder, `onFile` each file as it is found, in order.
 */
export async function listFiles(root: string, onFound?: (count: number) => void, onFile?: (path: string) => void): Promise<string[]> {
  const files: string[] = [];
  const stack: Level[] = [await readLevel(root, '')];
  while (stack.length > 0) {
    const level = stack[stack.length - 1] as Level;
    const key = level.keys[level.next++];
    if (key === undefined) {
      stack.pop();
      continue;
    }
    const folder = key.endsWith('/');
    const name = folder ? key.slice(0, -1) : key;
    const path = level.prefix === '' ? name : `${level.prefix}/${name}`;
    if (!folder) {
      files.push(path);
      onFile?.(path);
    } else {
      stack.push(await readLevel(`${root}/${path}`, path));
      onFound?.(files.length);
    }
  }
  return files;
}

// A name that needs a closer look: a control character, a backslash, or a UTF-16 unit at or above
// U+D800 (a surrogate, U+FFFD for bytes that are not UTF-8, or a code point that sorts differently
// as UTF-16 than as UTF-8). A directory entry is never empty, `.`, `..` or holds a `/`, so a name
// without any of these is a valid entry path.
const SUSPECT = /[\u0000-\u001f\u007f\\\uD800-\uFFFF]/;

// One folder's entries, checked, as keys (a folder's name ends in `/`) sorted by their bytes.
async function readLevel(dir: string, prefix: string): Promise<Level> {
  let dirents: Dirent[];
  try {
    dirents = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    throw ioFailed(JSON.stringify(dir), error);
  }
  const keys: string[] = [];
  let high = false;
  for (const dirent of dirents) {
    const name = dirent.name;
    if (SUSPECT.test(name)) {
      // A name that is not UTF-8 decodes with U+FFFD; only then are the raw bytes read to tell.
      if (name.includes('\uFFFD')) await refuseUndecodable(dir);
      const problem = entryPathProblem(name);
      if (problem)
        throw new CutoverError('ARTIFACT_INVALID', `entry path ${JSON.stringify(`${dir}/${name}`)} ${problem}`, { hint: NAME_HINT });
      high ||= HIGH_UNITS.test(name);
    }
    const folder = dirent.isDirectory();
    if (!folder && !dirent.isFile()) throw refuse(kindOf(dirent), JSON.stringify(`${dir}/${name}`));
    keys.push(folder ? `${name}/` : name);
  }
  // Without units at or above U+D800, UTF-16 order (the default sort's) is UTF-8 byte order.
  if (high) {
    const bytes = new Map(keys.map((key) => [key, Buffer.from(key, 'utf8')]));
    keys.sort((x, y) => Buffer.compare(bytes.get(x) as Buffer, bytes.get(y) as Buffer));
  } else keys.sort();
  return { prefix, keys, next: 0 };
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
