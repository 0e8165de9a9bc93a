// docs/architecture.md names every source file outside commands/ (one file a command, named by the command).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'generated' ? [] : sources(path);
    return entry.name.endsWith('.ts') ? [relative(join(root, 'src'), path)] : [];
  });
}

describe('docs/architecture.md', () => {
  it('names every file of src/ but the commands, each in backquotes', () => {
    const doc = readFileSync(join(root, 'docs/architecture.md'), 'utf8');
    const files = sources(join(root, 'src')).filter((f) => !f.startsWith('commands/'));
    expect(files.length).toBeGreaterThan(100);
    expect(files.filter((f) => !doc.includes(`\`${f.split('/').at(-1)}\``))).toEqual([]);
  });
});
