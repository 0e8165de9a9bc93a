// Property-based fuzzing of the plan loader and validator: random YAML and mutated valid plans end in
// "valid" or in positioned problems, never in an exception, a stack trace or a hang (docs/operations.md).
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { exitCodeFor, type Problem } from '../../src/errors.js';
import { MAX_PLAN_BYTES } from '../../src/plan/load.js';
import { validatePlan } from '../../src/plan/validate.js';
import { CLI } from '../helpers/cli.js';
import { tempDir } from '../helpers/git-repo.js';
import { SOAK, baseSeed, figures } from './soak.js';

const root = join(import.meta.dirname, '../..');
const VALID = ['plans/station-56-cutover.yaml', 'test/fixtures/plans/valid/minimal.yaml'].map((file) => ({
  file,
  text: readFileSync(join(root, file), 'utf8'),
}));

// Bounded: a few seconds in CI. Soak: 200 inputs a property under each of 10 seeds.
const RUNS = SOAK ? 200 : 60;
const SEEDS = SOAK ? 10 : 1;
/** A validator call taking longer than this is a hang (an exponential path), not slowness. */
const HANG_MS = 5000;
let tried = 0;

/** Every way an input may end: valid, or problems each positioned inside the file, all exit 2. */
function checkOutcome(bytes: Uint8Array, label: string): void {
  tried++;
  const started = performance.now();
  let result: ReturnType<typeof validatePlan>;
  try {
    result = validatePlan(bytes, 'fuzz.yaml');
  } catch (error) {
    throw new Error(
      `${label}: validatePlan threw ${(error as Error)?.stack ?? String(error)}\ninput: ${JSON.stringify(Buffer.from(bytes).toString('utf8'))}`,
    );
  }
  const took = performance.now() - started;
  if (took > HANG_MS)
    throw new Error(`${label}: validatePlan took ${Math.round(took)} ms\ninput: ${JSON.stringify(Buffer.from(bytes).toString('utf8'))}`);
  if (result.ok) return;
  if (result.problems.length === 0) throw new Error(`${label}: not ok, but no problem reported`);
  const problem = positionProblem(bytes, result.problems);
  if (problem) throw new Error(`${label}: ${problem}\ninput: ${JSON.stringify(Buffer.from(bytes).toString('utf8'))}`);
}

/** Why a list of problems breaks the contract (code, exit 2, position inside the file), or undefined. */
function positionProblem(bytes: Uint8Array, problems: readonly Problem[]): string | undefined {
  const lines = lineLengths(bytes);
  for (const p of problems) {
    const shown = JSON.stringify(p);
    if (!/^[A-Z_]+$/.test(p.code) || exitCodeFor(p.code) !== 2)
      return `problem with code ${p.code} (exit ${exitCodeFor(p.code)}), expected a plan error (exit 2): ${shown}`;
    if (typeof p.message !== 'string' || p.message === '' || p.message.includes('\n    at '))
      return `problem without a one-line message: ${shown}`;
    if (p.code === 'PLAN_TOO_LARGE') continue;
    if (p.line === undefined || p.col === undefined) return `problem without a position: ${shown}`;
    if (!Number.isInteger(p.line) || p.line < 1 || p.line > lines.length) return `line ${p.line} outside 1..${lines.length}: ${shown}`;
    // Columns count characters; one past the end of the line is where "missing …" errors point.
    if (!Number.isInteger(p.col) || p.col < 1 || p.col > lines[p.line - 1]! + 1)
      return `column ${p.col} outside 1..${lines[p.line - 1]! + 1} on line ${p.line}: ${shown}`;
  }
  return undefined;
}

/** Each line's length in characters; the count is the number of lines (`\n` separated). */
function lineLengths(bytes: Uint8Array): number[] {
  return Buffer.from(bytes)
    .toString('utf8')
    .split('\n')
    .map((l) => [...l].length);
}

const utf8 = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));

// ---- generators ---------------------------------------------------------------------------------

const KEYS = [
  'apiVersion',
  'kind',
  'metadata',
  'name',
  'description',
  'spec',
  'runId',
  'window',
  'notBefore',
  'notAfter',
  'env',
  'secrets',
  'inputs',
  'registries',
  'paths',
  'preconditions',
  'steps',
  'rollback',
  'finally',
  'artifacts',
  'record',
  'dir',
  'push',
  'id',
  'run',
  'uses',
  'with',
  'rerun',
  'shell',
  'cwd',
  'timeout',
  'retries',
  'count',
  'delay',
  'continueOnError',
  'if',
  'expect',
  'exitCode',
  'exists',
  'absent',
  'json',
  'file',
  'path',
  'equals',
  'lte',
  'gte',
  'in',
  'stdout',
  'produces',
  'boundary',
  'commit',
  'roots',
  'approvals',
  'required',
];
const VALUES = [
  'cutover/v1',
  'Plan',
  'station-56',
  'x',
  'node tools/step.js',
  'assert',
  'determinism',
  'snapshot',
  'restore',
  'bash',
  'files',
  'manifest',
  'children',
  '10m',
  '90s',
  '1h',
  '0s',
  '..',
  '/etc/passwd',
  '.git/config',
  'a/../../b',
  '${{ run.id }}',
  "${{ env.X ?? 'y' }}",
  '${{ steps.a.outcome }}',
  '${{',
  'always()',
  'failure()',
  '2026-11-22T01:00:00Z',
  'not-a-date',
  '*.json',
  '**',
  '[a-',
  '(a+)+$',
];
const TOKENS = [
  ...KEYS.map((k) => `${k}: `),
  ...VALUES,
  ':',
  ': ',
  ' ',
  '  ',
  '    ',
  '\n',
  '\n  ',
  '\n    ',
  '\r\n',
  '\t',
  '- ',
  '-',
  '[',
  ']',
  '{',
  '}',
  ',',
  '"',
  "'",
  '\\',
  '#',
  '# c\n',
  '&a ',
  '*a',
  '&b [*a, *a]',
  '<<: ',
  '!!str ',
  '!!binary ',
  '!!js/function ',
  '!foo ',
  '!<tag:x> ',
  '%YAML 1.1\n',
  '%TAG ! tag:x,\n',
  '---\n',
  '...\n',
  '? ',
  '|\n',
  '>-\n',
  '|+2\n',
  'null',
  '~',
  'yes',
  'no',
  'on',
  'true',
  '0x1F',
  '0o17',
  '.inf',
  '-.nan',
  '1e400',
  '123456789012345678901234567890',
  '"\\u0000"',
  '"\\x"',
  "'it''s'",
  '\u0000',
  '\u0085',
  '\u2028',
  '\uFEFF',
  '\uD800',
  'é',
  '😀',
  'İ',
  '\u0301',
];

/** Any string, including lone surrogates and control characters. */
const anyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  fc.string({ maxLength: 300 }),
);
/** Raw bytes (invalid UTF-8 included). */
const anyBytes = fc.uint8Array({ maxLength: 400 });
/** YAML-ish token soup. */
const tokenSoup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 80 }).map((t) => t.join(''));
/** Random nested values with plan-like keys, serialized by the yaml package (in block and flow style). */
const planLike: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(fc.constantFrom(...VALUES), fc.string({ maxLength: 20 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null)),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 8 })), tie('value'), { maxKeys: 6 }),
  ),
})).value;
const nestedYaml = fc.tuple(fc.oneof(planLike, fc.anything({ maxDepth: 4 })), fc.boolean()).map(([value, flow]) => {
  try {
    return stringify(value, { collectionStyle: flow ? 'flow' : 'block', aliasDuplicateObjects: false }) ?? '';
  } catch {
    return String(value);
  }
});

// ---- mutations of valid plans -----------------------------------------------------------------

type Path = (string | number)[];

function pathsOf(value: unknown, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, [...at, i], out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) pathsOf(v, [...at, k], out);
  return out;
}

function getAt(value: unknown, path: Path): unknown {
  return path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)?.[k], value);
}

/** Applies a data-level mutation at the n-th node: delete, swap the type, insert unicode, add a key. */
function mutateData(text: string, n: number, op: number, noise: unknown, unicode: string, offset: number): string {
  const data = parse(text) as unknown;
  const paths = pathsOf(data);
  const path = paths[n % paths.length]!;
  const parent = path.length ? (getAt(data, path.slice(0, -1)) as Record<string | number, unknown>) : undefined;
  const key = path.at(-1)!;
  const current = path.length ? parent![key] : data;
  const set = (v: unknown) => {
    if (parent) parent[key] = v;
  };
  switch (op % 5) {
    case 0: // delete the key or the item
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else if (parent) delete parent[key];
      break;
    case 1: // swap the type
      set(
        typeof current === 'string'
          ? 7
          : typeof current === 'number'
            ? String(current)
            : Array.isArray(current)
              ? { items: current }
              : current && typeof current === 'object'
                ? Object.values(current)
                : 'text',
      );
      break;
    case 2: // random unicode inside a string (or the value becomes one)
      set(
        typeof current === 'string'
          ? current.slice(0, offset % (current.length + 1)) + unicode + current.slice(offset % (current.length + 1))
          : unicode,
      );
      break;
    case 3: // any value at all
      set(noise);
      break;
    default: // an unknown key beside it
      if (current && typeof current === 'object' && !Array.isArray(current))
        (current as Record<string, unknown>)[unicode || 'extra'] = noise;
      else set([current, noise]);
  }
  try {
    return stringify(data, { aliasDuplicateObjects: false }) ?? '';
  } catch {
    return text;
  }
}

/** Applies a text-level mutation: truncate, insert unicode, duplicate / drop / swap lines, tabs, byte flips. */
function mutateText(text: string, op: number, at: number, other: number, insert: string): string {
  const lines = text.split('\n');
  const i = at % (lines.length || 1);
  const j = other % (lines.length || 1);
  const pos = at % (text.length + 1);
  switch (op % 8) {
    case 0:
      return text.slice(0, pos);
    case 1:
      return text.slice(0, pos) + insert + text.slice(pos);
    case 2:
      lines.splice(i, 0, lines[i] ?? '');
      return lines.join('\n');
    case 3:
      lines.splice(i, 1);
      return lines.join('\n');
    case 4:
      [lines[i], lines[j]] = [lines[j] ?? '', lines[i] ?? ''];
      return lines.join('\n');
    case 5: // tabs for indentation
      lines[i] = (lines[i] ?? '').replace(/^( +)/, (s) => '\t'.repeat(Math.max(1, s.length / 2)));
      return lines.join('\n');
    case 6: // a tab anywhere
      return `${text.slice(0, pos)}\t${text.slice(pos)}`;
    default: // replace one character
      return text.slice(0, pos) + insert.slice(0, 1) + text.slice(pos + 1);
  }
}

const unicodeBits = fc.string({ unit: 'binary', minLength: 1, maxLength: 6 });
const dataMutation = fc
  .tuple(fc.constantFrom(...VALID), fc.nat(), fc.nat(), fc.jsonValue({ maxDepth: 2 }), unicodeBits, fc.nat())
  .map(([plan, n, op, noise, unicode, offset]) => mutateData(plan.text, n, op, noise, unicode, offset));
const textMutations = fc
  .tuple(fc.constantFrom(...VALID), fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat(), unicodeBits), { minLength: 1, maxLength: 4 }))
  .map(([plan, ops]) => ops.reduce((text, [op, at, other, insert]) => mutateText(text, op, at, other, insert), plan.text));

const GENERATORS: [string, fc.Arbitrary<Uint8Array>][] = [
  ['arbitrary strings', anyString.map(utf8)],
  ['arbitrary bytes', anyBytes],
  ['yaml token soup', tokenSoup.map(utf8)],
  ['nested structures', nestedYaml.map(utf8)],
  ['valid plans, data mutated', dataMutation.map(utf8)],
  ['valid plans, text mutated', textMutations.map(utf8)],
  [
    'valid plans, both',
    fc
      .tuple(dataMutation, fc.nat(), fc.nat(), fc.nat(), unicodeBits)
      .map(([text, op, at, other, insert]) => utf8(mutateText(text, op, at, other, insert))),
  ],
];

/** Runs a property under SEEDS seeds; a failure names the seed and fast-check's replay path. */
function assertUnderSeeds(property: (seed: number) => fc.IProperty<[Uint8Array]>): void {
  const base = baseSeed();
  for (let s = 0; s < SEEDS; s++) {
    const seed = (base + s * 7919) | 0;
    try {
      fc.assert(property(seed), { seed, numRuns: RUNS, endOnFailure: false });
    } catch (error) {
      throw new Error(
        `fuzz failure under seed ${seed} (replay with CUTOVER_SEED=${base}${SOAK ? ' CUTOVER_SOAK=1' : ''}):\n${(error as Error).message}`,
      );
    }
  }
}

describe('fuzzing the plan loader and validator in-process', () => {
  it.each(GENERATORS)('%s end in ok or positioned problems', (label, arbitrary) => {
    assertUnderSeeds(() => fc.property(arbitrary, (bytes) => checkOutcome(bytes, label)));
  });

  it('the valid plans themselves are valid (the mutations start from good input)', () => {
    for (const plan of VALID) expect(validatePlan(utf8(plan.text), plan.file).ok, plan.file).toBe(true);
  });

  it('hostile shapes: alias bombs, merge loops, deep nesting, huge scalars, size cap', () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      ...Array.from(
        { length: 9 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9)
            .fill(`*${String.fromCharCode(97 + i)}`)
            .join(',')}]`,
      ),
    ].join('\n');
    const inputs = [
      bomb,
      'a: &a { <<: *a }',
      'a: &a\n  b: *a',
      `x: ${'['.repeat(20_000)}`,
      `x: ${'{a: '.repeat(5_000)}`,
      `${'- '.repeat(5_000)}x`,
      `${Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i % 200)}k${i}:`).join('\n')}`,
      `apiVersion: "${'\\u0041'.repeat(50_000)}"`,
      `apiVersion: cutover/v1\nkind: Plan\nmetadata: { name: x }\nspec:\n  steps:\n${Array.from({ length: 2000 }, (_, i) => `    - { id: s${i}, run: "node x.js" }`).join('\n')}\n`,
      'a: !!binary aGVsbG8=',
      '%YAML 1.1\n---\nno: on',
      '"\\',
      '\uFEFF\uFEFF',
    ];
    for (const text of inputs) checkOutcome(utf8(text), 'hostile');
    const big = validatePlan(new Uint8Array(MAX_PLAN_BYTES + 1).fill(0x61), 'big.yaml');
    expect(big.ok ? [] : big.problems.map((p) => p.code)).toEqual(['PLAN_TOO_LARGE']);
  });
});

describe('fuzzing the plan loader through the built CLI', () => {
  // A few dozen inputs through one `cutover validate` each format: the process-level property.
  const count = SOAK ? 200 : 25;
  const samples = (seed: number): Uint8Array[] =>
    GENERATORS.flatMap(([, arbitrary]) => fc.sample(arbitrary, { seed, numRuns: Math.ceil(count / GENERATORS.length) }));

  it.each(['json', 'text', 'github'] as const)('cutover validate --format %s exits 0 or 2 without a stack trace', (format) => {
    const seed = baseSeed();
    const dir = tempDir('cutover-fuzz-');
    const inputs = samples(seed);
    const files = inputs.map((bytes, i) => {
      const file = `p${String(i).padStart(3, '0')}.yaml`;
      writeFileSync(join(dir, file), bytes);
      return file;
    });
    tried += inputs.length;
    const result = spawnSync(process.execPath, [CLI, 'validate', '--format', format, ...files], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, NO_COLOR: '1', GITHUB_ACTIONS: '', CI: '', CUTOVER_DEBUG: '' },
      maxBuffer: 64 << 20,
    });
    const context = `seed ${seed} (replay with CUTOVER_SEED=${seed}), format ${format}\n${result.stderr.slice(0, 2000)}`;
    expect(result.error, context).toBeUndefined(); // a timeout (hang) shows here
    expect([0, 2], context).toContain(result.status);
    expect(`${result.stdout}${result.stderr}`, context).not.toMatch(/internal error|\n\s+at .+:\d+:\d+\)?\n/);
    if (format === 'json') {
      const doc = JSON.parse(result.stdout) as { plans: { file: string; ok: boolean; problems: Problem[] }[] };
      expect(doc.plans).toHaveLength(files.length);
      for (const [i, plan] of doc.plans.entries()) {
        const problem = plan.ok ? undefined : positionProblem(inputs[i]!, plan.problems);
        expect(problem, `${context}\n${plan.file}: ${JSON.stringify(Buffer.from(inputs[i]!).toString('utf8'))}`).toBeUndefined();
      }
    } else if (format === 'text') {
      // Every stderr line is a problem `FILE:LINE:COL error CODE: message` or its hint.
      for (const line of result.stderr.split('\n').filter(Boolean))
        expect(line, context).toMatch(/^p\d{3}\.yaml:\d+:\d+: error [A-Z_]+: |^ {2}hint: /);
    } else {
      for (const line of result.stdout.split('\n').filter(Boolean))
        expect(line, context).toMatch(
          /^::error file=p\d{3}\.yaml,line=\d+,col=\d+,title=[A-Z_]+::|^p\d{3}\.yaml: valid$|^\d+ of \d+ plans valid$/,
        );
    }
  });
});

describe('figures', () => {
  it('reports how many inputs were tried', () => {
    figures('fuzz-plans', `${tried} inputs tried (${SOAK ? 'soak' : 'bounded'}: ${RUNS} a property × ${SEEDS} seed(s))`);
    expect(tried).toBeGreaterThan(0);
  });
});
