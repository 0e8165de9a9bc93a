// Durations as plans write them: a whole number and a unit (`250ms`, `90s`, `10m`, `1h`).

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const FORM = /^([0-9]{1,6})(ms|s|m|h)$/;

/** Milliseconds of a duration string, or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const m = FORM.exec(text);
  return m ? Number(m[1]) * UNITS[m[2]!]! : undefined;
}

/** A duration for people: `1m 30s`, `250ms`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 100) / 10;
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  const rest = Math.round(s - m * 60);
  return rest ? `${m}m ${rest}s` : `${m}m`;
}
