// An output channel that fails never stops a run. `cutover run … | head -c N` through a real shell
// pipeline: the reader takes N bytes and goes away while a step waits for it, so everything cutover
// prints afterwards meets a pipe without a reader (EPIPE). The finally step still runs, the record is
// committed, the exit code is the run's, and no stack trace appears. Text, --verbose, github and json
// formats; stdout and stderr both closed; a failing run; output closed before the first byte; and
// listr2 on a terminal that goes away mid-run.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { CLI, stripAnsi, cliEnv, hasScript } from '../helpers/cli.js';
import { git, tempDir } from '../helpers/git-repo.js';
import { planHead, planRepo } from '../helpers/run-repo.js';

// Blocks until the file $READER_CLOSED exists: the pipeline creates it once nothing reads stdout any more.
const WAIT_FOR_READER = `[node, -e, "const fs = require('fs'); const w = new Int32Array(new SharedArrayBuffer(4)); while (!fs.existsSync(process.env.READER_CLOSED)) Atomics.wait(w, 0, 0, 10)"]`;

const plan = (middle: string) => `${planHead()}  steps:
    - { id: first, run: node tools/step.js append marks.txt first }
    - { id: wait-for-reader, run: ${WAIT_FOR_READER}, timeout: 2m }
${middle}    - { id: after, run: node tools/step.js append marks.txt after }
  rollback:
    - { id: undo, run: node tools/step.js append marks.txt undo }
  finally:
    - { id: resume-writes, run: node tools/step.js append marks.txt finally }
`;

interface Piped {
  code: number;
  read: string;
  stderr: string;
}

/**
 * Runs `cutover ARGS | head -c BYTES` in bash. The reader's subshell closes its stdin once head has
 * its bytes, and only then creates the marker, so every later write of cutover's meets no reader.
 * With `both`, stderr goes into the same pipe (`2>&1`); otherwise it is kept in a file.
 */
function runPiped(dir: string, args: string[], bytes: number, both = false): Piped {
  const side = tempDir('cutover-pipe-');
  const marker = join(side, 'reader-closed');
  const redirect = both ? '2>&1' : `2>'${side}/stderr.txt'`;
  const script = `'${process.execPath}' '${CLI}' ${args.join(' ')} ${redirect} | (head -c ${bytes} > '${side}/read.txt'; exec 0<&-; : > '${marker}'); echo "\${PIPESTATUS[0]}" > '${side}/code.txt'`;
  const env = cliEnv({ READER_CLOSED: marker });
  const shell = spawnSync('bash', ['-c', script], { cwd: dir, env, encoding: 'utf8' });
  expect(shell.status, shell.stderr).toBe(0);
  const file = (name: string) => (existsSync(join(side, name)) ? readFileSync(join(side, name), 'utf8') : '');
  return { code: Number(file('code.txt').trim()), read: file('read.txt'), stderr: file('stderr.txt') };
}

function expectRecorded(dir: string, runId: string, outcome: string, marks: string[]): void {
  expect(readFileSync(join(dir, 'marks.txt'), 'utf8').split('\n').filter(Boolean)).toEqual(marks);
  const commits = git(dir, 'log', '--format=%H', `--grep=^Cutover-Run-Id: ${runId}$`).split('\n').filter(Boolean);
  expect(commits).toHaveLength(1);
  const record = JSON.parse(git(dir, 'show', `${commits[0]}:reports/test-plan/${runId}/run.json`));
  expect(record.outcome).toBe(outcome);
  expect(record.steps.find((s: { id: string }) => s.id === 'resume-writes').outcome).toBe('success');
  expect(git(dir, 'status', '--porcelain', '--', 'reports')).toBe('');
}

function expectNoCrash(p: Piped): void {
  expect(p.stderr).not.toMatch(/internal error|Unhandled|EPIPE.*\n\s+at |\n\s+at .+:\d+:\d+\)?$/m);
}

/**
 * Runs `cutover ARGS` on a pseudo-terminal 100 columns wide (util-linux `script`), so listr2 draws the
 * steps, and kills `script` once the first step is drawn done (the next one waits for that): the
 * terminal is gone, every later write of listr2's fails (EIO). The shell that started cutover ignores the hangup and records its exit code.
 */
async function runOnVanishingTerminal(dir: string, args: string[]): Promise<Piped & { screen: string }> {
  const side = tempDir('cutover-pty-');
  const marker = join(side, 'reader-closed');
  const command = `trap '' HUP; stty cols 100 rows 40; '${process.execPath}' '${CLI}' ${args.join(' ')} 2>'${side}/stderr.txt'; echo $? > '${side}/code.txt'`;
  const terminal = spawn('script', ['-qec', command, '/dev/null'], {
    cwd: dir,
    env: { ...process.env, CI: '', GITHUB_ACTIONS: '', TERM: 'xterm', NO_COLOR: '', READER_CLOSED: marker },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  let screen = '';
  await new Promise<void>((resolve) => {
    terminal.stdout.on('data', (data: Buffer) => {
      screen += data.toString();
      if (stripAnsi(screen).includes('✔ first') && !existsSync(marker)) {
        terminal.kill('SIGKILL');
        writeFileSync(marker, '');
        resolve();
      }
    });
  });
  // cutover is no child of ours any more: its shell writes the exit code when it ends.
  while (!existsSync(join(side, 'code.txt')) || readFileSync(join(side, 'code.txt'), 'utf8') === '') await sleep(50);
  return {
    code: Number(readFileSync(join(side, 'code.txt'), 'utf8').trim()),
    read: '',
    stderr: readFileSync(join(side, 'stderr.txt'), 'utf8'),
    screen,
  };
}

describe('a closed output channel never stops a run', () => {
  it('the reproduction: `cutover run | head -c 100`: finally runs, the record is committed, exit 0', () => {
    const dir = planRepo(plan(''));
    const p = runPiped(dir, ['run', 'plans/p.yaml'], 100);
    expectNoCrash(p);
    expect(p.code, p.stderr).toBe(0);
    expect(Buffer.byteLength(p.read)).toBe(100);
    expect(p.stderr).toContain('cutover: stdout is closed (EPIPE)');
    expectRecorded(dir, 'r1', 'success', ['first', 'after', 'finally']);
  });

  it('--verbose: a step printing 4 MiB after the reader left', () => {
    const dir = planRepo(plan('    - { id: loud, run: node tools/step.js print 4 }\n'));
    const p = runPiped(dir, ['run', 'plans/p.yaml', '--verbose', '--run-id', 'verbose'], 64);
    expectNoCrash(p);
    expect(p.code, p.stderr).toBe(0);
    expectRecorded(dir, 'verbose', 'success', ['first', 'after', 'finally']);
  });

  it('--format github: the step groups and annotations meet the closed pipe', () => {
    const dir = planRepo(plan(''));
    const p = runPiped(dir, ['run', 'plans/p.yaml', '--format', 'github', '--run-id', 'github'], 64);
    expectNoCrash(p);
    expect(p.code, p.stderr).toBe(0);
    expectRecorded(dir, 'github', 'success', ['first', 'after', 'finally']);
  });

  it('--format json: the one document at the end meets a reader that took nothing', () => {
    const dir = planRepo(plan(''));
    const p = runPiped(dir, ['run', 'plans/p.yaml', '--format', 'json', '--run-id', 'json'], 0);
    expectNoCrash(p);
    expect(p.code, p.stderr).toBe(0);
    expect(p.read).toBe('');
    expectRecorded(dir, 'json', 'success', ['first', 'after', 'finally']);
  });

  it('stdout and stderr in the same closed pipe (2>&1): the notice itself meets EPIPE and is dropped', () => {
    const dir = planRepo(plan(''));
    const p = runPiped(dir, ['run', 'plans/p.yaml', '--run-id', 'both'], 100, true);
    expect(p.read).not.toMatch(/internal error|Unhandled/);
    expect(p.code).toBe(0);
    expectRecorded(dir, 'both', 'success', ['first', 'after', 'finally']);
  });

  it('a failing step after the reader left: rollback and finally run, the failed record is committed, exit 1', () => {
    const dir = planRepo(plan('    - { id: broken, run: node tools/step.js fail 7 }\n'));
    const p = runPiped(dir, ['run', 'plans/p.yaml', '--run-id', 'failed'], 64);
    expectNoCrash(p);
    expect(p.code, p.stderr).toBe(1);
    expectRecorded(dir, 'failed', 'failure', ['first', 'undo', 'finally']);
  });

  it('a drill (--fail-at) whose output is closed before the first byte: exit 1, rollback and finally ran', () => {
    const dir = planRepo(plan(''));
    const p = runPiped(dir, ['run', 'plans/p.yaml', '--fail-at', 'after', '--run-id', 'drill'], 0);
    expectNoCrash(p);
    expect(p.code, p.stderr).toBe(1);
    expectRecorded(dir, 'drill', 'failure', ['first', 'undo', 'finally']);
  });

  it.skipIf(!hasScript)(
    'listr2 on a terminal that hangs up mid-run: finally runs, the record is committed, exit 0 (not an abort)',
    async () => {
      const dir = planRepo(plan(''));
      const p = await runOnVanishingTerminal(dir, ['run', 'plans/p.yaml', '--run-id', 'terminal']);
      expectNoCrash(p);
      expect(p.stderr).toContain('cutover: stdout is closed (EIO)');
      expect(p.code, p.stderr).toBe(0);
      expectRecorded(dir, 'terminal', 'success', ['first', 'after', 'finally']);
    },
  );
});
