// Matrix steps: the values a step fans out over, the shard ids they give, and the files they are read from.
import type { Problem } from '../errors.js';
import { valueAt } from '../text/json.js';
import { PHASES, type Matrix, type MatrixFile, type Plan } from './types.js';

/** Allowed matrix values (docs/plan-reference.md, `matrixValue`): they name shards, logs and record entries. */
export const MATRIX_VALUE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** One shard's values: the matrix name and the value it runs with. */
export type MatrixValues = Record<string, string>;

/** The id of one shard of a matrix step: `migrate[kurse]`. */
export function shardId(id: string, value: string): string {
  return `${id}[${value}]`;
}

/** A step or shard id as a file name part: `migrate[kurse]` → `migrate.kurse` (step ids hold no `.`). */
export function fileStem(id: string): string {
  return id.replace(/\[([^\]]*)\]$/, '.$1');
}

/** The step id of a shard id (`migrate[kurse]` → `migrate`), or the id itself. */
export function baseId(id: string): string {
  const open = id.indexOf('[');
  return open < 0 ? id : id.slice(0, open);
}

/** The JSON files a plan's matrices are read from (repository-relative, each once). */
export function matrixFiles(plan: Plan): string[] {
  const files = new Set<string>();
  for (const phase of PHASES) {
    for (const step of plan.spec[phase] ?? [])
      for (const source of Object.values(step.matrix ?? {})) if (!Array.isArray(source)) files.add(source.file);
  }
  return [...files];
}

/**
 * The shards of a step: one set of values for each matrix value, in the order written or read
 * (one empty set for a step without a matrix). `documents` holds the parsed matrix files by path.
 */
export function expandMatrix(
  matrix: Matrix | undefined,
  documents: ReadonlyMap<string, unknown>,
): { shards: MatrixValues[]; problems: Problem[] } {
  if (!matrix) return { shards: [{}], problems: [] };
  const [name, source] = Object.entries(matrix)[0]!;
  if (Array.isArray(source)) return { shards: source.map((value) => ({ [name]: value })), problems: [] };
  const values = valuesFromFile(source, documents);
  if ('problem' in values) return { shards: [], problems: [values.problem] };
  return { shards: values.list.map((value) => ({ [name]: value })), problems: [] };
}

function valuesFromFile(source: MatrixFile, documents: ReadonlyMap<string, unknown>): { list: string[] } | { problem: Problem } {
  const problem = (message: string, hint?: string) => ({
    problem: { code: 'PLAN_REFERENCE' as const, file: source.file, message, ...(hint ? { hint } : {}) },
  });
  if (!documents.has(source.file))
    return problem('the matrix file could not be read as JSON', 'check that it exists and holds one JSON document');
  const found = valueAt(documents.get(source.file), source.path);
  if (!found.exists) return problem(`${source.path} is missing`, 'point matrix.path at a list of values');
  const list = found.value;
  if (!Array.isArray(list) || list.length === 0 || list.length > 256) return problem(`${source.path} is not a list of 1 to 256 values`);
  const bad = list.find((v) => typeof v !== 'string' || !MATRIX_VALUE.test(v));
  if (bad !== undefined)
    return problem(`${source.path} holds ${JSON.stringify(bad)}, not a matrix value`, `matrix values match ${MATRIX_VALUE.source}`);
  const duplicate = list.find((v, i) => list.indexOf(v) !== i);
  if (duplicate !== undefined) return problem(`${source.path} holds ${JSON.stringify(duplicate)} twice`);
  return { list: list as string[] };
}
