// Finishing a command inside GitHub Actions: the outcome output, a refusal's summary, a run's report and outputs.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { CommandIo } from '../adapters/io.js';
import { isCutoverError } from '../errors.js';
import type { RunResult } from '../run/result.js';
import { createMasker } from '../text/mask.js';
import { annotation } from './commands.js';
import { appendStepSummary, setOutputs, writesGithubFiles } from './files.js';
import { failureSummary, outcomeOf } from './summary.js';

/** What a command adds to GitHub's files: Markdown for the summary (with a note for when it is cut) and outputs. */
export interface GithubPublication {
  summary?: { markdown: string; truncatedNote: string };
  outputs?: Record<string, string>;
}

/**
 * Writes a summary and outputs when the command writes GitHub's files. A file that cannot be written
 * is a warning, not a failure: the command's own result (a committed record, say) stands.
 */
export async function publishToGithub(io: CommandIo, publication: GithubPublication): Promise<void> {
  if (!writesGithubFiles(io)) return;
  try {
    if (publication.summary) await appendStepSummary(io.env, publication.summary.markdown, publication.summary.truncatedNote, io.mask);
    if (publication.outputs) await setOutputs(io.env, publication.outputs, io.mask);
  } catch (error) {
    const message = `cutover could not write GitHub's step files: ${(error as Error).message}`;
    if (io.format === 'github') io.commands.write(annotation('warning', message, { title: 'IO_FAILED' }));
    else io.stderr.write(`warning: ${message}\n`);
  }
}

/** The end of every command: the `outcome` output, and a summary when the command ended in an error. */
export async function finishGithubCommand(io: CommandIo, command: string, exitCode: number, error?: unknown): Promise<void> {
  const summary =
    error === undefined
      ? undefined
      : isCutoverError(error)
        ? failureSummary(command, exitCode, error.problems, error.hint)
        : failureSummary(command, exitCode, [], 'an internal error (a bug): the log holds its stack; please report it');
  await publishToGithub(io, {
    ...(summary ? { summary: { markdown: summary, truncatedNote: 'the log lists every problem' } } : {}),
    outputs: { outcome: outcomeOf(exitCode, isCutoverError(error) ? error.problems : []) },
  });
}

/** Where a run's record went, as the run's `record` event said (`dir` absolute for a rehearsal's). */
export interface RecordPlace {
  dir: string;
  root: string;
  commit?: string;
}

/** A finished run: report.md into the summary; record, root, commit and run id as outputs. */
export async function publishRun(io: CommandIo, root: string, result: RunResult, record: RecordPlace | undefined): Promise<void> {
  if (!writesGithubFiles(io)) return;
  const masker = createMasker(result.secretValues);
  const report = record ? await readFile(resolve(root, record.dir, 'report.md'), 'utf8').catch(() => undefined) : undefined;
  const markdown = report ?? `## cutover run: ${result.outcome} (exit ${result.exitCode})\n\nNo record was written.\n`;
  await publishToGithub(io, {
    // report.md is masked already; the summary masks it again as it is written, digests left whole.
    summary: {
      markdown,
      truncatedNote: `the summary holds at most 1 MiB; the whole report is ${record ? `${record.dir}/report.md` : 'in the record'}`,
    },
    // Roots and commit ids are digests, never a secret's text (see run-record.ts); names are masked.
    outputs: {
      record: masker.mask(record?.dir ?? ''),
      root: record?.root ?? result.runRoot,
      commit: record?.commit ?? '',
      'run-id': masker.mask(result.runId),
    },
  });
}
