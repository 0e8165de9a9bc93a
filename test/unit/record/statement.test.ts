// statement.json: an in-toto Statement v1 whose subjects are files with a sha256: run.json, each manifest, each single-file artifact.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { canonicalJson } from '../../../src/text/json.js';
import { buildRunJson } from '../../../src/record/run-record.js';
import {
  LEGACY_PREDICATE_TYPE,
  MERKLE_DIGEST_KEY,
  PREDICATE_TYPE,
  REPOSITORY_URL,
  STATEMENT_TYPE,
  buildLegacyStatement,
  buildStatement,
  subjectChecksums,
} from '../../../src/record/statement.js';
import { artifact, runResult, sha } from './fixture.js';

const root = new URL('../../../', import.meta.url);

function statementOf(result = runResult()) {
  const run = buildRunJson(result);
  const runJson = canonicalJson(run);
  const manifests = Object.fromEntries(result.artifacts.map((a) => [a.name, a.manifest]));
  return { run, runJson, manifests, statement: buildStatement(run, { runJson, manifests }), result };
}

describe('buildStatement', () => {
  it('has the in-toto v1 type, a predicate type that is an https URI into the documented predicate, and a summary predicate', () => {
    const { statement, run } = statementOf();
    expect(statement._type).toBe(STATEMENT_TYPE);
    expect(STATEMENT_TYPE).toBe('https://in-toto.io/Statement/v1');
    expect(statement.predicateType).toBe(PREDICATE_TYPE);
    const uri = new URL(PREDICATE_TYPE);
    expect(uri.protocol).toBe('https:');
    expect(`${uri.origin}${uri.pathname}`).toBe(`${REPOSITORY_URL}/blob/main/docs/predicate.md`);
    // The anchor is a heading of that page, as GitHub makes anchors from headings.
    const page = readFileSync(new URL('docs/predicate.md', root), 'utf8');
    const anchors = [...page.matchAll(/^#+ (.+)$/gm)].map((m) =>
      m[1]!
        .toLowerCase()
        .replace(/[^a-z0-9 -]/g, '')
        .replace(/ /g, '-'),
    );
    expect(anchors).toContain(uri.hash.slice(1));
    expect(statement.predicate).toMatchObject({
      runId: 'run-1',
      outcome: 'success',
      runRoot: run.runRoot,
      commit: run.commit,
      plan: run.plan,
    });
  });

  it('uses one canonical repository URL: package.json, the schema $id and the predicate type', () => {
    const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
    const schema = JSON.parse(readFileSync(new URL('schemas/cutover-plan.schema.json', root), 'utf8'));
    expect(pkg.repository.url).toBe(`git+${REPOSITORY_URL}.git`);
    expect(pkg.homepage.startsWith(REPOSITORY_URL)).toBe(true);
    expect(pkg.bugs.url).toBe(`${REPOSITORY_URL}/issues`);
    expect(schema.$id.startsWith(`${REPOSITORY_URL}/`)).toBe(true);
  });

  it('makes run.json, each present manifest and each single-file artifact a subject, every one with a sha256', () => {
    const { statement, runJson, result, run } = statementOf();
    const [candidate, summary] = result.artifacts;
    expect(statement.subject).toEqual([
      { name: 'reports/station-56/run-1/run.json', digest: { sha256: sha(runJson) } },
      {
        name: 'reports/station-56/run-1/manifests/candidate.sha256',
        digest: { sha256: sha(candidate!.manifest) },
        annotations: {
          artifact: 'candidate',
          path: 'storage_candidate/v1',
          files: 4,
          bytes: candidate!.bytes,
          [MERKLE_DIGEST_KEY]: candidate!.root.slice('sha256:'.length),
        },
      },
      {
        name: 'reports/station-56/run-1/manifests/summary.sha256',
        digest: { sha256: sha(summary!.manifest) },
        annotations: expect.objectContaining({ artifact: 'summary', path: summary!.path }),
      },
      { name: summary!.path, digest: { sha256: sha('{"ok":true}\n') }, annotations: { artifact: 'summary' } },
    ]);
    for (const subject of statement.subject) expect(subject.digest.sha256).toMatch(/^[0-9a-f]{64}$/);
    // The directory hash stays in the predicate: the SHA-256 of the manifest, as the manifest's subject says.
    expect(statement.predicate.artifacts[0]).toEqual({
      name: 'candidate',
      path: 'storage_candidate/v1',
      present: true,
      files: 4,
      bytes: candidate!.bytes,
      root: candidate!.root,
      dirHash: sha(candidate!.manifest),
      manifest: 'reports/station-56/run-1/manifests/candidate.sha256',
    });
    expect(run.artifacts).toHaveLength(statement.predicate.artifacts.length);
  });

  it('leaves absent artifacts out of the subjects and keeps them in the predicate', () => {
    const base = runResult();
    const gone = { ...artifact('gone', 'out/gone', {}), present: false };
    const { statement } = statementOf({ ...base, artifacts: [...base.artifacts, gone] });
    expect(statement.subject.map((s) => s.name).filter((n) => n.includes('gone'))).toEqual([]);
    expect(statement.predicate.artifacts.at(-1)).toMatchObject({ name: 'gone', present: false });
    expect(statement.predicate.artifacts.at(-1)).not.toHaveProperty('dirHash');
  });

  it('lists the subjects as a sha256sum checksums file for actions/attest', () => {
    const { statement } = statementOf();
    const lines = subjectChecksums(statement).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toEqual(statement.subject.map((s) => `${s.digest.sha256}  ${s.name}`));
  });

  it('still renders the legacy statement, with directory subjects, for records written before', () => {
    const { run, runJson, manifests, result } = statementOf();
    const legacy = buildLegacyStatement(run, { runJson, manifests });
    expect(legacy.predicateType).toBe(LEGACY_PREDICATE_TYPE);
    expect(legacy.subject[1]).toEqual({
      name: 'storage_candidate/v1',
      digest: { dirHash: sha(result.artifacts[0]!.manifest), [MERKLE_DIGEST_KEY]: result.artifacts[0]!.root.slice('sha256:'.length) },
      annotations: { artifact: 'candidate', files: 4, bytes: result.artifacts[0]!.bytes },
    });
  });
});
