// The ledger of step ends: journaled, emitted, masked, boundaries, and the failure conditions read.
import { describe, expect, it } from 'vitest';
import type { RunEvent, StepRecord } from '../../../src/run/events.js';
import type { JournalEntry } from '../../../src/run/journal.js';
import { Ledger } from '../../../src/run/ledger.js';
import { notRun } from '../../../src/run/step-record.js';
import { step } from '../record/fixture.js';

function ledgerWithSinks(previous?: ConstructorParameters<typeof Ledger>[1]) {
  const journal: JournalEntry[] = [];
  const events: RunEvent[] = [];
  const ledger = new Ledger(
    { journal: { append: (e) => journal.push(e) }, emit: (e) => events.push(e), mask: (t) => t.replaceAll('s3cret', '***') },
    previous,
  );
  return { ledger, journal, events };
}

/** A successful step record (no reason), ended at a fixed time. */
function success(id: string, extra: Partial<StepRecord> = {}): StepRecord {
  const { reason: _none, ...record } = notRun(step('steps', 0, id), 'success', '');
  return { ...record, attempts: 1, endedAt: '2026-01-01T00:00:02.000Z', ...extra };
}

describe('Ledger', () => {
  it('journals and emits a step end with its reason masked, and records a boundary on success', () => {
    const { ledger, journal, events } = ledgerWithSinks();
    ledger.end({ ...notRun(step('steps', 0, 'a'), 'failure', 'saw s3cret'), continueOnError: true });
    ledger.end(success('b', { boundary: 'paused' }));
    expect(journal.map((e) => e.type)).toEqual(['step-end', 'step-end', 'boundary']);
    expect((journal[0] as Extract<JournalEntry, { type: 'step-end' }>).step.reason).toBe('saw ***');
    expect(events.map((e) => (e.type === 'step-end' ? `${e.step.id}:${e.step.reason ?? ''}` : e.type))).toEqual(['a:saw ***', 'b:']);
    expect(ledger.boundaries).toEqual({ paused: '2026-01-01T00:00:02.000Z' });
    expect(ledger.failed).toBe(false); // continueOnError
    expect(ledger.outcomes).toEqual({ a: { outcome: 'failure' }, b: { outcome: 'success' } });
  });

  it('a failure without continueOnError fails the run', () => {
    const { ledger } = ledgerWithSinks();
    ledger.end(notRun(step('steps', 0, 'a'), 'failure', 'exit 3'));
    expect(ledger.failed).toBe(true);
  });

  it('holds what an earlier attempt journaled without journaling or emitting it again, and lists in plan order', () => {
    const earlier = new Map([['b', notRun(step('steps', 1, 'b'), 'failure', 'x')]]);
    const { ledger, journal, events } = ledgerWithSinks({ records: earlier, boundaries: { paused: 't' } });
    expect(ledger.has('b')).toBe(true);
    expect(ledger.failed).toBe(true);
    expect(journal).toEqual([]);
    expect(events).toEqual([]);
    ledger.end(notRun(step('steps', 0, 'a'), 'skipped', 'y'));
    expect(ledger.inOrder([{ id: 'a' }, { id: 'b' }, { id: 'c' }]).map((r) => r.id)).toEqual(['a', 'b']);
    expect(ledger.boundaries).toEqual({ paused: 't' });
  });
});
