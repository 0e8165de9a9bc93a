#!/usr/bin/env node
// `npm run bench [NAME…]`: runs bench/*.bench.js (or the named ones) one after another, each in its own process.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
// The latency-bound benchmarks first: the write-heavy ones (commit, hash) leave gigabytes for the
// kernel to write back, which slows every fsync and file creation for a while after them.
const ORDER = ['validate', 'run', 'window', 'parallel', 'commit', 'hash', 'soak'];
const rank = (f) => ORDER.indexOf(f.replace(/\.bench\.js$/, '')) + 1 || ORDER.length + 1;
const all = readdirSync(here)
  .filter((f) => f.endsWith('.bench.js'))
  .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
const chosen = wanted.length ? all.filter((f) => wanted.some((w) => f.startsWith(w))) : all;
if (chosen.length === 0) {
  console.error(`no benchmark matches ${wanted.join(', ')}; have: ${all.join(', ')}`);
  process.exit(2);
}
let failed = 0;
for (const file of chosen) {
  console.log(`\n# ${file}`);
  const result = spawnSync(process.execPath, [join(here, file)], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
console.log(`\n${chosen.length - failed} of ${chosen.length} benchmarks met their targets`);
process.exit(failed ? 1 : 0);
