// Durations as plans write them: a whole number and a unit (`250ms`, `90s`, `10m`, `1h`).

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const FORM = /^([0-9]{1,6})(ms|s|m|h)$/;

/** Milliseconds of a duration string, or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const m = FORM.exec(text);
  return m ? Number(m[1]) * UNITS[m[2]!]! : undefined;
}

/** A duration for people, the same in the terminal, the report and previews: `15 ms`, `1.5 s`, `3m 04s`, `1h 02m`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
