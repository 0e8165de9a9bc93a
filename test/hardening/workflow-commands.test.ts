// Workflow-command injection under --format github: every string cutover prints (step ids' names,
// a plan's description, reasons, paths, env values, argv, step output, problem messages, file names)
// is filled with payloads that would be commands at a line start (`\n::error::PWNED`, `\r##[error]`,
// `::stop-commands::`, …). Reading stdout and stderr as GitHub's runner does, the only commands in
// them must be the ones cutover meant to print; a step's output stays inside its stop-commands block.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { memoryIo, type CommandIo } from '../../src/adapters/io.js';
import { freeze } from '../../src/commands/freeze.js';
import { plan } from '../../src/commands/plan.js';
import { run } from '../../src/commands/run.js';
import { validate } from '../../src/commands/validate.js';
import { verify } from '../../src/commands/verify.js';
import { finishGithubCommand } from '../../src/github/report.js';
import { reportError } from '../../src/ui/output.js';
import { cutover } from '../helpers/cli.js';
import { git, gitRepo, tempDir } from '../helpers/git-repo.js';

const PHASE_ID = /^(?:preconditions|steps|rollback|finally)\/[a-z0-9][a-z0-9_-]*$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The commands GitHub's runner would act on in a log that cutover did not mean to print (empty
 * when all is well). The runner's reading (actions/runner ActionCommandManager): lines end at LF,
 * CR or CRLF; after .NET's TrimStart a line `::NAME[ PROPS]::DATA` is a command, and so is a line
 * holding `##[NAME…]` anywhere; between `::stop-commands::TOKEN` and `::TOKEN::` nothing is. What
 * cutover means to print: `::add-mask::` before anything else, a group per step (`phase/id`) and
 * its end, annotations with a title and a message of cutover's own (the payloads here all start
 * their messages `PWNED`), and stop-commands blocks with a fresh UUID, each closed again.
 */
function unintendedCommands(log: string): string[] {
  const wrong: string[] = [];
  let token: string | undefined;
  let preamble = true;
  let groupOpen = false;
  for (const line of log.split(/\r\n|\r|\n/)) {
    const v2 = /^::([^\s:]*)( [\s\S]*?)?::([\s\S]*)$/.exec(line.replace(/^[\s\u0085]+/, ''));
    if (token !== undefined) {
      if (v2?.[1] === token && v2[3] === '') token = undefined;
      continue;
    }
    const [, name = '', props = '', data = ''] = v2 ?? [];
    let ok = true;
    switch (v2 ? name : undefined) {
      case undefined:
        // The older syntax is read anywhere in a line that is not a command already.
        ok = !/##\[[^\]]*\]/.test(line);
        break;
      case 'add-mask':
        ok = preamble;
        break;
      case 'group':
        ok = PHASE_ID.test(data) && !groupOpen;
        groupOpen = true;
        break;
      case 'endgroup':
        ok = data === '' && groupOpen;
        groupOpen = false;
        break;
      case 'stop-commands':
        ok = UUID.test(data);
        token = data;
        break;
      case 'error':
      case 'warning':
      case 'notice':
        ok = /(?:^ |,)title=/.test(props) && !data.startsWith('PWNED');
        break;
      default:
        ok = false;
    }
    if (line !== '' && name !== 'add-mask') preamble = false;
    if (!ok) wrong.push(line);
  }
  if (token !== undefined) wrong.push(`::stop-commands::${token} never resumed`);
  return wrong;
}

// Each payload ends a line (or pretends to), then starts a command the runner would act on.
const BREAKS = ['\n', '\r', '\r\n', '\n  ', '\n\u00a0', '%0A', ''];
const INJECTIONS = [
  '::error::PWNED',
  '::warning file=PWNED.yaml,line=1::PWNED',
  '::error title=STEP_FAILED::PWNED',
  '::add-mask::PWNED',
  '::stop-commands::PWNED',
  '::endgroup::',
  '::group::PWNED',
  '::set-output name=o::PWNED',
  '##[error]PWNED',
];
const payload = fc
  .tuple(
    fc.string({ unit: fc.constantFrom('a', ' ', ':', '%', '#', '['), maxLength: 3 }),
    fc.constantFrom(...BREAKS),
    fc.constantFrom(...INJECTIONS),
    fc.constantFrom('', '\n', ' tail'),
  )
  .map(([before, brk, injection, after]) => `p${before}${brk}${injection}${after}`);

/** A step that prints its arguments and the payload variables, writes the JSON files expectations read, and exits as told. */
const SAY = `import { mkdirSync, writeFileSync } from 'node:fs';
const [exit, ...words] = process.argv.slice(2);
mkdirSync('tmp', { recursive: true });
writeFileSync('tmp/bad.json', '{"value": ' + process.env.SAY_A);
writeFileSync('tmp/value.json', JSON.stringify({ value: process.env.SAY_B }));
for (const w of [...words, process.env.SAY_A, process.env.SAY_B]) { process.stdout.write(w + '\\n'); process.stderr.write(w + '\\n'); }
process.stdout.write(process.env.SAY_A);
process.exitCode = Number(exit);
`;

const q = (text: string) => JSON.stringify(text); // a JSON string is a YAML double-quoted scalar

/** A plan with a payload in every string it may hold; `dirPayload` puts one in the record folder too. */
function planText(p: string[], dirPayload: boolean): string {
  return `apiVersion: cutover/v1
kind: Plan
metadata: { name: p, description: ${q(p[0]!)} }
spec:
  runId: r1
  secrets: [SEC]
  env: { SAY_A: ${q(p[1]!)}, SAY_B: "\${{ env.INJ }}" }
  registries: [{ name: config, paths: ["config/*.json"] }]
  steps:
    - { id: say, name: ${q(p[2]!)}, run: [node, tools/say.js, "0", ${q(p[3]!)}, "\${{ env.INJ }}"], continueOnError: true, expect: { json: [{ file: tmp/bad.json, path: value, equals: x }] } }
    - { id: value, name: ${q(p[4]!)}, run: [node, tools/say.js, "0"], continueOnError: true, expect: { json: [{ file: tmp/value.json, path: ${q(`value.${p[5]}`)}, equals: ${q(p[6]!)} }], exists: [${q(`tmp/${p[7]!.replace(/[\u0000-\u001f\u007f]/g, '_')}`)}] } }
    - { id: out, run: [node, tools/say.js, "0"], continueOnError: true, expect: { stdout: ${q(p[8]!.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&'))} } }
    - { id: fails, name: ${q(p[9]!)}, run: [node, tools/say.js, "3", "\${{ env.SEC }}"], env: { STEP_P: ${q(p[10]!)} } }
  rollback:
    - { id: undo, name: ${q(p[11]!)}, run: [node, tools/say.js, "0", ${q(p[12]!)}] }
  finally:
    - { id: fin, run: [node, tools/say.js, "0"] }
${dirPayload ? '  record: { dir: "reports/${{ env.DIR }}" }\n' : ''}`;
}

/** Runs a command in-process as the CLI does in GitHub's format: its output, a refusal's annotation, the outcome output. */
async function githubCommand(dir: string, env: Record<string, string>, name: string, action: (io: CommandIo) => Promise<number>) {
  const io = memoryIo({ cwd: dir, env, format: 'github', verbose: true });
  let code: number;
  try {
    code = await action(io);
    await finishGithubCommand(io, name, code);
  } catch (error) {
    code = reportError(error, io);
    await finishGithubCommand(io, name, code, error);
  }
  return { code, stdout: io.out(), stderr: io.err() };
}

// Every line of a secret is masked on its own, so each line carries a marker no other payload has:
// a line such as ` ::endgroup::` would otherwise also be a piece of the record folder's payload.
const secretOf = (payload: string) =>
  payload
    .split(/(\r?\n|\r)/)
    .map((part, i) => (i % 2 ? part : `sec-${part}`))
    .join('');

describe('workflow commands under --format github', () => {
  it('the only commands in the output are cutover’s own, whatever the plan, env, step output and file names hold', async () => {
    let samples = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(payload, { minLength: 14, maxLength: 14 }), fc.boolean(), async (p, dirPayload) => {
        samples++;
        const dir = gitRepo({
          'tools/say.js': SAY,
          'tools/package.json': '{ "type": "module" }\n',
          'config/a.json': '{ "a": 1 }\n',
          '.gitignore': 'tmp/\n',
          'plans/p.yaml': planText(p, dirPayload),
          // Problems quote what they are about: an unknown key, here a payload.
          'plans/bad.yaml': `apiVersion: cutover/v1\nkind: Plan\nmetadata: { name: bad, ${q(p[13]!)}: 1 }\nspec: { registries: [], steps: [{ id: a, run: x }] }\n`,
        });
        expect(await freeze({ plan: 'plans/p.yaml' }, memoryIo({ cwd: dir }))).toBe(0);
        git(dir, 'add', '-A');
        git(dir, 'commit', '-q', '-m', 'freeze');
        const summary = join(tempDir('cutover-gh-'), 'summary.md');
        const env = {
          GITHUB_ACTIONS: 'true',
          GITHUB_STEP_SUMMARY: summary,
          INJ: p[5]!,
          DIR: p[6]!,
          SEC: secretOf(p[7]!),
          PATH: process.env.PATH ?? '',
        };

        const outputs: [string, { code: number; stdout: string; stderr: string }][] = [
          ['validate', await githubCommand(dir, env, 'validate', (io) => validate({ plans: [] }, io))],
          ['plan', await githubCommand(dir, env, 'plan', (io) => plan({ plan: 'plans/p.yaml' }, io))],
          ['run', await githubCommand(dir, env, 'run', (io) => run({ plan: 'plans/p.yaml', commit: true }, io))],
        ];
        expect(outputs[0]![1].code).toBe(2);
        const ran = outputs[2]![1];
        const record = /^record (reports\/.*?) {2}root/m.exec(ran.stdout)?.[1];
        const checks: [string, { stdout: string; stderr: string }][] = [...outputs];
        if (ran.code === 1 && record && !dirPayload) {
          // verify lists a file it did not expect by name: one named with a payload.
          writeFileSync(join(dir, record, `x${p[8]!.replace(/\//g, '-')}`), 'planted\n');
          const verified = await githubCommand(dir, env, 'verify', (io) => verify({ record }, io));
          expect(verified.code).toBe(4);
          checks.push(['verify', verified]);
          // No message of cutover's holds a line break: every reason in the record is one line.
          const runJson = JSON.parse(readFileSync(join(dir, record, 'run.json'), 'utf8')) as { steps: { reason?: string }[] };
          for (const step of runJson.steps) expect(step.reason ?? '').not.toMatch(/[\r\n]/);
        }
        for (const [label, out] of checks) {
          expect(unintendedCommands(out.stdout), `${label} stdout`).toEqual([]);
          expect(unintendedCommands(out.stderr), `${label} stderr`).toEqual([]);
        }
        // The payloads did reach the output (escaped): the check above had something to find.
        expect(ran.stdout).toContain('PWNED');
      }),
      { numRuns: 8, endOnFailure: true },
    );
    expect(samples).toBeGreaterThanOrEqual(8);
  });

  it('the oracle finds what the runner would act on', () => {
    const token = '0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b';
    expect(
      unintendedCommands(
        `::add-mask::s3cret\n::group::steps/a\n::stop-commands::${token}\n::error::inside\n::${token}::\n::endgroup::\n::error file=a,title=T::steps/a failed`,
      ),
    ).toEqual([]);
    expect(unintendedCommands('text\n::add-mask::late')).toEqual(['::add-mask::late']);
    expect(unintendedCommands('ok\r  ::error::PWNED')).toEqual(['  ::error::PWNED']);
    expect(unintendedCommands('::error title=STEP_FAILED::PWNED')).toHaveLength(1);
    expect(unintendedCommands('see ##[error]x')).toHaveLength(1);
    expect(unintendedCommands('::endgroup::')).toHaveLength(1);
    expect(unintendedCommands('::group::steps/a\n::group::steps/b')).toHaveLength(1);
    expect(unintendedCommands('::stop-commands::PWNED')).not.toEqual([]);
    expect(unintendedCommands(`::stop-commands::${token}\nnever resumed`)).toHaveLength(1);
    expect(unintendedCommands('\u00a0::set-output name=o::x')).toHaveLength(1);
  });
});

describe('the reproductions of issue 12, finding 4, through the built CLI', () => {
  it('an expect.json file, a description, an argv element and a record folder holding `\\n::error::` print no command', () => {
    const dir = gitRepo({
      'config/a.json': '{ "a": 1 }\n',
      'bad.json': '\n::error::PWNED\n',
      'plans/p.yaml': `apiVersion: cutover/v1
kind: Plan
metadata: { name: p, description: "hello\\n::warning::PWNED-DESCRIPTION" }
spec:
  runId: r1
  registries: [{ name: config, paths: ["config/*.json"] }]
  steps:
    - { id: w, run: [node, -e, "0", "x\\n::error::PWNED-ARGV"], expect: { json: [{ file: bad.json, path: value, equals: nope }] } }
  record: { dir: "reports/\${{ env.D }}" }
`,
    });
    expect(cutover(['freeze', 'plans/p.yaml'], { cwd: dir }).code).toBe(0);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'freeze');
    const env = { D: 'r\n::error::PWNED-DIR', GITHUB_ACTIONS: 'true' };
    const previewed = cutover(['plan', 'plans/p.yaml', '--format', 'github'], { cwd: dir, env });
    // A record folder with a newline is refused before any step (one escaped annotation); with a
    // plain folder the step runs and fails on the file's bytes.
    const refused = cutover(['run', 'plans/p.yaml', '--format', 'github'], { cwd: dir, env });
    const ran = cutover(['run', 'plans/p.yaml', '--format', 'github'], { cwd: dir, env: { ...env, D: 'r' } });
    expect(refused.code).toBe(2);
    expect(refused.stdout).toMatch(/^::error [^\n]*title=PATH_UNSAFE::[^\n]*PWNED-DIR/m);
    for (const r of [previewed, refused, ran]) {
      expect(unintendedCommands(r.stdout), r.stdout).toEqual([]);
      expect(unintendedCommands(r.stderr), r.stderr).toEqual([]);
    }
    // Each payload was printed, as text: the description, the argv element, the file's bytes, the folder.
    expect(previewed.stdout).toContain('%3A:warning::PWNED-DESCRIPTION');
    expect(previewed.stdout).toContain('%3A:error::PWNED-ARGV');
    // (the parser's message quotes the file's first bytes: `"\n::error::"… is not valid JSON`)
    expect(ran.stdout).toMatch(/^✗ steps\/w failure .*not readable JSON.*::error::/m);
    expect(`${refused.stdout}${refused.stderr}`).toContain('PWNED-DIR');
  });
});
