// flip: points the live storage pointer at a verified storage (default the candidate), keeping
// the previous target; flip --previous re-points to it. Both are idempotent.
import { join } from 'node:path';
import { merkleRoot, rootHex } from '../lib/merkle.js';
import { CANDIDATE } from '../lib/paths.js';
import { assertInside, LIVE_POINTER, PREVIOUS_POINTER, readPointer, writePointer } from '../lib/pointer.js';
import { moduleDigests, readJson } from '../lib/storage.js';

// Switches storage_live.json to options.to (or back to the previous target with options.previous).
export function flip(options, io) {
  const live = readPointer(LIVE_POINTER);
  if (options.previous) {
    const previous = readPointer(PREVIOUS_POINTER);
    if (previous === null) {
      io.stdout.write(`flip --previous: no previous storage recorded; ${LIVE_POINTER} unchanged (${live ?? 'nothing live'})\n`);
      return 0;
    }
    return switchTo(previous, live, io, { remember: false });
  }
  const target = options.to ?? CANDIDATE;
  assertInside(target, '--to');
  return switchTo(target, live, io, { remember: true });
}

function switchTo(target, live, io, { remember }) {
  if (target === live) {
    io.stdout.write(`flip: ${target} is already live; nothing to do\n`);
    return 0;
  }
  const problem = verifyStorage(target);
  if (problem) {
    io.stderr.write(`flip: refused, ${target} ${problem}; ${LIVE_POINTER} unchanged\n`);
    return 1;
  }
  // The previous pointer is written first: a crash in between leaves the old target live and remembered.
  if (remember && live !== null) writePointer(PREVIOUS_POINTER, live);
  writePointer(LIVE_POINTER, target);
  io.stdout.write(`flip: ${LIVE_POINTER} -> ${target} (was ${live ?? 'nothing'})\n`);
  return 0;
}

// Recomputes every module root of a storage against its run.json; returns a problem or null.
function verifyStorage(storage) {
  const { value: run, error } = readJson(join(storage, 'checksums', 'run.json'));
  if (error) return `has no readable checksums/run.json (${error})`;
  for (const [module, { root }] of Object.entries(run.modules ?? {})) {
    let actual;
    try {
      actual = merkleRoot(moduleDigests(join(storage, module)));
    } catch (readError) {
      return `cannot read module ${module} (${readError.message})`;
    }
    if (actual !== root) return `module ${module} does not match its recorded root`;
  }
  const roots = Object.fromEntries(Object.entries(run.modules ?? {}).map(([m, s]) => [m, rootHex(s.root)]));
  if (run.root !== merkleRoot(roots)) return 'has a run root that does not match its modules';
  return null;
}
