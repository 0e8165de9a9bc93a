// Turns run events into what a person or CI sees: listr2 on a terminal, one line an event elsewhere,
// GitHub groups in Actions, failures and the closing lines only with --quiet, nothing with
// --format json (the command prints one document at the end).
import { randomUUID } from 'node:crypto';
import type { ListrTaskWrapper } from 'listr2';
import type { CommandIo } from '../adapters/io.js';
import { formatDuration } from '../text/duration.js';
import type { EventSink, RunEvent, StepRecord } from '../run/events.js';
import { colors } from './output.js';
import { hashProgressText } from './progress.js';
import { failureLines, headerLines, recordLine, showsTail, stepLine, summaryLine } from './run-lines.js';
import { annotation, resumeCommands, stopCommands, workflowCommand } from '../github/commands.js';

/** A consumer of run events and a promise that settles when it has drawn everything. */
export interface Renderer {
  sink: EventSink;
  done(): Promise<void>;
}

/** What GitHub's format can add to a run's lines: where each step is written, for its annotation. */
export interface GithubRenderOptions {
  stepAt?: (id: string) => { file: string; line?: number; col?: number } | undefined;
}

/** Narrower than this, listr2's redrawn lines wrap into a column of single characters: lines instead. */
const LISTR_MIN_COLUMNS = 20;
/** How often the running step's elapsed time is redrawn. */
const TICK_MS = 1000;

/** Picks the renderer for the io: listr2 only on an interactive terminal outside CI that says how wide it is. */
export function createRenderer(io: CommandIo, github: GithubRenderOptions = {}): Renderer {
  if (io.format === 'json') return { sink: () => {}, done: async () => {} };
  // --quiet prints what went wrong and how the run ended, never nothing.
  if (io.quiet) return lineRenderer(io, github, true);
  if (io.format === 'text' && io.isTTY && !io.env.CI && (io.columns ?? 0) >= LISTR_MIN_COLUMNS) return listrRenderer(io);
  return lineRenderer(io, github);
}

type Deferred = { resolve: (r: StepRecord) => void; promise: Promise<StepRecord> };
// biome-ignore lint/suspicious/noExplicitAny: listr2's renderer types are generic over classes we never name
type Task = ListrTaskWrapper<unknown, any, any>;

function deferred(): Deferred {
  let resolve!: (r: StepRecord) => void;
  const promise = new Promise<StepRecord>((r) => (resolve = r));
  return { resolve, promise };
}

/**
 * listr2's default renderer, with one task a step mirroring the run's events and the running step's
 * elapsed time in its title. The header comes first; failed steps' output, the counts and the record
 * come after listr2 has drawn its last frame.
 */
function listrRenderer(io: CommandIo): Renderer {
  const c = colors(io);
  const pending = new Map<string, Deferred>();
  const tasks = new Map<string, Task>();
  const titles = new Map<string, string>();
  let running: { id: string; since: number } | undefined;
  let hashing: Deferred | undefined;
  let hashTask: Task | undefined;
  let drawn: Promise<unknown> = Promise.resolve();
  const closing: RunEvent[] = [];
  const lines = lineRenderer(io, {});
  const ticker = setInterval(() => {
    const task = running && tasks.get(running.id);
    if (running && task) task.title = `${titles.get(running.id)} ${c.dim(formatDuration(Date.now() - running.since))}`;
  }, TICK_MS);
  ticker.unref();
  // listr2 is loaded only here, so runs without a terminal (CI, --quiet, JSON) never pay for it.
  const listr2 = import('listr2');

  const stepTask = (s: { phase: string; id: string; name: string }) => {
    const d = deferred();
    pending.set(s.id, d);
    const title = `${s.phase === 'steps' ? '' : `${s.phase}: `}${s.name}`;
    titles.set(s.id, title);
    return {
      title,
      task: async (_ctx: unknown, task: Task) => {
        tasks.set(s.id, task);
        const record = await d.promise;
        const took = record.durationMs ? ` (${formatDuration(record.durationMs)})` : '';
        if (record.outcome === 'skipped') return task.skip(`${title}: skipped, ${record.reason ?? ''}`);
        if (record.outcome !== 'success' && !record.continueOnError) throw new Error(`${title}${took}: ${record.reason ?? record.outcome}`);
        task.title = `${title}${took}`;
      },
    };
  };

  const sink: EventSink = (event) => {
    switch (event.type) {
      case 'run-start': {
        for (const line of headerLines(event, c)) io.stdout.write(`${line}\n`);
        hashing = deferred();
        const list = [
          ...event.steps.map(stepTask),
          {
            title: 'hash artifacts and write the record',
            task: async (_ctx: unknown, task: Task) => {
              hashTask = task;
              await hashing!.promise;
            },
          },
        ];
        drawn = listr2
          .then(({ Listr }) =>
            new Listr<unknown, 'default', 'simple'>(list, {
              concurrent: false,
              exitOnError: false,
              registerSignalListeners: false,
              rendererOptions: { collapseErrors: false, showErrorMessage: true },
            }).run(),
          )
          .catch(() => undefined);
        break;
      }
      case 'step-start': {
        if (event.attempt === 1) running = { id: event.id, since: Date.now() };
        if (event.attempt > 1 && tasks.get(event.id)) tasks.get(event.id)!.output = `attempt ${event.attempt}`;
        break;
      }
      case 'step-note':
      case 'step-output': {
        const task = tasks.get(event.id);
        if (task) task.output = event.text.trimEnd().split('\n').pop() ?? '';
        break;
      }
      case 'step-end':
        if (running?.id === event.step.id) running = undefined;
        pending.get(event.step.id)?.resolve(event.step);
        pending.delete(event.step.id);
        if (showsTail(event.step)) closing.push(event);
        break;
      case 'hash-progress':
        if (hashTask) hashTask.output = progressText(event);
        break;
      case 'record':
      case 'run-end':
        // Steps that never ran (a refused resume, an early exit) are released as skipped.
        for (const [id, d] of pending) d.resolve({ id, outcome: 'skipped', reason: 'not run' } as StepRecord);
        pending.clear();
        hashing?.resolve({} as StepRecord);
        closing.push(event);
        break;
      default:
        break;
    }
  };
  const done = async () => {
    await drawn;
    clearInterval(ticker);
    for (const event of closing) {
      if (event.type !== 'step-end') lines.sink(event);
      else for (const line of [stepLine(event.step, c), ...failureLines(event.step, event.log, c)]) io.stdout.write(`${line}\n`);
    }
  };
  return { sink, done };
}

/**
 * One line an event (CI logs, pipes). In GitHub's format also a `::group::` around each step, the
 * step's own output with workflow commands stopped (a step cannot forge annotations, groups or
 * masks), and an annotation at the step's line in the plan when it fails, holding its last output.
 * With `quiet`, only failed steps and the closing lines.
 */
function lineRenderer(io: CommandIo, options: GithubRenderOptions, quiet = false): Renderer {
  const c = colors(io);
  const github = io.format === 'github';
  // Plain lines go to stdout, which escapes them in GitHub's format; commands and a step's own
  // output (inside the stop-commands block) go to the io's command writer as they are.
  const out = (line: string) => io.stdout.write(`${line}\n`);
  const grouped = new Set<string>();
  let lastProgress = 0;
  let stopToken: string | undefined;
  let atLineStart = true;
  let record: Extract<RunEvent, { type: 'record' }> | undefined;
  const resume = () => {
    if (!atLineStart) io.commands.write('\n');
    atLineStart = true;
    if (stopToken) io.commands.write(resumeCommands(stopToken));
    stopToken = undefined;
  };
  const sink: EventSink = (event: RunEvent) => {
    if (github && event.type !== 'step-output') resume();
    switch (event.type) {
      case 'run-start':
        if (!quiet) headerLines(event, c).forEach(out);
        break;
      case 'preflight':
        // The freeze gate's verdict is in the header.
        if (!quiet && event.check !== 'freeze gate')
          out(`${event.ok ? c.green('✓') : c.red('✗')} preflight: ${event.check}${event.detail ? ` ${c.dim(event.detail)}` : ''}`);
        break;
      case 'step-start':
        if (quiet) break;
        // GitHub's groups do not nest: with steps running side by side, only the first one open gets a group.
        if (github && event.attempt === 1 && grouped.size === 0) {
          io.commands.write(workflowCommand('group', {}, `${event.phase}/${event.id}`));
          grouped.add(event.id);
        }
        out(`▶ ${event.phase}/${event.id}${event.attempt > 1 ? ` (attempt ${event.attempt})` : ''}`);
        break;
      case 'step-output':
        if (event.text === '') break;
        if (github && !stopToken) {
          stopToken = randomUUID();
          io.commands.write(stopCommands(stopToken));
        }
        // Outside GitHub's format a step's output is plain text like any other.
        (github ? io.commands : io.stdout).write(event.text);
        atLineStart = event.text.endsWith('\n');
        break;
      case 'step-note':
        if (!quiet) out(`  ${c.dim(event.text)}`);
        break;
      case 'step-end':
        stepEnd(event);
        break;
      case 'hash-progress': {
        const now = Date.now();
        if (!quiet && (now - lastProgress > 1000 || (event.totalFiles !== undefined && event.files === event.totalFiles))) {
          lastProgress = now;
          out(`  hashing ${event.artifact}: ${progressText(event)}`);
        }
        break;
      }
      case 'record':
        // Printed last, after the counts.
        record = event;
        break;
      case 'run-end':
        out(summaryLine(event, c));
        if (record) out(recordLine(record));
        break;
    }
  };
  const stepEnd = ({ step: s, log }: Extract<RunEvent, { type: 'step-end' }>) => {
    const failed = showsTail(s);
    if (quiet && !failed) return;
    out(stepLine(s, c));
    if (grouped.delete(s.id)) io.commands.write(workflowCommand('endgroup', {}, ''));
    if (failed) {
      // The tail is the step's own output: in GitHub's format it stays inside a stop-commands block,
      // where it is shown as written (masked), like the step's output itself.
      const token = github ? randomUUID() : undefined;
      if (token) io.commands.write(stopCommands(token));
      for (const line of failureLines(s, log, c)) (token ? io.commands : io.stdout).write(`${line}\n`);
      if (token) io.commands.write(resumeCommands(token));
    }
    if (github && failed && !s.continueOnError) {
      const where = options.stepAt?.(s.id);
      const level = s.outcome === 'failure' && !s.drill ? 'error' : 'warning';
      io.commands.write(
        annotation(level, annotationText(s, log), {
          ...where,
          title: s.drill ? 'DRILL' : s.outcome === 'interrupted' ? 'INTERRUPTED' : 'STEP_FAILED',
        }),
      );
    }
  };
  return { sink, done: async () => {} };
}

/** A failed step's annotation: why, its last output lines and where its log is (escaped by `annotation`). */
function annotationText(s: StepRecord, log: string | undefined): string {
  const tail = s.tail ?? [];
  return [
    `${s.phase}/${s.id} ${s.outcome}${s.reason ? `: ${s.reason}` : ''}`,
    ...(tail.length ? ['', `last ${tail.length} line${tail.length === 1 ? '' : 's'} of its output:`, ...tail] : []),
    ...(log ? ['', `log: ${log}`] : []),
  ].join('\n');
}

// When each artifact's hashing began, for its rate and what is left.
const hashStarts = new Map<string, number>();

/** An artifact's hashing progress with throughput and what is left (ui/progress.ts). */
function progressText(event: Extract<RunEvent, { type: 'hash-progress' }>): string {
  if (!hashStarts.has(event.artifact)) hashStarts.set(event.artifact, performance.now());
  const elapsed = performance.now() - (hashStarts.get(event.artifact) ?? 0);
  return hashProgressText(
    {
      files: event.files,
      bytes: event.bytes,
      totalFiles: event.totalFiles ?? event.files,
      ...(event.totalBytes === undefined ? {} : { totalBytes: event.totalBytes }),
    },
    elapsed,
  );
}
