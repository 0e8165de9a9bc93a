// The operator's daily loop as a new user walks it, with the built CLI in a fresh repository:
// init → edit → rehearse → freeze → commit → run (fails) → fix → run → history → show → diff → verify.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cutover } from '../helpers/cli.js';
import { git, gitRepo, writeFiles } from '../helpers/git-repo.js';

// A job of the user's own: load rows, refusing a row without a name.
const LOAD = `import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
const rows = readFileSync('data/rows.csv', 'utf8').trim().split('\\n').slice(1);
rows.forEach((row, i) => {
  console.log(\`row \${i + 1}: \${row}\`);
  if (!row.split(',')[1]) { console.error(\`row \${i + 1} has no name\`); process.exit(1); }
});
mkdirSync('out', { recursive: true });
writeFileSync('out/loaded.txt', \`\${rows.length} rows\\n\`);
`;

const STEP = `    - id: load
      run: node tools/load.mjs
      produces: [out]
  artifacts:
    - { name: loaded, path: out }
`;

describe('the daily loop', () => {
  it('init, edit, rehearse, freeze, commit, run, fix, run, history, show, diff, verify', () => {
    const dir = gitRepo({ 'tools/load.mjs': LOAD, 'data/rows.csv': 'id,name\n1,alpha\n2,beta\n', '.gitignore': 'out/\n' });
    expect(cutover(['init'], { cwd: dir }).code).toBe(0);

    // Edit: the plan gets the user's step; nothing is frozen or committed yet.
    const plan = join(dir, 'plans/example.yaml');
    writeFileSync(plan, readFileSync(plan, 'utf8').replace(/ {2}finally:\n/, `${STEP}  finally:\n`));
    const status = git(dir, 'status', '--porcelain=v1', '--untracked-files=all');
    const head = git(dir, 'rev-parse', 'HEAD');
    const rehearsal = cutover(['rehearse', 'plans/example.yaml'], { cwd: dir });
    expect(rehearsal.code, rehearsal.stderr).toBe(0);
    expect(rehearsal.stderr).toContain('not enforced in a rehearsal');
    expect(git(dir, 'status', '--porcelain=v1', '--untracked-files=all')).toBe(status);
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(head);

    expect(cutover(['freeze', 'plans/example.yaml'], { cwd: dir }).code).toBe(0);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'a first plan');

    // A bad row arrives: the run fails at the step, and says so.
    writeFiles(dir, { 'data/rows.csv': 'id,name\n1,alpha\n2,beta\n3,\n' });
    git(dir, 'commit', '-qam', 'more rows');
    const failed = cutover(['run', 'plans/example.yaml', '--run-id', 'first'], { cwd: dir });
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/steps\/load failure/);

    writeFiles(dir, { 'data/rows.csv': 'id,name\n1,alpha\n2,beta\n3,gamma\n' });
    git(dir, 'commit', '-qam', 'name row 3');
    const fixed = cutover(['run', 'plans/example.yaml', '--run-id', 'second'], { cwd: dir });
    expect(fixed.code, fixed.stdout + fixed.stderr).toBe(0);

    const history = JSON.parse(cutover(['history', '--format', 'json'], { cwd: dir }).stdout);
    expect(history.runs.map((r: { runId: string; outcome: string }) => `${r.runId} ${r.outcome}`)).toEqual([
      'second success',
      'first failure',
    ]);

    const showFailed = cutover(['show', 'first'], { cwd: dir });
    expect(showFailed.code).toBe(0);
    expect(showFailed.stdout).toContain('│ row 3 has no name');
    const showFixed = cutover(['show', 'second'], { cwd: dir });
    expect(showFixed.stdout).toMatch(/^example · second {2}success \(exit 0\)/);

    expect(cutover(['diff', 'plans/example.yaml'], { cwd: dir }).code).toBe(0);
    const verified = cutover(['verify', 'reports/example/second'], { cwd: dir });
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
  });
});
