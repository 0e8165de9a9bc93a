import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { runProcess, type RunProcessOptions } from '../../src/adapters/process.js';
import { splitCommand } from '../../src/text/argv.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
let dir: string;

// Fixtures are tiny Node scripts. `tree.mjs PIDFILE MODE` starts a grandchild that shares its
// output, records both pids once the grandchild is ready, then sleeps (or, in mode `exit`, exits
// at once and leaves the grandchild behind). In mode `stubborn` the grandchild ignores SIGTERM.
const fixtures: Record<string, string> = {
  'tree.mjs': `
    import { spawn } from 'node:child_process';
    import { writeFileSync } from 'node:fs';
    const [pidFile, mode] = process.argv.slice(2);
    const grandchild = spawn(process.execPath, ['-e', ${JSON.stringify(`
      if (process.argv[1] === 'stubborn') process.on('SIGTERM', () => console.log('grandchild ignoring SIGTERM'));
      process.send('ready');
      setTimeout(() => {}, 60_000);`)}, mode], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    grandchild.once('message', () => {
      writeFileSync(pidFile, JSON.stringify([process.pid, grandchild.pid]));
      console.log('tree ready');
      if (mode === 'exit') process.exit(0);
    });
    setTimeout(() => {}, 60_000);`,
  // Starts a grandchild in a session of its own (out of reach of the group signal) that keeps the
  // output pipe open, records its pid, and exits.
  'escape.mjs': `
    import { spawn } from 'node:child_process';
    import { writeFileSync } from 'node:fs';
    const daemon = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { detached: true, stdio: ['ignore', 'inherit', 'inherit'] });
    writeFileSync(process.argv[2], JSON.stringify([daemon.pid]));
    daemon.unref();
    console.log('left a daemon behind');`,
  'talk.mjs': `
    process.stdout.write('out: token=s3cr3t-vAlue ключ\\n');
    process.stderr.write('err: s3cr3t-vAlue on stderr\\n');
    process.stdout.write('env: ' + Object.keys(process.env).sort().join(',') + '\\n');
    process.exitCode = 3;`,
  // Says whether its stdout is a file, then alternates between its two streams.
  'direct.mjs': `
    import { fstatSync, writeSync } from 'node:fs';
    writeSync(1, 'stdout is a file: ' + fstatSync(1).isFile() + '\\n');
    for (let i = 0; i < 3; i++) {
      writeSync(1, 'out ' + i + '\\n');
      writeSync(2, 'err ' + i + '\\n');
    }`,
  // Writes COUNT blocks of 1 MiB cut from an endless line of 1000-byte units, each ending in the
  // secret, so the secret straddles block (and pipe chunk) boundaries all the way.
  'flood.mjs': `
    const [secret, count] = [process.argv[2], Number(process.argv[3])];
    const unit = Buffer.from('f'.repeat(1000 - secret.length) + secret);
    const line = Buffer.alloc((1 << 20) + 2000);
    for (let at = 0; at < line.length; at += 1000) unit.copy(line, at);
    for (let i = 0; i < count; i++) {
      const from = (i * (1 << 20)) % 1000;
      if (!process.stdout.write(line.subarray(from, from + (1 << 20)))) await new Promise((r) => process.stdout.once('drain', r));
    }`,
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cutover-process-'));
  for (const [name, source] of Object.entries(fixtures)) await writeFile(join(dir, name), source);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function options(overrides: Partial<RunProcessOptions> & Pick<RunProcessOptions, 'command'>): RunProcessOptions {
  return { cwd: dir, env, logPath: join(dir, 'logs', `${Math.random().toString(36).slice(2)}.log`), graceMs: 1000, ...overrides };
}

const node = (script: string, ...args: string[]) => ({ argv: [process.execPath, join(dir, script), ...args] });

/** Whether a pid is a live process (a zombie is not; `kill -0` cannot tell the two apart). */
async function isRunning(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  return stat !== '' && state !== 'Z' && state !== 'X';
}

/** Asserts that none of the pids still runs, after giving a killed process a moment to finish dying. */
async function expectGone(pids: number[]): Promise<void> {
  let running: number[] = [];
  for (let tries = 0; tries < 20; tries++) {
    running = [];
    for (const pid of pids) if (await isRunning(pid)) running.push(pid);
    if (running.length === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const pid of running) process.kill(pid, 'SIGKILL'); // do not leak them into other tests
  expect(running).toEqual([]);
}

async function readPids(pidFile: string): Promise<number[]> {
  return JSON.parse(await readFile(pidFile, 'utf8')) as number[];
}

describe('runProcess', () => {
  it('runs a split run: string without a shell, and a shell script only with shell:', async () => {
    const split = splitCommand('echo a; touch pwned');
    if (!('argv' in split)) throw new Error(split.error);
    const plain = await runProcess(options({ command: split, logPath: join(dir, 'argv.log') }));
    expect(plain.exitCode).toBe(0);
    expect(await readFile(join(dir, 'argv.log'), 'utf8')).toBe('a; touch pwned\n');
    expect(existsSync(join(dir, 'pwned'))).toBe(false);

    const shelled = await runProcess(options({ command: { shell: 'bash', script: 'echo a; touch pwned' } }));
    expect(shelled.exitCode).toBe(0);
    expect(existsSync(join(dir, 'pwned'))).toBe(true);
  });

  it('ends the whole tree on a timeout, killing what ignores SIGTERM after the grace', async () => {
    const pidFile = join(dir, 'timeout.pids');
    const logPath = join(dir, 'timeout.log');
    const started = Date.now();
    const result = await runProcess(options({ command: node('tree.mjs', pidFile, 'stubborn'), timeoutMs: 2000, logPath }));
    expect(result).toMatchObject({ timedOut: true, interrupted: false, exitCode: null, signal: 'SIGTERM' });
    // Bounded by timeout and grace, not by the grandchild's 60 s sleep.
    expect(Date.now() - started).toBeLessThan(20_000);
    // The grandchild was still there to see the SIGTERM, so only the SIGKILL can have ended it.
    expect(await readFile(logPath, 'utf8')).toContain('grandchild ignoring SIGTERM');
    await expectGone(await readPids(pidFile));
  });

  it('interrupts on abort and leaves no process behind', async () => {
    const pidFile = join(dir, 'abort.pids');
    const controller = new AbortController();
    const running = runProcess(options({ command: node('tree.mjs', pidFile, 'plain'), signal: controller.signal }));
    for (let i = 0; i < 200 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 100));
    controller.abort();
    const result = await running;
    expect(result).toMatchObject({ interrupted: true, timedOut: false, exitCode: null, signal: 'SIGTERM' });
    await expectGone(await readPids(pidFile));
  });

  it('does not start anything when already aborted', async () => {
    const result = await runProcess(options({ command: { argv: ['touch', 'never'] }, signal: AbortSignal.abort() }));
    expect(result).toMatchObject({ interrupted: true, exitCode: null, logBytes: 0 });
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });

  it('returns when the command exits, ending a grandchild left holding its output', async () => {
    const pidFile = join(dir, 'exit.pids');
    const started = Date.now();
    const result = await runProcess(options({ command: node('tree.mjs', pidFile, 'exit') }));
    expect(result).toMatchObject({ exitCode: 0, signal: null, timedOut: false });
    expect(Date.now() - started).toBeLessThan(20_000); // the grandchild sleeps for 60 s
    await expectGone(await readPids(pidFile));
  });

  it('stops reading a pipe held open by a process that left the group, keeping what was written', async () => {
    const pidFile = join(dir, 'escape.pids');
    const logPath = join(dir, 'escape.log');
    const started = Date.now();
    const result = await runProcess(options({ command: node('escape.mjs', pidFile), logPath }));
    const [daemon] = await readPids(pidFile);
    onTestFinished(async () => {
      if (daemon !== undefined && (await isRunning(daemon))) process.kill(daemon, 'SIGKILL');
    });
    expect(result.exitCode).toBe(0);
    expect(Date.now() - started).toBeLessThan(20_000); // the daemon holds the pipe for 60 s
    expect(await readFile(logPath, 'utf8')).toBe('left a daemon behind\n');
  });

  it('writes stdout alone to stdoutPath, masks every output, and digests the log as written', async () => {
    const logPath = join(dir, 'talk', 'step.log');
    const stdoutPath = join(dir, 'talk', 'step.stdout');
    const seen: string[] = [];
    const result = await runProcess(
      options({
        command: node('talk.mjs'),
        env: { ...env, ONLY_THIS: 'yes' },
        logPath,
        stdoutPath,
        secrets: ['s3cr3t-vAlue'],
        onOutput: (text) => seen.push(text),
      }),
    );
    expect(result.exitCode).toBe(3);
    const log = await readFile(logPath);
    const stdout = await readFile(stdoutPath, 'utf8');
    expect(stdout).toBe('out: token=*** ключ\nenv: ONLY_THIS,PATH\n');
    expect(log.toString()).toContain('err: *** on stderr\n');
    expect(log.toString()).not.toContain('s3cr3t');
    expect(seen.join('')).not.toContain('s3cr3t');
    expect(seen.join('')).toContain('ключ');
    expect(result.logBytes).toBe(log.length);
    expect(result.logDigest).toBe(createHash('sha256').update(log).digest('hex'));
  });

  it('with nothing to mask, show or split out, lets the child write into its log file itself', async () => {
    const logPath = join(dir, 'direct', 'step.log');
    const result = await runProcess(options({ command: node('direct.mjs'), logPath }));
    const log = await readFile(logPath);
    // No pipe through cutover: both streams land in the order the child wrote them.
    expect(log.toString()).toBe('stdout is a file: true\nout 0\nerr 0\nout 1\nerr 1\nout 2\nerr 2\n');
    expect(result).toMatchObject({ exitCode: 0, logBytes: log.length, logDigest: createHash('sha256').update(log).digest('hex') });

    // A secret to mask sends the output through cutover's masker instead.
    const masked = join(dir, 'direct', 'masked.log');
    await runProcess(options({ command: node('direct.mjs'), logPath: masked, secrets: ['not-printed'] }));
    expect(await readFile(masked, 'utf8')).toContain('stdout is a file: false\n');
  });

  it('replaces a link planted at the log path instead of writing through it', async () => {
    const target = join(dir, 'victim.txt');
    const logPath = join(dir, 'planted', 'step.log');
    await writeFile(target, 'keep me');
    await mkdir(dirname(logPath), { recursive: true });
    await symlink(target, logPath);
    await runProcess(options({ command: node('talk.mjs'), logPath }));
    expect(await readFile(target, 'utf8')).toBe('keep me');
    expect((await lstat(logPath)).isFile()).toBe(true);
  });

  it('reports a command that cannot start as an error, masked, without throwing', async () => {
    const result = await runProcess(options({ command: { argv: ['no-such-command-hunter2x'] }, secrets: ['hunter2x'] }));
    expect(result.exitCode).toBeNull();
    expect(result.error).toMatch(/not found/);
    expect(result.error).not.toContain('hunter2x');

    const nowhere = await runProcess(options({ command: node('talk.mjs'), cwd: join(dir, 'no-such-dir') }));
    expect(nowhere.exitCode).toBeNull();
    expect(nowhere.error).toMatch(/cwd/);
  });

  it('streams 500 MB of one line to the log in flat memory, masked exactly', async () => {
    const secret = 'SECRET-0123456789abc';
    const blocks = 500;
    const total = blocks * (1 << 20);
    const units = total / 1000; // the fixture's stream ends exactly after a whole unit
    const logPath = join(dir, 'flood.log');
    const runner = await transpileForNode(join(dir, 'runner'));
    const harness = join(runner, 'harness.mjs');
    await writeFile(
      harness,
      `import { runProcess } from './src/adapters/process.js';
       const result = await runProcess(JSON.parse(process.argv[2]));
       process.stdout.write(JSON.stringify({ result, maxRssKb: process.resourceUsage().maxRSS }));`,
    );
    const { stdout } = await execa(process.execPath, [
      harness,
      JSON.stringify(options({ command: node('flood.mjs', secret, String(blocks)), logPath, secrets: [secret] })),
    ]);
    const { result, maxRssKb } = JSON.parse(stdout) as {
      result: { exitCode: number; logBytes: number; logDigest: string };
      maxRssKb: number;
    };

    expect(result.exitCode).toBe(0);
    expect(maxRssKb / 1024).toBeLessThan(150);
    expect(result.logBytes).toBe(total - units * (secret.length - 3));
    expect((await lstat(logPath)).size).toBe(result.logBytes);
    const expected = createHash('sha256');
    const maskedUnits = Buffer.from(`${'f'.repeat(1000 - secret.length)}***`.repeat(1024));
    for (let i = 0; i < units / 1024; i++) expected.update(maskedUnits);
    expect(result.logDigest).toBe(expected.digest('hex'));
    expect(await fileContains(logPath, secret)).toBe(false);
    await rm(logPath);
  }, 120_000); // usually 5 s; a loaded shared machine may be several times slower
});

/** Whether a file holds a string anywhere, also across read chunks. */
async function fileContains(path: string, needle: string): Promise<boolean> {
  let tail = Buffer.alloc(0);
  for await (const chunk of createReadStream(path)) {
    const window = Buffer.concat([tail, chunk as Buffer]);
    if (window.includes(needle)) return true;
    tail = window.subarray(-(needle.length - 1));
  }
  return false;
}

/**
 * Transpiles src/adapters/process.ts and what it imports into `out` so plain Node can run it in a
 * child whose peak memory is then its own (vitest's process would measure itself, and dist/ may
 * be stale while running tests directly).
 */
async function transpileForNode(out: string): Promise<string> {
  const pending = ['src/adapters/process.ts'];
  const done = new Set<string>();
  for (let rel = pending.pop(); rel !== undefined; rel = pending.pop()) {
    if (done.has(rel)) continue;
    done.add(rel);
    const source = await readFile(join(repoRoot, rel), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
    });
    await mkdir(dirname(join(out, rel)), { recursive: true });
    await writeFile(join(out, rel.replace(/\.ts$/, '.js')), outputText);
    for (const [, spec] of outputText.matchAll(/from '(\.{1,2}\/[^']+)\.js'/g)) pending.push(join(dirname(rel), `${spec}.ts`));
  }
  await writeFile(join(out, 'package.json'), '{ "type": "module" }');
  await symlink(join(repoRoot, 'node_modules'), join(out, 'node_modules'));
  return out;
}
