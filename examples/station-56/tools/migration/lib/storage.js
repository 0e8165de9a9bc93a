// The storage layout migrate writes and scan-all, flip and smoke read:
//
//   <storage>/<module>/meta.json               module, source table, fields, record count, mapping digest
//   <storage>/<module>/records/0001.json ...   records sorted by key, PAGE_SIZE a page, canonical JSON
//   <storage>/<module>/checksums/merkle.json   sha256 of every other file of the module + Merkle root
//   <storage>/checksums/run.json               runId, per-module record counts and roots, run root
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { canonicalJson } from './canonical-json.js';
import { listFiles, pathExists, removeIfEmpty, removePath, writeFileAtomic } from './files.js';
import { merkleRoot, rootHex, sha256Hex } from './merkle.js';

export const PAGE_SIZE = 10;
export const STORAGE_FORMAT = 'station-56/storage-v1';

// Thrown by MIGRATE_FAIL_AFTER_MODULE: the failure drill.
export class InjectedFailure extends Error {}

// Writes a complete storage to outDir, or nothing at all: it is built in a hidden sibling
// directory and renamed into place only when every module has been written.
export function writeStorage(outDir, modules, { runId, asOf, failAfterModule }) {
  const parent = dirname(outDir);
  const parentExisted = existsSync(parent);
  const partial = join(parent, `.${basename(outDir)}.partial`);
  const replaced = join(parent, `.${basename(outDir)}.replaced`);
  removePath(partial);
  mkdirSync(partial, { recursive: true });
  try {
    const summary = {};
    for (const [module, { mapping, records }] of modules) {
      summary[module] = writeModule(join(partial, module), mapping, records);
      if (module === failAfterModule) throw new InjectedFailure(`injected failure after module ${module} (MIGRATE_FAIL_AFTER_MODULE)`);
    }
    const roots = Object.fromEntries(Object.entries(summary).map(([m, s]) => [m, rootHex(s.root)]));
    const run = { asOf, format: STORAGE_FORMAT, modules: summary, order: [...modules.keys()], root: merkleRoot(roots), runId };
    writeFileAtomic(join(partial, 'checksums', 'run.json'), canonicalJson(run));
    // Swap in: the old storage (a rerun) is moved aside first and removed only after the rename.
    if (pathExists(outDir)) renameSync(outDir, replaced);
    renameSync(partial, outDir);
    removePath(replaced);
    return run;
  } catch (error) {
    removePath(partial);
    if (!parentExisted) removeIfEmpty(parent);
    throw error;
  }
}

function writeModule(dir, mapping, records) {
  const sorted = [...records].sort((a, b) => compareKeys(a[mapping.key], b[mapping.key]));
  const pages = [];
  for (let i = 0; i < sorted.length; i += PAGE_SIZE) pages.push(sorted.slice(i, i + PAGE_SIZE));
  const files = {
    'meta.json': canonicalJson({
      fields: mapping.fields.map((f) => f.name),
      key: mapping.key,
      mapping: mapping.digest,
      module: mapping.module,
      pages: pages.length,
      records: sorted.length,
      sourceTable: mapping.source.table,
    }),
  };
  pages.forEach((page, i) => {
    files[`records/${String(i + 1).padStart(4, '0')}.json`] = canonicalJson(page);
  });
  const digests = {};
  for (const [rel, text] of Object.entries(files)) {
    writeFileAtomic(join(dir, rel), text);
    digests[rel] = sha256Hex(text);
  }
  const merkle = { algorithm: 'rfc6962-sha256/sha256sum-lines', files: digests, module: mapping.module, root: merkleRoot(digests) };
  writeFileAtomic(join(dir, 'checksums', 'merkle.json'), canonicalJson(merkle));
  return { records: sorted.length, root: merkle.root };
}

function compareKeys(a, b) {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return Buffer.compare(Buffer.from(String(a)), Buffer.from(String(b)));
}

// Reads a JSON file; returns { value } or { error }.
export function readJson(path) {
  try {
    return { value: JSON.parse(readFileSync(path, 'utf8')) };
  } catch (error) {
    return { error: error.code === 'ENOENT' ? 'missing' : error.message };
  }
}

// Lists a module's data files (everything but checksums/) with their sha256.
export function moduleDigests(moduleDir) {
  const digests = {};
  for (const rel of listFiles(moduleDir)) {
    if (!rel.startsWith('checksums/')) digests[rel] = sha256Hex(readFileSync(join(moduleDir, rel)));
  }
  return digests;
}

// Loads a module's records page by page, in page order.
export function readModuleRecords(moduleDir, pages) {
  const records = [];
  for (let i = 1; i <= pages; i += 1) {
    const rel = `records/${String(i).padStart(4, '0')}.json`;
    const { value, error } = readJson(join(moduleDir, rel));
    if (error) throw new Error(`${join(moduleDir, rel)}: ${error}`);
    if (!Array.isArray(value)) throw new Error(`${join(moduleDir, rel)}: not a list of records`);
    records.push(...value);
  }
  return records;
}
