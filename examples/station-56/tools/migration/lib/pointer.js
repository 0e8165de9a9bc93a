// The live storage pointer: storage_live.json says which storage the application reads;
// storage_live.previous.json remembers what it pointed at before the last flip.
import { canonicalJson } from './canonical-json.js';
import { writeFileAtomic } from './files.js';
import { readJson } from './storage.js';

export const LIVE_POINTER = 'storage_live.json';
export const PREVIOUS_POINTER = 'storage_live.previous.json';

// Reads a pointer file: the target path, or null when the file is absent.
export function readPointer(file) {
  const { value, error } = readJson(file);
  if (error === 'missing') return null;
  if (error) throw new Error(`${file}: ${error}`);
  if (typeof value?.target !== 'string') throw new Error(`${file}: "target" must be a path`);
  assertInside(value.target, file);
  return value.target;
}

// Points a pointer file at a storage path (temp file + rename, so readers never see half a file).
export function writePointer(file, target) {
  writeFileAtomic(file, canonicalJson({ target }));
}

// Refuses paths that leave the repository.
export function assertInside(path, what) {
  const parts = path.split(/[\\/]/);
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path) || parts.includes('..') || path === '') {
    throw new Error(`${what}: ${JSON.stringify(path)} must be a relative path inside the repository`);
  }
}
