import { describe, expect, it } from 'vitest';
import { pauseWindow } from '../../../src/record/window.js';

const T0 = Date.parse('2026-11-22T01:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const step = (start: number, end: number) => ({ startedAt: at(start), endedAt: at(end) });

describe('pauseWindow', () => {
  it('is the wall time from paused to resumed, less the time steps ran inside it', () => {
    const steps = [step(0, 1000), step(1010, 3010), step(3030, 3530), step(3600, 3700)];
    expect(pauseWindow({ paused_at: at(1000), resumed_at: at(3700) }, steps)).toEqual({
      wallMs: 2700,
      stepsMs: 2600,
      cutoverMs: 100,
      steps: 3,
    });
  });

  it('counts steps that ran side by side once', () => {
    const steps = [step(100, 1100), step(200, 900), step(1000, 1500)];
    expect(pauseWindow({ paused_at: at(0), resumed_at: at(1600) }, steps)).toEqual({
      wallMs: 1600,
      stepsMs: 1400,
      cutoverMs: 200,
      steps: 3,
    });
  });

  it('ignores steps that never ran and is absent without both boundaries', () => {
    expect(pauseWindow({ paused_at: at(0), resumed_at: at(50) }, [{ startedAt: null, endedAt: null }])).toEqual({
      wallMs: 50,
      stepsMs: 0,
      cutoverMs: 50,
      steps: 0,
    });
    expect(pauseWindow({ paused_at: at(0) }, [step(0, 10)])).toBeUndefined();
    expect(pauseWindow({ resumed_at: at(0), paused_at: at(10) }, [])).toBeUndefined();
  });
});
