// The scheduler of a phase: needs honoured, the concurrency bound kept, written order first, errors after the running end.
import { describe, expect, it } from 'vitest';
import { runGraph } from '../../../src/run/schedule.js';

type Node = { id: string; needs: string[] };

/** Steps that end only when the test says so; records starts, ends and the most running at once. */
function controlled() {
  const log: string[] = [];
  const pending = new Map<string, { resolve: () => void; reject: (e: unknown) => void }>();
  let running = 0;
  let most = 0;
  const run = (node: Node) =>
    new Promise<void>((resolve, reject) => {
      running++;
      most = Math.max(most, running);
      log.push(`start ${node.id}`);
      pending.set(node.id, {
        resolve: () => {
          running--;
          log.push(`end ${node.id}`);
          resolve();
        },
        reject: (error) => {
          running--;
          log.push(`end ${node.id}`);
          reject(error);
        },
      });
    });
  /** Lets the microtasks of the scheduler run, then reports which steps are running. */
  const settle = async () => {
    for (let i = 0; i < 10; i++) await Promise.resolve();
    return [...pending.keys()].filter((id) => !log.includes(`end ${id}`));
  };
  const end = async (id: string) => {
    pending.get(id)!.resolve();
    return settle();
  };
  return { run, log, end, settle, pending, most: () => most };
}

const chain = (ids: string[]): Node[] => ids.map((id, i) => ({ id, needs: i ? [ids[i - 1]!] : [] }));

describe('runGraph', () => {
  it('runs a chain one at a time in its order, whatever the limit', async () => {
    const c = controlled();
    const done = runGraph(chain(['a', 'b', 'c']), 4, c.run);
    expect(await c.settle()).toEqual(['a']);
    expect(await c.end('a')).toEqual(['b']);
    expect(await c.end('b')).toEqual(['c']);
    await c.end('c');
    await done;
    expect(c.log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('starts independent steps together up to the limit, written order first, and a join after all it needs', async () => {
    const c = controlled();
    const nodes: Node[] = [
      { id: 'prep', needs: [] },
      { id: 'x', needs: ['prep'] },
      { id: 'y', needs: ['prep'] },
      { id: 'z', needs: ['prep'] },
      { id: 'join', needs: ['x', 'y', 'z'] },
    ];
    const done = runGraph(nodes, 2, c.run);
    expect(await c.end('prep')).toEqual(['x', 'y']);
    expect(await c.end('y')).toEqual(['x', 'z']);
    expect(await c.end('x')).toEqual(['z']); // join still waits for z
    expect(await c.end('z')).toEqual(['join']);
    await c.end('join');
    await done;
    expect(c.most()).toBe(2);
  });

  it('never runs more than the limit at once', async () => {
    const c = controlled();
    const nodes: Node[] = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id, needs: [] }));
    const done = runGraph(nodes, 3, c.run);
    expect(await c.settle()).toEqual(['a', 'b', 'c']);
    for (const id of ['b', 'a', 'c', 'd', 'e']) await c.end(id);
    await done;
    expect(c.most()).toBe(3);
    expect(c.log.indexOf('start d')).toBeGreaterThan(c.log.indexOf('end b'));
  });

  it('takes needs outside the phase as met', async () => {
    const c = controlled();
    const done = runGraph([{ id: 'a', needs: ['elsewhere'] }], 1, c.run);
    await c.end('a');
    await done;
  });

  it('after a step throws starts nothing new, waits for the running ones, then throws the error', async () => {
    const c = controlled();
    const nodes: Node[] = ['a', 'b', 'c'].map((id) => ({ id, needs: [] }));
    let settled = false;
    const done = runGraph(nodes, 2, c.run).finally(() => (settled = true));
    await c.settle();
    c.pending.get('a')!.reject(new Error('disk full'));
    expect(await c.settle()).toEqual(['b']);
    expect(settled).toBe(false);
    await c.end('b');
    await expect(done).rejects.toThrow('disk full');
    expect(c.log).not.toContain('start c');
  });

  it('refuses to wait for ever on steps that wait for each other', async () => {
    await expect(
      runGraph(
        [
          { id: 'a', needs: ['b'] },
          { id: 'b', needs: ['a'] },
        ],
        1,
        async () => {},
      ),
    ).rejects.toThrow('steps wait for each other: a, b');
  });
});
