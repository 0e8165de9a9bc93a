// The pause window: from the `paused` boundary to the `resumed` one, how long writes were held, how
// much of that the steps took, and how much was cutover's own (spawning, journal, checks, hashing).
/** The boundaries that open and close the window, as run.json names them. */
export const WINDOW_FROM = 'paused_at';
export const WINDOW_TO = 'resumed_at';

/** What run.json says of the pause window, when the run recorded both boundaries. */
export interface PauseWindow {
  /** Wall time from the `paused` boundary to the `resumed` one. */
  wallMs: number;
  /** Time inside the window when at least one step ran (overlapping steps count once). */
  stepsMs: number;
  /** The rest: cutover's own share of the window. */
  cutoverMs: number;
  /** Steps that started inside the window. */
  steps: number;
}

/** The pause window of a run's boundaries and steps, or undefined without both boundaries. */
export function pauseWindow(
  boundaries: Readonly<Record<string, string>>,
  steps: readonly { startedAt?: string | null; endedAt?: string | null }[],
): PauseWindow | undefined {
  const from = Date.parse(boundaries[WINDOW_FROM] ?? '');
  const to = Date.parse(boundaries[WINDOW_TO] ?? '');
  if (!Number.isFinite(from) || !Number.isFinite(to) || to < from) return undefined;
  const inside = steps
    .map((s) => [Date.parse(s.startedAt ?? ''), Date.parse(s.endedAt ?? '')] as const)
    .filter(([start, end]) => Number.isFinite(start) && Number.isFinite(end) && start >= from && start <= to)
    .map(([start, end]) => [start, Math.min(end, to)] as const)
    .sort((a, b) => a[0] - b[0]);
  // The union of the steps' intervals: steps that run side by side are one stretch of step time.
  let stepsMs = 0;
  let reached = from;
  for (const [start, end] of inside) {
    const begin = Math.max(start, reached);
    if (end > begin) stepsMs += end - begin;
    reached = Math.max(reached, end);
  }
  const wallMs = to - from;
  return { wallMs, stepsMs, cutoverMs: wallMs - stepsMs, steps: inside.length };
}
