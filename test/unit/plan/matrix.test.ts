// Matrix steps and needs, resolved: shard ids, values from a file, what each step waits for, and what is refused.
import { describe, expect, it } from 'vitest';
import { baseId, expandMatrix, fileStem, matrixFiles, shardId } from '../../../src/plan/matrix.js';
import { matchedByPatterns } from '../../../src/plan/paths.js';
import { resolvePlan, unknownRunStep } from '../../../src/plan/resolve.js';
import { validatePlan } from '../../../src/plan/validate.js';

const head = `apiVersion: cutover/v1
kind: Plan
metadata: { name: m }
spec:
  runId: r1
  inputs:
    - { name: modules, paths: ["migration/*.json"] }
`;

function resolve(text: string, documents: Record<string, unknown> = {}) {
  const result = validatePlan(Buffer.from(text), 'p.yaml');
  if (!result.ok) throw new Error(result.problems.map((p) => `${p.code} ${p.line}:${p.col} ${p.message}`).join('\n'));
  const { plan: resolved, problems } = resolvePlan(result.valid.plan, 'p.yaml', {
    env: {},
    git: { sha: 'abc', branch: 'main' },
    now: new Date(0),
    matrixFiles: new Map(Object.entries(documents)),
  });
  return { resolved, problems, source: result.valid.plan };
}

describe('shard ids', () => {
  it('names a shard id[value], logs it as id.value, and finds its step id back', () => {
    expect(shardId('migrate', 'kurse')).toBe('migrate[kurse]');
    expect(fileStem('migrate[kurse]')).toBe('migrate.kurse');
    expect(fileStem('migrate')).toBe('migrate');
    expect(baseId('migrate[v1.2]')).toBe('migrate');
  });
});

describe('expandMatrix', () => {
  it('gives one shard a value, in the order written or read', () => {
    expect(expandMatrix({ module: ['b', 'a'] }, new Map()).shards).toEqual([{ module: 'b' }, { module: 'a' }]);
    expect(expandMatrix({ m: { file: 'f.json', path: 'x.list' } }, new Map([['f.json', { x: { list: ['p', 'q'] } }]])).shards).toEqual([
      { m: 'p' },
      { m: 'q' },
    ]);
    expect(expandMatrix(undefined, new Map()).shards).toEqual([{}]);
  });

  it('names the file and what is wrong with its list', () => {
    const problem = (doc: unknown) =>
      expandMatrix({ m: { file: 'f.json', path: 'list' } }, doc === undefined ? new Map() : new Map([['f.json', doc]])).problems.map(
        (p) => `${p.file}: ${p.message}`,
      );
    expect(problem(undefined)).toEqual(['f.json: the matrix file could not be read as JSON']);
    expect(problem({})).toEqual(['f.json: list is missing']);
    expect(problem({ list: [] })).toEqual(['f.json: list is not a list of 1 to 256 values']);
    expect(problem({ list: ['ok', 'not ok'] })).toEqual(['f.json: list holds "not ok", not a matrix value']);
    expect(problem({ list: ['a', 'a'] })).toEqual(['f.json: list holds "a" twice']);
  });
});

describe('resolvePlan with matrix steps and needs', () => {
  const plan = `${head}  concurrency: 3
  steps:
    - { id: prep, run: node prep.js }
    - id: migrate
      matrix: { module: { file: migration/modules.json, path: modules } }
      run: node migrate.js \${{ matrix.module }}
      env: { MODULE: "\${{ matrix.module }}" }
      produces: ["out/\${{ matrix.module }}"]
      expect: { exists: ["out/\${{ matrix.module }}/done"] }
    - { id: report, needs: [prep], run: node report.js }
    - { id: flip, needs: [migrate, report], run: node flip.js }
`;

  it('expands a matrix step into shards with their values substituted, each waiting for what the step waits for', () => {
    const { resolved, problems } = resolve(plan, { 'migration/modules.json': { modules: ['kurse', 'orte'] } });
    expect(problems).toEqual([]);
    const steps = resolved.phases.steps;
    expect(steps.map((s) => `${s.id} ← ${s.needs.join(',')}`)).toEqual([
      'prep ← ',
      'migrate[kurse] ← prep',
      'migrate[orte] ← prep',
      'report ← prep',
      'flip ← migrate[kurse],migrate[orte],report',
    ]);
    const orte = steps[2]!;
    expect(orte).toMatchObject({
      name: 'migrate[orte]',
      index: 1,
      matrix: { of: 'migrate', values: { module: 'orte' } },
      produces: ['out/orte'],
      command: { argv: ['node', 'migrate.js', 'orte'] },
    });
    expect(orte.env.MODULE).toBe('orte');
    expect(orte.expect.exists).toEqual(['out/orte/done']);
    expect(resolved.concurrency).toBe(3);
  });

  it('lists the matrix files to read, and knows shard ids and matrix step ids for --fail-at', () => {
    const { resolved, source } = resolve(plan, { 'migration/modules.json': { modules: ['kurse'] } });
    expect(matrixFiles(source)).toEqual(['migration/modules.json']);
    expect(unknownRunStep(resolved, 'migrate[kurse]')).toBeUndefined();
    expect(unknownRunStep(resolved, 'migrate')).toBeUndefined();
    expect(unknownRunStep(resolved, 'migrate[nope]')).toMatchObject({
      message: 'no step has the id "migrate[nope]"',
      hint: expect.stringMatching(/did you mean/i),
    });
  });

  it('refuses steps that may run at once and produce the same path', () => {
    const shared = plan.replace('produces: ["out/${{ matrix.module }}"]', 'produces: ["out"]');
    const { problems } = resolve(shared, { 'migration/modules.json': { modules: ['kurse', 'orte'] } });
    expect(problems.map((p) => `${p.code}: ${p.message}`)).toEqual([
      'PLAN_PATH: steps migrate[kurse] and migrate[orte] may run at the same time and both produce out',
    ]);
    const serial = shared.replace('concurrency: 3', 'concurrency: 1');
    expect(resolve(serial, { 'migration/modules.json': { modules: ['kurse', 'orte'] } }).problems).toEqual([]);
  });

  it('refuses a matrix value that holds the value of a secret: it would be masked in log names and the record', () => {
    const result = validatePlan(
      Buffer.from(`${head}  secrets: [TOKEN]\n  steps:\n    - { id: m, matrix: { t: [public, s3cr3t-value] }, run: x }\n`),
      'p.yaml',
    );
    if (!result.ok) throw new Error('invalid');
    const { problems } = resolvePlan(result.valid.plan, 'p.yaml', {
      env: { TOKEN: 's3cr3t-value' },
      git: { sha: 'abc', branch: 'main' },
      now: new Date(0),
    });
    expect(problems.map((p) => `${p.code}: ${p.message}`)).toEqual(['USAGE: a matrix value of step m holds the value of secret TOKEN']);
  });

  it('keeps the written order of a plan without needs', () => {
    const { resolved } = resolve(
      `${head}  concurrency: 4\n  steps:\n    - { id: a, run: x }\n    - { id: b, run: x }\n  finally:\n    - { id: f, run: x }\n    - { id: g, run: x }\n`,
    );
    expect([...resolved.phases.steps, ...resolved.phases.finally].map((s) => `${s.id} ← ${s.needs.join(',')}`)).toEqual([
      'a ← ',
      'b ← a',
      'f ← ',
      'g ← f',
    ]);
  });
});

describe('matchedByPatterns', () => {
  it('matches a path the way freeze expands registry and input globs', () => {
    expect(matchedByPatterns('migration/modules.json', ['migration/*.json'])).toBe(true);
    expect(matchedByPatterns('migration/deep/modules.json', ['migration/**'])).toBe(true);
    expect(matchedByPatterns('migration/.modules.json', ['migration/*.json'])).toBe(true);
    expect(matchedByPatterns('./migration/modules.json', ['migration/modules.json'])).toBe(true);
    expect(matchedByPatterns('other/modules.json', ['migration/*.json'])).toBe(false);
  });
});
