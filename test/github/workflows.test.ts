// Every workflow the project ships (examples/workflows, .github/workflows) or scaffolds (`cutover init`),
// and action.yml, pass GitHub's own parser (@actions/workflow-parser); every third-party action is pinned
// to a full commit SHA with its version in a comment; no dependency install script runs in a job whose
// token can write or that receives secrets. A broken copy of each shows each check can fail.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REVIEW_MARKER } from '../../src/github/review.js';
import { cutover } from '../helpers/cli.js';
import { gitRepo } from '../helpers/git-repo.js';
import { actionErrors, workflowErrors } from '../helpers/workflow-parser.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (rel: string) => readFileSync(join(root, rel), 'utf8');
const SHIPPED = [
  ...readdirSync(join(root, 'examples/workflows')).map((f) => `examples/workflows/${f}`),
  ...readdirSync(join(root, '.github/workflows')).map((f) => `.github/workflows/${f}`),
].filter((f) => /\.ya?ml$/.test(f));
const PREDICATE_TYPE = 'https://github.com/cutover-dev/cutover/blob/main/docs/records.md#predicate';

type Step = { uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string> };
type Job = { permissions?: Record<string, string> | string; environment?: unknown; steps?: Step[]; [key: string]: unknown };
type Workflow = { on: Record<string, unknown>; permissions?: Record<string, string> | string; jobs: Record<string, Job> };

/** Every `uses:` of a third-party action that is not `owner/repo@<40 hex>  # vX.Y.Z`; local and docker actions are exempt. */
function unpinned(text: string): string[] {
  const found: string[] = [];
  const uses = text.split('\n').flatMap((line, i) => {
    const m = /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/.exec(line);
    return m ? [{ line: i + 1, ref: m[1] as string, rest: m[2] as string }] : [];
  });
  // Every step's `uses` is on a line of its own: flow style would slip past the line check.
  const parsed = Object.values((parse(text) as Workflow).jobs).flatMap((job) => (job.steps ?? []).filter((s) => s.uses)).length;
  if (parsed !== uses.length) found.push(`${parsed} steps use an action, ${uses.length} lines say uses:`);
  for (const { line, ref, rest } of uses) {
    if (ref.startsWith('./') || ref.startsWith('docker://')) continue;
    if (!/^[\w.-]+\/[\w.-]+(\/[^@\s]+)?@[0-9a-f]{40}$/.test(ref) || !/^\s+# v\d+(\.\d+){0,2}$/.test(rest))
      found.push(`line ${line}: uses: ${ref}${rest}`);
  }
  return found;
}

/** Whether a job's token can write (or is the repository's default, which may) or it gets secrets or an environment's. */
function privileged(workflow: Workflow, job: Job): boolean {
  const permissions = job.permissions ?? workflow.permissions;
  const writes =
    permissions === undefined ||
    permissions === 'write-all' ||
    (typeof permissions === 'object' && Object.values(permissions).includes('write'));
  return writes || job.environment !== undefined || JSON.stringify(job).includes('secrets.');
}

/** Every package install in a privileged job that lets dependencies' install scripts run. */
function installScripts(text: string): string[] {
  const workflow = parse(text) as Workflow;
  const found: string[] = [];
  for (const [name, job] of Object.entries(workflow.jobs)) {
    if (!privileged(workflow, job)) continue;
    for (const step of job.steps ?? []) {
      for (const line of (step.run ?? '').split('\n')) {
        if (
          /\b(npm\s+(ci|install|i|add)|yarn(\s+(install|add))?|pnpm\s+(install|i|add))\b/.test(line) &&
          !line.includes('--ignore-scripts')
        )
          found.push(`${name}: ${line.trim()}`);
      }
    }
  }
  return found;
}

let scaffoldedFiles: Record<string, string> | undefined;

/** The workflows `cutover init` writes into a fresh repository (made once, inside the first test that asks). */
function scaffolded(): Record<string, string> {
  if (scaffoldedFiles) return scaffoldedFiles;
  const dir = gitRepo();
  const r = cutover(['init'], { cwd: dir });
  expect(r.code, r.stderr).toBe(0);
  scaffoldedFiles = Object.fromEntries(
    readdirSync(join(dir, '.github/workflows')).map((f) => [
      `init: .github/workflows/${f}`,
      readFileSync(join(dir, '.github/workflows', f), 'utf8'),
    ]),
  );
  expect(Object.keys(scaffoldedFiles).sort()).toEqual([
    'init: .github/workflows/execute-plan.yml',
    'init: .github/workflows/validate-plans.yml',
  ]);
  return scaffoldedFiles;
}

const all = (): [string, string][] => [...SHIPPED.map((f) => [f, read(f)] as [string, string]), ...Object.entries(scaffolded())];

describe('GitHub’s workflow parser', () => {
  it('accepts every workflow shipped or scaffolded', async () => {
    expect(SHIPPED).toEqual(
      expect.arrayContaining(['examples/workflows/validate-plans.yml', 'examples/workflows/execute-plan.yml', '.github/workflows/ci.yml']),
    );
    for (const [name, text] of all()) expect(await workflowErrors(name, text), name).toEqual([]);
  });

  it.each(SHIPPED)('rejects a broken copy of %s (an unknown job key, a bad permission level)', async (rel) => {
    const text = read(rel);
    const unknownKey = text.replace(/^ {4}runs-on: ubuntu-latest$/m, '    runs-on: ubuntu-latest\n    run-on-fridays: never');
    const badPermission = text.replace(/^( +)contents: (read|write)$/m, '$1contents: admin');
    for (const broken of [unknownKey, badPermission]) {
      expect(broken).not.toBe(text);
      expect((await workflowErrors(rel, broken)).length).toBeGreaterThan(0);
    }
    expect(await workflowErrors(rel, unknownKey)).toEqual([expect.stringContaining("Unexpected value 'run-on-fridays'")]);
  });

  it('accepts action.yml, node24 included, and every input and output says what it is', async () => {
    const text = read('action.yml');
    expect(await actionErrors('action.yml', text)).toEqual({
      errors: [],
      runs: expect.objectContaining({ using: 'node24', main: 'action/index.js' }),
    });
    const action = parse(text) as { inputs: Record<string, { description?: string }>; outputs: Record<string, { description?: string }> };
    for (const [name, entry] of [...Object.entries(action.inputs), ...Object.entries(action.outputs)])
      expect(entry.description, name).toMatch(/\S/);
  });

  it('rejects a broken copy of action.yml (a misspelt key, an unknown runtime, an expression in a description)', async () => {
    const text = read('action.yml');
    for (const broken of [
      text.replace(/^ {2}main: /m, '  mian: '),
      text.replace(/^ {2}using: node24$/m, '  using: node23'),
      text.replace(/^( {4}description: ")/m, '$1${{ github.sha }} '),
    ]) {
      expect(broken).not.toBe(text);
      expect((await actionErrors('action.yml', broken)).errors.length).toBeGreaterThan(0);
    }
  });
});

describe('the supply chain of every workflow shipped or scaffolded', () => {
  it('pins every third-party action to a full commit SHA, with its version in a comment', () => {
    for (const [name, text] of all()) expect(unpinned(text), name).toEqual([]);
  });

  it('runs no install script where the token can write or secrets are present', () => {
    for (const [name, text] of all()) expect(installScripts(text), name).toEqual([]);
  });

  it('catches a tag instead of a SHA, a SHA without its version, and npm ci with scripts in a privileged job', () => {
    const execute = read('examples/workflows/execute-plan.yml');
    expect(unpinned(execute.replace(/actions\/checkout@[0-9a-f]{40} # v5\.1\.0/, 'actions/checkout@v5'))).toEqual([
      expect.stringContaining('uses: actions/checkout@v5'),
    ]);
    expect(unpinned(execute.replace(/(actions\/attest@[0-9a-f]{40}) # v4\.2\.2/, '$1'))).toHaveLength(1);
    expect(unpinned(execute.replace('      - run: npm ci --ignore-scripts\n', '      - { uses: "actions/cache@v4" }\n'))).toEqual([
      '8 steps use an action, 7 lines say uses:',
    ]);
    expect(installScripts(execute.replaceAll('npm ci --ignore-scripts', 'npm ci'))).toEqual(['run: npm ci']);
    // The same install in a read-only job without secrets is left alone; with a secret in it, it is not.
    const validate = read('examples/workflows/validate-plans.yml').replace('npm ci --ignore-scripts', 'npm ci');
    expect(installScripts(validate)).toEqual([]);
    expect(
      installScripts(
        validate.replace('      - run: npm ci\n', '      - run: npm ci\n        env:\n          TOKEN: ${{ secrets.NPM_TOKEN }}\n'),
      ),
    ).toEqual(['validate: npm ci']);
  });
});

describe('the example workflows', () => {
  const execute = () => parse(read('examples/workflows/execute-plan.yml')) as Workflow;
  const validate = () => parse(read('examples/workflows/validate-plans.yml')) as Workflow;

  it('execute-plan: the run job alone writes, behind the environment, one run per plan, on what was merged', () => {
    const w = execute();
    expect(w.permissions).toEqual({});
    const run = w.jobs.run as Job & { concurrency: unknown };
    expect(run.permissions).toEqual({ contents: 'write' });
    expect(run.environment).toBe('cutover');
    expect(run.concurrency).toEqual({ group: 'cutover-${{ matrix.plan }}', 'cancel-in-progress': false });
    expect(w.jobs.select?.permissions).toEqual({ contents: 'read' });
    expect(run.steps?.find((s) => s.uses?.startsWith('actions/checkout'))?.with?.['fetch-depth']).toBe(0);
    expect(run.steps?.map((s) => s.run ?? '').join('\n')).toContain('cutover run "$PLAN" --require-merged origin/main --push');
    // The plans come from cutover changed, not from renaming lock files in shell.
    const select = w.jobs.select?.steps?.map((s) => s.run ?? '').join('\n') ?? '';
    expect(select).toContain('npx cutover changed "$BEFORE" "$AFTER" --format github');
    expect(select).not.toMatch(/sed|lock\.json|git diff/);
  });

  it('execute-plan: the optional attestation job alone may sign, over the statement’s subjects, with the predicate’s URI', () => {
    const w = execute();
    const attest = w.jobs.attest as Job & { if: string };
    expect(attest.permissions).toEqual({ 'id-token': 'write', attestations: 'write' });
    expect(attest.if).toContain("vars.CUTOVER_ATTEST == 'true'");
    for (const [name, job] of Object.entries(w.jobs))
      if (name !== 'attest') expect(JSON.stringify(job.permissions), name).not.toMatch(/id-token|attestations/);
    const step = attest.steps?.find((s) => s.uses?.startsWith('actions/attest@'));
    expect(step?.with).toEqual({
      'subject-checksums': '${{ runner.temp }}/cutover-subjects.sha256',
      'predicate-type': PREDICATE_TYPE,
      'predicate-path': '${{ runner.temp }}/cutover-predicate.json',
    });
    expect(attest.steps?.map((s) => s.run ?? '').join('\n')).toContain('.subject[] | select(.digest.sha256 != null)');
    expect(attest.steps?.some((s) => s.run?.includes('npm'))).toBe(false);
  });

  it('execute-sharded-plan: coordinator, shards and join share one run id; only the join writes, and it always runs', () => {
    const w = parse(read('examples/workflows/execute-sharded-plan.yml')) as Workflow & {
      concurrency: unknown;
      env: Record<string, string>;
    };
    expect(w.permissions).toEqual({});
    expect(w.concurrency).toEqual({ group: 'cutover-${{ inputs.plan }}', 'cancel-in-progress': false });
    expect(w.env.RUN_ID).toBe('gh-${{ github.run_id }}');
    const { coordinator, shard, join } = w.jobs as Record<string, Job & { needs?: unknown; if?: string; strategy?: any; outputs?: any }>;
    for (const job of [coordinator, shard, join]) expect(job?.environment).toBe('cutover');
    expect(coordinator?.permissions).toEqual({ contents: 'read' });
    expect(shard?.permissions).toEqual({ contents: 'read' });
    expect(join?.permissions).toEqual({ contents: 'write' });
    const script = (job: Job | undefined) => job?.steps?.map((s) => s.run ?? '').join('\n') ?? '';
    expect(script(coordinator)).toContain('npx cutover matrix "$PLAN" "$STEP" --format github');
    expect(script(coordinator)).toContain('--until "$STEP" --handoff "$RUNNER_TEMP/handoff"');
    expect(coordinator?.outputs).toEqual({ shards: '${{ steps.matrix.outputs.shards }}' });
    expect(shard?.needs).toBe('coordinator');
    expect(shard?.strategy).toEqual({ 'fail-fast': false, matrix: { shard: '${{ fromJSON(needs.coordinator.outputs.shards) }}' } });
    expect(script(shard)).toContain('--shard "$SHARD" --handoff "$RUNNER_TEMP/handoff" --out "$RUNNER_TEMP/shard"');
    expect(join?.needs).toEqual(['coordinator', 'shard']);
    expect(join?.if).toBe('${{ always() }}');
    expect(script(join)).toContain('--join "$RUNNER_TEMP"/bundles/* --push');
    // Every bundle uploaded is one the join downloads, and nothing else is.
    const uploads = [coordinator, shard].flatMap((j) => j?.steps?.filter((s) => s.uses?.startsWith('actions/upload-artifact')) ?? []);
    expect(uploads.map((s) => String(s.with?.name))).toEqual(['cutover-bundle-handoff', 'cutover-bundle-shard-${{ strategy.job-index }}']);
    expect(join?.steps?.find((s) => s.uses?.startsWith('actions/download-artifact'))?.with?.pattern).toBe('cutover-bundle-*');
  });

  it('validate-plans: a sticky comment from the one job that may write to the pull request, the summary for a fork', () => {
    const w = validate();
    expect(w.on).toEqual({ pull_request: null });
    expect(w.permissions).toEqual({ contents: 'read' });
    expect(w.jobs.validate?.permissions).toBeUndefined();
    const comment = w.jobs.comment as Job;
    expect(comment.permissions).toEqual({ 'pull-requests': 'write' });
    // The writing job runs nothing of the pull request: no checkout, no npm.
    expect(comment.steps?.some((s) => s.uses?.startsWith('actions/checkout') || /\bnp[mx]\b/.test(s.run ?? ''))).toBe(false);
    const script = comment.steps?.map((s) => s.run ?? '').join('\n') ?? '';
    expect(script).toContain(`startswith("${REVIEW_MARKER}")`);
    expect(script).toMatch(/--method PATCH "repos\/\$REPO\/issues\/comments\/\$id"/);
    expect(script).toContain('GITHUB_STEP_SUMMARY');
    const review = w.jobs.validate?.steps?.find((s) => s.run?.includes('cutover review'));
    expect(review?.run).toBe('npx cutover review --base "$BASE" --out "$RUNNER_TEMP/cutover-review.md"');
    for (const other of SHIPPED.filter((f) => f !== 'examples/workflows/validate-plans.yml'))
      expect(read(other), other).not.toContain('pull-requests: write');
  });

  it('pastes no expression into a shell script: inputs reach scripts through the environment', () => {
    for (const [name, text] of all()) {
      for (const job of Object.values((parse(text) as Workflow).jobs))
        for (const step of job.steps ?? []) expect(step.run ?? '', `${name}: ${step.run}`).not.toMatch(/\$\{\{/);
    }
    const ci = parse(read('.github/workflows/ci.yml')) as { jobs: { test: { strategy: { matrix: { node: number[] } } } } };
    expect(ci.jobs.test.strategy.matrix.node).toEqual([20, 22, 24]);
  });
});
