// Nothing cutover did not write in this run is ever removed or overwritten (issue 12, finding 1).
// A record folder, a step's produces and a determinism check's paths that hold what the run did not
// write (ignored, untracked, changed or staged files, another run's record, a nested repository,
// links, FIFOs) are refused before any step runs, naming the files; sentinels planted beside every
// place a run writes survive success, failure, a drill, an interrupt and kill -9 then --resume.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { git, tempDir, writeFiles } from '../helpers/git-repo.js';
import { planHead, planRepo, runPlan, startRun } from '../helpers/run-repo.js';
import { waitFor } from '../helpers/wait.js';
import { figures } from './soak.js';

const MARK = '  preconditions:\n    - { id: mark, run: node tools/step.js append ran.txt mark }\n';
const STEPS = '  steps:\n    - { id: one, run: node tools/step.js tree out/one 2 }\n';
const sentinel = (rel: string) => `planted by the operator, not by cutover: ${rel}\n`;
const tally = { record: 0, produces: 0, determinism: 0, modes: 0 };

/** Writes untracked files (each holding its own name) and returns them, to check later that each is intact. */
function plant(dir: string, rels: string[]): Record<string, string> {
  const files = Object.fromEntries(rels.map((rel) => [rel, sentinel(rel)]));
  writeFiles(dir, files);
  return files;
}

function expectIntact(dir: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files))
    expect(readFileSync(join(dir, rel), 'utf8'), `${rel} was changed or removed`).toBe(content);
}

/** The run is refused before any step ran: exit 3 with `code`, every named file in the problems, no journal, no commit. */
function expectRefused(dir: string, args: string[], env: Record<string, string>, code: string, names: string[]): string {
  const head = git(dir, 'rev-parse', 'HEAD');
  const r = runPlan(dir, args, env);
  const context = `${r.stdout}\n${r.stderr}`;
  expect(r.code, context).toBe(3);
  const problems = (r.doc?.problems ?? []) as { code: string; message: string }[];
  expect(
    problems.map((p) => p.code),
    context,
  ).toContain(code);
  const text = problems.map((p) => p.message).join('\n');
  for (const name of names) expect(text, context).toContain(name);
  expect(existsSync(join(dir, 'ran.txt')), 'a step ran').toBe(false);
  expect(existsSync(join(dir, '.git/cutover/journal/test-plan.jsonl'))).toBe(false);
  expect(git(dir, 'rev-parse', 'HEAD')).toBe(head);
  return text;
}

/** Turns the record an earlier run wrote (with --no-commit) into one of another plan. */
function renamePlanIn(dir: string, record: string): void {
  const path = join(dir, record, 'run.json');
  const run = JSON.parse(readFileSync(path, 'utf8')) as { plan: { name: string } };
  run.plan.name = 'another-plan';
  writeFileSync(path, `${JSON.stringify(run, null, 2)}\n`);
}

interface RecordVariant {
  label: string;
  plan?: string;
  files?: Record<string, string>;
  env?: Record<string, string>;
  args?: string[];
  plant?: string[];
  /** Anything else to put in the way (links, FIFOs, earlier records). */
  setup?: (dir: string) => void;
  code?: string;
  names: string[];
}

const RECORD_VARIANTS: RecordVariant[] = [
  {
    label: 'record.dir is a git-ignored data folder (the reproduction)',
    plan: '  record: { dir: data }\n',
    files: { '.gitignore': 'data/\n' },
    plant: ['data/extract.csv'],
    names: ['data/extract.csv'],
  },
  {
    label: 'record.dir from the environment, reports/../dumps (the reproduction)',
    plan: '  record: { dir: "reports/${{ env.D }}" }\n',
    env: { D: '../dumps' },
    files: { '.gitignore': 'dumps/\n' },
    plant: ['dumps/prod.sql'],
    names: ['dumps/prod.sql'],
  },
  {
    label: 'record.dir from the environment, reports/../config: committed registry files',
    plan: '  record: { dir: "reports/${{ env.D }}" }\n',
    env: { D: '../config' },
    names: ['config/a.json'],
  },
  {
    label: 'an untracked note in the default record folder',
    plant: ['reports/test-plan/r1/notes.md'],
    names: ['reports/test-plan/r1/notes.md'],
  },
  {
    label: 'an ignored log where the record keeps its logs',
    files: { '.gitignore': '*.log\n' },
    plant: ['reports/test-plan/r1/logs/steps-01-one.log'],
    names: ['reports/test-plan/r1/logs/steps-01-one.log'],
  },
  {
    label: 'an ignored folder of records, the run id from the environment',
    plan: '  record: { dir: "archive/${{ env.R }}" }\n',
    env: { R: 'r1' },
    files: { '.gitignore': 'archive/\n' },
    plant: ['archive/r1/2023/ledger.csv'],
    names: ['archive/r1/2023/ledger.csv'],
  },
  {
    label: "this run's uncommitted record, and a file beside it",
    setup: (dir) => {
      expect(runPlan(dir, ['--no-commit']).code).toBe(0);
      rmRan(dir);
      writeFileSync(join(dir, 'reports/test-plan/r1/extra.txt'), sentinel('extra'));
    },
    names: ['reports/test-plan/r1/extra.txt'],
  },
  {
    label: "another run's uncommitted record in a shared record.dir",
    plan: '  record: { dir: reports/shared }\n',
    setup: (dir) => {
      expect(runPlan(dir, ['--no-commit', '--run-id', 'r0']).code).toBe(0);
      rmRan(dir);
    },
    code: 'RECORD_EXISTS',
    names: ['reports/shared', '"r0"'],
  },
  {
    label: "another plan's record under the same run id",
    setup: (dir) => {
      expect(runPlan(dir, ['--no-commit']).code).toBe(0);
      rmRan(dir);
      renamePlanIn(dir, 'reports/test-plan/r1');
    },
    code: 'RECORD_EXISTS',
    names: ['another-plan'],
  },
  {
    label: 'a symbolic link inside the record folder',
    setup: (dir) => {
      mkdirSync(join(dir, 'reports/test-plan/r1'), { recursive: true });
      symlinkSync('../../../config/a.json', join(dir, 'reports/test-plan/r1/report.md'));
    },
    names: ['reports/test-plan/r1/report.md'],
  },
  {
    label: 'a FIFO inside the record folder',
    setup: (dir) => {
      mkdirSync(join(dir, 'reports/test-plan/r1'), { recursive: true });
      execFileSync('mkfifo', [join(dir, 'reports/test-plan/r1/run.json')]);
    },
    names: ['reports/test-plan/r1/run.json'],
  },
  { label: 'the record folder is a file', plant: ['reports/test-plan/r1'], names: ['reports/test-plan/r1'] },
];

function rmRan(dir: string): void {
  execFileSync('rm', ['-f', join(dir, 'ran.txt')]);
}

describe('a record folder holding what the run did not write', () => {
  it.each(RECORD_VARIANTS)('$label: refused before any step runs, nothing removed', (v) => {
    const dir = planRepo(`${planHead()}${v.plan ?? ''}${MARK}${STEPS}`, v.files ?? {});
    v.setup?.(dir);
    const planted = plant(dir, v.plant ?? []);
    const before = readdirSync(join(dir, v.plant?.[0]?.split('/')[0] ?? 'config'), { recursive: true })
      .map(String)
      .sort();
    expectRefused(dir, v.args ?? [], v.env ?? {}, v.code ?? 'FILE_EXISTS', v.names);
    expectIntact(dir, planted);
    expect(
      readdirSync(join(dir, v.plant?.[0]?.split('/')[0] ?? 'config'), { recursive: true })
        .map(String)
        .sort(),
    ).toEqual(before);
    tally.record++;
  });

  it.each(['.', '..'])('--run-id %s is refused as invalid input; the ignored folder it would name is untouched', (id) => {
    const dir = planRepo(`${planHead()}${MARK}${STEPS}`, { '.gitignore': 'reports/\n' });
    const planted = plant(dir, ['reports/keep.txt', 'reports/test-plan/keep.txt']);
    const r = runPlan(dir, ['--run-id', id]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.doc!.problems[0]).toMatchObject({ code: 'USAGE', message: expect.stringContaining(`run id "${id}"`) });
    expect(existsSync(join(dir, 'ran.txt'))).toBe(false);
    expectIntact(dir, planted);
    tally.record++;
  });

  it('a file a step writes into the record folder: the record is refused, not written over it; moved away, --resume records', () => {
    const dir = planRepo(
      `${planHead()}${MARK}  steps:\n    - { id: one, run: node tools/step.js write reports/test-plan/r1/export.csv "a step's own output" }\n`,
    );
    const r = runPlan(dir);
    expect(r.code, r.stderr).toBe(3);
    expect(r.doc!.problems[0]).toMatchObject({
      code: 'FILE_EXISTS',
      message: expect.stringContaining('reports/test-plan/r1/export.csv'),
      hint: expect.stringContaining('--resume'),
    });
    expect(readFileSync(join(dir, 'reports/test-plan/r1/export.csv'), 'utf8')).toBe("a step's own output");
    execFileSync('mv', [join(dir, 'reports/test-plan/r1/export.csv'), join(dir, 'export.csv')]);
    const resumed = runPlan(dir, ['--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(readFileSync(join(dir, 'ran.txt'), 'utf8')).toBe('mark\n');
    expect(git(dir, 'log', '-1', '--format=%s')).toBe('cutover(test-plan): r1 success');
    tally.record++;
  });

  it("replaces this run's own uncommitted record (a --no-commit run, then the run), and commits it", () => {
    const dir = planRepo(`${planHead()}${MARK}${STEPS}`);
    expect(runPlan(dir, ['--no-commit']).code).toBe(0);
    const first = readFileSync(join(dir, 'reports/test-plan/r1/run.json'), 'utf8');
    const r = runPlan(dir);
    expect(r.code, r.stderr).toBe(0);
    expect(git(dir, 'show', 'HEAD:reports/test-plan/r1/run.json')).not.toBe(first.trim());
    expect(readFileSync(join(dir, 'ran.txt'), 'utf8')).toBe('mark\nmark\n');
  });
});

// Where the run would set aside and replace, each kind of content git does not keep.
const WHAT: { label: string; files?: Record<string, string>; setup: (dir: string) => void; names: string[]; path?: string }[] = [
  {
    label: 'an ignored file',
    files: { '.gitignore': 'out/\n' },
    setup: (dir) => void plant(dir, ['out/data/extract.csv']),
    names: ['out/data/extract.csv'],
  },
  { label: 'an untracked file', setup: (dir) => void plant(dir, ['out/data/notes.txt']), names: ['out/data/notes.txt'] },
  {
    label: 'a tracked file with uncommitted changes',
    files: { 'out/data/tracked.txt': 'committed\n' },
    setup: (dir) => writeFileSync(join(dir, 'out/data/tracked.txt'), 'edited, not committed\n'),
    names: ['out/data/tracked.txt'],
  },
  {
    label: 'a file only staged',
    setup: (dir) => {
      plant(dir, ['out/data/staged.txt']);
      git(dir, 'add', 'out/data/staged.txt');
    },
    names: ['out/data/staged.txt'],
  },
  {
    label: 'a nested repository',
    setup: (dir) => {
      plant(dir, ['out/data/sub/file.txt']);
      git(join(dir, 'out/data/sub'), 'init', '-q');
    },
    names: ['out/data/sub/'],
  },
  {
    label: 'a link',
    setup: (dir) => {
      mkdirSync(join(dir, 'out/data'), { recursive: true });
      symlinkSync('../../config/a.json', join(dir, 'out/data/link'));
    },
    names: ['out/data/link'],
  },
  {
    label: 'a single untracked file',
    setup: (dir) => void plant(dir, ['out/report.json']),
    names: ['out/report.json'],
    path: 'out/report.json',
  },
  {
    label: 'a path from the environment',
    setup: (dir) => void plant(dir, ['out/from-env/kept.txt']),
    names: ['out/from-env/kept.txt'],
    path: '${{ env.OUT }}',
  },
];

const WHERE = {
  produces: (path: string) =>
    `  steps:\n    - { id: build, run: node tools/step.js tree ${path.includes('env') ? 'out/from-env' : path} 2, produces: ["${path}"] }\n`,
  determinism: (path: string) =>
    `  steps:\n    - { id: build, run: node tools/step.js tree ${path.includes('env') ? 'out/from-env' : path} 2 }\n    - { id: same, uses: determinism, with: { rerun: [build], paths: ["${path}"] } }\n`,
};

describe.each(Object.keys(WHERE) as (keyof typeof WHERE)[])('%s holding what git does not keep', (where) => {
  it.each(WHAT)('$label: refused before any step runs, naming it, nothing removed', (what) => {
    const path = what.path ?? 'out/data';
    const dir = planRepo(`${planHead()}${MARK}${WHERE[where](path)}`, what.files ?? {});
    what.setup(dir);
    const before = readdirSync(join(dir, 'out'), { recursive: true }).map(String).sort();
    const status = git(dir, 'status', '--porcelain', '--ignored', '--untracked-files=all');
    const text = expectRefused(dir, [], { OUT: 'out/from-env' }, 'FILE_EXISTS', what.names);
    expect(text).toMatch(where === 'produces' ? /produces of step build/ : /with\.paths of step same/);
    expect(readdirSync(join(dir, 'out'), { recursive: true }).map(String).sort()).toEqual(before);
    expect(git(dir, 'status', '--porcelain', '--ignored', '--untracked-files=all')).toBe(status);
    tally[where]++;
  });
});

describe('files committed and unchanged are no obstacle: git keeps their bytes', () => {
  it('in produces: the run goes ahead, and the failing step puts them back', () => {
    const dir = planRepo(
      `${planHead()}${MARK}  steps:\n    - { id: build, run: node tools/step.js fail 3 out/data/partial.txt, produces: [out/data] }\n`,
      { 'out/data/tracked.txt': 'committed\n' },
    );
    const r = runPlan(dir, ['--no-commit']);
    expect(r.code, r.stderr).toBe(1);
    expect(readFileSync(join(dir, 'ran.txt'), 'utf8')).toBe('mark\n');
    expect(git(dir, 'status', '--porcelain', '--untracked-files=all', '--', 'out')).toBe('');
  });

  it('in a determinism path: the run goes ahead and the rerun compares', () => {
    const dir = planRepo(`${planHead()}${MARK}${WHERE.determinism('out/data')}`, { 'out/data/f0.txt': 'file 0\n' });
    const r = runPlan(dir, ['--no-commit']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.doc!.steps.find((s: { id: string }) => s.id === 'same').outcome).toBe('success');
  });
});

describe('a step killed with its produces set aside', () => {
  it('blocks a fresh run (only --resume puts the earlier content back), and --resume restores it', async () => {
    const dir = planRepo(
      `${planHead()}  steps:\n    - { id: slow, run: node tools/step.js sleep 60000 out/data/partial.txt, produces: [out/data] }\n`,
      { 'out/data/tracked.txt': 'committed\n' },
    );
    const run = startRun(dir, ['--no-commit']);
    await waitFor(() => existsSync(join(dir, 'out/data/partial.txt')));
    run.child.kill('SIGKILL');
    await run.exited;
    expect(existsSync(join(dir, 'out/data/tracked.txt'))).toBe(false); // set aside in the scratch space

    const fresh = runPlan(dir, ['--no-commit']);
    expect(fresh.code, fresh.stderr).toBe(3);
    expect(fresh.doc!.problems[0]).toMatchObject({ code: 'RESUME_REFUSED', message: expect.stringMatching(/produces set aside/) });
    expect(readdirSync(join(dir, '.git/cutover/runs/test-plan/r1/aside'))).toContain('slow.json');

    // The resumed run puts the earlier content back, then starts the step again: its second spawn.
    const resumed = startRun(dir, ['--no-commit', '--resume']);
    const journal = join(dir, '.git/cutover/journal/test-plan.jsonl');
    await waitFor(() => readFileSync(journal, 'utf8').split('"step-spawn"').length > 2 && existsSync(join(dir, 'out/data/partial.txt')));
    resumed.child.kill('SIGINT');
    const ended = await resumed.exited;
    expect(ended.code, resumed.output().stderr).toBe(130);
    expect(readFileSync(join(dir, 'out/data/tracked.txt'), 'utf8')).toBe('committed\n');
    expect(existsSync(join(dir, 'out/data/partial.txt'))).toBe(false);
  });
});

// A plan that writes everywhere a run writes: the record, produces, a determinism rerun, a snapshot,
// a files artifact, logs and scratch space; SLOW_MS holds it in a step, FAIL_CODE fails a step.
const FULL_PLAN = `${planHead()}${MARK}  steps:
    - { id: build, run: node tools/step.js tree out/data 3, produces: [out/data] }
    - { id: same, uses: determinism, with: { rerun: [build], paths: [out/data] } }
    - { id: save, uses: snapshot, with: { name: before, paths: [out/files] } }
    - { id: slow, run: [node, tools/step.js, sleep, "\${{ env.SLOW_MS ?? '0' }}", out/slow.pid] }
    - { id: check, run: [node, tools/step.js, fail, "\${{ env.FAIL_CODE ?? '0' }}"] }
    - { id: files, run: node tools/step.js tree out/files 2, produces: [out/files] }
  rollback:
    - { id: undo, uses: restore, with: { name: before } }
  finally:
    - { id: fin, run: node tools/step.js append out/marks.txt finally }
  artifacts:
    - { name: data, path: out/data }
    - { name: files, path: out/files, commit: files }
`;

// Beside every place a run writes: siblings of the record folder and of each produces path, names
// like cutover's own, other runs' scratch space, and temporary indexes that are not a dead run's.
const SENTINELS = [
  'reports/test-plan/notes.keep',
  'reports/test-plan/r1.old/untracked.txt',
  'reports/test-plan/.r1.partial-sentinel/run.json',
  'reports/test-plan/r10/run.json',
  'reports/other-plan/r1/run.json',
  'out/keep.txt',
  'out/data.keep',
  'out/data-old/file.txt',
  'out/files.bak/file.txt',
  'ignored/dump.sql',
  '.git/cutover/runs/test-plan/r0/logs/steps-01-build.log',
  '.git/cutover/runs/other-plan/r1/aside/build.json',
  '.git/cutover/notes.keep',
  '.git/cutover-index-keep',
  '.git/cutover-index-00000000-1-1-0123456789ab',
  '.git/cutover-index-00000000-1-1-0123456789ab.lock',
];

type Mode = { label: string; exit: number; args?: string[]; env?: Record<string, string>; act?: (dir: string) => Promise<number | null> };

const MODES: Mode[] = [
  { label: 'success', exit: 0 },
  { label: 'failure', exit: 1, env: { FAIL_CODE: '3' } },
  { label: 'drill (--fail-at check)', exit: 1, args: ['--fail-at', 'check'] },
  {
    label: 'interrupt (SIGINT)',
    exit: 130,
    act: async (dir) => {
      const run = startRun(dir, [], { SLOW_MS: '60000' });
      await waitFor(() => existsSync(join(dir, 'out/slow.pid')));
      run.child.kill('SIGINT');
      return (await run.exited).code;
    },
  },
  {
    label: 'kill -9, then --resume',
    exit: 0,
    act: async (dir) => {
      const run = startRun(dir, [], { SLOW_MS: '60000' });
      await waitFor(() => existsSync(join(dir, 'out/slow.pid')));
      run.child.kill('SIGKILL');
      await run.exited;
      return runPlan(dir, ['--resume'], { SLOW_MS: '0' }).code;
    },
  },
];

describe('sentinels beside every place a run writes', () => {
  it.each(MODES)('survive $label', async (mode) => {
    const dir = planRepo(FULL_PLAN, { '.gitignore': '*.keep\nignored/\n' });
    const planted = plant(dir, SENTINELS);
    const outside = tempDir('cutover-outside-');
    const outsidePlanted = plant(outside, ['keep.txt']);
    const code = mode.act ? await mode.act(dir) : runPlan(dir, mode.args ?? [], mode.env ?? {}).code;
    expect(code).toBe(mode.exit);
    expect(git(dir, 'log', '-1', '--format=%s')).toMatch(/^cutover\(test-plan\): r1 /);
    expect(readFileSync(join(dir, 'out/marks.txt'), 'utf8')).toMatch(/finally\n$/);
    expectIntact(dir, planted);
    expectIntact(outside, outsidePlanted);
    tally.modes++;
    if (tally.modes === MODES.length) {
      figures(
        'no-data-loss',
        `variants refused: record folder ${tally.record}, produces ${tally.produces}, determinism ${tally.determinism}; ${SENTINELS.length} sentinels intact across ${tally.modes} modes`,
      );
    }
  });
});
