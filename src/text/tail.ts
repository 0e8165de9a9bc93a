// The end of a text: the last lines of a log, as a reader looking for why something failed wants them.

/** The last `count` lines of `text` (a final line break does not count as an empty last line). */
export function tailLines(text: string, count: number): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return count > 0 ? lines.slice(-count) : [];
}
