// "Did you mean": the known name nearest to a mistyped one (a key, a step id), when it is near enough.

/**
 * Edit distance of two strings: insertions, deletions, substitutions and swaps of two neighbouring
 * characters each count one (optimal string alignment), so `timout`→`timeout` and `mirgate`→`migrate`
 * are one edit away.
 */
export function editDistance(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  // Three rows suffice: the swap looks two rows back.
  let before: number[] = [];
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let best = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) best = Math.min(best, before[j - 2]! + 1);
      current.push(best);
    }
    before = previous;
    previous = current;
  }
  return previous[y.length]!;
}

/**
 * The candidate nearest to `word` (letter case ignored), or undefined when none is within a third of
 * the word's length (at least one edit): a suggestion must look like what was meant, not just exist.
 */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  const limit = Math.max(1, Math.floor([...word].length / 3));
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    if (name === word) continue;
    const distance = editDistance(lower, name.toLowerCase());
    if (distance <= limit && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

/** `did you mean "x"?` for a mistyped name, or undefined when nothing is near. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const found = nearest(word, candidates);
  return found === undefined ? undefined : `did you mean ${JSON.stringify(found)}?`;
}

/** A hint for a name that is not one of `known`: the nearest one, or the list of them (`the step ids are …`). */
export function nameHint(word: string, known: readonly string[], plural: string): string {
  return didYouMean(word, known) ?? (known.length ? `the ${plural} are ${known.join(', ')}` : `there are no ${plural}`);
}
