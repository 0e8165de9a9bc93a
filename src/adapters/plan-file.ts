// Reading a plan file from disk: size checked before reading, so a huge file is never loaded.
import { type FileHandle, open } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { CutoverError, problemsError } from '../errors.js';
import { MAX_PLAN_BYTES } from '../plan/load.js';
import { validatePlan, type ValidPlan } from '../plan/validate.js';

/** A plan file's bytes and the name problems are reported under (relative to cwd). */
export interface PlanFile {
  path: string;
  display: string;
  bytes: Uint8Array;
}

/** Reads a plan file, refusing anything that is not a regular file or is over the size cap. */
export async function readPlanFile(file: string, cwd: string, maxBytes = MAX_PLAN_BYTES): Promise<PlanFile> {
  const path = resolve(cwd, file);
  const display = relative(cwd, path) || file;
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CutoverError('PLAN_IO', code === 'ENOENT' ? `no such plan file` : `cannot read the plan (${code})`, {
      position: { file: display },
      hint: code === 'ENOENT' ? 'check the path, or run `cutover init`' : undefined,
    });
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new CutoverError('PLAN_IO', `the plan is not a regular file`, { position: { file: display } });
    // Over the cap: read one byte more than allowed so the loader reports the size without holding the file.
    const size = Math.min(info.size, maxBytes + 1);
    const bytes = new Uint8Array(size);
    await handle.read(bytes, 0, size, 0);
    if (info.size > maxBytes) {
      throw new CutoverError('PLAN_TOO_LARGE', `the plan is ${info.size} bytes, over the ${maxBytes}-byte limit`, {
        position: { file: display },
        hint: 'split the plan or move data into input files',
      });
    }
    return { path, display, bytes };
  } finally {
    await handle.close();
  }
}

/** Reads and validates a plan, throwing every problem at once. */
export async function readValidPlan(file: string, cwd: string): Promise<ValidPlan & { file: PlanFile }> {
  const planFile = await readPlanFile(file, cwd);
  const result = validatePlan(planFile.bytes, planFile.display);
  if (!result.ok) throw problemsError(result.problems);
  return { ...result.valid, file: planFile };
}
