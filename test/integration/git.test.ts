import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findRepositoryRoot, readGitDir, readGitFacts } from '../../src/adapters/git.js';
import { git, gitRepo, tempDir } from '../helpers/git-repo.js';

describe('git facts', () => {
  it('reads the commit and branch, no branch on a detached HEAD, the branch alone before the first commit', async () => {
    const repo = gitRepo();
    const sha = git(repo, 'rev-parse', 'HEAD');
    expect(await readGitFacts({ cwd: repo })).toEqual({ sha, branch: 'main' });

    git(repo, 'checkout', '-q', '--detach');
    expect(await readGitFacts({ cwd: repo })).toEqual({ sha, branch: '' });

    const fresh = tempDir();
    git(fresh, 'init', '-q', '-b', 'trunk');
    expect(await readGitFacts({ cwd: fresh })).toEqual({ sha: '', branch: 'trunk' });
    expect(await readGitFacts({ cwd: tempDir() })).toEqual({ sha: '', branch: '' });
  });

  it('finds the root from a folder inside it, and its git directory with it', async () => {
    const repo = realpathSync(gitRepo({ 'deep/er/file.txt': 'x\n' }));
    const root = await findRepositoryRoot({ cwd: join(repo, 'deep/er') });
    expect(root).toBe(repo);
    expect(await readGitDir({ cwd: root })).toBe(join(repo, '.git'));
    await expect(findRepositoryRoot({ cwd: tempDir() })).rejects.toMatchObject({ code: 'GIT_FAILED' });
  });
});
