// Reading the JSON files a plan's matrix steps take their values from (docs/runs.md, "Matrix steps").
import { open } from 'node:fs/promises';
import { matrixFiles } from '../plan/matrix.js';
import { MAX_PLAN_BYTES } from '../plan/load.js';
import type { Plan } from '../plan/types.js';
import { resolveInside } from './fs.js';

/** The matrix files of a plan as read: bytes (for the lock's digest) and the parsed document, by path. */
export interface MatrixDocuments {
  bytes: Map<string, Uint8Array>;
  documents: Map<string, unknown>;
}

/**
 * Reads and parses each matrix file of a plan. A file that cannot be read, is not a regular file,
 * is larger than a plan may be or is not JSON is left out of `documents`: resolving the plan then
 * names it as a problem.
 */
export async function readMatrixFiles(root: string, plan: Plan): Promise<MatrixDocuments> {
  const read: MatrixDocuments = { bytes: new Map(), documents: new Map() };
  for (const file of matrixFiles(plan)) {
    const bytes = await readSmallFile(await resolveInside(root, file)).catch(() => undefined);
    if (!bytes) continue;
    read.bytes.set(file, bytes);
    try {
      read.documents.set(file, JSON.parse(Buffer.from(bytes).toString('utf8')));
    } catch {
      // Not JSON: left out, reported by resolve with the file's name.
    }
  }
  return read;
}

async function readSmallFile(path: string): Promise<Uint8Array | undefined> {
  const handle = await open(path, 'r');
  try {
    const info = await handle.stat();
    if (!info.isFile() || info.size > MAX_PLAN_BYTES) return undefined;
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}
