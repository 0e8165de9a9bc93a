// May a run write its record folder? Only a fresh one, or one holding nothing but an uncommitted
// record of the same plan and run id: cutover never removes what it did not write in this run.
import { lstat } from 'node:fs/promises';
import { CutoverError } from '../errors.js';
import { gitClient, revisionExists } from '../adapters/git.js';
import { readRegularFile, resolveInside } from '../adapters/fs.js';
import { listEntries, nameFiles } from '../adapters/unsaved.js';
import { normaliseRecordDir } from '../plan/paths.js';
import { RUN_JSON_LIMIT, recordFiles } from './run-record.js';
import { quote } from '../text/quote.js';
import { parseRunJson } from './verify-run-json.js';

/** Whose record a folder may hold to be replaced: the plan's name and the run id. */
export interface RecordOwner {
  plan: string;
  runId: string;
}

/**
 * Checks that a record folder may be written: inside the repository, through no symbolic link, and
 * not already in HEAD (RECORD_EXISTS, exit 3). Returns its absolute path.
 */
export async function checkRecordDir(root: string, dir: string): Promise<string> {
  const rel = normaliseRecordDir(dir);
  if (rel === '')
    throw new CutoverError('PATH_UNSAFE', 'the record folder is the repository root', {
      hint: 'set spec.record.dir to a folder such as reports/<plan>/<run id>',
    });
  const abs = await resolveInside(root, rel, { links: 'none' });
  const listed = await gitClient(root)
    .raw(['ls-tree', '-r', '--name-only', 'HEAD', '--', rel])
    .catch(async (cause: unknown) => {
      // No HEAD yet: nothing is committed, so nothing can clash.
      if (!(await revisionExists('HEAD', { cwd: root }))) return '';
      throw new CutoverError('GIT_FAILED', `cannot list ${rel} in HEAD`, { cause });
    });
  const committed = listed.split('\n').filter(Boolean);
  if (committed.includes(`${rel}/run.json`)) {
    throw new CutoverError('RECORD_EXISTS', `the record folder ${rel} is already committed`, {
      hint: 'a committed record is immutable: run with another --run-id, or set spec.record.dir to a new folder',
    });
  }
  if (committed.length) throw inTheWay(rel, committed, 'holds committed files that are not a record');
  return abs;
}

/**
 * Refuses (exit 3) a record folder that holds anything but an uncommitted record of `owner`: files
 * of another kind, another run's record, links, devices. Names the files. Returns whether a record
 * of this run is there, to be replaced; false when the folder does not exist.
 */
export async function checkRecordFolder(root: string, dir: string, owner: RecordOwner): Promise<boolean> {
  const rel = normaliseRecordDir(dir);
  const abs = await checkRecordDir(root, rel);
  const info = await lstat(abs).catch(() => undefined);
  if (!info) return false;
  if (!info.isDirectory()) throw inTheWay(rel, [rel], 'exists and is not a folder');
  const entries = (await listEntries(root, rel)).map((path) => path.slice(rel.length + 1));
  if (entries.length === 0) return true;
  const read = await readRegularFile(`${abs}/run.json`, RUN_JSON_LIMIT);
  const run = 'bytes' in read ? parseRunJson(read.bytes.toString('utf8')).run : undefined;
  if (run && (run.plan.name !== owner.plan || run.runId !== owner.runId)) {
    throw new CutoverError(
      'RECORD_EXISTS',
      `the record folder ${rel} holds the record of another run (${quote(run.plan.name)} run ${quote(run.runId)})`,
      {
        hint: 'move it away, or run with another --run-id',
      },
    );
  }
  const own = run ? recordFiles(run) : new Set<string>();
  const foreign: string[] = [];
  for (const entry of entries) {
    const kind = own.has(entry)
      ? await lstat(`${abs}/${entry}`).then(
          (s) => s.isFile(),
          () => false,
        )
      : false;
    if (!kind) foreign.push(`${rel}/${entry}`);
  }
  if (foreign.length)
    throw inTheWay(rel, foreign, run ? 'holds files that are not part of its record' : 'holds files that are not a record of this run');
  return true;
}

/** The refusal for a folder that holds what cutover did not write (FILE_EXISTS, exit 3), naming the files. */
function inTheWay(rel: string, files: string[], why: string): CutoverError {
  return new CutoverError('FILE_EXISTS', `the record folder ${rel} ${why}: ${nameFiles(files)}`, {
    hint: 'cutover never removes or overwrites what it did not write: move them away, or set spec.record.dir (or --run-id) to a folder of its own',
  });
}
