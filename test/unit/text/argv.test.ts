import { quote } from 'shlex';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shellWords, splitCommand } from '../../../src/text/argv.js';

describe('splitCommand', () => {
  it('leaves shell operators as plain words', () => {
    expect(splitCommand('echo a; touch pwned')).toEqual({ argv: ['echo', 'a;', 'touch', 'pwned'] });
    expect(splitCommand('cat x | sh && rm -rf / > out # c')).toEqual({
      argv: ['cat', 'x', '|', 'sh', '&&', 'rm', '-rf', '/', '>', 'out', '#', 'c'],
    });
  });

  it('expands nothing', () => {
    expect(splitCommand('echo $HOME ~ *.json $(id) `id`')).toEqual({ argv: ['echo', '$HOME', '~', '*.json', '$(id)', '`id`'] });
  });

  it('honours quotes and backslashes', () => {
    expect(splitCommand(`node "tools/my cli.js" 'a b' c\\ d "" "say \\"hi\\""`)).toEqual({
      argv: ['node', 'tools/my cli.js', 'a b', 'c d', '', 'say "hi"'],
    });
  });

  it('reports an unclosed quote or a trailing backslash instead of guessing', () => {
    for (const run of ['echo "open', "echo 'open", 'echo \\']) {
      const result = splitCommand(run);
      expect(result).toHaveProperty('error');
      expect(result).not.toHaveProperty('argv');
    }
  });

  it('reports an empty command', () => {
    expect(splitCommand('   ')).toHaveProperty('error');
    expect(splitCommand('"" x')).toHaveProperty('error');
  });

  it('round-trips any argv quoted word by word', () => {
    const word = fc.string({ unit: 'grapheme', maxLength: 12 });
    fc.assert(
      fc.property(
        fc.tuple(
          word.filter((w) => w !== ''),
          fc.array(word, { maxLength: 6 }),
        ),
        ([name, rest]) => {
          const argv = [name, ...rest];
          expect(splitCommand(argv.map((w) => quote(w)).join(' '))).toEqual({ argv });
        },
      ),
    );
  });
});

describe('shellWords', () => {
  it('finds unquoted operators standing as words, with their offsets', () => {
    expect(shellWords('node a.js > out.txt')).toEqual([{ word: '>', index: 10 }]);
    expect(shellWords('a | b && c; d & e || f >> g < h 2>&1').map((w) => w.word)).toEqual(['|', '&&', '&', '||', '>>', '<', '2>&1']);
  });

  it('finds command substitution, bare or in double quotes, but not in single quotes', () => {
    expect(shellWords('node a.js --at $(date +%s)').map((w) => w.word)).toEqual(['$(date']);
    expect(shellWords('node a.js "$(date)" `id`').map((w) => w.word)).toEqual(['"$(date)"', '`id`']);
    expect(shellWords("node a.js '$(date)'")).toEqual([]);
  });

  it('passes operators that are quoted, escaped or part of a word, and ${{ }} expressions', () => {
    expect(shellWords(String.raw`node a.js '|' ">" \; a;b x>y`)).toEqual([]);
    expect(shellWords("node a.js ${{ env.A == 'x' && env.B }} --flag")).toEqual([]);
  });
});
