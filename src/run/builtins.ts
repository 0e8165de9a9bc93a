// Built-in steps: `determinism` (rerun and compare Merkle roots), `snapshot` and `restore`.
import { cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathExists, resolveInside } from '../adapters/fs.js';
import { hashArtifact, type ArtifactHash } from '../integrity/hash-artifact.js';
import { diffManifests } from '../integrity/manifest.js';
import type { ResolvedStep } from '../plan/resolve.js';

/** What a built-in step reports: success, and lines for its log. */
export interface BuiltInResult {
  ok: boolean;
  reason?: string;
  notes: string[];
}

/** What built-ins need from the run: the repository, scratch space, and a way to rerun a step. */
export interface BuiltInContext {
  root: string;
  scratch: string;
  rerun: (id: string) => Promise<{ ok: boolean; reason?: string }>;
}

/**
 * `determinism`: hashes `paths`, moves them aside, reruns the steps, hashes again and compares;
 * the first outputs are put back either way. A mismatch names every file that differs.
 */
export async function runDeterminism(step: ResolvedStep, ctx: BuiltInContext): Promise<BuiltInResult> {
  const notes: string[] = [];
  const first: { rel: string; abs: string; aside: string; hash: ArtifactHash }[] = [];
  for (const [i, rel] of step.with.paths.entries()) {
    // Moved aside and back: through a link that would move whatever it points at.
    const abs = await resolveInside(ctx.root, rel, { links: 'none' });
    const aside = join(ctx.scratch, 'determinism', step.id, String(i));
    // An aside copy left behind means a crash during an earlier rerun: the first outputs are the aside ones.
    if (await pathExists(aside)) {
      await rm(abs, { recursive: true, force: true });
      await rename(aside, abs);
      notes.push(`recovered the first outputs of ${rel} from an interrupted attempt`);
    }
    if (!(await pathExists(abs))) return { ok: false, reason: `${rel} does not exist, nothing to compare`, notes };
    const hash = await hashArtifact(abs);
    notes.push(`first run: ${rel} ${hash.root} (${hash.files} files)`);
    first.push({ rel, abs, aside, hash });
  }
  for (const f of first) {
    await rm(f.aside, { recursive: true, force: true });
    await mkdir(dirname(f.aside), { recursive: true });
    await rename(f.abs, f.aside);
  }
  try {
    for (const id of step.with.rerun) {
      notes.push(`rerunning ${id}`);
      const again = await ctx.rerun(id);
      if (!again.ok) return { ok: false, reason: `rerun of ${id} failed: ${again.reason ?? 'unknown reason'}`, notes };
    }
    const differences: string[] = [];
    for (const f of first) {
      if (!(await pathExists(f.abs))) {
        differences.push(`${f.rel}: missing after the rerun`);
        continue;
      }
      const second = await hashArtifact(f.abs);
      notes.push(`second run: ${f.rel} ${second.root} (${second.files} files)`);
      if (second.root === f.hash.root) continue;
      const diff = diffManifests(f.hash.entries, second.entries);
      for (const p of diff.changed) differences.push(`${f.rel}/${p}: changed`);
      for (const p of diff.added) differences.push(`${f.rel}/${p}: added`);
      for (const p of diff.removed) differences.push(`${f.rel}/${p}: removed`);
    }
    notes.push(...differences);
    if (differences.length)
      return {
        ok: false,
        reason: `not deterministic: ${differences.length} file(s) differ (${differences.slice(0, 3).join('; ')}${differences.length > 3 ? '; …' : ''})`,
        notes,
      };
    return { ok: true, notes: [...notes, 'roots match'] };
  } finally {
    // The first outputs are the ones the run goes on with.
    for (const f of first) {
      if (await pathExists(f.aside)) {
        await rm(f.abs, { recursive: true, force: true });
        await rename(f.aside, f.abs);
      }
    }
  }
}

/** `snapshot`: copies paths into the run's scratch space under the snapshot's name. */
export async function runSnapshot(step: ResolvedStep, ctx: BuiltInContext): Promise<BuiltInResult> {
  const dir = join(ctx.scratch, 'snapshots', step.with.name!);
  await rm(dir, { recursive: true, force: true });
  const notes: string[] = [];
  for (const [i, rel] of step.with.paths.entries()) {
    const abs = await resolveInside(ctx.root, rel);
    const target = join(dir, String(i));
    if (await pathExists(abs)) {
      await cp(abs, target, { recursive: true, verbatimSymlinks: true, errorOnExist: true });
      notes.push(`saved ${rel}`);
    } else notes.push(`${rel} does not exist; restore will remove it`);
  }
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'paths.json'), JSON.stringify(step.with.paths));
  return { ok: true, notes };
}

/** `restore`: puts a snapshot's paths back as they were when it was taken. */
export async function runRestore(step: ResolvedStep, ctx: BuiltInContext): Promise<BuiltInResult> {
  const dir = join(ctx.scratch, 'snapshots', step.with.name!);
  let paths: string[];
  try {
    paths = JSON.parse(await readFile(join(dir, 'paths.json'), 'utf8')) as string[];
  } catch {
    return { ok: false, reason: `snapshot ${step.with.name} was not taken in this run`, notes: [] };
  }
  const notes: string[] = [];
  for (const [i, rel] of paths.entries()) {
    const abs = await resolveInside(ctx.root, rel, { links: 'none' });
    const saved = join(dir, String(i));
    await rm(abs, { recursive: true, force: true });
    if (await pathExists(saved)) {
      await mkdir(dirname(abs), { recursive: true });
      await cp(saved, abs, { recursive: true, verbatimSymlinks: true });
      notes.push(`restored ${rel}`);
    } else notes.push(`removed ${rel} (it did not exist at the snapshot)`);
  }
  return { ok: true, notes };
}
