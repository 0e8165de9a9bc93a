// Installing cutover as README's "Install" says: the `npm pack` tarball into a fresh project, offline;
// and a `git+file://` URL of a bare clone, which npm clones, prepares (the `prepare` script builds
// dist/) and packs. Both then run `npx cutover --version` and `npx cutover validate` in a repository.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { git, gitEnv, gitRepo, tempDir } from '../helpers/git-repo.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
const plan =
  'apiVersion: cutover/v1\nkind: Plan\nmetadata:\n  name: installed\nspec:\n  steps:\n    - { id: hello, run: node --version }\n';

/** npm in `cwd`, with the machine's npm cache and no audit or funding calls. */
function npm(cwd: string, args: string[]) {
  return spawnSync('npm', [...args, '--no-audit', '--no-fund'], {
    cwd,
    encoding: 'utf8',
    env: { ...gitEnv(), npm_config_update_notifier: 'false' },
  });
}

/** A fresh project (a git repository holding one plan) to install cutover into. */
function freshProject(): string {
  const dir = gitRepo({ 'package.json': '{ "name": "migrations", "version": "1.0.0", "private": true }\n', 'plans/p.yaml': plan });
  return dir;
}

/** `npx cutover --version` and `npx cutover validate` answer from the project's own install. */
function expectWorkingInstall(project: string): void {
  const npx = (args: string[]) =>
    spawnSync('npx', ['--offline', 'cutover', ...args], {
      cwd: project,
      encoding: 'utf8',
      env: { ...gitEnv(), NO_COLOR: '1', CI: '', GITHUB_ACTIONS: '' },
    });
  const shown = npx(['--version']);
  expect(shown.status, shown.stderr).toBe(0);
  expect(shown.stdout.trim()).toBe(version);
  const valid = npx(['validate']);
  expect(valid.status, valid.stderr + valid.stdout).toBe(0);
  expect(valid.stdout).toContain('plans/p.yaml');
  writeFileSync(join(project, 'plans/bad.yaml'), plan.replace('run: node --version', 'run: node --version > out.txt'));
  const invalid = npx(['validate']);
  expect(invalid.status).toBe(2);
  expect(invalid.stderr).toMatch(/plans\/bad\.yaml:7:\d+: error PLAN_SCHEMA/);
}

/** A bare repository whose one commit holds this working tree's files (tracked and untracked, not ignored). */
function bareCloneOfWorkingTree(): string {
  const work = tempDir('cutover-src-');
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
    env: gitEnv(),
  });
  for (const rel of listed.split('\0').filter(Boolean)) {
    const source = join(root, rel);
    // A file deleted but not yet staged is listed and absent: the commit is of the tree as it is.
    try {
      mkdirSync(dirname(join(work, rel)), { recursive: true });
      copyFileSync(source, join(work, rel));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  git(work, 'init', '-q', '-b', 'main');
  git(work, 'add', '-A');
  git(
    work,
    '-c',
    'user.name=Packager',
    '-c',
    'user.email=packager@example.test',
    '-c',
    'commit.gpgSign=false',
    'commit',
    '-q',
    '-m',
    'cutover as it is',
  );
  const bare = join(tempDir('cutover-bare-'), 'cutover.git');
  git(dirname(bare), 'clone', '-q', '--bare', work, bare);
  return bare;
}

describe('installing cutover', () => {
  it('installs the npm pack tarball into a fresh project with no network (cutover has no runtime dependencies)', () => {
    const out = tempDir('cutover-pack-');
    // The tarball of the dist/ `npm test` built: prepare (which `npm pack` runs) must not rebuild it
    // under the feet of the tests running it.
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', out], {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    ) as { filename: string }[];
    const project = freshProject();
    const installed = npm(project, ['install', '--offline', '--save-dev', join(out, packed[0]!.filename)]);
    expect(installed.status, installed.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')).devDependencies.cutover).toMatch(/^file:/);
    expectWorkingInstall(project);
  }, 120_000);

  it('installs from a git+file:// URL: npm clones it, the prepare script builds dist/, npm packs and installs it', () => {
    const bare = bareCloneOfWorkingTree();
    const project = freshProject();
    // npm installs the clone's devDependencies to run prepare: from the npm cache, the network only for what it lacks.
    const installed = npm(project, ['install', '--prefer-offline', '--save-dev', `git+file://${bare}`]);
    expect(installed.status, installed.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')).devDependencies.cutover).toBe(`git+file://${bare}`);
    expectWorkingInstall(project);
  }, 300_000);
});
