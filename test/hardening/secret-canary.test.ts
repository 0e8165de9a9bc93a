// A secret canary through every output channel and every failure path: steps print it (stdout,
// stderr, raw and JSON-escaped, split across writes), it sits in a step's env and argv, is a command
// that cannot be found, in a failing step's output, in an expectation's failure reason, in a run id
// and a record folder. Then everything cutover wrote is grepped (its output in text, json and github
// formats, logs, record, report, statement, commit messages, `git log -p --all`, the journal and
// scratch under .git/cutover, GitHub's step summary and outputs, the `plan` preview).
//
// Besides a plain canary, two hostile ones hold what escaping changes: `"`, `\`, `'`, line breaks,
// `%` and workflow-command escapes, `$`, regex metacharacters, Markdown punctuation and non-ASCII.
// Random tokens sit between those characters: an escape leaves the tokens as they are, so any form
// of a secret that reaches a channel (JSON-escaped, %-escaped, Markdown-escaped, cut at a line)
// shows a token, and the search does not depend on knowing the form.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CLI, cutover, type CliResult } from '../helpers/cli.js';
import { git, tempDir } from '../helpers/git-repo.js';
import { planRepo } from '../helpers/run-repo.js';

const token = () => randomBytes(5).toString('hex');
const T = Array.from({ length: 9 }, token);
// Letters, digits and dashes only, so it is even a valid run id: the refusal must come from it being a secret.
const CANARY = `cnry-${randomBytes(10).toString('hex')}`;
const HOSTILE = `${T[0]}"le\\Pa55 w0rd's %0A%25%3A:,${T[1]} $HOME $(id) \`id\` ${T[2]} .*+?^\${}()|[]/#_~<b> ${T[3]} ünï-ключ-🔑 ${T[4]}`;
const MULTILINE = `line-${T[5]}\r\n  second "line" ${T[6]}\\\n::error::${T[7]}\n${T[8]}-end`;
/** What must never show: the plain canary and every token of the hostile ones. */
const NEEDLES = [CANARY, ...T];
const ALL = 'CANARY_SECRET+HOSTILE_SECRET+MULTILINE_SECRET';
const leak = readFileSync(join(import.meta.dirname, 'fixtures/leak.js'), 'utf8');

function head(name: string, extra = ''): string {
  return `apiVersion: cutover/v1
kind: Plan
metadata:
  name: ${name}
spec:
  runId: r1
  secrets: [CANARY_SECRET, HOSTILE_SECRET, MULTILINE_SECRET]
  env:
    PLAN_TOKEN: \${{ env.CANARY_SECRET }}
    PLAN_HOSTILE: \${{ env.HOSTILE_SECRET }}
  registries:
    - { name: config, paths: ["config/*.json"] }
${extra}`;
}

// Every step prints the canaries; some fail, one through an expectation that quotes a JSON value,
// two because the command named by a secret cannot be found.
const MAIN = `${head('canary')}  preconditions:
    - { id: pre, run: node tools/leak.js print ${ALL} }
  steps:
    - { id: printed, run: node tools/leak.js print ${ALL} }
    - { id: step-env, run: node tools/leak.js print STEP_TOKEN, env: { STEP_TOKEN: "\${{ env.CANARY_SECRET }}" } }
    - { id: plan-env, run: node tools/leak.js print PLAN_TOKEN+PLAN_HOSTILE }
    - { id: argv, run: [node, tools/leak.js, arg, "\${{ env.CANARY_SECRET }}", "\${{ env.HOSTILE_SECRET }}", "\${{ env.MULTILINE_SECRET }}"] }
    - { id: json-expect, run: node tools/leak.js json tmp/value.json ${ALL}, continueOnError: true, expect: { json: [{ file: tmp/value.json, path: value, equals: not-the-secret }] } }
    - { id: json-in, run: node tools/leak.js print ${ALL}, continueOnError: true, expect: { json: [{ file: tmp/value.json, path: value, in: [a, b] }] } }
    - { id: stdout-expect, run: node tools/leak.js print ${ALL}, continueOnError: true, expect: { stdout: "^never printed$" } }
    - { id: not-found, run: ["\${{ env.HOSTILE_SECRET }}"], continueOnError: true }
    - { id: not-found-lines, run: ["\${{ env.MULTILINE_SECRET }}", "\${{ env.CANARY_SECRET }}"], continueOnError: true }
    - { id: build, run: node tools/step.js tree out 3 }
    - { id: failing, run: node tools/leak.js fail ${ALL} }
  rollback:
    - { id: undo, run: node tools/leak.js print ${ALL} }
  finally:
    - { id: fin, run: node tools/leak.js print PLAN_TOKEN+PLAN_HOSTILE }
  artifacts:
    - { name: out, path: out, commit: files }
`;

// An expectation quoting the secrets fails first, so the journal and scratch hold its reason mid-run.
const SLOW = (timeout: string) => `${head('slow')}  steps:
    - { id: json-expect, run: node tools/leak.js json tmp/value.json ${ALL}, continueOnError: true, expect: { json: [{ file: tmp/value.json, path: value, equals: not-the-secret }] } }
    - { id: slow, run: node tools/leak.js sleep ${ALL} 30000 slow.started${timeout} }
  rollback:
    - { id: undo, run: node tools/leak.js print ${ALL} }
  finally:
    - { id: fin, run: node tools/leak.js print ${ALL} }
`;

const baseEnv = {
  CANARY_SECRET: CANARY,
  HOSTILE_SECRET: HOSTILE,
  MULTILINE_SECRET: MULTILINE,
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
};
const repo = (plan: string) => planRepo(plan, { 'tools/leak.js': leak, '.gitignore': 'tmp/\n*.started\n' });

/** Where a canary or one of its tokens occurs in a text, with some context, or an empty list. */
function occurrences(text: string): string[] {
  const found: string[] = [];
  for (const needle of NEEDLES) {
    for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + 1))
      found.push(JSON.stringify(text.slice(Math.max(0, i - 80), i + needle.length + 20)));
  }
  return found;
}

/** Every file below a folder (no link followed), as [path, text]. */
function filesBelow(dir: string, skip: (rel: string) => boolean = () => false): [string, string][] {
  const out: [string, string][] = [];
  if (!existsSync(dir)) return out;
  const walk = (abs: string, rel: string) => {
    for (const name of readdirSync(abs)) {
      const childRel = rel ? `${rel}/${name}` : name;
      if (skip(childRel)) continue;
      const info = lstatSync(join(abs, name));
      if (info.isDirectory()) walk(join(abs, name), childRel);
      else if (info.isFile()) out.push([childRel, readFileSync(join(abs, name)).toString('latin1')]);
    }
  };
  walk(dir, '');
  return out;
}

/**
 * Everything cutover left in a repository: the record folders, all of .git but its (compressed)
 * objects, whose content `git log -p --all` shows instead, with every commit message.
 */
function repositoryChannels(dir: string): [string, string][] {
  return [
    ...filesBelow(join(dir, 'reports')).map(([p, t]): [string, string] => [`reports/${p}`, t]),
    ...filesBelow(join(dir, '.git'), (rel) => rel === 'objects').map(([p, t]): [string, string] => [`.git/${p}`, t]),
    ['git log -p --all', git(dir, 'log', '-p', '--all', '--format=fuller', '--binary')],
    ['git log --all --format=%B', git(dir, 'log', '--all', '--format=%B%n%N')],
  ];
}

/** Asserts the canary appears in none of the channels; in GitHub's format `::add-mask::` lines are how it is masked. */
function expectNowhere(channels: [string, string][], label: string): void {
  const leaks: string[] = [];
  for (const [name, text] of channels) {
    const visible = text
      .split('\n')
      .filter((line) => !line.startsWith('::add-mask::'))
      .join('\n');
    for (const hit of occurrences(visible)) leaks.push(`${name}: ${hit}`);
  }
  expect(leaks, `${label}: the canary leaked`).toEqual([]);
}

const outputChannels = (label: string, r: CliResult): [string, string][] => [
  [`${label} stdout`, r.stdout],
  [`${label} stderr`, r.stderr],
];

describe('a secret canary', () => {
  it('a failing run (step failure, expectation failures, rollback, finally) leaks nothing in text, json or github format', () => {
    const dir = repo(MAIN);
    const channels: [string, string][] = [];
    const text = cutover(['run', 'plans/p.yaml', '--run-id', 'r-text', '--verbose'], { cwd: dir, env: baseEnv });
    expect(text.code, text.stderr).toBe(1);
    // The steps did print it: the masking is what keeps it out, not a step that stayed silent.
    expect(JSON.parse(readFileSync(join(dir, 'tmp/value.json'), 'utf8'))).toEqual({ value: [CANARY, HOSTILE, MULTILINE] });
    expect(text.stdout).toContain('***');
    expect(text.stdout).toMatch(/not-found failure[^\n]*could not be started: command not found/);
    channels.push(...outputChannels('text --verbose', text));

    const json = cutover(['run', 'plans/p.yaml', '--run-id', 'r-json', '--format', 'json'], { cwd: dir, env: baseEnv });
    expect(json.code, json.stderr).toBe(1);
    const doc = JSON.parse(json.stdout) as { steps: { id: string; reason?: string }[] };
    expect(doc.steps.find((s) => s.id === 'json-expect')?.reason).toContain('***');
    channels.push(...outputChannels('json', json));

    const summary = join(tempDir('cutover-gh-'), 'summary.md');
    const outputs = join(tempDir('cutover-gh-'), 'outputs.txt');
    writeFileSync(summary, '');
    writeFileSync(outputs, '');
    const github = cutover(['run', 'plans/p.yaml', '--run-id', 'r-github', '--format', 'github', '--verbose'], {
      cwd: dir,
      env: {
        ...baseEnv,
        GITHUB_ACTIONS: 'true',
        GITHUB_STEP_SUMMARY: summary,
        GITHUB_OUTPUT: outputs,
        GITHUB_RUN_ID: '7',
        GITHUB_RUN_ATTEMPT: '1',
      },
    });
    expect(github.code, github.stderr).toBe(1);
    expect(github.stdout).toContain(`::add-mask::${CANARY}`);
    // The multi-line canary's third line is `::error::TOKEN`: masked, it never becomes an annotation.
    const errors = github.stdout.split('\n').filter((line) => line.startsWith('::error'));
    expect(errors.length).toBeGreaterThan(0);
    for (const line of errors)
      expect(line).toMatch(/^::error file=plans\/p\.yaml,line=\d+,col=\d+,title=STEP_FAILED::steps\/failing failure/);
    channels.push(
      ...outputChannels('github', github),
      ['GITHUB_STEP_SUMMARY', readFileSync(summary, 'utf8')],
      ['GITHUB_OUTPUT', readFileSync(outputs, 'utf8')],
    );

    for (const id of ['r-text', 'r-json', 'r-github']) {
      const verified = cutover(['verify', `reports/canary/${id}`], { cwd: dir, env: baseEnv });
      expect(verified.code, verified.stdout).toBe(0);
      channels.push(...outputChannels(`verify ${id}`, verified));
    }
    expectNowhere([...channels, ...repositoryChannels(dir)], 'failing run');
  });

  it('a timeout leaks nothing', () => {
    const dir = repo(SLOW(', timeout: 1s'));
    const r = cutover(['run', 'plans/p.yaml', '--grace', '1s'], { cwd: dir, env: baseEnv });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/timed out/);
    expectNowhere([...outputChannels('timeout', r), ...repositoryChannels(dir)], 'timeout');
  });

  it('an interrupt leaks nothing, neither while the step runs (journal, scratch) nor after', async () => {
    const dir = repo(SLOW(''));
    const child = spawn(process.execPath, [CLI, 'run', 'plans/p.yaml', '--verbose'], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1', CI: '', GITHUB_ACTIONS: '', ...baseEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    onTestFinished(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    for (let waited = 0; !existsSync(join(dir, 'slow.started')); waited += 20) {
      if (waited > 20_000) throw new Error(`the step never started\n${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 100)); // the split write is done
    // Mid-run: the journal and scratch (logs in progress) under .git/cutover.
    expectNowhere(
      filesBelow(join(dir, '.git/cutover')).map(([p, t]): [string, string] => [`.git/cutover/${p} (mid-run)`, t]),
      'mid-run',
    );
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(git(dir, 'log', '-1', '--format=%s')).toBe('cutover(slow): r1 interrupted');
    expectNowhere([...outputChannels('interrupt', { code: 130, stdout, stderr }), ...repositoryChannels(dir)], 'interrupt');
  });

  it('refusals name the secret, never its value: a run id or record folder that holds it, a run id that does not fit', () => {
    const dir = repo(MAIN);
    const results: [string, CliResult][] = [
      ['--run-id CANARY', cutover(['run', 'plans/p.yaml', '--run-id', CANARY], { cwd: dir, env: baseEnv })],
      ['--run-id CANARY!', cutover(['run', 'plans/p.yaml', '--run-id', `${CANARY}!`], { cwd: dir, env: baseEnv })],
      [
        '--run-id CANARY --format json',
        cutover(['run', 'plans/p.yaml', '--run-id', CANARY, '--format', 'json'], { cwd: dir, env: baseEnv }),
      ],
      ['plan --run-id CANARY', cutover(['plan', 'plans/p.yaml', '--run-id', CANARY], { cwd: dir, env: baseEnv })],
    ];
    // In GitHub's format a refusal also goes to the step summary and the outcome output.
    const summary = join(tempDir('cutover-gh-'), 'summary.md');
    const outputs = join(tempDir('cutover-gh-'), 'outputs.txt');
    const githubEnv = { ...baseEnv, GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary, GITHUB_OUTPUT: outputs };
    results.push([
      '--run-id CANARY --format github',
      cutover(['run', 'plans/p.yaml', '--run-id', CANARY, '--format', 'github'], { cwd: dir, env: githubEnv }),
    ]);
    expect(readFileSync(summary, 'utf8')).toContain('the run id holds the value of secret CANARY\\_SECRET');
    for (const [label, r] of results) {
      expect(r.code, `${label}\n${r.stdout}\n${r.stderr}`).toBe(2);
      expect(`${r.stdout}${r.stderr}`, label).toContain('CANARY_SECRET');
    }
    const fromPlan = repo(MAIN.replace('runId: r1', 'runId: ${{ env.CANARY_SECRET }}'));
    const viaPlan = cutover(['run', 'plans/p.yaml'], { cwd: fromPlan, env: baseEnv });
    expect(viaPlan.code, viaPlan.stderr).toBe(2);
    const inDir = repo(MAIN.replace('  artifacts:', '  record: { dir: "reports/${{ env.CANARY_SECRET }}" }\n  artifacts:'));
    const viaDir = cutover(['run', 'plans/p.yaml'], { cwd: inDir, env: baseEnv });
    expect(viaDir.code, viaDir.stderr).toBe(2);
    expect(viaDir.stderr).toContain('record folder');
    // Refused before anything ran: no journal, no record, nothing committed.
    for (const d of [dir, fromPlan, inDir]) expect(git(d, 'log', '--format=%s', '-1')).toBe('freeze');
    expectNowhere(
      [
        ...results.flatMap(([label, r]) => outputChannels(label, r)),
        ...outputChannels('runId from the plan', viaPlan),
        ...outputChannels('record folder', viaDir),
        ...repositoryChannels(dir),
        ...repositoryChannels(fromPlan),
        ...repositoryChannels(inDir),
        ['GITHUB_STEP_SUMMARY', readFileSync(summary, 'utf8')],
        ['GITHUB_OUTPUT', readFileSync(outputs, 'utf8')],
      ],
      'refusals',
    );
  });

  it('cutover plan shows the resolved plan with the secret masked in every format and in the step summary', () => {
    const dir = repo(MAIN);
    const channels: [string, string][] = [];
    const summary = join(tempDir('cutover-gh-'), 'summary.md');
    for (const format of ['text', 'json', 'github']) {
      const r = cutover(['plan', 'plans/p.yaml', '--format', format], {
        cwd: dir,
        env: { ...baseEnv, GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary },
      });
      expect(r.code, r.stderr).toBe(0);
      channels.push(...outputChannels(`plan --format ${format}`, r));
    }
    // The preview shows where the secrets go, masked: the argv, the env, the command not found.
    const json = JSON.parse(cutover(['plan', 'plans/p.yaml', '--format', 'json'], { cwd: dir, env: baseEnv }).stdout);
    expect(json.resolved.env.PLAN_HOSTILE).toBe('***');
    expect(json.order.find((s: { id: string }) => s.id === 'not-found').does).toBe('***');
    expect(readFileSync(summary, 'utf8')).toContain('## cutover plan');
    expectNowhere([...channels, ['GITHUB_STEP_SUMMARY', readFileSync(summary, 'utf8')]], 'plan');
  });
});
