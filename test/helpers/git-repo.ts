// A real git repository in a temporary directory, removed when the test finishes.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { onTestFinished } from 'vitest';

/** Runs git in a repository and returns its trimmed stdout. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: gitEnv(), stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** An environment for git that ignores the user's global and system configuration. */
export function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', ...extra };
}

/** Writes files (path → content) below a directory, creating folders. */
export function writeFiles(root: string, files: Record<string, string | Buffer>): void {
  for (const [rel, content] of Object.entries(files)) {
    const path = join(root, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
}

/** A temporary directory removed after the test. */
export function tempDir(prefix = 'cutover-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A fresh repository holding `files` in an initial commit on `main`, with a local identity and
 * signing off, so tests never depend on the machine's git configuration.
 */
export function gitRepo(files: Record<string, string | Buffer> = {}, options: { user?: string; email?: string } = {}): string {
  const dir = tempDir('cutover-repo-');
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'user.name', options.user ?? 'Test Operator');
  git(dir, 'config', 'user.email', options.email ?? 'operator@example.test');
  git(dir, 'config', 'commit.gpgSign', 'false');
  writeFiles(dir, { 'README.md': '# test repository\n', ...files });
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'initial');
  return dir;
}
