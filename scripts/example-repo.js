// Copies an example into a fresh git repository, as the demo and the end-to-end tests start from.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The examples that ship with cutover, each with the plan the demo runs. */
export const EXAMPLES = {
  'station-56': 'plans/station-56-cutover.yaml',
  'event-log': 'plans/event-log-cutover.yaml',
};

/** The built CLI. */
export const CLI = join(root, 'dist/cli.js');

/**
 * Copies examples/NAME into a new temporary git repository with a local identity and one commit;
 * `node_modules` links to cutover's own so the example's sql.js resolves (and is git-ignored).
 */
export function createExampleRepo(name, { parent = tmpdir() } = {}) {
  const source = join(root, 'examples', name);
  if (!existsSync(source)) throw new Error(`no example named ${name}; have ${Object.keys(EXAMPLES).join(', ')}`);
  const dir = mkdtempSync(join(parent, `cutover-${name}-`));
  for (const entry of readdirSync(source)) {
    if (entry === 'node_modules') continue;
    cpSync(join(source, entry), join(dir, entry), { recursive: true });
  }
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  const git = (...args) => execFileSync('git', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  git('init', '-q', '-b', 'main');
  git('config', 'user.name', 'Cutover Demo Operator');
  git('config', 'user.email', 'operator@cutover.invalid');
  git('config', 'commit.gpgSign', 'false');
  git('add', '-A');
  git('commit', '-q', '-m', `${name}: the example repository`);
  return dir;
}
