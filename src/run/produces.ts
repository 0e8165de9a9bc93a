// `produces`: a step's outputs are moved aside before it runs and put back if it fails, so nothing half-written stays.
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathExists, resolveInside } from '../adapters/fs.js';

/** What was moved aside for one step, to restore or discard afterwards. */
export interface SetAside {
  /** A marker file listing the items, so a run that crashed mid-step can put things back on resume. */
  marker: string;
  items: { path: string; aside: string; existed: boolean }[];
}

/** Moves each produced path aside (into the run's scratch space, on the same file system). */
export async function setAside(root: string, paths: string[], scratch: string): Promise<SetAside> {
  // A marker left by a crashed attempt means the aside copies are the real earlier content: restore first.
  await recoverAside(scratch);
  const marker = `${scratch}.json`;
  const items: SetAside['items'] = [];
  for (const [i, rel] of paths.entries()) {
    // Moving through a link would move whatever it points at: produces are real paths only.
    const path = await resolveInside(root, rel, { links: 'none' });
    items.push({ path, aside: join(scratch, String(i)), existed: await pathExists(path) });
  }
  // The marker goes first: whatever moment a crash hits, resume knows where the earlier content is.
  await mkdir(dirname(marker), { recursive: true });
  await writeFile(marker, JSON.stringify(items));
  for (const item of items) {
    await rm(item.aside, { recursive: true, force: true });
    if (item.existed) {
      await mkdir(dirname(item.aside), { recursive: true });
      await rename(item.path, item.aside);
    }
  }
  return { marker, items };
}

/** The markers of steps whose earlier content is still set aside in a run's scratch space (a step killed mid-way). */
export async function pendingAside(runScratch: string): Promise<string[]> {
  const names = await readdir(join(runScratch, 'aside')).catch(() => [] as string[]);
  return names.filter((name) => name.endsWith('.json')).map((name) => join(runScratch, 'aside', name.slice(0, -'.json'.length)));
}

/** Restores what a crashed step had set aside, if anything (on resume). */
export async function recoverAside(scratch: string): Promise<boolean> {
  const marker = `${scratch}.json`;
  let items: SetAside['items'];
  try {
    items = JSON.parse(await readFile(marker, 'utf8')) as SetAside['items'];
  } catch {
    return false;
  }
  await restoreAside({ marker, items });
  return true;
}

/** After a failure: removes what the step left and puts the earlier content back. */
export async function restoreAside(set: SetAside): Promise<void> {
  for (const item of set.items) {
    // Content that existed but is not aside was never moved (or was already put back): leave it.
    if (item.existed && !(await pathExists(item.aside))) continue;
    await rm(item.path, { recursive: true, force: true });
    if (item.existed) {
      await mkdir(dirname(item.path), { recursive: true });
      await rename(item.aside, item.path);
    }
  }
  await rm(set.marker, { force: true });
}

/** After a success: the earlier content is no longer needed. */
export async function discardAside(set: SetAside): Promise<void> {
  await rm(set.marker, { force: true });
  for (const item of set.items) await rm(item.aside, { recursive: true, force: true });
}
