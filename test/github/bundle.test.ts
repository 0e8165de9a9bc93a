// The committed action bundle is exactly what the build makes from the sources now: never stale.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { tempDir } from '../helpers/git-repo.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

it('action/ is byte-identical to a fresh build (run `npm run build:action` after changing src/ or the schema)', () => {
  const out = tempDir('cutover-bundle-');
  const r = spawnSync(process.execPath, [join(root, 'scripts/bundle.js'), 'action', out], { cwd: root, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const built = readdirSync(out).sort();
  expect(built).toEqual(['hash-worker.js', 'index.js']);
  for (const file of built) {
    const fresh = readFileSync(join(out, file));
    const committed = readFileSync(join(root, 'action', file));
    // Not toEqual on 1 MB buffers: on a mismatch, say which file and leave the diff to git.
    expect(committed.equals(fresh), `action/${file} is stale: run npm run build:action and commit it`).toBe(true);
  }
});

it('holds the schema and the compiled validator, and leaves no require of our own files to run time', () => {
  const bundle = readFileSync(join(root, 'action/index.js'), 'utf8');
  const schema = JSON.parse(readFileSync(join(root, 'schemas/cutover-plan.schema.json'), 'utf8')) as { $id: string };
  expect(bundle).toContain(JSON.stringify(schema.$id));
  expect(bundle).toContain('// src/plan/generated/plan-validator.ts');
  expect(bundle).toContain('// schemas/cutover-plan.schema.json');
  // No absolute paths of the machine that built it, no timestamps: the build is reproducible anywhere.
  expect(bundle).not.toContain(root);
  expect(bundle).not.toMatch(/createRequire\(import\.meta\.url\)\(["']\.\.?\//);
  expect(readFileSync(join(root, 'action/package.json'), 'utf8')).toMatch(/"type": "module"/);
});
