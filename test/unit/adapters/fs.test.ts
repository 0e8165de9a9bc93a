import { describe, expect, it } from 'vitest';
import { eachLimit } from '../../../src/adapters/fs.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('eachLimit', () => {
  it('runs every item, never more than the limit at once', async () => {
    let running = 0;
    let most = 0;
    const done: number[] = [];
    await eachLimit([...Array(20).keys()], 3, async (i) => {
      running++;
      most = Math.max(most, running);
      await tick();
      done.push(i);
      running--;
    });
    expect(done.sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
    expect(most).toBe(3);
  });

  it('starts nothing new after a failure, lets the tasks under way finish, then throws the first failure', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const run = eachLimit([...Array(10).keys()], 2, async (i) => {
      started.push(i);
      await tick();
      if (i === 1) throw new Error('disk full');
      finished.push(i);
    });
    await expect(run).rejects.toThrow('disk full');
    expect(started).toEqual([0, 1, 2]); // 0 and 1 together; 0's worker took 2 before 1 failed
    expect(finished).toEqual([0, 2]);
  });

  it('does nothing for no items', async () => {
    await eachLimit([], 4, async () => {
      throw new Error('never called');
    });
  });
});
