// A plan file may end in .yaml, .yml or .YAML: the lock beside it is found by one rule through
// freeze, run and verify alike.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cutover } from '../helpers/cli.js';
import { git, gitRepo } from '../helpers/git-repo.js';
import { planHead } from '../helpers/run-repo.js';

const plan = `${planHead()}  steps:\n    - { id: write, run: [node, -e, "require('fs').writeFileSync('out.txt', 'done')"] }\n  artifacts:\n    - { name: out, path: out.txt }\n`;

describe('plan file extensions', () => {
  for (const file of ['plans/p.YAML', 'plans/p.yml', 'plans/p.Yml']) {
    it(`${file} freezes, runs and verifies with its lock at plans/p.lock.json`, () => {
      const dir = gitRepo({ [file]: plan, 'config/a.json': '{ "a": 1 }\n' });
      const frozen = cutover(['freeze', file], { cwd: dir });
      expect(frozen.code, frozen.stderr).toBe(0);
      expect(existsSync(join(dir, 'plans/p.lock.json'))).toBe(true);
      git(dir, 'add', '-A');
      git(dir, 'commit', '-q', '-m', 'freeze');

      const run = cutover(['run', file, '--format', 'json'], { cwd: dir });
      expect(run.code, run.stderr).toBe(0);
      const doc = JSON.parse(run.stdout) as { outcome: string; record: { dir: string } };
      expect(doc.outcome).toBe('success');

      const verified = cutover(['verify', 'reports/test-plan/r1'], { cwd: dir });
      expect(verified.code, verified.stdout + verified.stderr).toBe(0);
      expect(git(dir, 'show', 'HEAD:reports/test-plan/r1/run.json')).toContain('"path": "plans/p.lock.json"');
    });
  }
});
