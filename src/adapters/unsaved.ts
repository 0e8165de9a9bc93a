// What cutover may not remove or replace: the files below a path whose bytes git does not hold.
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CutoverError } from '../errors.js';
import { quote } from '../text/quote.js';
import { unchangedTrackedFiles } from './git.js';

/**
 * Every entry below `rel` that is not a folder (files, links, devices, FIFOs), repository-relative
 * and sorted; `rel` itself when it is not a folder; nothing when it does not exist. Links are listed,
 * never followed.
 */
export async function listEntries(root: string, rel: string): Promise<string[]> {
  const top = await lstat(join(root, rel)).catch(() => undefined);
  if (!top) return [];
  if (!top.isDirectory()) return [rel];
  const found: string[] = [];
  const pending = [rel];
  while (pending.length > 0) {
    const dir = pending.pop() as string;
    const entries = await readdir(join(root, dir), { withFileTypes: true }).catch((cause: unknown) => {
      throw new CutoverError('IO_FAILED', `cannot list ${quote(dir)} (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`, {
        cause,
      });
    });
    for (const entry of entries) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) pending.push(path);
      else found.push(path);
    }
  }
  return found.sort();
}

/**
 * The entries below `rel` that would be lost if cutover removed them: everything git does not hold
 * as it is (untracked, ignored, changed, staged only, inside a nested repository, not a regular file
 * git tracks). Tracked files unchanged since HEAD are not listed: git keeps their bytes.
 */
export async function unsavedFiles(root: string, rel: string): Promise<string[]> {
  const entries = await listEntries(root, rel);
  if (entries.length === 0) return [];
  const saved = await unchangedTrackedFiles(rel, { cwd: root });
  return entries.filter((path) => !saved.has(path));
}

/** Files for a one-line message: the first ten, quoted (a name may hold anything), and how many more. */
export function nameFiles(files: readonly string[], shown = 10): string {
  const listed = files.slice(0, shown).map(quote).join(', ');
  return files.length > shown ? `${listed} and ${files.length - shown} more` : listed;
}
