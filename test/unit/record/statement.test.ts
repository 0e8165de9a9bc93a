// statement.json: an in-toto Statement v1 with the artifacts (dirHash, Merkle root) and run.json as subjects.
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../src/text/json.js';
import { buildRunJson } from '../../../src/record/run-record.js';
import { MERKLE_DIGEST_KEY, PREDICATE_TYPE, STATEMENT_TYPE, buildStatement } from '../../../src/record/statement.js';
import { artifact, runResult, sha } from './fixture.js';

function statementOf(result = runResult()) {
  const run = buildRunJson(result);
  const runJson = canonicalJson(run);
  const manifests = Object.fromEntries(result.artifacts.map((a) => [a.name, a.manifest]));
  return { run, runJson, statement: buildStatement(run, { runJson, manifests }), result };
}

describe('buildStatement', () => {
  it('has the in-toto v1 type, our predicate type and a summary predicate', () => {
    const { statement, run } = statementOf();
    expect(statement._type).toBe(STATEMENT_TYPE);
    expect(STATEMENT_TYPE).toBe('https://in-toto.io/Statement/v1');
    expect(statement.predicateType).toBe(PREDICATE_TYPE);
    expect(new URL(PREDICATE_TYPE).hostname.endsWith('.invalid')).toBe(true);
    expect(statement.predicate).toMatchObject({ runId: 'run-1', outcome: 'success', runRoot: run.runRoot, commit: run.commit, plan: run.plan });
  });

  it('makes run.json and each present artifact a subject with lowercase hex digests', () => {
    const { statement, runJson, result } = statementOf();
    const [runSubject, candidate, summary] = statement.subject;
    expect(runSubject).toEqual({ name: 'reports/station-56/run-1/run.json', digest: { sha256: sha(runJson) } });
    const c = result.artifacts[0]!;
    expect(candidate).toEqual({
      name: 'storage_candidate/v1',
      digest: { dirHash: sha(c.manifest), [MERKLE_DIGEST_KEY]: c.root.slice('sha256:'.length) },
      annotations: { artifact: 'candidate', files: 4, bytes: c.bytes },
    });
    // A single file also carries its own sha256, which any in-toto consumer understands.
    expect(summary?.digest.sha256).toBe(sha('{"ok":true}\n'));
    for (const subject of statement.subject) for (const value of Object.values(subject.digest)) expect(value).toMatch(/^[0-9a-f]{64}$/);
  });

  it('leaves out artifacts that were absent at the end of the run', () => {
    const base = runResult();
    const gone = { ...artifact('gone', 'out/gone', {}), present: false };
    const { statement } = statementOf({ ...base, artifacts: [...base.artifacts, gone] });
    expect(statement.subject.map((s) => s.name)).not.toContain('out/gone');
  });
});
