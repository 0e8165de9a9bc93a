// The staged-set check of commitRecord: what `git diff --cached` and `git status` must agree on.
import { describe, expect, it } from 'vitest';
import { stagedInStatus, stagedProblems } from '../../../src/record/record-git.js';

const record = ['reports/p/r/run.json', 'reports/p/r/report.md'];
const artifacts = [{ path: 'out/scan', expected: ['out/scan/a.json', 'out/scan/b/c.json'] }];
const indexed = new Map([['out/scan', ['out/scan/a.json', 'out/scan/b/c.json']]]);

describe('stagedProblems', () => {
  it('accepts the record files and changes under the files artifacts', () => {
    const staged = [...record, 'out/scan/a.json'];
    expect(stagedProblems({ staged, status: staged, recordFiles: record, artifacts, indexed })).toEqual([]);
  });

  it('names a path staged outside the record, a record file not staged, and a view that disagrees', () => {
    const staged = [record[0]!, 'README.md'];
    const problems = stagedProblems({ staged, status: [record[0]!], recordFiles: record, artifacts, indexed });
    expect(problems).toEqual([
      'git status and git diff --cached disagree on README.md',
      'staged but not part of the record: README.md',
      'record files not staged: reports/p/r/report.md',
    ]);
  });

  it('wants the index under a files artifact to list exactly its manifest', () => {
    const gitlink = new Map([['out/scan', ['out/scan/a.json', 'out/scan/b']]]);
    expect(stagedProblems({ staged: record, status: record, recordFiles: record, artifacts, indexed: gitlink })).toEqual([
      'in the index under out/scan but not in its manifest: out/scan/b',
      'in the manifest of out/scan but not in the index: out/scan/b/c.json',
    ]);
  });

  it('shortens long lists', () => {
    const staged = Array.from({ length: 8 }, (_, i) => `x${i}`);
    expect(stagedProblems({ staged, status: staged, recordFiles: [], artifacts: [], indexed: new Map() })[0]).toBe(
      'staged but not part of the record: x0, x1, x2, x3, x4 and 3 more',
    );
  });
});

describe('stagedInStatus', () => {
  it('keeps entries with a staged change in the index column', () => {
    expect(stagedInStatus('A  new.txt\0 M dirty.txt\0M  both.txt\0D  gone.txt\0?? untracked\0')).toEqual([
      'new.txt',
      'both.txt',
      'gone.txt',
    ]);
  });
});
