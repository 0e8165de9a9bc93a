// statement.json of a real run, checked independently: every subject a file whose sha256 the file has, each manifest's digest the artifact's dirHash.
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cutover } from '../helpers/cli.js';
import { planHead, planRepo, runPlan } from '../helpers/run-repo.js';

const hex = (bytes: string | Buffer) => createHash('sha256').update(bytes).digest('hex');

/** in-toto's dirHash, computed here from the files alone: sha256sum lines sorted by path bytes, then their SHA-256. */
function dirHash(path: string): string {
  if (lstatSync(path).isFile()) return hex(`${hex(readFileSync(path))}  ${path.split('/').at(-1)}\n`);
  const files: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(path, rel))) {
      const child = rel ? `${rel}/${name}` : name;
      if (lstatSync(join(path, child)).isDirectory()) walk(child);
      else files.push(child);
    }
  };
  walk('');
  files.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return hex(files.map((f) => `${hex(readFileSync(join(path, f)))}  ${f}\n`).join(''));
}

describe('statement.json of a real run', () => {
  it('names only files with a sha256 that the files have; manifests carry the dirHash; sha256sum -c agrees; verify passes', () => {
    const dir = planRepo(`${planHead()}  steps:
    - { id: tree, run: node tools/step.js tree out/data 5 }
    - { id: nested, run: node tools/step.js write out/data/sub/deep.txt nested }
    - { id: summary, run: node tools/step.js write out/summary.json ok }
  artifacts:
    - { name: data, path: out/data }
    - { name: summary, path: out/summary.json }
`);
    const run = runPlan(dir);
    expect(run.code, `${run.stderr}${run.stdout}`).toBe(0);
    const record = 'reports/test-plan/r1';
    const statement = JSON.parse(readFileSync(join(dir, record, 'statement.json'), 'utf8'));
    const names = statement.subject.map((s: { name: string }) => s.name);
    expect(names).toEqual([
      `${record}/run.json`,
      `${record}/manifests/data.sha256`,
      `${record}/manifests/summary.sha256`,
      'out/summary.json',
    ]);
    for (const subject of statement.subject) {
      expect(subject.digest.sha256, subject.name).toMatch(/^[0-9a-f]{64}$/);
      // What gh attestation verify and cosign do: hash the file, look for a subject with that digest.
      expect(hex(readFileSync(join(dir, subject.name))), subject.name).toBe(subject.digest.sha256);
    }
    const subjectOf = (name: string) => statement.subject.find((s: { name: string }) => s.name === name);
    expect(subjectOf(`${record}/manifests/data.sha256`).digest.sha256).toBe(dirHash(join(dir, 'out/data')));
    expect(subjectOf(`${record}/manifests/summary.sha256`).digest.sha256).toBe(dirHash(join(dir, 'out/summary.json')));
    const predicate = Object.fromEntries(statement.predicate.artifacts.map((a: { name: string }) => [a.name, a]));
    expect(predicate.data.dirHash).toBe(dirHash(join(dir, 'out/data')));

    // The subject list as a checksums file (what actions/attest takes as subject-checksums), checked by coreutils.
    const checksums = join(dir, '.git', 'subjects.sha256');
    writeFileSync(
      checksums,
      statement.subject.map((s: { name: string; digest: { sha256: string } }) => `${s.digest.sha256}  ${s.name}\n`).join(''),
    );
    expect(execFileSync('sha256sum', ['-c', checksums], { cwd: dir, encoding: 'utf8' }).match(/: OK$/gm)).toHaveLength(4);

    const verified = cutover(['verify', record, '--format', 'json'], { cwd: dir });
    expect(verified.code, verified.stdout).toBe(0);
    expect(JSON.parse(verified.stdout).checks.find((c: { name: string }) => c.name === 'statement.json')).toMatchObject({ ok: true });
  });
});
