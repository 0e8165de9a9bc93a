// File helpers: atomic writes, recursive listing, removal. All paths are relative to the
// repository root (the process's working directory).
import { lstatSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

// Writes a file by writing a temporary sibling and renaming it over the target.
export function writeFileAtomic(path, data) {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(temp, data);
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

// Lists the regular files below a directory as sorted `/`-separated relative paths.
export function listFiles(root) {
  const out = [];
  const walk = (rel) => {
    for (const name of readdirSync(rel ? join(root, rel) : root)) {
      const child = rel ? `${rel}/${name}` : name;
      const stat = lstatSync(join(root, child));
      if (stat.isDirectory()) walk(child);
      else if (stat.isFile()) out.push(child);
      else throw new Error(`${join(root, child)}: not a regular file or directory`);
    }
  };
  walk('');
  return out.sort();
}

// Removes a file or directory tree if it exists.
export function removePath(path) {
  rmSync(path, { recursive: true, force: true });
}

// True when the path exists (without following a final symbolic link).
export function pathExists(path) {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

// Removes a directory if it exists and is empty.
export function removeIfEmpty(path) {
  if (existsSync(path) && readdirSync(path).length === 0) rmSync(path, { recursive: true });
}
