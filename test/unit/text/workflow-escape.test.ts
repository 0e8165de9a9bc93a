// The workflow-command escapes, and plain log text that the runner can never read as a command.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeData, escapeLogText, escapeProperty, LINE_START, type LineState } from '../../../src/text/workflow-escape.js';

// The runner's reading of a log (actions/runner ActionCommand.TryParseV2 and TryParse): lines end
// at LF, CR or CRLF; a line is a command when, after .NET's TrimStart, it starts `::NAME` and holds
// a second `::`, or when `##[NAME]` occurs anywhere in it. NAME here is any non-empty name, a
// superset of the commands the runner knows, so the check is stricter than the runner.
function commandsIn(log: string): string[] {
  return log.split(/\r\n|\r|\n/).filter((line) => {
    const trimmed = line.replace(/^[\s\u0085]+/, '');
    const v2 = trimmed.startsWith('::') && /^::[^\s:]+(?: [^:]*)?::/.test(trimmed);
    const v1 = /##\[[^\]\s]+(?: [^\]]*)?\]/.test(line);
    return v2 || v1;
  });
}

/** Writes each piece as one write, carrying the line state as a stream does. */
function escapeWrites(pieces: string[]): string {
  let state: LineState = LINE_START;
  let out = '';
  for (const piece of pieces) {
    const escaped = escapeLogText(piece, state);
    out += escaped.text;
    state = escaped.state;
  }
  return out;
}

describe('escapeData and escapeProperty', () => {
  it('escape %, CR and LF in messages, and also : and , in properties', () => {
    expect(escapeData('50% done\r\nnext: a,b')).toBe('50%25 done%0D%0Anext: a,b');
    expect(escapeProperty('C:\\x,y%\n')).toBe('C%3A\\x%2Cy%25%0A');
    // Escaping `%` first: an already-escaped sequence is not mistaken for one on the way back.
    expect(escapeData('%0A')).toBe('%250A');
    expect(escapeProperty('%3A')).toBe('%253A');
  });

  it('round-trip through the runner’s unescaping', () => {
    // The runner's order (ActionCommand.UnescapeProperty / UnescapeData): the specific codes, then %25.
    const unescapeData = (s: string) => s.replaceAll('%0D', '\r').replaceAll('%0A', '\n').replaceAll('%25', '%');
    const unescapeProperty = (s: string) =>
      s.replaceAll('%0D', '\r').replaceAll('%0A', '\n').replaceAll('%3A', ':').replaceAll('%2C', ',').replaceAll('%25', '%');
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('%', '0', 'A', 'D', '3', '2', 'C', ':', ',', '\r', '\n', 'x') }), (value) => {
        expect(unescapeData(escapeData(value))).toBe(value);
        expect(unescapeProperty(escapeProperty(value))).toBe(value);
      }),
    );
  });
});

describe('escapeLogText', () => {
  it('defuses each kind of command line the runner reads', () => {
    const cases: [string[], string][] = [
      [['::error::PWNED'], '%3A:error::PWNED'],
      [['  \t::warning file=a::x'], '  \t%3A:warning file=a::x'],
      [['\u00a0\u0085::add-mask::x'], '\u00a0\u0085%3A:add-mask::x'],
      [['ok\n::error::x\n  ::notice::y'], 'ok\n%3A:error::x\n  %3A:notice::y'],
      [['x\r::error::y'], 'x%0D::error::y'],
      [['a ##[error]b'], 'a ##%5Berror]b'],
      [['100% of ::x'], '100%25 of ::x'],
      // Split across writes: the pair or the `##[` is finished by a later write.
      [[':', ':error::x'], ':%3Aerror::x'],
      [['  ', '::error::x'], '  %3A:error::x'],
      [['#', '#[error]x'], '##%5Berror]x'],
      [['##', '[error]x'], '##%5Berror]x'],
      [['done\n', '::error::x'], 'done\n%3A:error::x'],
      [['text ', '::error::x'], 'text ::error::x'], // not at a line start: the runner reads it as text
    ];
    for (const [writes, expected] of cases) expect(escapeWrites(writes), JSON.stringify(writes)).toBe(expected);
  });

  it('leaves no command in any text, however it is split into writes', () => {
    const unit = fc.constantFrom(':', '::', '#', '##[', '[', ']', ' ', '\t', '\u00a0', '\n', '\r', '%', 'error', 'x', '=', ',');
    fc.assert(
      fc.property(fc.array(fc.string({ unit, maxLength: 12 }), { minLength: 1, maxLength: 6 }), (pieces) => {
        const log = escapeWrites(pieces);
        expect(commandsIn(log)).toEqual([]);
        // Nothing is lost: the same lines, each readable by unescaping.
        expect(log.split('\n').length).toBe(pieces.join('').split('\n').length);
      }),
      { numRuns: 2000 },
    );
  });

  it('finds commands where the runner does (the checker itself can fail)', () => {
    expect(commandsIn('a\n::error::x\n  ::set-output name=a::b\nsee ##[warning]y\nplain :: text')).toEqual([
      '::error::x',
      '  ::set-output name=a::b',
      'see ##[warning]y',
    ]);
  });
});
