// Temp copies of the example repositories, with node_modules linked to cutover's own (so
// `import initSqlJs from 'sql.js'` resolves), and a runner for their CLIs as real processes.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const EXAMPLES = path.resolve(here, '../../examples');
const NODE_MODULES = path.resolve(here, '../../node_modules');

/** Output of one finished process. */
export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Copies examples/<name> into a fresh temp dir (removed when the test ends) and returns its path. */
export function copyExample(name: string, onTestFinished: (fn: () => void) => void): string {
  const source = path.join(EXAMPLES, name);
  const ignored = ignoredTopLevel(source);
  const dir = mkdtempSync(path.join(tmpdir(), `cutover-example-${name}-`));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  for (const entry of readdirSync(source)) {
    // Outputs of someone running the example by hand are not part of the example.
    if (ignored.some((re) => re.test(entry))) continue;
    cpSync(path.join(source, entry), path.join(dir, entry), { recursive: true });
  }
  symlinkSync(NODE_MODULES, path.join(dir, 'node_modules'), 'junction');
  return dir;
}

// Top-level names the example's .gitignore excludes (simple patterns: a name, `*` wildcards).
function ignoredTopLevel(source: string): RegExp[] {
  const lines = readFileSync(path.join(source, '.gitignore'), 'utf8').split('\n');
  return lines
    .map((line) => line.trim().replace(/\/$/, ''))
    .filter((line) => line !== '' && !line.startsWith('#') && !line.includes('/'))
    .map(
      (line) =>
        new RegExp(
          `^${line
            .split('*')
            .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
            .join('.*')}$`,
        ),
    );
}

/** Runs `node SCRIPT ARGS…` in cwd with the given extra env (MIGRATE_* from the outer env removed). */
export function runNode(cwd: string, script: string, args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('MIGRATE_')));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { cwd, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** sha256 of every regular file below dir, keyed by `/`-separated relative path. */
export function treeDigests(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const name of readdirSync(path.join(dir, rel)).sort()) {
      const child = rel ? `${rel}/${name}` : name;
      if (lstatSync(path.join(dir, child)).isDirectory()) walk(child);
      else
        out[child] = createHash('sha256')
          .update(readFileSync(path.join(dir, child)))
          .digest('hex');
    }
  };
  walk('');
  return out;
}

/** Reads and parses a JSON file of a repository copy. */
export function readJson<T = any>(repo: string, file: string): T {
  return JSON.parse(readFileSync(path.join(repo, file), 'utf8')) as T;
}

/** Rewrites a JSON file of a repository copy through a function. */
export function editJson<T = any>(repo: string, file: string, edit: (value: T) => void): void {
  const value = readJson<T>(repo, file);
  edit(value);
  writeFileSync(path.join(repo, file), `${JSON.stringify(value, null, 2)}\n`);
}

/** True when a path exists in the repository copy. */
export function exists(repo: string, file: string): boolean {
  try {
    lstatSync(path.join(repo, file));
    return true;
  } catch {
    return false;
  }
}
