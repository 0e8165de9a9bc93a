// The lines that frame a run in the terminal and in CI logs: the header, a failed step's last output
// and log, the closing counts and total time, and the record. Both renderers print these.
import { formatDuration } from '../text/duration.js';
import type { RunEvent, StepRecord } from '../run/events.js';
import type { colors } from './output.js';

type Chalk = ReturnType<typeof colors>;
type Of<T extends RunEvent['type']> = Extract<RunEvent, { type: T }>;

/** The header: plan, run id, record folder, and the freeze gate's verdict (the run got past it). */
export function headerLines(event: Of<'run-start'>, c: Chalk): string[] {
  return [
    `${c.bold(`cutover run ${event.plan}`)}${event.part ? ` (${event.part})` : ''}${event.resumed ? ' (resumed)' : ''}`,
    `  run id   ${event.runId}`,
    `  record   ${event.record}${event.part && event.part !== 'join' ? c.dim(' (written by the join)') : ''}`,
    `  freeze   ${c.green('frozen')} ${c.dim(event.freezeDigest)}`,
  ];
}

/** The one line a step's end gets: a mark, phase/id, outcome, duration and why. */
export function stepLine(s: StepRecord, c: Chalk): string {
  const took = s.durationMs ? ` ${c.dim(formatDuration(s.durationMs))}` : '';
  const mark =
    s.outcome === 'success' ? c.green('✓') : s.outcome === 'skipped' ? c.dim('-') : s.continueOnError ? c.yellow('!') : c.red('✗');
  return `${mark} ${s.phase}/${s.id} ${s.outcome}${took}${s.reason ? `: ${s.reason}` : ''}`;
}

/** True for a step whose end shows its output: it failed or was interrupted. */
export function showsTail(s: StepRecord): boolean {
  return s.outcome === 'failure' || s.outcome === 'interrupted';
}

/** Under a failed step: the last lines of its (masked) output, then where its whole log is. */
export function failureLines(s: StepRecord, log: string | undefined, c: Chalk): string[] {
  const tail = s.tail ?? [];
  const lines = tail.length
    ? [`  ${c.dim(`last ${tail.length} line${tail.length === 1 ? '' : 's'} of its output:`)}`, ...tail.map((l) => `  ${c.dim('│')} ${l}`)]
    : s.attempts > 0
      ? [`  ${c.dim('it printed nothing')}`]
      : [];
  if (log) lines.push(`  ${c.dim('log')} ${log}`);
  return lines;
}

/** The closing line: outcome and exit code, how many steps succeeded, failed and were skipped, and the total time. */
export function summaryLine(event: Of<'run-end'>, c: Chalk): string {
  const { succeeded, failed, skipped, interrupted } = event.counts;
  const counts = [
    `${succeeded} succeeded`,
    `${failed} failed`,
    `${skipped} skipped`,
    ...(interrupted ? [`${interrupted} interrupted`] : []),
  ].join(', ');
  const what = event.part && event.part !== 'join' ? event.part : 'run';
  const head =
    event.outcome === 'success' ? c.green(`${what} succeeded`) : c.red(`${what} ${event.outcome === 'failure' ? 'failed' : event.outcome}`);
  return `${head} (exit ${event.exitCode}) · ${counts} · ${formatDuration(event.durationMs)}`;
}

/** The last line: where the record is, its root, its commit and whether it was pushed. */
export function recordLine(event: Of<'record'>): string {
  return `record ${event.dir}  root ${event.root}${event.commit ? `  commit ${event.commit.slice(0, 12)}` : ''}${event.pushed ? '  pushed' : ''}`;
}
