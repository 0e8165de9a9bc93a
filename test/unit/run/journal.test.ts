// The journal masks each line as it writes it, and still reads back.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { openJournal, readJournal } from '../../../src/run/journal.js';
import type { StepRecord } from '../../../src/run/events.js';
import { createMasker } from '../../../src/text/mask.js';
import { tempDir } from '../../helpers/git-repo.js';

it('writes no secret, in no escaped form, and reads its entries back', async () => {
  const secret = 'Tr0ub"le\\Pa55 w0rd\nline-two';
  const path = join(tempDir(), 'journal.jsonl');
  const journal = await openJournal(path, createMasker([secret]));
  const step = {
    phase: 'steps',
    id: 'a',
    name: 'a',
    outcome: 'failure',
    attempts: 1,
    exitCode: 1,
    signal: null,
    timedOut: false,
    startedAt: null,
    endedAt: null,
    durationMs: 1234,
    logDigest: null,
    logBytes: 0,
    reason: `value is ${JSON.stringify(secret)}`,
  } as StepRecord;
  journal.append({ type: 'step-end', step });
  journal.append({ type: 'step-spawn', id: 'a', pgid: 4321 });
  journal.close();
  const text = readFileSync(path, 'utf8');
  expect(text).not.toContain('Tr0ub');
  expect(text).not.toContain('line-two');
  const entries = await readJournal(path);
  expect(entries).toEqual([
    { type: 'step-end', step: { ...step, reason: 'value is "***"' } },
    { type: 'step-spawn', id: 'a', pgid: 4321 },
  ]);
});
