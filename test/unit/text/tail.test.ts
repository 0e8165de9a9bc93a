// The last lines of a log as a failure shows them: bounded, printable, whole lines only.
import { describe, expect, it } from 'vitest';
import { lastLines, TAIL_LINES } from '../../../src/text/tail.js';

describe('lastLines', () => {
  it('keeps the last 20 lines and drops trailing blank ones', () => {
    const text = `${Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join('\n')}\n\n\n`;
    const lines = lastLines(text, true);
    expect(lines).toHaveLength(TAIL_LINES);
    expect(lines[0]).toBe('line 11');
    expect(lines.at(-1)).toBe('line 30');
  });

  it('drops the first line of a text read from the middle of a log: it may start mid-line', () => {
    expect(lastLines('ial line\nsecond\nthird\n', false)).toEqual(['second', 'third']);
    expect(lastLines('ial line\nsecond\nthird\n', true)).toEqual(['ial line', 'second', 'third']);
  });

  it('removes colours, cursor moves and control characters, and keeps what a \\r-redrawn line drew last', () => {
    expect(lastLines('\x1b[31mred\x1b[0m and \x1b]0;title\x07plain\x07\n', true)).toEqual(['red and plain']);
    expect(lastLines('progress 10%\rprogress 50%\rprogress 100%\r\n', true)).toEqual(['progress 100%']);
    expect(lastLines('tab\tkept\n', true)).toEqual(['tab\tkept']);
  });

  it('cuts a very long line', () => {
    const [line] = lastLines(`${'x'.repeat(10_000)}\n`, true);
    expect([...line!].length).toBe(501);
    expect(line!.endsWith('…')).toBe(true);
  });
});
