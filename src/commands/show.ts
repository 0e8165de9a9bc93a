// `cutover show RUN_ID|RECORD_DIR`: one run record in the terminal, or its run.json with --format json.
import { readFile, stat } from 'node:fs/promises';
import { join, posix, resolve } from 'node:path';
import { CutoverError } from '../errors.js';
import { findRepositoryRoot, isShallowRepository, readAtRevision } from '../adapters/git.js';
import type { CommandIo } from '../adapters/io.js';
import { readHistory } from '../record/history.js';
import { parseRunJson } from '../record/verify-run-json.js';
import { lastLines, TAIL_LINES } from '../text/tail.js';
import { failedStep, renderRecord } from '../ui/record-view.js';

/** Options of `cutover show`: a record folder, or the run id of a record committed in HEAD's history. */
export interface ShowOptions {
  record: string;
}

/** Where a record is read from: a folder on disk, or a folder as a commit holds it. */
interface RecordSource {
  /** What the view calls it: the folder, relative to the repository or as given. */
  where: string;
  read(rel: string): Promise<string | undefined>;
}

/** Shows a record; exit 0, or 2 when there is no such record. */
export async function show(options: ShowOptions, io: CommandIo): Promise<number> {
  const source = await locateRecord(options.record, io);
  const text = await source.read('run.json');
  const parsed = parseRunJson(text);
  if (!parsed.run || text === undefined)
    throw new CutoverError('RECORD_NOT_FOUND', `${source.where} holds no readable record: ${parsed.check.detail}`, {
      hint: 'name a record folder (the one holding run.json) or a run id from `cutover history`',
    });
  if (io.format === 'json') {
    // run.json is canonical JSON already: printed as it is, byte for byte.
    io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    return 0;
  }
  const failed = failedStep(parsed.run);
  const log = failed?.log ? await source.read(failed.log.path) : undefined;
  io.stdout.write(renderRecord(parsed.run, source.where, log === undefined ? undefined : lastLines(log, true, TAIL_LINES), io));
  return 0;
}

/** A folder on disk when one is there; otherwise the one record in HEAD's history with that run id. */
async function locateRecord(name: string, io: CommandIo): Promise<RecordSource> {
  const folder = resolve(io.cwd, name);
  if (
    await stat(folder).then(
      (s) => s.isDirectory(),
      () => false,
    )
  ) {
    return { where: name, read: (rel) => readFile(join(folder, rel), 'utf8').catch(() => undefined) };
  }
  const root = await findRepositoryRoot({ cwd: io.cwd });
  const found = (await readHistory(root)).filter((e) => e.runId === name && e.record !== '');
  const records = [...new Map(found.map((e) => [`${e.plan}\0${e.record}`, e])).values()];
  if (records.length === 0) {
    const shallow = (await isShallowRepository({ cwd: root }))
      ? '; this is a shallow clone, so an older record may not be in it (git fetch --unshallow)'
      : '';
    throw new CutoverError('RECORD_NOT_FOUND', `no record folder ${name} and no record of run ${name} in the history of HEAD${shallow}`, {
      hint: '`cutover history` lists the runs recorded here',
    });
  }
  if (records.length > 1) {
    throw new CutoverError(
      'USAGE',
      `run id ${name} names ${records.length} records: ${records.map((e) => `${e.record} (${e.plan})`).join(', ')}`,
      { hint: 'name the record folder instead' },
    );
  }
  // The newest commit that wrote it: the record as committed, whatever the work tree holds now.
  const { commit, record } = records[0]!;
  return {
    where: record,
    read: async (rel) => (await readAtRevision(posix.join(record, rel), commit, { cwd: root }))?.toString('utf8'),
  };
}
