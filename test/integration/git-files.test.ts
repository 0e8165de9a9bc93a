// What git hides about frozen files, read from real repositories: index flags, nested repositories
// and submodules, and the committed bytes of each file (by SHA-256, straight from the object store).
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findNestedRepositories, readHiddenPaths } from '../../src/adapters/git-files.js';
import { digestCommitted } from '../../src/adapters/git-objects.js';
import { git, gitRepo, tempDir, writeFiles } from '../helpers/git-repo.js';

const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

describe('readHiddenPaths', () => {
  it('names skip-worktree and assume-unchanged entries among the given paths, and nothing else', async () => {
    const dir = gitRepo({ 'a.json': '1\n', 'b.json': '2\n', 'c.json': '3\n', 'd.json': '4\n', 'with space.json': '5\n' });
    git(dir, 'update-index', '--skip-worktree', 'a.json');
    git(dir, 'update-index', '--assume-unchanged', 'b.json');
    git(dir, 'update-index', '--skip-worktree', 'c.json');
    git(dir, 'update-index', '--assume-unchanged', 'c.json');
    git(dir, 'update-index', '--assume-unchanged', 'with space.json');
    const hidden = await readHiddenPaths(['a.json', 'b.json', 'c.json', 'd.json', 'with space.json', 'untracked.json'], { cwd: dir });
    expect(Object.fromEntries(hidden)).toEqual({
      'a.json': ['skip-worktree'],
      'b.json': ['assume-unchanged'],
      'c.json': ['skip-worktree', 'assume-unchanged'],
      'with space.json': ['assume-unchanged'],
    });
    expect(await readHiddenPaths(['d.json'], { cwd: dir })).toEqual(new Map());
  });
});

describe('findNestedRepositories', () => {
  it('finds the outermost folder holding .git (a folder or a file) above each path', async () => {
    const dir = gitRepo({ 'config/a.json': '1\n' });
    mkdirSync(join(dir, 'config/sub/deeper'), { recursive: true });
    git(join(dir, 'config/sub'), 'init', '-q');
    writeFiles(dir, {
      'config/sub/deeper/b.json': '2\n',
      'data/wt/.git': 'gitdir: /elsewhere\n',
      'data/wt/x.csv': 'x\n',
      'data/plain/y.csv': 'y\n',
    });
    const nested = await findNestedRepositories(
      ['config/a.json', 'config/sub/deeper/b.json', 'data/wt/x.csv', 'data/plain/y.csv', 'top.json'],
      { cwd: dir },
    );
    expect(Object.fromEntries(nested)).toEqual({ 'config/sub/deeper/b.json': 'config/sub', 'data/wt/x.csv': 'data/wt' });
  });
});

describe('digestCommitted', () => {
  it('gives the SHA-256 of the committed bytes, whatever the work tree, the index or its flags say', async () => {
    const big = Buffer.alloc(3 << 20, 'registry line\n');
    const dir = gitRepo({
      'a.json': '{"a":1}\n',
      'big.bin': big,
      'empty.txt': '',
      'dir/with space.json': '[]\n',
      'same.json': '{"a":1}\n',
    });
    git(dir, 'update-index', '--skip-worktree', 'a.json');
    writeFileSync(join(dir, 'a.json'), '{"a":2}\n');
    writeFileSync(join(dir, 'staged.json'), 'new\n');
    git(dir, 'add', 'staged.json');
    const digests = await digestCommitted(
      ['a.json', 'big.bin', 'empty.txt', 'dir/with space.json', 'same.json', 'staged.json', 'dir', 'missing.json'],
      'HEAD',
      { cwd: dir },
    );
    expect(Object.fromEntries(digests)).toEqual({
      'a.json': sha256('{"a":1}\n'),
      'big.bin': sha256(big),
      'empty.txt': sha256(''),
      'dir/with space.json': sha256('[]\n'),
      'same.json': sha256('{"a":1}\n'),
      'staged.json': undefined,
      dir: undefined,
      'missing.json': undefined,
    });
  });

  it('stores bytes, not a checkout: a file git converts on checkout (eol=crlf) has its committed bytes', async () => {
    const dir = gitRepo({ '.gitattributes': 'crlf.txt eol=crlf\n', 'crlf.txt': 'one\ntwo\n' });
    rmSync(join(dir, 'crlf.txt'));
    git(dir, 'checkout', '-q', '--', 'crlf.txt');
    expect(readFileSync(join(dir, 'crlf.txt'), 'utf8')).toBe('one\r\ntwo\r\n');
    expect((await digestCommitted(['crlf.txt'], 'HEAD', { cwd: dir })).get('crlf.txt')).toBe(sha256('one\ntwo\n'));
  });

  it('knows nothing before the first commit', async () => {
    const dir = tempDir();
    git(dir, 'init', '-q', '-b', 'main');
    writeFiles(dir, { 'a.json': '1\n' });
    expect(await digestCommitted(['a.json'], 'HEAD', { cwd: dir })).toEqual(new Map([['a.json', undefined]]));
  });
});
