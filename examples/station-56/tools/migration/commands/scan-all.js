// scan-all: checks a storage as written on disk: layout, schema, foreign keys, invariants, PII,
// checksums and Merkle roots. Exit 0 when there is no BLOCKER, 1 otherwise.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { openSourceDb, readRows } from '../../../modules/shared/api/db/index.js';
import { checkForeignKeys, checkInvariants, checkSchema, countFindings, finding } from '../lib/checks.js';
import { listFiles } from '../lib/files.js';
import { loadMappings, MASK_PATTERNS } from '../lib/mapping.js';
import { merkleRoot, rootHex } from '../lib/merkle.js';
import { CANDIDATE, LIVE_SCAN_REPORT, SCAN_REPORT } from '../lib/paths.js';
import { assertInside, LIVE_POINTER, readPointer } from '../lib/pointer.js';
import { printFindings, writeSummary } from '../lib/report.js';
import { moduleDigests, readJson, readModuleRecords, STORAGE_FORMAT } from '../lib/storage.js';

const CHECKS = ['layout', 'schema', 'foreignKeys', 'invariants', 'pii', 'checksums', 'merkle'];

// Scans the candidate, the live pointer's target (--live) or any storage (--storage PATH).
export async function scanAll(options, io) {
  let storage = options.storage ?? CANDIDATE;
  if (options.live) {
    storage = readPointer(LIVE_POINTER);
    if (storage === null) throw new Error(`${LIVE_POINTER} is missing: nothing is live`);
  }
  assertInside(storage, 'storage');
  const reportDir = options.out ?? (options.live ? LIVE_SCAN_REPORT : SCAN_REPORT);
  assertInside(reportDir, '--out');
  const mappings = loadMappings();
  const findings = [];
  const { modules, run } = loadStorage(storage, mappings, findings);
  if (modules.size > 0) {
    findings.push(...checkForeignKeys(modules), ...checkInvariants(modules));
    findings.push(...(await checkPii(modules)));
  }
  const counts = countFindings(findings, ['BLOCKER', 'WARNING']);
  const summary = {
    checks: Object.fromEntries(CHECKS.map((c) => [c, countFindings(findings.filter((f) => f.check === c), ['BLOCKER', 'WARNING'])])),
    command: 'scan-all',
    counts,
    findings,
    live: Boolean(options.live),
    modules: Object.fromEntries([...modules].map(([m, { records, root }]) => [m, { records: records.length, root }])),
    ok: counts.BLOCKER === 0,
    root: run?.root ?? null,
    runId: run?.runId ?? null,
    storage,
  };
  printFindings(io, `scan-all ${storage}`, counts, findings, writeSummary(reportDir, summary));
  return counts.BLOCKER === 0 ? 0 : 1;
}

// Reads run.json and every module, recording layout, schema, checksum and merkle findings.
function loadStorage(storage, mappings, findings) {
  const modules = new Map();
  const add = (severity, check, code, module, message) => findings.push(finding(severity, check, code, module, message));
  if (!existsSync(storage) || !statSync(storage).isDirectory()) {
    add('BLOCKER', 'layout', 'STORAGE_MISSING', null, `${storage} does not exist`);
    return { modules, run: null };
  }
  const { value: run, error } = readJson(join(storage, 'checksums', 'run.json'));
  if (error) add('BLOCKER', 'layout', 'RUN_MANIFEST_UNREADABLE', null, `checksums/run.json: ${error}`);
  else if (run.format !== STORAGE_FORMAT) add('BLOCKER', 'layout', 'FORMAT_UNKNOWN', null, `checksums/run.json format ${run.format}, expected ${STORAGE_FORMAT}`);
  const known = new Set(mappings.map((m) => m.module));
  for (const name of readdirSync(storage).sort()) {
    if (name !== 'checksums' && !known.has(name)) add('WARNING', 'layout', 'MODULE_UNKNOWN', name, `${storage}/${name} is not a mapped module`);
  }
  const roots = {};
  for (const mapping of mappings) {
    const { module } = mapping;
    const dir = join(storage, module);
    if (!existsSync(dir)) {
      add('BLOCKER', 'layout', 'MODULE_MISSING', module, `${dir} does not exist`);
      continue;
    }
    const { value: meta, error: metaError } = readJson(join(dir, 'meta.json'));
    if (metaError) {
      add('BLOCKER', 'layout', 'META_UNREADABLE', module, `meta.json: ${metaError}`);
      continue;
    }
    if (meta.mapping !== mapping.digest) add('WARNING', 'schema', 'MAPPING_REVISION', module, `built with mapping ${meta.mapping}, registry is ${mapping.digest}`);
    let records = [];
    try {
      records = readModuleRecords(dir, meta.pages);
    } catch (readError) {
      add('BLOCKER', 'schema', 'RECORDS_UNREADABLE', module, readError.message);
    }
    findings.push(...checkSchema(module, mapping, records));
    if (records.length !== meta.records) add('BLOCKER', 'schema', 'COUNT_MISMATCH', module, `meta.json says ${meta.records} records, pages hold ${records.length}`);
    if (run?.modules?.[module]?.records !== undefined && run.modules[module].records !== records.length) {
      add('BLOCKER', 'schema', 'COUNT_MISMATCH', module, `run.json says ${run.modules[module].records} records, pages hold ${records.length}`);
    }
    const root = checkModuleChecksums(dir, module, run, add);
    if (root) roots[module] = rootHex(root);
    modules.set(module, { mapping, records, root });
  }
  if (run?.modules && run.root !== merkleRoot(Object.fromEntries(Object.entries(run.modules).map(([m, s]) => [m, rootHex(s.root)])))) {
    add('BLOCKER', 'merkle', 'RUN_ROOT_MISMATCH', null, 'checksums/run.json root does not match its module roots');
  }
  return { modules, run };
}

// Recomputes every file digest and the module root; returns the recomputed root.
function checkModuleChecksums(dir, module, run, add) {
  const { value: merkle, error } = readJson(join(dir, 'checksums', 'merkle.json'));
  if (error) {
    add('BLOCKER', 'checksums', 'MERKLE_UNREADABLE', module, `checksums/merkle.json: ${error}`);
    return null;
  }
  const actual = moduleDigests(dir);
  const listed = merkle.files ?? {};
  for (const rel of Object.keys(actual)) {
    if (!(rel in listed)) add('BLOCKER', 'checksums', 'FILE_UNLISTED', module, `${rel} is not in checksums/merkle.json`);
    else if (listed[rel] !== actual[rel]) add('BLOCKER', 'checksums', 'CHECKSUM_MISMATCH', module, `${rel}: sha256 ${actual[rel]}, merkle.json says ${listed[rel]}`);
  }
  for (const rel of Object.keys(listed)) {
    if (!(rel in actual)) add('BLOCKER', 'checksums', 'FILE_MISSING', module, `${rel} is listed in checksums/merkle.json but missing`);
  }
  for (const rel of listFiles(join(dir, 'checksums'))) {
    if (rel !== 'merkle.json') add('WARNING', 'checksums', 'FILE_UNEXPECTED', module, `checksums/${rel} is not part of the layout`);
  }
  const root = merkleRoot(actual);
  if (merkle.root !== merkleRoot(listed)) add('BLOCKER', 'merkle', 'MERKLE_ROOT_MISMATCH', module, `checksums/merkle.json root does not match its own file list`);
  const recorded = run?.modules?.[module]?.root;
  if (recorded !== undefined && recorded !== root) add('BLOCKER', 'merkle', 'MODULE_ROOT_MISMATCH', module, `run.json root ${recorded}, recomputed ${root}`);
  return root;
}

// Personal fields hold only masked values, and no raw personal value of the source appears anywhere.
async function checkPii(modules) {
  const out = [];
  const raw = new Set();
  const db = await openSourceDb();
  try {
    for (const [, { mapping }] of modules) {
      const piiFields = mapping.fields.filter((f) => f.pii);
      if (piiFields.length === 0) continue;
      for (const row of readRows(db, mapping.source.table, mapping.fields.find((f) => f.name === mapping.key).from)) {
        for (const f of piiFields) {
          if (typeof row[f.from] === 'string') raw.add(row[f.from]).add(row[f.from].trim().toLowerCase());
        }
      }
    }
  } finally {
    db.close();
  }
  for (const [module, { mapping, records }] of modules) {
    const piiFields = mapping.fields.filter((f) => f.pii);
    for (const record of records) {
      const where = `${module}[${record?.[mapping.key]}]`;
      for (const f of piiFields) {
        const value = record?.[f.name];
        if (value !== null && value !== undefined && !MASK_PATTERNS[f.pii].test(String(value))) {
          out.push(finding('BLOCKER', 'pii', 'PII_NOT_MASKED', module, `${where}.${f.name} is not a masked value`));
        }
      }
      for (const [field, value] of Object.entries(record ?? {})) {
        if (typeof value !== 'string') continue;
        if (raw.has(value) || raw.has(value.trim().toLowerCase())) out.push(finding('BLOCKER', 'pii', 'PII_RAW_VALUE', module, `${where}.${field} holds a personal value of the source`));
        else if (value.includes('@') && !MASK_PATTERNS.email.test(value)) out.push(finding('BLOCKER', 'pii', 'PII_EMAIL', module, `${where}.${field} looks like an unmasked e-mail address`));
      }
    }
  }
  return out;
}

