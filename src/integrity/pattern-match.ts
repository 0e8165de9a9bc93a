// Which of a list of paths a registry or input pattern matches: the freeze's own glob, run over those
// paths instead of the disk, so a file a diff touched (or deleted) matches exactly when a freeze would.
import type { Dirent } from 'node:fs';
import { glob, type GlobOptions } from 'tinyglobby';

/** The glob options of a freeze: files only, dot files too, links never followed, nothing inside `.git`. */
export const FROZEN_GLOB = {
  expandDirectories: false,
  dot: true,
  onlyFiles: true,
  followSymbolicLinks: false,
  ignore: ['**/.git', '**/.git/**'],
} as const satisfies GlobOptions;

// The listing root of the virtual tree; any absolute path works, it never reaches the disk.
const ROOT = '/';

/** A set of repository-relative paths laid out as folders, for matching patterns against. */
export type VirtualTree = ReadonlyMap<string, ReadonlyMap<string, boolean>>;

/** The tree of some repository-relative, `/`-separated file paths (they need not exist anywhere). */
export function virtualTree(paths: readonly string[]): VirtualTree {
  return treeOf(paths);
}

/** The paths of `tree` that `pattern` matches, in the glob's order. */
export async function matchPattern(pattern: string, tree: VirtualTree): Promise<string[]> {
  const list = (dir: string): Dirent[] => {
    const rel = dir.replace(/^\/+|\/+$/g, '');
    const entries = tree.get(rel);
    if (!entries) throw Object.assign(new Error(`ENOENT: ${dir}`), { code: 'ENOENT' });
    return [...entries].map(
      ([name, isFile]) => ({ name, isFile: () => isFile, isDirectory: () => !isFile, isSymbolicLink: () => false }) as Dirent,
    );
  };
  const fs = {
    readdir: (dir: string, _options: object, callback: (error: NodeJS.ErrnoException | null, entries: Dirent[]) => void) => {
      let entries: Dirent[];
      try {
        entries = list(dir);
      } catch (error) {
        return callback(error as NodeJS.ErrnoException, []);
      }
      callback(null, entries);
    },
    readdirSync: (dir: string) => list(dir),
  } as unknown as GlobOptions['fs'];
  return glob([pattern], { ...FROZEN_GLOB, ignore: [...FROZEN_GLOB.ignore], cwd: ROOT, fs });
}

/** Folder (relative, '' for the root) → its entries, name → true for a file, false for a folder. */
function treeOf(paths: readonly string[]): Map<string, Map<string, boolean>> {
  const folders = new Set<string>(['']);
  for (const path of paths) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) folders.add(parts.slice(0, i).join('/'));
  }
  const tree = new Map<string, Map<string, boolean>>([...folders].map((folder) => [folder, new Map()]));
  for (const entry of [...folders, ...paths]) {
    if (entry === '') continue;
    const cut = entry.lastIndexOf('/');
    tree.get(cut < 0 ? '' : entry.slice(0, cut))?.set(entry.slice(cut + 1), !folders.has(entry));
  }
  return tree;
}
