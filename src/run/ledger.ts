// What a run knows of its steps as they end: each record journaled, emitted and kept for conditions.
import type { ResolvedStep } from '../plan/resolve.js';
import type { EventSink, StepRecord } from './events.js';
import type { Journal } from './journal.js';

/** Where a step's end goes besides the ledger: the journal, the event stream, the masker for reasons. */
export interface LedgerSinks {
  journal: Pick<Journal, 'append'>;
  emit: EventSink;
  mask: (text: string) => string;
}

/** Step records by id, with the outcomes `if:` conditions read and the boundaries reached. */
export class Ledger {
  /** Outcome of each ended step, as `steps.<id>.outcome` reads it. */
  readonly outcomes: Record<string, { outcome: string }> = {};
  readonly boundaries: Record<string, string>;
  private readonly records = new Map<string, StepRecord>();
  private failedStep = false;

  /** A ledger holding what an earlier attempt of the run journaled (not journaled or emitted again). */
  constructor(
    private readonly sinks: LedgerSinks,
    previous: { records?: ReadonlyMap<string, StepRecord>; boundaries?: Record<string, string> } = {},
  ) {
    this.boundaries = { ...previous.boundaries };
    for (const record of previous.records?.values() ?? []) this.keep(record);
  }

  /** Whether a step has ended (in this attempt or an earlier one). */
  has(id: string): boolean {
    return this.records.has(id);
  }

  /** Whether a step without `continueOnError` has failed. */
  get failed(): boolean {
    return this.failedStep;
  }

  /**
   * Records a step's end: its reason masked (the journal stays on disk until the run ends, for ever
   * after a crash: nothing secret goes in), journaled, its boundary reached, then emitted.
   */
  end(record: StepRecord): StepRecord {
    const final: StepRecord = record.reason === undefined ? record : { ...record, reason: this.sinks.mask(record.reason) };
    this.keep(final);
    this.sinks.journal.append({ type: 'step-end', step: final });
    if (final.outcome === 'success' && final.boundary && final.endedAt) {
      this.boundaries[final.boundary] = final.endedAt;
      this.sinks.journal.append({ type: 'boundary', name: final.boundary, at: final.endedAt });
    }
    this.sinks.emit({ type: 'step-end', step: final });
    return final;
  }

  /** The records of the given steps, in their order (steps that never ended are left out). */
  inOrder(steps: readonly Pick<ResolvedStep, 'id'>[]): StepRecord[] {
    return steps.map((s) => this.records.get(s.id)).filter((r): r is StepRecord => r !== undefined);
  }

  private keep(record: StepRecord): void {
    this.records.set(record.id, record);
    this.outcomes[record.id] = { outcome: record.outcome };
    if (record.outcome === 'failure' && !record.continueOnError) this.failedStep = true;
  }
}
