// Writes a command's summary.json (canonical JSON) and prints the human summary lines.
import { canonicalJson } from './canonical-json.js';
import { writeFileAtomic } from './files.js';

// Writes the summary to <dir>/summary.json and returns the path.
export function writeSummary(dir, summary) {
  const path = `${dir}/summary.json`;
  writeFileAtomic(path, canonicalJson(summary));
  return path;
}

// Prints the non-INFO findings, one line each, then the counts.
export function printFindings(io, title, counts, findings, path) {
  for (const f of findings.filter((x) => x.severity !== 'INFO')) {
    io.stdout.write(`  ${f.severity.padEnd(7)} ${f.check}/${f.code} ${f.module ?? '-'}: ${f.message}\n`);
  }
  const parts = Object.entries(counts).map(([severity, n]) => `${n} ${severity}`);
  io.stdout.write(`${title}: ${parts.join(', ')} (${path})\n`);
}
