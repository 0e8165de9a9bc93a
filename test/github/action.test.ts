// The action's committed entry point run as the runner runs it: GITHUB_ACTIONS=true, INPUT_* variables,
// temporary GITHUB_STEP_SUMMARY and GITHUB_OUTPUT files, in real repositories, from a plain copy of
// action/ with no node_modules anywhere above it (a user's workflow has none).
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cutover } from '../helpers/cli.js';
import { git, gitEnv, gitRepo, tempDir } from '../helpers/git-repo.js';
import { planHead, planRepo } from '../helpers/run-repo.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const CANARY = 'canary-7f3e-S3CRET-value';

/** GITHUB_OUTPUT as the runner reads it (only the delimiter form; that is all cutover writes). */
function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<=]+)<<(.+)$/.exec(lines[i]!);
    if (!m) {
      if (lines[i] !== '') throw new Error(`unexpected line ${JSON.stringify(lines[i])}`);
      continue;
    }
    const value: string[] = [];
    for (i++; lines[i] !== m[2]; i++) {
      if (i >= lines.length) throw new Error(`no end for ${m[1]}`);
      value.push(lines[i]!);
    }
    outputs[m[1]!] = value.join('\n');
  }
  return outputs;
}

interface ActionResult {
  code: number | null;
  stdout: string;
  stderr: string;
  summary: string;
  outputs: Record<string, string>;
  outputFile: string;
}

/** Runs the action in `cwd` with inputs (names as in action.yml) and extra environment. */
function runAction(cwd: string, inputs: Record<string, string>, env: Record<string, string> = {}): ActionResult {
  const plain = tempDir('cutover-action-');
  for (const file of ['index.js', 'hash-worker.js', 'package.json']) cpSync(join(root, 'action', file), join(plain, 'action', file));
  const files = tempDir('cutover-runner-');
  const summaryFile = join(files, 'step_summary');
  const outputFile = join(files, 'output');
  writeFileSync(summaryFile, '');
  writeFileSync(outputFile, '');
  // Nothing of the machine's own GitHub or runner variables leaks in; the runner's are set here.
  const base = Object.fromEntries(Object.entries(gitEnv()).filter(([k]) => !/^(GITHUB_|INPUT_|RUNNER_|CI$|FORCE_COLOR$)/.test(k)));
  const inputEnv = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.replace(/ /g, '_').toUpperCase()}`, v]));
  const r = spawnSync(process.execPath, [join(plain, 'action/index.js')], {
    cwd,
    env: {
      ...base,
      NO_COLOR: '1',
      GITHUB_ACTIONS: 'true',
      GITHUB_STEP_SUMMARY: summaryFile,
      GITHUB_OUTPUT: outputFile,
      GITHUB_WORKSPACE: cwd,
      ...inputEnv,
      ...env,
    },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const outputText = readFileSync(outputFile, 'utf8');
  return {
    code: r.status,
    stdout: r.stdout,
    stderr: r.stderr,
    summary: readFileSync(summaryFile, 'utf8'),
    outputs: parseOutputs(outputText),
    outputFile: outputText,
  };
}

/** Every file below a folder, as [relative path, content]. */
function filesBelow(dir: string, prefix = ''): [string, Buffer][] {
  return readdirSync(join(dir, prefix)).flatMap((name) => {
    const rel = prefix ? `${prefix}/${name}` : name;
    return statSync(join(dir, rel)).isDirectory() ? filesBelow(dir, rel) : [[rel, readFileSync(join(dir, rel))] as [string, Buffer]];
  });
}

const declared = parse(readFileSync(join(root, 'action.yml'), 'utf8')) as { outputs: Record<string, unknown> };

describe('the action', () => {
  it('runs a valid plan: groups, the report as the summary, every output, and the secret masked everywhere', () => {
    const dir = planRepo(
      `${planHead()}  secrets: [CANARY_TOKEN]
  env:
    DERIVED: "user:\${{ env.CANARY_TOKEN }}"
  steps:
    - { id: greet, run: "node tools/step.js echo token=\${{ env.CANARY_TOKEN }}" }
    - { id: both-streams, run: [node, -e, "console.log('out ' + process.env.DERIVED); console.error('err ' + process.env.CANARY_TOKEN)"] }
    - { id: tree, run: node tools/step.js tree out/data 1100 }
  artifacts:
    - { name: data, path: out/data, commit: manifest }
`,
    );
    const r = runAction(dir, { command: 'run', plan: 'plans/p.yaml', 'run-id': 'gh-7-1' }, { CANARY_TOKEN: CANARY });
    expect(r.code, r.stderr + r.stdout).toBe(0);

    // The mask comes first, before any line that could hold the value; no other line holds it.
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`::add-mask::${CANARY}`);
    expect(lines.slice(1).filter((l) => l.includes(CANARY))).toEqual([]);
    expect(r.stderr).not.toContain(CANARY);
    expect(r.stdout).toContain('token=***');
    expect(r.stdout).toContain('out user:***');

    // A group per step; a step's own output with workflow commands stopped, then resumed.
    for (const id of ['greet', 'both-streams', 'tree']) expect(r.stdout).toContain(`::group::steps/${id}\n▶ steps/${id}\n`);
    expect(r.stdout.match(/^::endgroup::$/gm)).toHaveLength(3);
    const stops = [...r.stdout.matchAll(/^::stop-commands::(.+)$/gm)].map((m) => m[1]!);
    expect(stops.length).toBeGreaterThan(0);
    for (const token of stops) expect(r.stdout).toContain(`\n::${token}::\n`);

    // Outputs: exactly those action.yml declares, all set; the summary is the record's report.md.
    const run = JSON.parse(readFileSync(join(dir, 'reports/test-plan/gh-7-1/run.json'), 'utf8'));
    expect(Object.keys(r.outputs).sort()).toEqual(
      Object.keys(declared.outputs)
        .filter((name) => !['plans', 'comment'].includes(name))
        .sort(),
    );
    expect(r.outputs).toEqual({
      outcome: 'success',
      record: 'reports/test-plan/gh-7-1',
      root: run.runRoot,
      commit: git(dir, 'rev-parse', 'HEAD'),
      'run-id': 'gh-7-1',
    });
    expect(r.summary).toBe(readFileSync(join(dir, 'reports/test-plan/gh-7-1/report.md'), 'utf8'));
    expect(r.summary).toMatch(/^# test-plan · gh-7-1 ✅ succeeded/);

    // 1100 files: more than one batch, so hashing ran in the bundled worker pool; same root as the CLI's.
    const hashed = cutover(['hash', 'out/data'], { cwd: dir });
    expect(hashed.stdout).toContain(run.artifacts[0].root);

    // The canary is nowhere: summary, outputs, the record's files, the commit and all of git's history.
    expect(r.summary).not.toContain(CANARY);
    expect(r.outputFile).not.toContain(CANARY);
    const record = filesBelow(join(dir, 'reports'));
    expect(record.map(([rel]) => rel)).toEqual(
      expect.arrayContaining(['test-plan/gh-7-1/run.json', 'test-plan/gh-7-1/report.md', 'test-plan/gh-7-1/logs/steps-01-greet.log']),
    );
    for (const [rel, bytes] of record) expect(bytes.includes(CANARY), rel).toBe(false);
    expect(readFileSync(join(dir, 'reports/test-plan/gh-7-1/logs/steps-01-greet.log'), 'utf8')).toContain('token=***');
    const history = git(dir, 'log', '--all', '-p', '--format=%H%n%B');
    expect(history).toContain('cutover(test-plan): gh-7-1 success');
    expect(history).not.toContain(CANARY);
  });

  it('annotates an invalid plan at its lines, exits 2, and says so in the summary and the outcome', () => {
    const dir = gitRepo({
      'plans/good.yaml': `${planHead('good-plan')}  steps:\n    - { id: one, run: node tools/step.js echo hi }\n`,
      'plans/p.yaml':
        'apiVersion: cutover/v1\nkind: Plan\nmetadata:\n  name: bad-plan\nspec:\n  steps:\n    - id: first\n      run: node tools/step.js echo hi\n      tiemout: 5s\n',
    });
    const r = runAction(dir, { command: 'validate' });
    expect(r.code).toBe(2);
    const errors = r.stdout.split('\n').filter((l) => l.startsWith('::error'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^::error file=plans\/p\.yaml,line=9,col=7,title=PLAN_SCHEMA::PLAN_SCHEMA: unknown key "tiemout" in spec\.steps\.0/,
    );
    expect(r.stdout).toContain('plans/good.yaml: valid');
    expect(r.outputs).toEqual({ outcome: 'invalid' });
    expect(r.summary).toContain('## cutover validate: ❌ 1 of 2 plans invalid');
    expect(r.summary).toMatch(/\| `plans\/p\.yaml` \| ❌ 1 problem \|/);
    expect(r.summary).toContain('`plans/p.yaml:9:7` **PLAN_SCHEMA** unknown key "tiemout"');

    const one = runAction(dir, { command: 'validate', plan: 'plans/good.yaml' });
    expect(one.code).toBe(0);
    expect(one.outputs).toEqual({ outcome: 'success' });
    expect(one.summary).toContain('## cutover validate: ✅ 1 plan valid');
  });

  it('refuses a run whose registry drifted: annotation on the file, exit 3, nothing written, the refusal in the summary', () => {
    const dir = planRepo(
      `${planHead()}  secrets: [CANARY_TOKEN]\n  steps:\n    - { id: one, run: node tools/step.js append marks.txt one }\n`,
    );
    writeFileSync(join(dir, 'config/a.json'), '{ "a": 2 }\n');
    const head = git(dir, 'rev-parse', 'HEAD');
    const r = runAction(dir, { command: 'run', plan: 'plans/p.yaml', push: 'true' }, { CANARY_TOKEN: CANARY });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout.split('\n')[0]).toBe(`::add-mask::${CANARY}`);
    expect(r.stdout).toMatch(/^::error file=config\/a\.json,title=REGISTRY_UNFROZEN::REGISTRY_UNFROZEN: /m);
    expect(r.outputs).toEqual({ outcome: 'refused' });
    expect(r.summary).toMatch(/^## ❌ cutover run: refused \(exit 3\)\n\n- `config\/a\.json` \*\*REGISTRY_UNFROZEN\*\* /);
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(head);
    expect(git(dir, 'status', '--porcelain')).toBe('M config/a.json');
  });

  it('annotates a failed step at its line in the plan and still publishes the failed run’s report', () => {
    const dir = planRepo(
      `${planHead()}  steps:\n    - { id: fine, run: node tools/step.js append marks.txt fine }\n    - id: broken\n      run: node tools/step.js fail 3\n  finally:\n    - { id: tidy, run: node tools/step.js append marks.txt tidy }\n`,
    );
    const r = runAction(dir, { command: 'run', plan: 'plans/p.yaml', verbose: 'false' });
    expect(r.code, r.stderr).toBe(1);
    // planHead is 8 lines; "steps:" is line 9, the broken step's id line 11, column 7.
    expect(r.stdout).toMatch(/^::error file=plans\/p\.yaml,line=11,col=7,title=STEP_FAILED::steps\/broken failure: /m);
    // The failed step's last lines are printed with workflow commands stopped, and commands resume after them.
    const stop = /^::stop-commands::(.+)$/m.exec(r.stdout)?.[1];
    expect(stop).toBeDefined();
    expect(r.stdout.slice(r.stdout.indexOf(`::stop-commands::${stop}`))).toContain(`\n::${stop}::\n`);
    expect(r.outputs.outcome).toBe('failure');
    expect(r.outputs.record).toBe('reports/test-plan/r1');
    expect(r.summary).toMatch(/^# test-plan · r1 ❌ failed/);
    expect(git(dir, 'log', '-1', '--format=%s')).toBe('cutover(test-plan): r1 failure');
  });

  it('keeps the report in the summary when the record commit cannot be pushed (the runner’s clone goes away)', () => {
    const dir = planRepo(`${planHead()}  steps:\n    - { id: one, run: node tools/step.js append marks.txt one }\n`);
    const r = runAction(dir, { command: 'run', plan: 'plans/p.yaml', push: 'true', verbose: 'false' });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(
      /^::error title=GIT_FAILED::GIT_FAILED: git push to origin main failed: .*hint: the record is committed locally as [0-9a-f]{12}/m,
    );
    expect(r.outputs).toEqual({
      outcome: 'error',
      record: 'reports/test-plan/r1',
      root: expect.stringMatching(/^sha256:/),
      commit: git(dir, 'rev-parse', 'HEAD'),
      'run-id': 'r1',
    });
    expect(r.summary).toMatch(
      /^# test-plan · r1 ✅ succeeded\n[\s\S]*\n## ❌ cutover run: error \(exit 2\)\n\n- \*\*GIT_FAILED\*\* git push to origin main failed/,
    );
  });

  it('previews a plan into the summary with the secret masked, the mask first', () => {
    const dir = gitRepo({
      'plans/p.yaml': `${planHead()}  secrets: [CANARY_TOKEN]\n  steps:\n    - { id: call, run: "node tools/step.js echo \${{ env.CANARY_TOKEN }}" }\n`,
    });
    const r = runAction(dir, { command: 'plan', plan: 'plans/p.yaml' }, { CANARY_TOKEN: CANARY });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(`::add-mask::${CANARY}`);
    expect(r.stdout.split('\n').slice(1).join('\n')).not.toContain(CANARY);
    expect(r.summary).toContain('## cutover plan: `test-plan` (`plans/p.yaml`)');
    expect(r.summary).toMatch(/```text\n[\s\S]*call +node tools\/step\.js echo \*\*\*\n[\s\S]*```\n$/);
    expect(r.summary).not.toContain(CANARY);
    expect(r.outputs).toEqual({ outcome: 'success' });
  });

  it('rejects bad inputs as usage errors (exit 2) in GitHub’s format', () => {
    const dir = gitRepo();
    const none = runAction(dir, {});
    expect(none.code).toBe(2);
    expect(none.stdout).toMatch(
      /^::error title=USAGE::USAGE: the command input is required \(hint: set command to one of validate, plan, run, verify, status, changed, review\)$/m,
    );
    expect(none.outputs).toEqual({ outcome: 'invalid' });
    expect(none.summary).toContain('## ❌ cutover action: invalid (exit 2)');
    const badPush = runAction(dir, { command: 'run', plan: 'plans/p.yaml', push: 'yes' });
    expect(badPush.code).toBe(2);
    expect(badPush.stdout).toContain('push is \\"yes\\", not a boolean'.replaceAll('\\', ''));
    const twoPlans = runAction(dir, { command: 'run', plan: 'plans/a.yaml\nplans/b.yaml' });
    expect(twoPlans.code).toBe(2);
    expect(twoPlans.stdout).toContain('run needs exactly one plan (got 2)');
    const noBase = runAction(dir, { command: 'review' });
    expect(noBase.code).toBe(2);
    expect(noBase.stdout).toContain('review needs the base input');
  });

  it("changed, review and status: the plans output for a matrix, the comment file, the gate's outcome", () => {
    const dir = planRepo(`${planHead()}  steps:\n    - { id: one, run: node tools/step.js append marks.txt one }\n`);
    git(dir, 'switch', '-q', '-c', 'pr');
    writeFileSync(join(dir, 'config/a.json'), '{ "a": 2 }\n');
    git(dir, 'commit', '-q', '-am', 'change the registry');

    const changed = runAction(dir, { command: 'changed', base: 'main' });
    expect(changed.code, changed.stderr + changed.stdout).toBe(0);
    expect(changed.outputs).toEqual({ plans: '["plans/p.yaml"]', outcome: 'success' });
    expect(changed.stdout).toContain('plans/p.yaml: registries/config (1 file)');

    const temp = tempDir('cutover-runner-temp-');
    const review = runAction(dir, { command: 'review', base: 'main' }, { RUNNER_TEMP: temp });
    expect(review.code, review.stderr + review.stdout).toBe(0);
    expect(review.outputs).toEqual({ comment: join(temp, 'cutover-review.md'), outcome: 'success' });
    const body = readFileSync(join(temp, 'cutover-review.md'), 'utf8');
    expect(body).toMatch(/^<!-- cutover-review -->\n## cutover review\n/);
    expect(body).toContain('| Refused now | ❌ REGISTRY_UNFROZEN |');

    const refused = runAction(dir, { command: 'status', plan: 'plans/p.yaml' });
    expect(refused.code).toBe(3);
    expect(refused.outputs).toEqual({ outcome: 'refused' });
    expect(refused.stdout).toMatch(/^::error file=config\/a\.json,title=REGISTRY_UNFROZEN::/m);
    git(dir, 'switch', '-q', '-f', 'main');
    expect(runAction(dir, { command: 'status', plan: 'plans/p.yaml' }).outputs).toEqual({ outcome: 'success' });
  });
});
