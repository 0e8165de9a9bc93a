// Turns run events into what a person or CI sees: listr2 on a terminal, one line an event elsewhere,
// GitHub groups in Actions, nothing with --format json (the command prints one document at the end).
import { randomUUID } from 'node:crypto';
import type { ListrTaskWrapper } from 'listr2';
import type { CommandIo } from '../adapters/io.js';
import { formatDuration } from '../text/duration.js';
import type { EventSink, RunEvent, StepRecord } from '../run/events.js';
import { colors } from './output.js';
import { annotation, escapeData, resumeCommands, stopCommands } from '../github/commands.js';

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

/** Picks the renderer for the io: listr2 only on an interactive terminal outside CI that says how wide it is. */
export function createRenderer(io: CommandIo, github: GithubRenderOptions = {}): Renderer {
  if (io.format === 'json' || io.quiet) return { sink: () => {}, done: async () => {} };
  if (io.format === 'text' && io.isTTY && !io.env.CI && (io.columns ?? 0) >= LISTR_MIN_COLUMNS) return listrRenderer(io);
  return lineRenderer(io, github);
}

type Deferred = { resolve: (r: StepRecord) => void; promise: Promise<StepRecord> };

function deferred(): Deferred {
  let resolve!: (r: StepRecord) => void;
  const promise = new Promise<StepRecord>((r) => (resolve = r));
  return { resolve, promise };
}

/** listr2's default renderer, with one task a step mirroring the run's events. */
function listrRenderer(io: CommandIo): Renderer {
  const pending = new Map<string, Deferred>();
  const tasks = new Map<string, ListrTaskWrapper<unknown, any, any>>();
  let hashing: Deferred | undefined;
  let hashTask: ListrTaskWrapper<unknown, any, any> | undefined;
  let running: Promise<unknown> = Promise.resolve();
  // listr2 is loaded only here, so runs without a terminal (CI, --quiet, JSON) never pay for it.
  const listr2 = import('listr2');

  const sink: EventSink = (event) => {
    switch (event.type) {
      case 'run-start': {
        hashing = deferred();
        const list = [
          ...event.steps.map((s) => {
            const d = deferred();
            pending.set(s.id, d);
            return {
              title: `${s.phase === 'steps' ? '' : `${s.phase}: `}${s.name}`,
              task: async (_ctx: unknown, task: ListrTaskWrapper<unknown, any, any>) => {
                tasks.set(s.id, task);
                const record = await d.promise;
                const took = record.durationMs ? ` (${formatDuration(record.durationMs)})` : '';
                if (record.outcome === 'skipped') return task.skip(`${task.title}: skipped, ${record.reason ?? ''}`);
                if (record.outcome !== 'success' && !record.continueOnError) throw new Error(`${task.title}${took}: ${record.reason ?? record.outcome}`);
                task.title = `${task.title}${took}`;
              },
            };
          }),
          {
            title: 'hash artifacts and write the record',
            task: async (_ctx: unknown, task: ListrTaskWrapper<unknown, any, any>) => {
              hashTask = task;
              await hashing!.promise;
            },
          },
          ];
        running = listr2
          .then(({ Listr }) => new Listr<unknown, 'default', 'simple'>(list, { concurrent: false, exitOnError: false, registerSignalListeners: false, rendererOptions: { collapseErrors: false, showErrorMessage: true } }).run())
          .catch(() => undefined);
        break;
      }
      case 'step-start':
        if (event.attempt > 1 && tasks.get(event.id)) tasks.get(event.id)!.output = `attempt ${event.attempt}`;
        break;
      case 'step-note':
      case 'step-output': {
        const task = tasks.get(event.id);
        if (task) task.output = event.text.trimEnd().split('\n').pop() ?? '';
        break;
      }
      case 'step-end':
        pending.get(event.step.id)?.resolve(event.step);
        pending.delete(event.step.id);
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
        // The closing lines, as the line renderer writes them, once listr2 has drawn its last frame.
        closing.push(event);
        break;
      default:
        break;
    }
  };
  const closing: RunEvent[] = [];
  const lines = lineRenderer(io, {});
  return { sink, done: () => running.then(() => closing.forEach((e) => lines.sink(e))) };
}

/**
 * One line an event (CI logs, pipes). In GitHub's format also a `::group::` around each step, the
 * step's own output with workflow commands stopped (a step cannot forge annotations, groups or
 * masks), and an annotation at the step's line in the plan when it fails.
 */
function lineRenderer(io: CommandIo, options: GithubRenderOptions): Renderer {
  const c = colors(io);
  const github = io.format === 'github';
  const out = (line: string) => io.stdout.write(`${line}\n`);
  let lastProgress = 0;
  let stopToken: string | undefined;
  let atLineStart = true;
  // GitHub's groups do not nest: with steps running side by side, only the first one open gets a group.
  let openGroup: string | undefined;
  const resume = () => {
    if (!atLineStart) io.stdout.write('\n');
    atLineStart = true;
    if (stopToken) io.stdout.write(resumeCommands(stopToken));
    stopToken = undefined;
  };
  const sink: EventSink = (event: RunEvent) => {
    if (github && event.type !== 'step-output') resume();
    switch (event.type) {
      case 'run-start':
        out(`${c.bold(`cutover run ${event.plan}`)}  run ${event.runId}${event.resumed ? ' (resumed)' : ''}`);
        break;
      case 'preflight':
        out(`${event.ok ? c.green('✓') : c.red('✗')} preflight: ${event.check}${event.detail ? ` ${c.dim(event.detail)}` : ''}`);
        break;
      case 'step-start':
        if (github && event.attempt === 1 && openGroup === undefined) {
          out(`::group::${escapeData(`${event.phase}/${event.id}`)}`);
          openGroup = event.id;
        }
        out(`▶ ${event.phase}/${event.id}${event.attempt > 1 ? ` (attempt ${event.attempt})` : ''}`);
        break;
      case 'step-output':
        if (event.text === '') break;
        if (github && !stopToken) {
          stopToken = randomUUID();
          io.stdout.write(stopCommands(stopToken));
        }
        io.stdout.write(event.text);
        atLineStart = event.text.endsWith('\n');
        break;
      case 'step-note':
        out(`  ${c.dim(event.text)}`);
        break;
      case 'step-end': {
        const s = event.step;
        const took = s.durationMs ? ` ${c.dim(formatDuration(s.durationMs))}` : '';
        const mark = s.outcome === 'success' ? c.green('✓') : s.outcome === 'skipped' ? c.dim('-') : s.continueOnError ? c.yellow('!') : c.red('✗');
        out(`${mark} ${s.phase}/${s.id} ${s.outcome}${took}${s.reason ? `: ${s.reason}` : ''}`);
        if (github && openGroup === s.id) {
          out('::endgroup::');
          openGroup = undefined;
        }
        if (github && (s.outcome === 'failure' || s.outcome === 'interrupted') && !s.continueOnError) {
          const where = options.stepAt?.(s.id);
          const level = s.outcome === 'failure' && !s.drill ? 'error' : 'warning';
          io.stdout.write(annotation(level, `${s.phase}/${s.id} ${s.outcome}${s.reason ? `: ${s.reason}` : ''}`, { ...where, title: s.drill ? 'DRILL' : s.outcome === 'interrupted' ? 'INTERRUPTED' : 'STEP_FAILED' }));
        }
        break;
      }
      case 'hash-progress': {
        const now = Date.now();
        if (now - lastProgress > 1000 || (event.totalFiles !== undefined && event.files === event.totalFiles)) {
          lastProgress = now;
          out(`  hashing ${event.artifact}: ${progressText(event)}`);
        }
        break;
      }
      case 'record':
        out(`record ${event.dir}  root ${event.root}${event.commit ? `  commit ${event.commit.slice(0, 12)}` : ''}${event.pushed ? '  pushed' : ''}`);
        break;
      case 'run-end':
        out(`${event.outcome === 'success' ? c.green('run succeeded') : c.red(`run ${event.outcome}`)} (exit ${event.exitCode})`);
        break;
    }
  };
  return { sink, done: async () => {} };
}

/** `[#####-----] 12/40 files, 1.2 GiB, 800 MiB/s`-style progress. */
function progressText(event: Extract<RunEvent, { type: 'hash-progress' }>): string {
  const mib = event.bytes / 1048576;
  if (!event.totalFiles) return `${event.files} files, ${mib.toFixed(1)} MiB`;
  const share = event.totalBytes ? event.bytes / event.totalBytes : event.files / event.totalFiles;
  const filled = Math.round(share * 20);
  return `[${'#'.repeat(filled)}${'-'.repeat(20 - filled)}] ${event.files}/${event.totalFiles} files, ${mib.toFixed(1)} MiB`;
}
