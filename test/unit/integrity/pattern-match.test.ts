// A pattern matches a list of paths exactly as the freeze's glob matches the same files on disk.
import { describe, expect, it } from 'vitest';
import { glob } from 'tinyglobby';
import { FROZEN_GLOB, matchPattern, virtualTree } from '../../../src/integrity/pattern-match.js';
import { tempDir, writeFiles } from '../../helpers/git-repo.js';

const PATHS = [
  'migration/mapping/a.json',
  'migration/mapping/sub/b.json',
  'migration/mapping/readme.md',
  '.hidden/c.json',
  'x.json',
  'a b/c[1].json',
  'plans/p.yaml',
  'deep/.git/config',
];

const PATTERNS = [
  'migration/mapping/*.json',
  'migration/**',
  '**/*.json',
  'x.json',
  './x.json',
  'a b/c[[]1].json',
  'migration/mapping/',
  '!x.json',
  '**',
  'deep/**',
  'plans/*.{yaml,yml}',
  'nothing/*',
];

describe('matchPattern', () => {
  it.each(PATTERNS)('%s matches the same paths as the freeze finds on disk', async (pattern) => {
    const dir = tempDir();
    writeFiles(dir, Object.fromEntries(PATHS.map((p) => [p, 'x'])));
    const onDisk = await glob([pattern], { ...FROZEN_GLOB, ignore: [...FROZEN_GLOB.ignore], cwd: dir });
    expect((await matchPattern(pattern, virtualTree(PATHS))).sort()).toEqual(onDisk.sort());
  });

  it('matches a path that exists nowhere (a file a diff deleted)', async () => {
    expect(await matchPattern('migration/mapping/*.json', virtualTree(['migration/mapping/gone.json', 'other/x.json']))).toEqual([
      'migration/mapping/gone.json',
    ]);
    expect(await matchPattern('**/*.json', virtualTree([]))).toEqual([]);
  });
});
