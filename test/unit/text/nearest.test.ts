// "Did you mean": edit distance with swaps, and a suggestion only when it is near enough.
import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance, nameHint, nearest } from '../../../src/text/nearest.js';

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and swaps of neighbours as one edit each', () => {
    expect(editDistance('timout', 'timeout')).toBe(1);
    expect(editDistance('timeoutt', 'timeout')).toBe(1);
    expect(editDistance('tineout', 'timeout')).toBe(1);
    expect(editDistance('mirgate', 'migrate')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });
});

describe('nearest', () => {
  const keys = ['timeout', 'retries', 'produces', 'expect', 'env', 'exitCode'];

  it('finds the key a typo was meant to be, letter case aside', () => {
    expect(nearest('timout', keys)).toBe('timeout');
    expect(nearest('exitcode', keys)).toBe('exitCode');
    expect(nearest('produce', keys)).toBe('produces');
  });

  it('suggests nothing when nothing is near', () => {
    expect(nearest('concurrency', keys)).toBeUndefined();
    expect(nearest('xy', keys)).toBeUndefined();
  });

  it('words the hint', () => {
    expect(didYouMean('timout', keys)).toBe('did you mean "timeout"?');
    expect(nameHint('zzz', ['a', 'b'], 'step ids')).toBe('the step ids are a, b');
    expect(nameHint('zzz', [], 'step ids')).toBe('there are no step ids');
  });
});
