// The last lines of a step's output, as a failure shows them: a bounded number of printable lines.

/** How many lines of a failed step's output are shown with its failure. */
export const TAIL_LINES = 20;
/** How much of a log's end is read to find its last lines. */
export const TAIL_BYTES = 64 * 1024;
/** A longer line is cut here (characters): the full log holds it whole. */
const TAIL_WIDTH = 500;

/**
 * The last `count` non-blank-ended lines of a text read from the end of a log. When the text is not
 * the whole log its first line may start mid-line (or mid-character) and is dropped. Each line is
 * made printable: terminal escape sequences and control characters go, a line redrawn with `\r`
 * keeps what was drawn last, and a very long line is cut.
 */
export function lastLines(text: string, whole: boolean, count = TAIL_LINES): string[] {
  const lines = text.split('\n');
  if (!whole) lines.shift();
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  return lines.slice(-count).map(printable);
}

function printable(line: string): string {
  const drawn = line.replace(/\r+$/, '').split('\r').pop() ?? '';
  // CSI (colours, cursor moves) and OSC (titles, links) sequences, then any control character but tab.
  // eslint-disable-next-line no-control-regex
  const plain = drawn
    .replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '')
    .replace(/\x1b\][^\x07\x1b]*(\x07|\x1b\\)/g, '')
    .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
  const chars = [...plain];
  return chars.length > TAIL_WIDTH ? `${chars.slice(0, TAIL_WIDTH).join('')}…` : plain;
}
