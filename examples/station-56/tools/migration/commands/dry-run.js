// dry-run: reads the source through the mappings and reports what migrate would meet, without
// writing any storage. Exit 0 whatever it finds; the plan decides what a finding means.
import { openSourceDb } from '../../../modules/shared/api/db/index.js';
import { checkForeignKeys, checkInvariants, countFindings, finding } from '../lib/checks.js';
import { loadMappings } from '../lib/mapping.js';
import { DRY_RUN_REPORT, MAINTENANCE_FILE } from '../lib/paths.js';
import { printFindings, writeSummary } from '../lib/report.js';
import { buildModules } from '../lib/source.js';
import { readJson } from '../lib/storage.js';

// Runs the dry-run and writes storage_reports/latest-dry-run/summary.json.
export async function dryRun(options, io) {
  const mappings = loadMappings();
  const db = await openSourceDb();
  try {
    const { modules, findings, sourceRows } = buildModules(db, mappings, { asOf: options.asOf });
    findings.push(...checkForeignKeys(modules), ...checkInvariants(modules));
    // A snapshot taken while the source still accepts writes may not match the cutover moment.
    if (readJson(MAINTENANCE_FILE).value?.writes !== 'frozen') {
      findings.push(finding('WARNING', 'source', 'SOURCE_WRITES_OPEN', null, `source writes are not frozen (${MAINTENANCE_FILE}); run "maintenance on" before the cutover`));
    }
    const counts = countFindings(findings, ['BLOCKER', 'WARNING', 'INFO']);
    const summary = {
      asOf: options.asOf,
      command: 'dry-run',
      counts,
      findings,
      modules: Object.fromEntries([...modules].map(([m, { mapping, records }]) => [m, { records: records.length, sourceRows: sourceRows[m] ?? 0, sourceTable: mapping.source.table }])),
      ok: counts.BLOCKER === 0,
      order: [...modules.keys()],
    };
    printFindings(io, 'dry-run', counts, findings, writeSummary(DRY_RUN_REPORT, summary));
    return 0;
  } finally {
    db.close();
  }
}
