// Help that answers: every command's --help lists the global options, `cutover --help` lists the
// exit codes and the environment, and what it says about NO_COLOR / FORCE_COLOR and the codes holds
// (the built CLI, docs/cli.md).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import { cutover } from '../helpers/cli.js';
import { tempDir, writeFiles } from '../helpers/git-repo.js';

const GLOBAL = ['--format <format>', '--cwd <dir>', '--quiet', '--verbose'];
const cliDoc = readFileSync(fileURLToPath(new URL('../../docs/cli.md', import.meta.url)), 'utf8');

/** The command names `cutover --help` lists. */
function commands(help: string): string[] {
  const section = help.slice(help.indexOf('Commands:'), help.indexOf('Exit codes:'));
  return [...section.matchAll(/^ {2}([a-z]+)\b/gm)].map((m) => m[1]!).filter((name) => name !== 'help');
}

describe('cutover --help', () => {
  const help = cutover(['--help']);

  it('lists every exit code cutover uses, and the environment variables it reads', () => {
    expect(help.code).toBe(0);
    for (const code of [...Object.values(EXIT), 70]) expect(help.stdout).toMatch(new RegExp(`^ {2}(\\d+/)*${code}(/\\d+)* `, 'm'));
    for (const name of ['NO_COLOR', 'FORCE_COLOR', 'CUTOVER_DEBUG', 'GITHUB_ACTIONS']) expect(help.stdout).toContain(name);
  });

  it('lists the same exit codes and variables as docs/cli.md', () => {
    const documented = [
      ...cliDoc.slice(cliDoc.indexOf('## Exit codes'), cliDoc.indexOf('## Environment')).matchAll(/^\| (`\d+`(?: \/ `\d+`)*) \|/gm),
    ].flatMap((m) => [...(m[1] as string).matchAll(/\d+/g)].map(Number));
    const shown = [
      ...help.stdout.slice(help.stdout.indexOf('Exit codes:'), help.stdout.indexOf('Environment:')).matchAll(/^ {2}(\d+(?:\/\d+)*) /gm),
    ].flatMap((m) => (m[1] as string).split('/').map(Number));
    expect(shown.sort()).toEqual(documented.sort());
    const variables = [...cliDoc.slice(cliDoc.indexOf('## Environment')).matchAll(/^\| `([A-Z_]+)/gm)].map((m) => m[1]);
    for (const name of variables) expect(help.stdout).toContain(name);
  });

  it("every command's --help lists the global options", () => {
    const names = commands(help.stdout);
    expect(names).toEqual(expect.arrayContaining(['validate', 'plan', 'freeze', 'status', 'run', 'verify', 'hash', 'init']));
    for (const name of names) {
      const own = cutover([name, '--help']);
      expect(own.code, name).toBe(0);
      const global = own.stdout.slice(own.stdout.indexOf('Global Options:'));
      for (const option of GLOBAL) expect(global, `${name} ${option}`).toContain(option);
    }
  });
});

describe('NO_COLOR and FORCE_COLOR', () => {
  it('FORCE_COLOR colours output that is not a terminal; NO_COLOR and FORCE_COLOR=0 turn colours off', () => {
    const dir = tempDir();
    writeFiles(dir, { 'bad.yaml': 'apiVersion: cutover/v1\nkind: Plan\n' });
    const ansi = /\x1b\[[0-9;]*m/;
    const run = (env: Record<string, string | undefined>) =>
      cutover(['validate', 'bad.yaml'], { cwd: dir, env: { NO_COLOR: undefined, ...env } });
    expect(run({ FORCE_COLOR: '1' }).stderr).toMatch(ansi);
    expect(run({}).stderr).not.toMatch(ansi);
    expect(run({ FORCE_COLOR: '0' }).stderr).not.toMatch(ansi);
    expect(run({ FORCE_COLOR: '1', NO_COLOR: '1' }).stderr).not.toMatch(ansi);
  });
});
