// What a cutover killed during its record commit leaves behind (issue 12, lower findings): its
// temporary index in .git, git's lock on it, its scratch folder in the temp folder. The next run
// that commits removes what a dead run left, at once; a live run's, or another host's, it keeps.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ownerTag } from '../../src/adapters/owner.js';
import { processAlive } from '../../src/adapters/process-status.js';
import { writeFiles } from '../helpers/git-repo.js';
import { planHead, planRepo, runPlan } from '../helpers/run-repo.js';

const PLAN = `${planHead()}  steps:
    - { id: build, run: node tools/step.js tree out/a 2 }
  artifacts:
    - { name: a, path: out/a, commit: files }
`;

/** A pid that was a process a moment ago and is none now. */
function deadPid(): number {
  const pid = spawnSync(process.execPath, ['-e', '']).pid!;
  expect(processAlive(pid)).toBe(false);
  return pid;
}

describe('leftovers of a run killed during its commit', () => {
  it('are removed by the next run that commits; a live or foreign owner’s are kept', () => {
    const dir = planRepo(PLAN);
    const host = ownerTag().split('-')[0];
    const dead = deadPid();
    const gone = [
      `cutover-index-${host}-${dead}-4242-0123456789ab`, // its temporary index
      `cutover-index-${host}-${dead}-4242-0123456789ab.lock`, // git's lock on it, git killed with it
      `cutover-index-${host}-${process.pid}-1-fedcba987654`, // a pid now held by another process (this one)
    ];
    const kept = [
      `cutover-index-${ownerTag()}-00112233aabb`, // a live run's (this process, its own start time)
      `cutover-index-00000000-${dead}-4242-0123456789ab`, // another host's: never guessed at
      'cutover-index-notes.txt', // not a name cutover makes
    ];
    writeFiles(join(dir, '.git'), Object.fromEntries([...gone, ...kept].map((name) => [name, 'left behind\n'])));
    const scratch = join(tmpdir(), `cutover-git-${host}-${dead}-4242-AbC123`);
    mkdirSync(join(scratch, 'no-hooks'), { recursive: true });
    onTestFinished(() => rmSync(scratch, { recursive: true, force: true }));

    const r = runPlan(dir);
    expect(r.code, r.stderr).toBe(0);
    for (const name of gone) expect(existsSync(join(dir, '.git', name)), name).toBe(false);
    for (const name of kept) expect(existsSync(join(dir, '.git', name)), name).toBe(true);
    expect(existsSync(scratch)).toBe(false);
  });
});
