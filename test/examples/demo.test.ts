// `npm run demo` as a new user runs it: a fresh repository, freeze, run, verify, and where the record is.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it, onTestFinished } from 'vitest';

const root = join(import.meta.dirname, '../..');

it.each(['event-log', 'station-56'])(
  'the %s demo exits 0, verifies its record and prints where it is',
  (name) => {
    const r = spawnSync(process.execPath, [join(root, 'scripts/demo.js'), name], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', CI: 'true' },
    });
    const record = /^record\s+(\S+)$/m.exec(r.stdout)?.[1];
    if (record) onTestFinished(() => rmSync(join(record, '../../..'), { recursive: true, force: true }));
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/all \d+ checks pass/);
    expect(record).toBeDefined();
    expect(existsSync(join(record!, 'run.json'))).toBe(true);
    expect(r.stdout).toMatch(/^run root\s+sha256:[0-9a-f]{64}$/m);
  },
  120_000,
);
