// What `steps.<id>.outcome` says of a matrix step, from the outcomes of its shards.
import { describe, expect, it } from 'vitest';
import { matrixOutcomes } from '../../../src/run/phase-runner.js';
import { step } from '../record/fixture.js';

const shards = new Map([
  [
    'migrate',
    ['kurse', 'orte'].map((v, i) => step('steps', 1, `migrate[${v}]`, { index: i, matrix: { of: 'migrate', values: { module: v } } })),
  ],
  ['plain', [step('steps', 0, 'plain')]],
]);
const of = (kurse?: string, orte?: string) =>
  matrixOutcomes(shards, {
    ...(kurse ? { 'migrate[kurse]': { outcome: kurse } } : {}),
    ...(orte ? { 'migrate[orte]': { outcome: orte } } : {}),
    plain: { outcome: 'failure' },
  });

describe('matrixOutcomes', () => {
  it('is pending (absent) until every shard ended, unless one already failed', () => {
    expect(of('success')).toEqual({});
    expect(of(undefined, 'failure')).toEqual({ migrate: { outcome: 'failure' } });
  });

  it('is success when all ended and none failed, skipped only when all were skipped', () => {
    expect(of('success', 'skipped')).toEqual({ migrate: { outcome: 'success' } });
    expect(of('skipped', 'skipped')).toEqual({ migrate: { outcome: 'skipped' } });
    expect(of('success', 'interrupted')).toEqual({ migrate: { outcome: 'interrupted' } });
  });
});
