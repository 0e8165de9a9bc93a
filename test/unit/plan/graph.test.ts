// The step graph: default needs keep the written order; cycles, ancestors and steps that may run together.
import { describe, expect, it } from 'vitest';
import { ancestorsOf, declaredNeeds, findCycle, unorderedPairs } from '../../../src/plan/graph.js';

describe('declaredNeeds', () => {
  it('makes a step without needs wait for the entry before it, and keeps written needs', () => {
    expect(declaredNeeds([{ id: 'a' }, { id: 'b' }, { id: 'c', needs: ['a'] }, { id: 'd', needs: [] }, { id: 'e' }])).toEqual([
      { id: 'a', needs: [] },
      { id: 'b', needs: ['a'] },
      { id: 'c', needs: ['a'] },
      { id: 'd', needs: [] },
      { id: 'e', needs: ['d'] },
    ]);
  });
});

describe('findCycle', () => {
  it('finds a cycle, starting at a step that needs the next one', () => {
    expect(
      findCycle([
        { id: 'a', needs: ['c'] },
        { id: 'b', needs: ['a'] },
        { id: 'c', needs: ['b'] },
      ]),
    ).toEqual(['a', 'c', 'b', 'a']);
    expect(findCycle([{ id: 'a', needs: ['a'] }])).toEqual(['a', 'a']);
  });

  it('finds none in a graph without one, and ignores unknown ids', () => {
    expect(
      findCycle([
        { id: 'a', needs: [] },
        { id: 'b', needs: ['a', 'nope'] },
        { id: 'c', needs: ['a', 'b'] },
      ]),
    ).toBeUndefined();
  });
});

describe('ancestorsOf and unorderedPairs', () => {
  const nodes = [
    { id: 'prep', needs: [] },
    { id: 'left', needs: ['prep'] },
    { id: 'right', needs: ['prep'] },
    { id: 'join', needs: ['left', 'right'] },
  ];

  it('gives every step waited for, directly or not', () => {
    const a = ancestorsOf(nodes);
    expect([...a.get('join')!].sort()).toEqual(['left', 'prep', 'right']);
    expect([...a.get('prep')!]).toEqual([]);
  });

  it('pairs only the steps neither of which waits for the other', () => {
    expect(unorderedPairs(nodes).map(([x, y]) => `${x.id}|${y.id}`)).toEqual(['left|right']);
    expect(unorderedPairs(declaredNeeds([{ id: 'a' }, { id: 'b' }, { id: 'c' }]))).toEqual([]);
  });
});
