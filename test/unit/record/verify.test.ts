// The pure checks of `cutover verify`: each one catches its tamper and names the file.
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../src/text/json.js';
import { parseManifest } from '../../../src/integrity/manifest.js';
import { buildReport } from '../../../src/record/report.js';
import { buildRunJson, recordCommitMessage, recordTrailers } from '../../../src/record/run-record.js';
import { buildLegacyStatement, buildStatement, manifestFacts } from '../../../src/record/statement.js';
import {
  checkApprovals,
  checkArtifactFiles,
  checkArtifactSame,
  checkEvidence,
  checkLogs,
  checkManifest,
  checkRecordFiles,
  checkReport,
  checkRunRoot,
  checkStatement,
  checkTrailers,
  checkUnchanged,
} from '../../../src/record/verify.js';
import { parseRunJson } from '../../../src/record/verify-run-json.js';
import { runResult, sha } from './fixture.js';

const result = runResult();
const run = buildRunJson(result);
const candidate = run.artifacts[0]!;
const manifest = result.artifacts[0]!.manifest;

describe('parseRunJson', () => {
  it('accepts a record and refuses another version, bad JSON or a hostile manifest path', () => {
    expect(parseRunJson(canonicalJson(run)).check.ok).toBe(true);
    expect(parseRunJson(undefined).check).toMatchObject({ ok: false, files: ['run.json'] });
    expect(parseRunJson('{').check.ok).toBe(false);
    expect(parseRunJson(canonicalJson({ ...run, recordVersion: 'cutover-record/v0' })).check.detail).toMatch(/recordVersion/);
    const hostile = { ...run, artifacts: [{ ...candidate, manifest: '../../etc/passwd' }] };
    expect(parseRunJson(canonicalJson(hostile)).check.ok).toBe(false);
    const badLog = { ...run, steps: [{ ...run.steps[1]!, log: { path: '../x.log', digest: 'd', bytes: 1 } }] };
    expect(parseRunJson(canonicalJson(badLog)).check.ok).toBe(false);
  });
});

describe('outcomes and rehearsals', () => {
  it('accepts every outcome a run ends with, abandoned included, and nothing else', () => {
    for (const outcome of ['success', 'failure', 'interrupted', 'abandoned'])
      expect(parseRunJson(canonicalJson({ ...run, outcome })).check.ok).toBe(true);
    expect(parseRunJson(canonicalJson({ ...run, outcome: 'drill' })).check.detail).toMatch(/outcome is "drill"/);
    expect(parseRunJson(canonicalJson({ ...run, rehearsal: false })).check.detail).toMatch(/rehearsal/);
  });

  it('refuses a rehearsal as evidence and passes a run', () => {
    expect(checkEvidence(run)).toMatchObject({ ok: true });
    expect(checkEvidence(buildRunJson(runResult({ rehearsal: true })))).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/is a rehearsal/),
    });
  });
});

describe('checkManifest', () => {
  it('passes a manifest whose root, count and folder roots are run.json’s', () => {
    expect(checkManifest(candidate, manifest).check.ok).toBe(true);
  });

  it('fails an edited manifest line, naming the manifest', () => {
    const edited = manifest.replace(/^[0-9a-f]/, (c) => (c === '0' ? '1' : '0'));
    const { check } = checkManifest(candidate, edited);
    expect(check).toMatchObject({ ok: false, files: ['manifests/candidate.sha256'] });
    expect(check.detail).toMatch(/has root sha256:[0-9a-f]{64}; run.json claims/);
  });

  it('fails a root edited in run.json, and a missing or unparsable manifest', () => {
    expect(checkManifest({ ...candidate, root: `sha256:${sha('other')}` }, manifest).check.ok).toBe(false);
    expect(checkManifest(candidate, undefined).check.detail).toMatch(/missing/);
    expect(checkManifest(candidate, 'not a manifest\n').check.detail).toMatch(/line 1/);
  });

  it('fails folder roots that do not follow from the manifest', () => {
    const { check } = checkManifest({ ...candidate, children: { ...candidate.children, kurse: `sha256:${sha('x')}` } }, manifest);
    expect(check).toMatchObject({ ok: false, files: ['storage_candidate/v1/kurse'] });
  });
});

describe('checkManifest with the artifact as hashed now', () => {
  const entries = parseManifest(manifest);
  const known = {
    isManifest: (text: string | Uint8Array) => Buffer.from(text).equals(Buffer.from(manifest)),
    entries,
    root: candidate.root,
    files: entries.length,
  };
  it('takes the root and count of an identical manifest, and still holds them to run.json', () => {
    const same = checkManifest(candidate, manifest, known);
    expect(same).toMatchObject({ check: { ok: true }, same: true });
    expect(same.entries).toBeUndefined();
    expect(checkManifest({ ...candidate, root: `sha256:${sha('other')}` }, manifest, known).check.detail).toMatch(/run.json claims/);
    expect(checkManifest({ ...candidate, files: candidate.files + 1 }, manifest, known).check.ok).toBe(false);
    const children = { ...candidate.children, kurse: `sha256:${sha('x')}` };
    expect(checkManifest({ ...candidate, children }, manifest, known).check).toMatchObject({
      ok: false,
      files: ['storage_candidate/v1/kurse'],
    });
  });

  it('parses and roots a manifest that differs from it, however little', () => {
    const edited = manifest.replace(/^[0-9a-f]/, (c) => (c === '0' ? '1' : '0'));
    const differing = checkManifest(candidate, edited, known);
    expect(differing.check.detail).toMatch(/has root sha256:[0-9a-f]{64}; run.json claims/);
    expect(differing.same).toBeUndefined();
    expect(checkManifest(candidate, `${manifest}x`, known).check.detail).toMatch(/does not parse/);
  });

  it('takes the manifest as bytes: the same check and facts as its text', () => {
    expect(checkManifest(candidate, Buffer.from(manifest), known)).toMatchObject({ check: { ok: true }, same: true });
    const edited = Buffer.from(manifest.replace(/^[0-9a-f]/, (c) => (c === '0' ? '1' : '0')));
    expect(checkManifest(candidate, edited, known).check.detail).toMatch(/has root sha256:[0-9a-f]{64}; run.json claims/);
    expect(checkManifest(candidate, Buffer.from(`${manifest}x`), known).check.detail).toMatch(/does not parse/);
    expect(manifestFacts(Buffer.from(manifest))).toEqual(manifestFacts(manifest));
  });
});

describe('checkArtifactSame', () => {
  it('passes an artifact whose manifest is the record’s when its size is run.json’s, and names it when not', () => {
    expect(checkArtifactSame(candidate, { files: candidate.files, bytes: candidate.bytes }, 'out/v1')).toMatchObject({ ok: true });
    expect(checkArtifactSame(candidate, { files: candidate.files, bytes: candidate.bytes + 1 }, 'out/v1')).toMatchObject({
      ok: false,
      files: ['out/v1'],
    });
  });
});

describe('checkArtifactFiles', () => {
  const recorded = parseManifest(manifest);
  it('names every file added, removed and changed', () => {
    const found = [
      { path: 'index.json', digest: sha('tampered') },
      ...recorded.filter((e) => e.path !== 'users/u.json' && e.path !== 'index.json'),
      { path: 'zz-new.json', digest: sha('new') },
    ];
    const check = checkArtifactFiles(candidate, recorded, { entries: found, bytes: 1 }, 'storage_candidate/v1');
    expect(check.ok).toBe(false);
    expect(check.files).toEqual([
      'added: storage_candidate/v1/zz-new.json',
      'removed: storage_candidate/v1/users/u.json',
      'changed: storage_candidate/v1/index.json',
    ]);
  });

  it('passes an identical tree and fails a wrong byte count or an unreadable artifact', () => {
    expect(checkArtifactFiles(candidate, recorded, { entries: recorded, bytes: candidate.bytes }, 'x').ok).toBe(true);
    expect(checkArtifactFiles(candidate, recorded, { entries: recorded, bytes: candidate.bytes + 1 }, 'x').ok).toBe(false);
    expect(checkArtifactFiles(candidate, recorded, { error: 'artifact does not exist' }, 'x')).toMatchObject({ ok: false, files: ['x'] });
  });
});

describe('record-level checks', () => {
  it('recomputes the run root and fails an edited one', () => {
    expect(checkRunRoot(run).ok).toBe(true);
    expect(checkRunRoot({ ...run, runRoot: `sha256:${sha('x')}` })).toMatchObject({ ok: false, files: ['run.json'] });
  });

  it('compares log digests and sizes, naming missing and changed logs', () => {
    const found = new Map(run.steps.filter((s) => s.log).map((s) => [s.log!.path, { digest: s.log!.digest, bytes: s.log!.bytes }]));
    expect(checkLogs(run, found).ok).toBe(true);
    found.set('logs/steps-01-dry-run.log', { digest: `sha256:${sha('other')}`, bytes: 14 });
    found.delete('logs/finally-01-resume.log');
    expect(checkLogs(run, found).files).toEqual(['changed: logs/steps-01-dry-run.log', 'missing: logs/finally-01-resume.log']);
  });

  it('wants exactly the listed files in the record folder', () => {
    const listed = [
      'run.json',
      'report.md',
      'statement.json',
      'manifests/candidate.sha256',
      'manifests/summary.sha256',
      'logs/steps-01-dry-run.log',
      'logs/steps-02-migrate.log',
      'logs/finally-01-resume.log',
    ];
    expect(checkRecordFiles(run, listed).ok).toBe(true);
    expect(checkRecordFiles(run, [...listed.slice(1), 'logs/extra.log']).files).toEqual(['missing: run.json', 'added: logs/extra.log']);
  });

  it('checks statement.json against run.json and the manifests', () => {
    const runJson = canonicalJson(run);
    const manifests = Object.fromEntries(result.artifacts.map((a) => [a.name, a.manifest]));
    const good = canonicalJson(buildStatement(run, { runJson, manifests }));
    expect(checkStatement(run, good, runJson, manifests).ok).toBe(true);
    const manifestDigest = sha(manifests.candidate!);
    const forged = good.replace(`"sha256": "${manifestDigest}"`, `"sha256": "${sha('forged')}"`);
    expect(forged).not.toBe(good);
    const check = checkStatement(run, forged, runJson, manifests);
    expect(check.ok).toBe(false);
    expect(check.files).toContain('changed subject: reports/station-56/run-1/manifests/candidate.sha256');
    expect(checkStatement(run, good, `${runJson} `, manifests).ok).toBe(false);
    // A record written before manifests became subjects keeps verifying, and a forgery of it does not.
    const legacy = canonicalJson(buildLegacyStatement(run, { runJson, manifests }));
    expect(checkStatement(run, legacy, runJson, manifests)).toMatchObject({ ok: true, detail: expect.stringContaining('legacy form') });
    expect(
      checkStatement(run, legacy.replace(`"dirHash": "${manifestDigest}"`, `"dirHash": "${sha('forged')}"`), runJson, manifests).ok,
    ).toBe(false);
  });

  it('passes the approvals the run was gated on, and fails naming each one that does not count', () => {
    const bob = {
      by: 'Bob <bob@example.test>',
      digest: run.freezeDigest,
      principal: 'bob@example.test',
      key: `SHA256:${'B'.repeat(43)}`,
      signature: 'U1NIU0lH',
    };
    const eve = { ...bob, by: 'Eve <eve@example.test>', principal: 'eve@example.test' };
    const signers = '.cutover/allowed_signers';
    expect(
      checkApprovals(run, { required: 1, satisfied: true, signers, valid: [{ approval: bob, verified: true }], rejected: [] }),
    ).toMatchObject({
      ok: true,
      detail: expect.stringContaining(
        `1 of 1 required against ${signers} at ${run.commit.slice(0, 12)}: bob@example.test (signature verified)`,
      ),
    });
    const failed = checkApprovals(run, {
      required: 2,
      satisfied: false,
      signers,
      valid: [{ approval: bob, verified: true }],
      rejected: [{ approval: eve, reason: 'unknown-principal', detail: `eve@example.test is not a principal of ${signers}` }],
    });
    expect(failed).toMatchObject({
      ok: false,
      detail: expect.stringContaining(`1 of 2 required approval(s) of ${run.freezeDigest} count`),
    });
    expect(failed.files).toEqual([
      run.lock.path,
      `not counted: eve@example.test (unknown-principal): eve@example.test is not a principal of ${signers}`,
    ]);
    expect(checkApprovals(run, { required: 0, satisfied: true, valid: [], rejected: [] })).toMatchObject({
      ok: true,
      detail: 'none required',
    });
    expect(checkApprovals(run, { error: 'the plan or the lock is not in commit abc' })).toMatchObject({
      ok: false,
      files: [run.lock.path],
    });
  });

  it('checks report.md byte for byte from this version, by its roots from another', () => {
    const text = buildReport(run);
    expect(checkReport(run, text, true).ok).toBe(true);
    expect(checkReport(run, `${text}\nedited`, true).ok).toBe(false);
    expect(checkReport(run, `${text}\nedited`, false).ok).toBe(true);
    expect(checkReport(run, text.replace(run.runRoot, 'x'), false).ok).toBe(false);
    const odd = { ...run, steps: [{ ...run.steps[1]!, reason: 7 as unknown as string }] };
    expect(checkReport(odd, text, true)).toMatchObject({ ok: false, files: ['run.json'] });
  });

  it('flags a plan or lock that changed after the run', () => {
    expect(checkUnchanged('plan', run, run.plan.digest).ok).toBe(true);
    expect(checkUnchanged('plan', run, `sha256:${sha('new plan')}`)).toMatchObject({
      ok: false,
      files: ['changed: plans/station-56.yaml'],
    });
    expect(checkUnchanged('lock', run, undefined)).toMatchObject({ ok: false, files: ['removed: plans/station-56.lock.json'] });
  });

  it('wants each trailer exactly once with run.json’s value, and the subject line', () => {
    const subject = recordCommitMessage(run).split('\n')[0]!;
    const trailers = recordTrailers(run);
    const commit = { commit: 'c'.repeat(40), subject, trailers, sameRunJson: true };
    expect(checkTrailers(run, commit).ok).toBe(true);
    expect(checkTrailers(run, { ...commit, trailers: [...trailers, ['Cutover-Root', `sha256:${sha('x')}`]] }).detail).toMatch(
      /Cutover-Root is/,
    );
    expect(checkTrailers(run, { ...commit, subject: 'edit run.json' }).ok).toBe(false);
    expect(checkTrailers(run, { ...commit, sameRunJson: false }).detail).toMatch(/work tree differs/);
    expect(checkTrailers(run, { error: 'not committed' }).ok).toBe(false);
  });
});
