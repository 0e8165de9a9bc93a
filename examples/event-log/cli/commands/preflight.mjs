// migration-preflight: prints the preflight report; exit 1 when any check fails.
import { canonicalJson } from '../lib/json.mjs';
import { preflight } from '../lib/preflight.mjs';

// Runs the preflight checks for --from, --to, --events and --migration.
export function migrationPreflight(options, io) {
  const { report } = preflight(options);
  io.stdout.write(canonicalJson(report));
  return report.ok ? 0 : 1;
}
