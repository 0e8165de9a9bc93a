// The docs do not drift from the command line: every `cutover …` line in a shell block of README.md
// and docs/ names a command that exists, with options its --help lists.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cutover } from '../helpers/cli.js';

const root = join(import.meta.dirname, '../..');
const files = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** Each `cutover …` command line in the ```sh blocks of a Markdown file, comments removed. */
function commandLines(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/^```(?:sh|bash|shell)\n([\s\S]*?)^```/gm)].map((m) => m[1]!);
  return blocks.flatMap((block) =>
    block
      .split('\n')
      .map((line) => line.replace(/\s+#.*$/, '').trim())
      .filter((line) => /^(npx )?cutover /.test(line)),
  );
}

const uses = new Map<string, { options: Set<string>; where: Set<string> }>();
for (const file of files) {
  for (const line of commandLines(readFileSync(join(root, file), 'utf8'))) {
    const words = line.replace(/^npx /, '').split(/\s+/);
    const command = words[1]!;
    const use = uses.get(command) ?? { options: new Set<string>(), where: new Set<string>() };
    for (const word of words.slice(2)) if (/^--[a-z]/.test(word)) use.options.add(word.split('=')[0]!);
    use.where.add(file);
    uses.set(command, use);
  }
}

describe('commands in README.md and docs/', () => {
  it('finds the daily loop in the docs', () => {
    for (const command of ['init', 'validate', 'rehearse', 'freeze', 'run', 'history', 'show', 'diff', 'verify'])
      expect(uses.has(command), command).toBe(true);
  });

  for (const [command, use] of uses) {
    if (command.startsWith('-')) {
      it(`cutover ${command} answers (${[...use.where].join(', ')})`, () => expect(cutover([command]).code).toBe(0));
      continue;
    }
    it(`cutover ${command} exists with ${[...use.options].join(' ') || 'no options'} (${[...use.where].join(', ')})`, () => {
      const help = cutover([command, '--help']);
      expect(help.code, help.stderr).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: cutover ${command}\\b`, 'm'));
      for (const option of use.options) expect(help.stdout, `${command} ${option}`).toContain(option);
    });
  }
});
