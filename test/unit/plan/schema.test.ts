// The schema is the single source of truth: it compiles strictly, explains every key, and the docs follow it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { planSchema, planValidator } from '../../../src/plan/schema.js';

const root = join(import.meta.dirname, '../../..');

/** Every property schema in the document, with its dotted location. */
function* properties(node: unknown, where: string): Generator<[string, Record<string, unknown>]> {
  if (!node || typeof node !== 'object') return;
  const n = node as Record<string, unknown>;
  for (const [key, value] of Object.entries((n.properties as Record<string, unknown>) ?? {})) {
    yield [`${where}.${key}`, value as Record<string, unknown>];
    yield* properties(value, `${where}.${key}`);
  }
  for (const [key, value] of Object.entries((n.$defs as Record<string, unknown>) ?? {})) yield* properties(value, `$defs.${key}`);
  if (n.items) yield* properties(n.items, `${where}[]`);
}

describe('plan schema', () => {
  it('compiles under ajv strict mode, and the ahead-of-time validator agrees with it', () => {
    const ajv = new Ajv2020.default({ strict: true, allErrors: true, allowUnionTypes: true });
    addFormats.default(ajv);
    const compiled = ajv.compile(planSchema);
    const samples = [
      {},
      { apiVersion: 'cutover/v1', kind: 'Plan', metadata: { name: 'x' }, spec: { steps: [{ id: 'a', run: 'x' }] } },
      { apiVersion: 'cutover/v1', kind: 'Plan', metadata: { name: 'X' }, spec: { steps: [] } },
    ];
    for (const sample of samples) expect(planValidator()(sample)).toBe(compiled(sample));
  });

  it('describes every property and closes every object', () => {
    const missing = [...properties(planSchema, '')].filter(([, p]) => typeof p.description !== 'string').map(([w]) => w);
    expect(missing).toEqual([]);
    const open: string[] = [];
    const visit = (node: unknown, where: string) => {
      if (!node || typeof node !== 'object') return;
      const n = node as Record<string, unknown>;
      if (n.properties && n.additionalProperties !== false) open.push(where);
      for (const [k, v] of Object.entries(n)) visit(v, `${where}/${k}`);
    };
    visit(planSchema, '#');
    expect(open).toEqual([]);
  });

  it('docs/plan-reference.md is generated from the schema and current', () => {
    const out = execFileSync(process.execPath, [join(root, 'scripts/plan-reference.js'), '--check'], { encoding: 'utf8' });
    expect(out).toBe('');
    const doc = readFileSync(join(root, 'docs/plan-reference.md'), 'utf8');
    for (const [where] of properties(planSchema, '')) {
      const key = where.split('.').pop()!.replace('[]', '');
      expect(doc, where).toContain(`| \`${key}\` |`);
    }
  });
});
