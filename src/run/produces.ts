// `produces`: a step's outputs are moved aside before it runs and put back if it fails, so nothing half-written stays.
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathExists, resolveInside } from '../effects/fs.js';

/** What was moved aside for one step, to restore or discard afterwards. */
export interface SetAside {
  items: { path: string; aside: string; existed: boolean }[];
}

/** Moves each produced path aside (into the run's scratch space, on the same file system). */
export async function setAside(root: string, paths: string[], scratch: string): Promise<SetAside> {
  const items: SetAside['items'] = [];
  for (const [i, rel] of paths.entries()) {
    const path = await resolveInside(root, rel);
    const aside = join(scratch, String(i));
    await rm(aside, { recursive: true, force: true });
    const existed = await pathExists(path);
    if (existed) {
      await mkdir(dirname(aside), { recursive: true });
      await rename(path, aside);
    }
    items.push({ path, aside, existed });
  }
  return { items };
}

/** After a failure: removes what the step left and puts the earlier content back. */
export async function restoreAside(set: SetAside): Promise<void> {
  for (const item of set.items) {
    await rm(item.path, { recursive: true, force: true });
    if (item.existed) {
      await mkdir(dirname(item.path), { recursive: true });
      await rename(item.aside, item.path);
    }
  }
}

/** After a success: the earlier content is no longer needed. */
export async function discardAside(set: SetAside): Promise<void> {
  for (const item of set.items) await rm(item.aside, { recursive: true, force: true });
}
