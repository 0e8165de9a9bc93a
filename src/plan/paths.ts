// Lexical checks of the paths a plan names: relative, inside the repository, no `.git` component.
import { posix } from 'node:path';
import picomatch from 'picomatch';

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

/** The folder, relative to the repository root, that `validate`, `changed` and `review` look for plans in. */
export const PLANS_DIR = 'plans';

/** A plan file's name: `.yaml` or `.yml`, in any case (its lock is named after it without that). */
export const PLAN_EXTENSION = /\.ya?ml$/i;

/** True for a repository-relative path of a plan under plans/: a YAML file, no hidden folder or file on the way. */
export function isPlanPath(path: string): boolean {
  const parts = path.split('/');
  return (
    parts[0] === PLANS_DIR && parts.length > 1 && parts.every((part) => part !== '' && !part.startsWith('.')) && PLAN_EXTENSION.test(path)
  );
}

/** Whether a path is matched by one of the glob patterns of the plan's registries or inputs (as freeze expands them). */
export function matchedByPatterns(path: string, patterns: readonly string[]): boolean {
  const target = normalizePath(path);
  // The options freeze's glob matches with: dot files included, `/` the only separator.
  return patterns.some((pattern) => normalizePath(pattern) === target || picomatch(pattern, { dot: true, posix: true })(target));
}
