// Shared knobs of the hardening suite: bounded in CI, longer with CUTOVER_SOAK=1, seeds that can be replayed.

/** True when the long soak mode is on (`npm run test:soak`). */
export const SOAK = process.env.CUTOVER_SOAK === '1';

/**
 * The base seed of a file's random choices: CUTOVER_SEED replays a failure, otherwise a fresh one
 * each run (every failure message names the seed it used).
 */
export function baseSeed(): number {
  const given = process.env.CUTOVER_SEED;
  if (given !== undefined && given !== '') return Number(given) | 0;
  return (Date.now() ^ (process.pid << 16)) | 0;
}

/** A small seeded PRNG (mulberry32): the same seed gives the same choices on every machine. */
export function rng(seed: number): { next(): number; int(lo: number, hi: number): number; pick<T>(items: readonly T[]): T } {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (items) => items[Math.floor(next() * items.length)] as (typeof items)[number],
  };
}

/** Prints one line of figures for the soak report (stderr, so vitest shows it beside the test). */
export function figures(file: string, text: string): void {
  process.stderr.write(`[hardening ${file}] ${text}\n`);
}
