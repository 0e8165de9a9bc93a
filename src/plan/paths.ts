// Lexical checks of the paths a plan names: relative, inside the repository, no `.git` component.
import { posix } from 'node:path';

// C0 controls and DEL: a path holding one breaks lines, logs, commit messages and terminals.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Why a repository-relative path is unsafe, or undefined when it is fine. */
export function pathProblem(path: string, { allowRoot = false } = {}): string | undefined {
  const control = CONTROL.exec(path);
  if (control) return `contains a control character (U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')})`;
  if (path.includes('\\')) return 'contains a backslash; use `/`';
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return 'is absolute; paths are relative to the repository root';
  const normal = posix.normalize(path);
  if (normal === '..' || normal.startsWith('../')) return 'leaves the repository (`..`)';
  if (normal.split('/').includes('.git')) return 'has a `.git` component';
  if (!allowRoot && (normal === '.' || normal === './')) return 'names the repository root itself';
  return undefined;
}

/** The normalised form of a relative path (`a/./b/../c` is `a/c`), without a trailing slash; `/` stays `/`. */
export function normalizePath(path: string): string {
  return posix.normalize(path).replace(/(?<=.)\/+$/, '');
}

/** True when `a` and `b` are the same path or one lies inside the other. */
export function pathsOverlap(a: string, b: string): boolean {
  const x = normalizePath(a);
  const y = normalizePath(b);
  return x === y || x.startsWith(`${y}/`) || y.startsWith(`${x}/`);
}

/** A record's folder as a clean `/`-separated repository-relative path (no `./`, no trailing `/`). */
export function normaliseRecordDir(dir: string): string {
  return dir
    .split(/[\\/]+/)
    .filter((part) => part !== '' && part !== '.')
    .join('/');
}
