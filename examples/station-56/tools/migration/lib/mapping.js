// Mapping registries (migration/mapping/<module>.json): which source table feeds a module, how
// columns become target fields, which fields are personal data and which invariants must hold.
import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { canonicalJson } from './canonical-json.js';
import { sha256Hex } from './merkle.js';

export const MAPPING_DIR = 'migration/mapping';
const TYPES = new Set(['integer', 'string', 'date', 'boolean']);
const PII_MASKS = new Set(['hash', 'email']);
const INVARIANT_KINDS = new Set(['unique', 'range', 'enum', 'pattern', 'capacity', 'implies']);

// Masked values have these shapes; scan-all accepts nothing else in a PII field.
export const MASK_PATTERNS = {
  hash: /^anon:[0-9a-f]{16}$/,
  email: /^[0-9a-f]{16}@masked\.invalid$/,
};

// Reads every mapping, validates its shape and returns them in dependency order.
export function loadMappings(dir = MAPPING_DIR) {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  if (files.length === 0) throw new Error(`${dir}: no mapping registries found`);
  const mappings = files.map((file) => {
    const path = `${dir}/${file}`;
    let mapping;
    try {
      mapping = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      throw new Error(`${path}: not valid JSON (${error.message})`);
    }
    const problems = validateMapping(mapping, file.slice(0, -'.json'.length));
    if (problems.length > 0) throw new Error(`${path}: ${problems.join('; ')}`);
    return { ...mapping, digest: `sha256:${sha256Hex(canonicalJson(mapping))}` };
  });
  return orderByDependencies(mappings);
}

function validateMapping(m, expectedModule) {
  const problems = [];
  if (m?.module !== expectedModule) problems.push(`module must be "${expectedModule}" (the file name)`);
  if (typeof m?.source?.table !== 'string') problems.push('source.table must be a string');
  if (!Array.isArray(m?.fields) || m.fields.length === 0) return [...problems, 'fields must be a non-empty list'];
  const names = new Set();
  for (const f of m.fields) {
    if (typeof f.name !== 'string' || typeof f.from !== 'string') problems.push('each field needs name and from');
    if (names.has(f.name)) problems.push(`field ${f.name} is listed twice`);
    names.add(f.name);
    if (!TYPES.has(f.type)) problems.push(`field ${f.name}: unknown type ${f.type}`);
    if (f.pii !== undefined && !PII_MASKS.has(f.pii)) problems.push(`field ${f.name}: unknown pii mask ${f.pii}`);
    if (f.pii !== undefined && typeof m.pii?.salt !== 'string') problems.push(`field ${f.name}: pii needs pii.salt`);
  }
  if (!names.has(m.key)) problems.push(`key ${m.key} is not a field`);
  for (const fk of m.foreignKeys ?? []) {
    if (!names.has(fk.field)) problems.push(`foreign key ${fk.field} is not a field`);
  }
  for (const inv of m.invariants ?? []) {
    if (!INVARIANT_KINDS.has(inv.kind)) problems.push(`invariant ${inv.id}: unknown kind ${inv.kind}`);
  }
  return problems;
}

// Modules that others reference come first; ties keep file-name order.
function orderByDependencies(mappings) {
  const byModule = new Map(mappings.map((m) => [m.module, m]));
  const ordered = [];
  const state = new Map();
  const visit = (m, trail) => {
    if (state.get(m.module) === 'done') return;
    if (state.get(m.module) === 'visiting') throw new Error(`mapping foreign keys form a cycle: ${[...trail, m.module].join(' -> ')}`);
    state.set(m.module, 'visiting');
    for (const fk of m.foreignKeys ?? []) {
      const target = byModule.get(fk.module);
      if (!target) throw new Error(`${MAPPING_DIR}/${m.module}.json: foreign key ${fk.field} references unknown module ${fk.module}`);
      visit(target, [...trail, m.module]);
    }
    state.set(m.module, 'done');
    ordered.push(m);
  };
  for (const m of mappings) visit(m, []);
  return ordered;
}

// Masks a personal value deterministically: HMAC-SHA256 keyed with the module's salt.
export function maskValue(kind, value, salt) {
  const normalised = kind === 'email' ? value.trim().toLowerCase() : value;
  const digest = createHmac('sha256', salt).update(normalised, 'utf8').digest('hex').slice(0, 16);
  return kind === 'email' ? `${digest}@masked.invalid` : `anon:${digest}`;
}

// Turns a source row into a target record; problems name each value that cannot be converted.
export function toRecord(row, mapping) {
  const record = {};
  const problems = [];
  for (const field of mapping.fields) {
    const raw = row[field.from];
    if (raw === null || raw === undefined) {
      if (field.required) problems.push({ field: field.name, code: 'REQUIRED_MISSING', message: `${field.from} is empty` });
      record[field.name] = null;
      continue;
    }
    const converted = convert(raw, field.type);
    if (converted === undefined) {
      problems.push({ field: field.name, code: 'VALUE_INVALID', message: `${field.from} = ${JSON.stringify(raw)} is not a valid ${field.type}` });
      record[field.name] = null;
      continue;
    }
    record[field.name] = field.pii ? maskValue(field.pii, converted, mapping.pii.salt) : converted;
  }
  return { record, problems };
}

function convert(raw, type) {
  switch (type) {
    case 'integer':
      return Number.isInteger(raw) ? raw : undefined;
    case 'string':
      return typeof raw === 'string' ? raw : undefined;
    case 'date':
      return typeof raw === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(raw) && !Number.isNaN(Date.parse(raw)) ? raw : undefined;
    case 'boolean':
      return raw === 0 || raw === 1 ? raw === 1 : undefined;
    default:
      return undefined;
  }
}

// True when a target value has the declared type.
export function hasType(value, type) {
  switch (type) {
    case 'integer':
      return Number.isInteger(value);
    case 'string':
      return typeof value === 'string';
    case 'date':
      return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value);
    case 'boolean':
      return typeof value === 'boolean';
    default:
      return false;
  }
}
