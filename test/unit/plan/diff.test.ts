// What changed between two versions of a plan, step by step and key by key.
import { describe, expect, it } from 'vitest';
import { diffPlans, samePlan } from '../../../src/plan/diff.js';
import type { Plan } from '../../../src/plan/types.js';

const base: Plan = {
  apiVersion: 'cutover/v1',
  kind: 'Plan',
  metadata: { name: 'p' },
  spec: {
    registries: [{ name: 'm', paths: ['m/*.json'] }],
    steps: [
      { id: 'a', run: 'node a.js' },
      { id: 'b', run: 'node b.js' },
      { id: 'c', run: 'node c.js' },
    ],
    finally: [{ id: 'z', run: 'node z.js' }],
  },
};

describe('diffPlans', () => {
  it('finds nothing between a plan and itself', () => {
    expect(samePlan(diffPlans(base, structuredClone(base)))).toBe(true);
  });

  it('names added, removed and changed steps, a new order, and other keys', () => {
    const after: Plan = structuredClone(base);
    after.metadata.description = 'now described';
    after.spec.window = { notAfter: '2030-01-01T00:00:00Z' };
    after.spec.steps = [
      { id: 'c', run: 'node c.js' },
      { id: 'a', run: 'node a.js --fast' },
      { id: 'd', run: 'node d.js' },
    ];
    after.spec.rollback = [{ id: 'back', run: 'node back.js' }];
    const diff = diffPlans(base, after);
    expect(diff).toEqual({
      added: ['steps/d', 'rollback/back'],
      removed: ['steps/b'],
      changed: ['steps/a'],
      reordered: ['steps'],
      settings: ['metadata.description', 'spec.window'],
    });
    expect(samePlan(diff)).toBe(false);
  });
});
