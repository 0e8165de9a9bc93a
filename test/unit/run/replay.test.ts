// Replaying a run's journal: what resume keeps, what finishing a committed run reports, what may still run.
import { describe, expect, it } from 'vitest';
import type { StepRecord } from '../../../src/run/events.js';
import type { JournalEntry } from '../../../src/run/journal.js';
import { keptOnResume, possibleOrphans, replayJournal } from '../../../src/run/replay.js';
import { notRun } from '../../../src/run/step-record.js';
import { step } from '../record/fixture.js';

const ended = (id: string, outcome: StepRecord['outcome']): JournalEntry => ({
  type: 'step-end',
  step: { ...notRun(step('steps', 0, id), outcome, outcome) },
});
const start: JournalEntry = {
  type: 'run-start',
  runId: 'r1',
  planDigest: 'p',
  lockDigest: 'l',
  startedAt: '2026-01-01T00:00:00.000Z',
  commit: 'c',
};

describe('replayJournal', () => {
  it('gives the run start, the last end of each step and the boundaries', () => {
    const replayed = replayJournal([
      start,
      { type: 'step-spawn', id: 'a', pgid: 10 },
      ended('a', 'success'),
      { type: 'boundary', name: 'paused', at: '2026-01-01T00:00:01.000Z' },
      ended('b', 'interrupted'),
      ended('b', 'success'),
    ]);
    expect(replayed.start).toEqual(start);
    expect([...replayed.records.keys()]).toEqual(['a', 'b']);
    expect(replayed.records.get('b')!.outcome).toBe('success');
    expect(replayed.boundaries).toEqual({ paused: '2026-01-01T00:00:01.000Z' });
  });

  it('an empty journal replays to nothing', () => {
    expect(replayJournal([])).toEqual({ records: new Map(), boundaries: {} });
  });
});

describe('keptOnResume', () => {
  it('keeps every finished step but an interrupted one, which runs again', () => {
    const kept = keptOnResume(
      replayJournal([start, ended('a', 'success'), ended('b', 'failure'), ended('c', 'skipped'), ended('d', 'interrupted')]),
    );
    expect([...kept.keys()]).toEqual(['a', 'b', 'c']);
  });
});

describe('possibleOrphans', () => {
  it('names only the process groups started after the last journaled step end', () => {
    const entries: JournalEntry[] = [
      start,
      { type: 'step-spawn', id: 'a', pgid: 10 },
      ended('a', 'success'),
      { type: 'step-spawn', id: 'b', pgid: 11, startTime: '42' },
    ];
    expect(possibleOrphans(entries)).toEqual([{ type: 'step-spawn', id: 'b', pgid: 11, startTime: '42' }]);
    expect(possibleOrphans([...entries, ended('b', 'success')])).toEqual([]);
  });

  it('under concurrency names every step started and not ended, even before another step ended', () => {
    const spawn = (id: string, pgid: number): JournalEntry => ({ type: 'step-spawn', id, pgid });
    const entries = [
      start,
      spawn('m[a]', 10),
      spawn('m[b]', 11),
      spawn('m[c]', 12),
      ended('m[b]', 'success'),
      spawn('m[d]', 13),
      ended('m[a]', 'success'),
    ];
    expect(possibleOrphans(entries).map((e) => e.type === 'step-spawn' && e.id)).toEqual(['m[c]', 'm[d]']);
  });
});
