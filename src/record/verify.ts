// The checks of `cutover verify`: each compares a claim of a record with a value recomputed from what is there.
import { isDeepStrictEqual } from 'node:util';
import { runRoot } from '../integrity/merkle.js';
import { isCutoverError } from '../errors.js';
import { buildReport } from './report.js';
import { recordFiles, recordTrailers, recordCommitMessage, type RunJson } from './run-record.js';
import { LEGACY_PREDICATE_TYPE, buildLegacyStatement, buildStatement, type StatementTexts, type Subject } from './statement.js';
import { sha256Hex } from '../text/digest.js';
import { approvalName, type ApprovalVerdict } from '../integrity/approvals.js';
import { pauseWindow } from './window.js';
import { fail, pass, type Check, type FileDigest } from './check.js';

export { fail, pass, type Check, type FileDigest } from './check.js';
export {
  checkArtifactFiles,
  checkArtifactSame,
  checkManifest,
  checkSameManifest,
  readManifestAgainst,
  type KnownManifest,
} from './verify-artifacts.js';

/**
 * A rehearsal is no evidence: it ran a plan as the work tree held it, with no freeze enforced and
 * nothing committed, so none of the later checks could mean what they mean for a run.
 */
export function checkEvidence(run: RunJson): Check {
  const name = 'evidence';
  if (run.rehearsal)
    return fail(
      name,
      'this record is a rehearsal (cutover rehearse): its plan was not frozen or committed and the record was never committed, so it proves nothing',
      ['run.json'],
    );
  return pass(name, `a ${run.outcome} run, not a rehearsal`);
}

/** The run root recomputed from the artifact roots (each already checked against its manifest). */
export function checkRunRoot(run: RunJson): Check {
  let root: string;
  try {
    root = runRoot(run.artifacts);
  } catch (error) {
    if (!isCutoverError(error)) throw error;
    return fail('run root', error.message, ['run.json']);
  }
  return root === run.runRoot
    ? pass('run root', root)
    : fail('run root', `the artifacts' roots give ${root}; run.json claims ${run.runRoot}`, ['run.json']);
}

/** The pause window run.json claims is the one its boundaries and step times give. */
export function checkPauseWindow(run: RunJson): Check {
  const expected = pauseWindow(run.boundaries ?? {}, run.steps ?? []);
  if (isDeepStrictEqual(expected, run.pauseWindow)) {
    return pass(
      'pause window',
      expected ? `${expected.wallMs} ms paused, ${expected.cutoverMs} ms of it cutover's own` : 'no paused and resumed boundaries',
    );
  }
  return fail(
    'pause window',
    `the boundaries and step times give ${JSON.stringify(expected ?? null)}; run.json claims ${JSON.stringify(run.pauseWindow ?? null)}`,
    ['run.json'],
  );
}

/** Every step log in the record has the digest and size run.json claims. `found` maps a log path to its digest. */
export function checkLogs(run: RunJson, found: ReadonlyMap<string, FileDigest | undefined>): Check {
  const bad: string[] = [];
  let count = 0;
  let truncated = 0;
  for (const step of run.steps) {
    if (!step.log) continue;
    count++;
    if (step.log.full) truncated++;
    const actual = found.get(step.log.path);
    if (!actual) bad.push(`missing: ${step.log.path}`);
    else if (actual.digest !== step.log.digest || actual.bytes !== step.log.bytes) bad.push(`changed: ${step.log.path}`);
  }
  if (bad.length) return fail('step logs', `${bad.length} of ${count} log(s) differ from run.json`, bad);
  return pass(
    'step logs',
    `${count} log(s) match${truncated ? ` (${truncated} kept as head and tail; their full digests cannot be recomputed)` : ''}`,
  );
}

/**
 * The record folder holds exactly the files run.json implies, each a regular file: nothing missing,
 * nothing smuggled in, no link, device or FIFO in their place (`irregular`: such entries and their kind).
 */
export function checkRecordFiles(run: RunJson, present: readonly string[], irregular: ReadonlyMap<string, string> = new Map()): Check {
  const expected = recordFiles(run);
  const have = new Set(present);
  const files = [
    ...[...expected].filter((f) => !have.has(f)).map((f) => `missing: ${f}`),
    ...present.filter((f) => !expected.has(f)).map((f) => `added: ${f}`),
    ...present.filter((f) => expected.has(f) && irregular.has(f)).map((f) => `not a regular file: ${f} (${irregular.get(f)})`),
  ];
  return files.length
    ? fail('record files', 'the record folder does not hold exactly the files run.json lists', files)
    : pass('record files', `${present.length} file(s), as run.json lists`);
}

/**
 * statement.json is exactly the in-toto statement run.json and the manifests imply: the current
 * form, or for a record written before manifests became subjects, the legacy form it then had.
 */
export function checkStatement(run: RunJson, text: string | undefined, runJson: string, manifests: StatementTexts['manifests']): Check {
  const name = 'statement.json';
  if (text === undefined) return fail(name, 'statement.json is missing', ['statement.json']);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return fail(name, 'statement.json is not JSON', ['statement.json']);
  }
  const legacy = (doc as { predicateType?: unknown } | null)?.predicateType === LEGACY_PREDICATE_TYPE;
  let expected: { subject: Subject[]; _type: string; predicateType: string; predicate: object };
  try {
    expected = (legacy ? buildLegacyStatement : buildStatement)(run, { runJson, manifests });
  } catch (error) {
    return fail(name, `run.json does not render to a statement (${(error as Error).message})`, ['run.json']);
  }
  const form = legacy ? ' (the legacy form, with directory subjects)' : '';
  if (isDeepStrictEqual(doc, JSON.parse(JSON.stringify(expected))))
    return pass(
      name,
      `${expected.subject.length} subject(s) agree with run.json and the manifests${form} (sha256 ${sha256Hex(runJson).slice(0, 12)}… of run.json)`,
    );
  const got = doc as Partial<typeof expected>;
  const differing = (['_type', 'predicateType', 'predicate'] as const).filter(
    (k) => !isDeepStrictEqual(got?.[k], JSON.parse(JSON.stringify(expected[k]))),
  );
  const gotSubjects = (Array.isArray(got?.subject) ? got.subject : []) as unknown[];
  const nameOf = (g: unknown) => String((g as { name?: unknown } | null)?.name);
  const subjects = [
    ...expected.subject
      .filter((s) => !gotSubjects.some((g) => isDeepStrictEqual(g, s)))
      .map((s) => `${gotSubjects.some((g) => nameOf(g) === s.name) ? 'changed' : 'missing'} subject: ${s.name}`),
    ...gotSubjects.filter((g) => !expected.subject.some((s) => s.name === nameOf(g))).map((g) => `unexpected subject: ${nameOf(g)}`),
  ];
  return fail(name, `statement.json disagrees with run.json or the manifests${differing.length ? ` (${differing.join(', ')})` : ''}`, [
    'statement.json',
    ...subjects,
  ]);
}

/** report.md is the report of this run.json: byte for byte when written by this version, else it names the roots. */
export function checkReport(run: RunJson, text: string | undefined, sameVersion: boolean): Check {
  const name = 'report.md';
  if (text === undefined) return fail(name, 'report.md is missing', ['report.md']);
  if (sameVersion) {
    let expected: string;
    try {
      expected = buildReport(run);
    } catch (error) {
      // A run.json edited into a shape the shape check lets through (a reason that is a number).
      return fail(name, `run.json does not render to a report (${(error as Error).message})`, ['run.json']);
    }
    return text === expected
      ? pass(name, 'is the report of run.json')
      : fail(name, 'report.md is not the report run.json renders to', ['report.md']);
  }
  const needed = [run.runRoot, run.runId, ...run.artifacts.filter((a) => a.present).map((a) => a.root)];
  const missing = needed.filter((n) => !text.includes(n));
  return missing.length
    ? fail(name, `report.md does not mention ${missing.join(', ')}`, ['report.md'])
    : pass(name, `names the run and every root (written by cutover ${run.tool.version})`);
}

/** A file as the run's commit held it has the digest run.json claims (`found` undefined: not in that commit). */
export function checkAtCommit(what: 'plan' | 'lock', run: RunJson, found: string | undefined): Check {
  const claim = run[what];
  const name = `${what} at the run's commit`;
  const commit = run.commit.slice(0, 12);
  if (found === undefined) return fail(name, `${claim.path} is not in commit ${commit} (or the commit is not in this clone)`, [claim.path]);
  return found === claim.digest
    ? pass(name, `${claim.path} at ${commit} is ${found}`)
    : fail(name, `${claim.path} at ${commit} is ${found}; run.json claims ${claim.digest}`, [claim.path]);
}

/** The plan or lock in the current checkout is still the one the run used. */
export function checkUnchanged(what: 'plan' | 'lock', run: RunJson, found: string | undefined): Check {
  const claim = run[what];
  const name = `${what} unchanged since the run`;
  if (found === undefined) return fail(name, `${claim.path} is gone from the checkout`, [`removed: ${claim.path}`]);
  return found === claim.digest
    ? pass(name, `${claim.path} is still ${found}`)
    : fail(name, `the ${what} changed after the run: ${claim.path} is now ${found}; the run used ${claim.digest}`, [
        `changed: ${claim.path}`,
      ]);
}

/** What git says about the commit that last touched run.json. */
export interface RecordCommit {
  commit: string;
  subject: string;
  trailers: [string, string][];
  /** Whether run.json in the work tree is byte-equal to that commit's. */
  sameRunJson: boolean;
}

/** The commit that added run.json carries the subject and the four trailers, agreeing with run.json. */
export function checkTrailers(run: RunJson, found: RecordCommit | { error: string }): Check {
  const name = 'commit trailers';
  if ('error' in found) return fail(name, found.error, ['run.json']);
  const problems: string[] = [];
  for (const [key, value] of recordTrailers(run)) {
    const values = found.trailers.filter(([k]) => k.toLowerCase() === key.toLowerCase()).map(([, v]) => v);
    if (values.length !== 1 || values[0] !== value)
      problems.push(
        `${key} is ${values.length ? values.map((v) => JSON.stringify(v)).join(' and ') : 'missing'}, expected ${JSON.stringify(value)}`,
      );
  }
  const subject = recordCommitMessage(run).split('\n')[0];
  if (found.subject !== subject) problems.push(`subject is ${JSON.stringify(found.subject)}, expected ${JSON.stringify(subject)}`);
  if (!found.sameRunJson) problems.push('run.json in the work tree differs from the committed one');
  const commit = found.commit.slice(0, 12);
  return problems.length
    ? fail(name, `commit ${commit}: ${problems.join('; ')}`, ['run.json'])
    : pass(name, `commit ${commit} carries Cutover-Plan, -Run-Id, -Outcome and -Root as run.json says`);
}

/**
 * The approvals the run was gated on, judged again from the lock, the plan and the allowed-signers
 * file as the run's commit holds them, against the freeze digest the run claims.
 */
export function checkApprovals(run: RunJson, found: ApprovalVerdict | { error: string }): Check {
  const name = 'approvals';
  const lock = run.lock.path;
  if ('error' in found) return fail(name, found.error, [lock]);
  const counted = found.valid.map((v) => `${approvalName(v.approval)} (${v.verified ? 'signature verified' : 'claim'})`);
  const ignored = found.rejected.map((r) => `not counted: ${approvalName(r.approval)} (${r.reason}): ${r.detail}`);
  const signers = found.signers === undefined ? '' : ` against ${found.signers} at ${run.commit.slice(0, 12)}`;
  if (!found.satisfied)
    return fail(name, `${found.valid.length} of ${found.required} required approval(s) of ${run.freezeDigest} count${signers}`, [
      lock,
      ...ignored,
    ]);
  if (found.required === 0 && found.valid.length === 0) return pass(name, 'none required');
  return pass(
    name,
    `${found.valid.length} of ${found.required} required${signers}: ${counted.join(', ')}${ignored.length ? `; ${ignored.length} not counted` : ''}`,
  );
}
