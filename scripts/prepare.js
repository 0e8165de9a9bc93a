#!/usr/bin/env node
// npm's `prepare`: builds dist/ (the command line `bin` points at), which git does not hold.
//
// It matters when cutover is installed from a git URL: npm clones the repository, runs `npm install`
// in the clone (devDependencies included, so esbuild is there), which runs this, then packs the clone
// with dist/ in it. `npm pack` runs it too, so a packed tarball always holds a current build.
//
// It must cost nothing where it is not needed: `npm ci` in a checkout of this repository (CI, a
// contributor) skips it, since `npm test`, `npm run demo` and `npm run bench` build anyway; and a
// build newer than every file it is made from is not made again (npm runs `prepare` twice on a git
// install: once in the clone's `npm install`, once before packing).
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist/cli.js');
const sources = ['src', 'schemas', 'scripts/bundle.js', 'scripts/generate-validator.js', 'package.json', 'package-lock.json'];

/** The newest modification time (ms) of a file or of any file below a folder; 0 when it is absent. */
function newest(path) {
  const info = statSync(path, { throwIfNoEntry: false });
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

if (process.env.npm_command === 'ci') {
  console.error('cutover prepare: npm ci in a checkout; `npm run build` builds when needed');
} else if (newest(built) > Math.max(...sources.map((s) => newest(join(root, s))))) {
  console.error('cutover prepare: dist/ is current');
} else {
  // Through the npm that runs this script when there is one, so the build uses the same npm.
  const npm = process.env.npm_execpath;
  const [command, args] = npm ? [process.execPath, [npm, 'run', 'build']] : ['npm', ['run', 'build']];
  execFileSync(command, args, { cwd: root, stdio: 'inherit' });
}
