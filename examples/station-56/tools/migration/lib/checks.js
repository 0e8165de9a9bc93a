// Record-level checks shared by dry-run (records built in memory), migrate (refuses to write
// records that fail) and scan-all (records read back from storage): schema, foreign keys,
// invariants. Each returns findings { severity, check, code, module, message }.
import { hasType } from './mapping.js';

// Builds a finding.
export function finding(severity, check, code, module, message) {
  return { severity, check, code, module, message };
}

// Every record has exactly the mapped fields, with the declared types, required ones filled.
export function checkSchema(module, mapping, records) {
  const out = [];
  const expected = mapping.fields.map((f) => f.name);
  records.forEach((record, index) => {
    const where = `${module}[${record?.[mapping.key] ?? `#${index}`}]`;
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      out.push(finding('BLOCKER', 'schema', 'RECORD_NOT_OBJECT', module, `${where} is not an object`));
      return;
    }
    for (const key of Object.keys(record)) {
      if (!expected.includes(key)) out.push(finding('BLOCKER', 'schema', 'FIELD_UNKNOWN', module, `${where} has field ${key}, not in the mapping`));
    }
    for (const field of mapping.fields) {
      if (!(field.name in record)) {
        out.push(finding('BLOCKER', 'schema', 'FIELD_MISSING', module, `${where} lacks field ${field.name}`));
      } else if (record[field.name] === null) {
        if (field.required) out.push(finding('BLOCKER', 'schema', 'REQUIRED_MISSING', module, `${where}.${field.name} is required`));
      } else if (!hasType(record[field.name], field.type)) {
        out.push(finding('BLOCKER', 'schema', 'TYPE_MISMATCH', module, `${where}.${field.name} is not a ${field.type}`));
      }
    }
  });
  return out;
}

// Every foreign key value names an existing record of the referenced module.
export function checkForeignKeys(modules) {
  const out = [];
  for (const [module, { mapping, records }] of modules) {
    for (const fk of mapping.foreignKeys ?? []) {
      const target = modules.get(fk.module);
      if (!target) {
        out.push(finding('BLOCKER', 'foreignKeys', 'FK_MODULE_MISSING', module, `${fk.field} references module ${fk.module}, which is missing`));
        continue;
      }
      const keys = new Set(target.records.map((r) => r?.[target.mapping.key]));
      for (const record of records) {
        const value = record?.[fk.field];
        if (value !== null && value !== undefined && !keys.has(value)) {
          out.push(finding('BLOCKER', 'foreignKeys', 'FK_ORPHAN', module, `${module}[${record[mapping.key]}].${fk.field} = ${value} has no ${fk.module} record`));
        }
      }
    }
  }
  return out;
}

// The mapping's invariants hold, and each module's key is unique.
export function checkInvariants(modules) {
  const out = [];
  for (const [module, { mapping, records }] of modules) {
    out.push(...unique(module, records, { id: `${module}.key.unique`, fields: [mapping.key] }, mapping.key));
    for (const inv of mapping.invariants ?? []) {
      out.push(...checkInvariant(module, mapping, records, inv, modules));
    }
  }
  return out;
}

function checkInvariant(module, mapping, records, inv, modules) {
  const key = mapping.key;
  const broken = (record, what) => finding('BLOCKER', 'invariants', 'INVARIANT_BROKEN', module, `${inv.id}: ${module}[${record[key]}] ${what}`);
  switch (inv.kind) {
    case 'unique':
      return unique(module, records, inv, key);
    case 'range':
      return records
        .filter((r) => typeof r[inv.field] === 'number' && ((inv.min !== undefined && r[inv.field] < inv.min) || (inv.max !== undefined && r[inv.field] > inv.max)))
        .map((r) => broken(r, `${inv.field} = ${r[inv.field]} outside [${inv.min ?? '-inf'}, ${inv.max ?? 'inf'}]`));
    case 'enum':
      return records.filter((r) => r[inv.field] !== null && !inv.values.includes(r[inv.field])).map((r) => broken(r, `${inv.field} = ${JSON.stringify(r[inv.field])} not one of ${inv.values.join(', ')}`));
    case 'pattern': {
      const re = new RegExp(inv.regex);
      return records.filter((r) => typeof r[inv.field] === 'string' && !re.test(r[inv.field])).map((r) => broken(r, `${inv.field} = ${JSON.stringify(r[inv.field])} does not match ${inv.regex}`));
    }
    case 'implies':
      return records.filter((r) => matches(r, inv.if) && !matches(r, inv.then)).map((r) => broken(r, `matches ${JSON.stringify(inv.if)} but not ${JSON.stringify(inv.then)}`));
    case 'capacity': {
      const counted = modules.get(inv.counted.module);
      if (!counted) return [finding('BLOCKER', 'invariants', 'INVARIANT_MODULE_MISSING', module, `${inv.id}: module ${inv.counted.module} is missing`)];
      const counts = new Map();
      for (const r of counted.records) {
        if (matches(r, inv.counted.where ?? {})) counts.set(r[inv.counted.field], (counts.get(r[inv.counted.field]) ?? 0) + 1);
      }
      return records.filter((r) => (counts.get(r[key]) ?? 0) > r[inv.field]).map((r) => broken(r, `has ${counts.get(r[key])} ${inv.counted.module}, more than ${inv.field} = ${r[inv.field]}`));
    }
    default:
      return [finding('BLOCKER', 'invariants', 'INVARIANT_UNKNOWN', module, `${inv.id}: unknown kind ${inv.kind}`)];
  }
}

function unique(module, records, inv, key) {
  const seen = new Map();
  const out = [];
  for (const r of records) {
    const value = JSON.stringify(inv.fields.map((f) => r?.[f]));
    if (seen.has(value)) {
      out.push(finding('BLOCKER', 'invariants', 'INVARIANT_BROKEN', module, `${inv.id}: ${module}[${r[key]}] repeats ${inv.fields.join('+')} of ${module}[${seen.get(value)}]`));
    } else {
      seen.set(value, r?.[key]);
    }
  }
  return out;
}

function matches(record, where) {
  return Object.entries(where).every(([field, value]) => record[field] === value);
}

// Counts findings per severity, listing every severity asked for (zero included).
export function countFindings(findings, severities) {
  const counts = Object.fromEntries(severities.map((s) => [s, 0]));
  for (const f of findings) counts[f.severity] = (counts[f.severity] ?? 0) + 1;
  return counts;
}
