// `cutover abandon PLAN`: ends an unfinished run (after a crash) without running anything; its record,
// outcome `abandoned`, holds what the journal shows had run, and is committed like any other.
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { findRepositoryRoot } from '../adapters/git.js';
import type { CommandIo } from '../adapters/io.js';
import { commitRecord } from '../record/commit-record.js';
import { findCommittedRecord } from '../record/committed.js';
import { writeRecord } from '../record/write-record.js';
import { abandonRun } from '../run/abandon.js';
import type { RunEvent } from '../run/events.js';
import { colors, writeJson } from '../ui/output.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/** Options of `cutover abandon`. */
export interface AbandonCommandOptions {
  plan: string;
  /** `Name <email>`: the record commit's author. */
  author?: string;
}

/** Abandons the plan's unfinished run; 0 once its record is committed, refusals throw (exit 3). */
export async function abandon(options: AbandonCommandOptions, io: CommandIo): Promise<number> {
  const root = await findRepositoryRoot({ cwd: io.cwd });
  const notes: string[] = [];
  let commit = '';
  let dir = '';
  const result = await abandonRun(
    {
      root,
      plan: resolve(io.cwd, options.plan),
      env: io.env,
      now: io.now,
      findCommitted: findCommittedRecord,
      toolVersion: version,
      emit: (event: RunEvent) => {
        if (event.type === 'preflight') notes.push(event.detail ?? event.check);
      },
    },
    async (run) => {
      const written = await writeRecord(root, run);
      dir = written.dir;
      commit = (
        await commitRecord({ root, result: run, recordFiles: written.files, ...(options.author ? { author: options.author } : {}) })
      ).commit;
    },
  );
  const count = (outcome: string) => result.steps.filter((s) => s.outcome === outcome).length;
  const ended = result.steps.filter((s) => s.outcome !== 'skipped' && s.outcome !== 'interrupted').length;
  if (io.format === 'json') {
    writeJson(io, {
      ok: true,
      outcome: result.outcome,
      plan: result.planFile,
      runId: result.runId,
      record: dir,
      commit,
      steps: result.steps.map((s) => ({ phase: s.phase, id: s.id, outcome: s.outcome, ...(s.reason ? { reason: s.reason } : {}) })),
    });
    return 0;
  }
  if (io.quiet) return 0;
  const c = colors(io);
  for (const note of notes) io.stdout.write(`${c.dim(note)}\n`);
  io.stdout.write(
    `${c.bold(`abandoned run ${result.runId} of ${result.plan.name}`)}: ${ended} step(s) had ended, ${count('interrupted')} was running, ${count('skipped')} did not run\n`,
  );
  io.stdout.write(`record ${dir}  commit ${commit.slice(0, 12)}\n`);
  io.stdout.write(
    c.dim(`nothing ran; what the steps did stays done. A new run starts with \`cutover run ${result.planFile} --run-id NEW_ID\`\n`),
  );
  return 0;
}
