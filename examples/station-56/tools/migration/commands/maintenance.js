// maintenance: freezes or reopens writes in the (mock) source system by writing its maintenance
// flag; dry-run warns while writes are open. Idempotent both ways.
import { canonicalJson } from '../lib/canonical-json.js';
import { writeFileAtomic } from '../lib/files.js';
import { MAINTENANCE_FILE } from '../lib/paths.js';
import { readJson } from '../lib/storage.js';

// Sets the flag (on: writes frozen, off: writes open) or prints it (status).
export function maintenance(options, io) {
  const current = readJson(MAINTENANCE_FILE).value?.writes ?? 'open';
  if (options.mode === 'status') {
    io.stdout.write(`maintenance: source writes ${current}\n`);
    return 0;
  }
  const writes = options.mode === 'on' ? 'frozen' : 'open';
  writeFileAtomic(MAINTENANCE_FILE, canonicalJson({ writes }));
  io.stdout.write(`maintenance: source writes ${writes}${current === writes ? ' (unchanged)' : ` (were ${current})`}\n`);
  return 0;
}
