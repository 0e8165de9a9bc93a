// clean: removes the candidate storage (and any half-built one) and the latest reports: the
// portable form of `rm -rf storage_candidate/v1 storage_reports/latest-*`.
import { existsSync, readdirSync } from 'node:fs';
import { removeIfEmpty, removePath } from '../lib/files.js';
import { CANDIDATE } from '../lib/paths.js';

// Removes build outputs; --candidate-only keeps the reports.
export function clean(options, io) {
  const removed = [];
  const remove = (path) => {
    if (existsSync(path)) removed.push(path);
    removePath(path);
  };
  for (const path of [CANDIDATE, 'storage_candidate/.v1.partial', 'storage_candidate/.v1.replaced']) remove(path);
  removeIfEmpty('storage_candidate');
  if (!options.candidateOnly && existsSync('storage_reports')) {
    for (const name of readdirSync('storage_reports').filter((n) => n.startsWith('latest-')).sort()) remove(`storage_reports/${name}`);
    removeIfEmpty('storage_reports');
  }
  io.stdout.write(removed.length > 0 ? `clean: removed ${removed.join(', ')}\n` : 'clean: nothing to remove\n');
  return 0;
}
