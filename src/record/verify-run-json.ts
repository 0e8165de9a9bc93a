// The first check of `cutover verify`: run.json parses, has this record version and the shape every later check relies on.
import { MANIFEST_FORMAT } from '../integrity/manifest.js';
import { RUN_OUTCOMES } from '../run/events.js';
import { RECORD_VERSION, manifestPath, type RunJson } from './run-record.js';
import { fail, pass, type Check } from './verify.js';

const SAFE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const LOG_PATH = /^logs\/[A-Za-z0-9][A-Za-z0-9._-]*\.log$/;

/** Parses run.json and checks its version and shape; a record that fails here cannot be checked further. */
export function parseRunJson(text: string | undefined, unread = 'is missing'): { run?: RunJson; check: Check } {
  const name = 'run.json';
  if (text === undefined) return { check: fail(name, `run.json ${unread}`, ['run.json']) };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    return { check: fail(name, `run.json is not JSON (${(error as Error).message})`, ['run.json']) };
  }
  const problems = shapeProblems(doc);
  if (problems.length)
    return { check: fail(name, `run.json is not a ${RECORD_VERSION} record: ${problems.slice(0, 5).join('; ')}`, ['run.json']) };
  const run = doc as RunJson;
  return {
    run,
    check: pass(
      name,
      `${RECORD_VERSION}: plan ${run.plan.name}, run ${run.runId}, ${run.outcome}, ${run.artifacts.length} artifact(s), ${run.steps.length} step(s)`,
    ),
  };
}

// A structural check of what verify reads; every later check may then rely on these types.
function shapeProblems(doc: unknown): string[] {
  const problems: string[] = [];
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(doc)) return ['not a JSON object'];
  const want = (ok: boolean, what: string) => ok || problems.push(what);
  const str = (v: unknown) => typeof v === 'string';
  const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  want(doc.recordVersion === RECORD_VERSION, `recordVersion is ${JSON.stringify(doc.recordVersion)}, expected ${RECORD_VERSION}`);
  want(doc.manifestFormat === MANIFEST_FORMAT, `manifestFormat is ${JSON.stringify(doc.manifestFormat)}, expected ${MANIFEST_FORMAT}`);
  for (const key of ['runId', 'commit', 'branch', 'startedAt', 'endedAt', 'outcome', 'freezeDigest', 'runRoot'])
    want(str(doc[key]), `${key} is not a string`);
  for (const key of ['plan', 'lock']) {
    const part = doc[key];
    want(isObject(part) && str(part.path) && str(part.digest) && (key === 'lock' || str(part.name)), `${key} lacks its path or digest`);
  }
  want(isObject(doc.record) && str(doc.record.dir), 'record.dir is not a string');
  want(isObject(doc.boundaries), 'boundaries is not an object');
  want(isObject(doc.runner), 'runner is not an object');
  want(num(doc.exitCode), 'exitCode is not a number');
  want(
    (RUN_OUTCOMES as readonly unknown[]).includes(doc.outcome),
    `outcome is ${JSON.stringify(doc.outcome)}, expected one of ${RUN_OUTCOMES.join(', ')}`,
  );
  want(doc.rehearsal === undefined || doc.rehearsal === true, 'rehearsal is neither absent nor true');
  if (!Array.isArray(doc.steps)) problems.push('steps is not a list');
  else {
    doc.steps.forEach((step: unknown, i) => {
      if (!isObject(step) || !str(step.id) || !str(step.phase) || !str(step.outcome))
        return problems.push(`steps[${i}] lacks its id, phase or outcome`);
      want(step.tail === undefined || (Array.isArray(step.tail) && step.tail.every(str)), `steps[${i}].tail is not a list of lines`);
      const log = step.log;
      if (log === null) return;
      want(
        isObject(log) && str(log.path) && LOG_PATH.test(log.path as string) && str(log.digest) && num(log.bytes),
        `steps[${i}].log is not { path: logs/….log, digest, bytes }`,
      );
    });
  }
  if (!Array.isArray(doc.artifacts)) problems.push('artifacts is not a list');
  else {
    doc.artifacts.forEach((a: unknown, i) => {
      if (!isObject(a)) return problems.push(`artifacts[${i}] is not an object`);
      want(str(a.name) && SAFE_NAME.test(a.name as string), `artifacts[${i}].name is not an artifact name`);
      want(
        str(a.path) && str(a.root) && typeof a.present === 'boolean' && num(a.files) && num(a.bytes),
        `artifacts[${i}] lacks its path, root, present, files or bytes`,
      );
      want(a.commit === 'files' || a.commit === 'manifest', `artifacts[${i}].commit is neither files nor manifest`);
      want(
        a.present ? a.manifest === manifestPath(String(a.name)) : a.manifest === null,
        `artifacts[${i}].manifest is not ${a.present ? manifestPath(String(a.name)) : 'null'}`,
      );
      want(
        a.children === undefined || (isObject(a.children) && Object.values(a.children).every(str)),
        `artifacts[${i}].children is not a map of roots`,
      );
    });
  }
  return problems;
}
