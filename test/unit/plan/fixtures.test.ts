// Every invalid fixture fails with its expected code at its expected line and column; valid plans pass.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { validatePlan } from '../../../src/plan/validate.js';
import { MAX_PLAN_BYTES } from '../../../src/plan/load.js';

const root = join(import.meta.dirname, '../../..');
const invalidDir = join(root, 'test/fixtures/plans/invalid');
const expected: Record<string, { code: string; line: number; col: number }> = JSON.parse(
  readFileSync(join(invalidDir, 'expected.json'), 'utf8'),
);
const validPlans = [
  ...readdirSync(join(root, 'test/fixtures/plans/valid')).map((f) => join('test/fixtures/plans/valid', f)),
  ...readdirSync(join(root, 'plans')).map((f) => join('plans', f)),
  'examples/station-56/plans/station-56-cutover.yaml',
  'examples/event-log/plans/event-log-cutover.yaml',
];

describe('invalid plans', () => {
  it('has at least 40 fixtures, each with an expectation', () => {
    const files = readdirSync(invalidDir).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(40);
    expect(files.sort()).toEqual(Object.keys(expected).sort());
  });

  it.each(Object.entries(expected))('%s → %o', (file, want) => {
    const bytes = readFileSync(join(invalidDir, file));
    const result = validatePlan(bytes, file);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const [first] = result.problems;
    expect({ code: first!.code, line: first!.line, col: first!.col }).toEqual(want);
    const lineCount = bytes.toString('latin1').split('\n').length;
    for (const p of result.problems) {
      expect(p.file).toBe(file);
      expect(p.line).toBeGreaterThanOrEqual(1);
      expect(p.line).toBeLessThanOrEqual(lineCount);
      expect(p.col).toBeGreaterThanOrEqual(1);
    }
  });

  it('refuses a plan over the size cap before parsing it', () => {
    const big = Buffer.alloc(MAX_PLAN_BYTES + 1, 0x20);
    const result = validatePlan(big, 'big.yaml');
    expect(result.ok ? 'ok' : result.problems.map((p) => p.code)).toEqual(['PLAN_TOO_LARGE']);
  });

  it('reports every problem of a plan at once', () => {
    const text = readFileSync(join(root, 'test/fixtures/plans/valid/minimal.yaml'), 'utf8')
      .replace('timeout: 10m', 'timeout: soon')
      .replace('path: out', 'path: ../out')
      .replace('id: second', 'id: first');
    const result = validatePlan(Buffer.from(text), 'many.yaml');
    expect(result.ok ? [] : result.problems.map((p) => p.code).sort()).toEqual(['PLAN_DURATION']);
    const fixed = text.replace('timeout: soon', 'timeout: 1m');
    const again = validatePlan(Buffer.from(fixed), 'many.yaml');
    expect(again.ok ? [] : again.problems.map((p) => p.code).sort()).toEqual(['PLAN_DUPLICATE', 'PLAN_PATH']);
  });

  it('survives deep nesting without crashing', () => {
    const deep = `apiVersion: cutover/v1\nx: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n`;
    const result = validatePlan(Buffer.from(deep), 'deep.yaml');
    expect(result.ok).toBe(false);
  });
});

describe('valid plans', () => {
  const ajv = new Ajv2020.default({ strict: true, allErrors: true, allowUnionTypes: true });
  addFormats.default(ajv);
  const schema = JSON.parse(readFileSync(join(root, 'schemas/cutover-plan.schema.json'), 'utf8'));
  const plainValidate = ajv.compile(schema);

  it.each(validPlans)('%s validates', (file) => {
    const result = validatePlan(readFileSync(join(root, file)), file);
    expect(result.ok ? [] : result.problems).toEqual([]);
  });

  it.each(validPlans)('%s passes a plain ajv call against the schema', (file) => {
    const data = parse(readFileSync(join(root, file), 'utf8'));
    expect(plainValidate(data), JSON.stringify(plainValidate.errors)).toBe(true);
  });
});
