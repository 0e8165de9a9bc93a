// Reads the source system through the mappings: one list of target records a module, plus the
// findings about the source itself (missing tables or columns, unmapped columns, bad values).
import { readRows, tableColumns } from '../../../modules/shared/api/db/index.js';
import { finding } from './checks.js';
import { toRecord } from './mapping.js';

// Builds every module's records in memory; asOf (YYYY-MM-DD) keeps rows created on or before it.
export function buildModules(db, mappings, { asOf = null } = {}) {
  const modules = new Map();
  const findings = [];
  const sourceRows = {};
  for (const mapping of mappings) {
    const { module } = mapping;
    const table = mapping.source.table;
    const columns = tableColumns(db, table);
    if (columns === null) {
      findings.push(finding('BLOCKER', 'source', 'TABLE_MISSING', module, `source table ${table} does not exist`));
      modules.set(module, { mapping, records: [] });
      continue;
    }
    const mapped = new Set(mapping.fields.map((f) => f.from));
    for (const field of mapping.fields) {
      if (!columns.includes(field.from)) findings.push(finding('BLOCKER', 'source', 'COLUMN_MISSING', module, `${table}.${field.from} (for ${field.name}) does not exist`));
    }
    for (const column of columns.filter((c) => !mapped.has(c))) {
      // Dropping a column is a decision the mapping must state; an unmentioned one is a question.
      if ((mapping.dropped ?? []).includes(column)) {
        findings.push(finding('INFO', 'source', 'COLUMN_DROPPED', module, `${table}.${column} is dropped by the mapping`));
      } else if (column !== mapping.source.createdAt) {
        findings.push(finding('WARNING', 'source', 'COLUMN_UNMAPPED', module, `${table}.${column} is neither mapped nor declared dropped`));
      }
    }
    if (findings.some((f) => f.module === module && f.severity === 'BLOCKER')) {
      modules.set(module, { mapping, records: [] });
      continue;
    }
    const keyColumn = mapping.fields.find((f) => f.name === mapping.key).from;
    let rows = readRows(db, table, keyColumn);
    sourceRows[module] = rows.length;
    if (asOf !== null) {
      if (!columns.includes(mapping.source.createdAt ?? '')) {
        findings.push(finding('BLOCKER', 'source', 'AS_OF_UNSUPPORTED', module, `${table} has no creation column for --as-of`));
      } else {
        rows = rows.filter((row) => row[mapping.source.createdAt] <= asOf);
      }
    }
    const records = [];
    let normalised = 0;
    for (const row of rows) {
      const { record, problems } = toRecord(row, mapping);
      for (const p of problems) findings.push(finding('BLOCKER', 'source', p.code, module, `${table}[${row[keyColumn]}]: ${p.message}`));
      for (const field of mapping.fields.filter((f) => f.pii === 'email')) {
        const value = row[field.from];
        if (typeof value === 'string' && value !== value.trim().toLowerCase()) normalised += 1;
      }
      records.push(record);
    }
    if (normalised > 0) findings.push(finding('INFO', 'source', 'EMAIL_NORMALISED', module, `${normalised} e-mail address(es) trimmed and lower-cased before masking`));
    modules.set(module, { mapping, records });
  }
  return { modules, findings, sourceRows };
}
