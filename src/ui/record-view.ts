// One run record for a terminal: outcome, boundaries, steps with durations and reasons, artifacts and
// roots, and the tail of the failed step's log.
import type { CommandIo } from '../adapters/io.js';
import { recordOutcome, type RunJson, type RunJsonStep } from '../record/run-record.js';
import { formatDuration } from '../text/duration.js';
import { colors } from './output.js';

/** The step whose log tells why the run failed: the first that failed and stopped it, else the first that did not succeed. */
export function failedStep(run: RunJson): RunJsonStep | undefined {
  const stopped = run.steps.find((s) => (s.outcome === 'failure' || s.outcome === 'interrupted') && !s.continueOnError);
  return stopped ?? run.steps.find((s) => s.outcome === 'failure');
}

/** The record as text; `tail` is the last lines of the failed step's log, when there is one. */
export function renderRecord(run: RunJson, where: string, tail: string[] | undefined, io: Pick<CommandIo, 'color'>): string {
  const c = colors(io);
  const outcome = recordOutcome(run);
  const paint = outcome === 'success' ? c.green : outcome === 'failure' ? c.red : outcome === 'drill' ? c.cyan : c.yellow;
  const flags = [
    run.rehearsal ? 'rehearsal: not evidence' : '',
    run.drill !== undefined ? `drill at ${run.drill}` : '',
    run.resumed ? 'resumed' : '',
  ].filter(Boolean);
  const took = formatDuration(Date.parse(run.endedAt) - Date.parse(run.startedAt));
  const lines = [
    `${c.bold(`${run.plan.name} · ${run.runId}`)}  ${paint(`${outcome} (exit ${run.exitCode})`)}${flags.length ? `  ${c.dim(flags.join(' · '))}` : ''}`,
    `plan     ${run.plan.path}  ${c.dim(run.plan.digest)}`,
    `lock     ${run.lock.path}  ${c.dim(run.lock.digest || 'none')}`,
    `commit   ${run.commit.slice(0, 12) || '–'}${run.branch ? ` on ${run.branch}` : ''}`,
    `time     ${run.startedAt} → ${run.endedAt} (${took})`,
    `record   ${where}`,
  ];
  const boundaries = Object.entries(run.boundaries).sort(([, a], [, b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (boundaries.length) lines.push('', c.bold('boundaries'), ...boundaries.map(([name, at]) => `  ${name}  ${at}`));
  if (run.problems?.length) lines.push('', c.bold('problems'), ...run.problems.map((p) => `  ${c.red('!')} ${p}`));
  lines.push('', c.bold('steps'), ...stepLines(run.steps, io));
  lines.push('', c.bold('artifacts'));
  if (run.artifacts.length === 0) lines.push(c.dim('  none'));
  for (const a of run.artifacts) {
    lines.push(
      `  ${a.name}  ${a.path}  ${a.present ? `${a.files} file(s), ${a.bytes} bytes  ${a.root}` : c.dim('absent when the run ended')}`,
    );
    for (const [folder, root] of Object.entries(a.children ?? {}).sort(([x], [y]) => (x < y ? -1 : 1)))
      lines.push(c.dim(`    ${folder}  ${root}`));
  }
  lines.push(`run root  ${run.runRoot}`);
  const failed = failedStep(run);
  if (failed && tail) {
    const log = c.dim(`  (${where}/${failed.log?.path ?? ''})`);
    if (tail.length === 0) lines.push('', `${c.bold(`${failed.phase}/${failed.id}`)} printed nothing${log}`);
    else
      lines.push(
        '',
        c.bold(`last ${tail.length} line(s) of ${failed.phase}/${failed.id}`) + log,
        ...tail.map((line) => `  ${c.dim('│')} ${line}`),
      );
  }
  return `${lines.join('\n')}\n`;
}

function stepLines(steps: RunJsonStep[], io: Pick<CommandIo, 'color'>): string[] {
  const c = colors(io);
  const width = Math.max(0, ...steps.map((s) => `${s.phase}/${s.id}`.length));
  return steps.map((s) => {
    const mark =
      s.outcome === 'success' ? c.green('✓') : s.outcome === 'skipped' ? c.dim('-') : s.continueOnError ? c.yellow('!') : c.red('✗');
    const exit = s.signal ? `signal ${s.signal}` : s.exitCode === null ? '' : `exit ${s.exitCode}`;
    const took = s.startedAt ? formatDuration(s.durationMs) : '';
    const facts = [
      s.outcome + (s.drill ? ' (drill)' : '') + (s.timedOut ? ' (timed out)' : ''),
      s.attempts > 1 ? `${s.attempts} attempts` : '',
      exit,
      took,
    ]
      .filter(Boolean)
      .join(', ');
    return `  ${mark} ${`${s.phase}/${s.id}`.padEnd(width)}  ${facts}${s.reason ? `  ${c.dim(s.reason)}` : ''}`;
  });
}
