// Checking plan data against the JSON Schema, with every problem mapped to its line and column.
import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { validate as generatedValidator } from './generated/plan-validator.js';
import type { Problem } from '../errors.js';
import { didYouMean } from '../text/nearest.js';
import { pointerToPath, positionOf, type SourceDoc } from './position.js';

const require = createRequire(import.meta.url);

/** The plan JSON Schema, the single source of truth for the plan format. */
export const planSchema: Record<string, unknown> = require('../../schemas/cutover-plan.schema.json');

/**
 * The schema's validator, compiled ahead of time by scripts/generate-validator.js (strict ajv, all
 * errors, no defaults or coercion, so user data is never changed).
 */
export function planValidator(): ValidateFunction {
  return generatedValidator as unknown as ValidateFunction;
}

/** Problems of plan data against the schema, each at the line and column it concerns. */
export function checkSchema(source: SourceDoc, data: unknown): Problem[] {
  const validate = planValidator();
  if (validate(data)) return [];
  return simplify(validate.errors ?? []).map((e) => toProblem(source, e));
}

function toProblem(source: SourceDoc, e: ErrorObject): Problem {
  const path = pointerToPath(e.instancePath);
  const where = path.length ? path.join('.') : 'the plan';
  const code = e.schemaPath.includes('/duration/') ? 'PLAN_DURATION' : 'PLAN_SCHEMA';
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(e.params.additionalProperty);
      const allowed = allowedKeys(e);
      const guess = didYouMean(key, allowed);
      return {
        code,
        file: source.file,
        ...positionOf(source, path, key),
        message: `unknown key ${JSON.stringify(key)} in ${where}`,
        hint: `${guess ? `${guess} ` : ''}allowed keys: ${allowed.join(', ')}`,
      };
    }
    case 'required':
      return {
        code,
        file: source.file,
        ...positionOf(source, path),
        message: `${where} needs ${JSON.stringify(e.params.missingProperty)}`,
      };
    case 'propertyNames':
      return {
        code,
        file: source.file,
        ...positionOf(source, path, String(e.params.propertyName)),
        message: `${JSON.stringify(e.params.propertyName)} is not a valid name in ${where}`,
        hint: 'environment names are letters, digits and _, not starting with a digit',
      };
    default:
      return {
        code,
        file: source.file,
        ...positionOf(source, path),
        message: `${where} ${describe(e)}`,
        ...(code === 'PLAN_DURATION' ? { hint: 'write durations like 90s, 10m or 1h' } : {}),
      };
  }
}

function describe(e: ErrorObject): string {
  if (e.keyword === 'const') return `must be ${JSON.stringify(e.params.allowedValue)}`;
  if (e.keyword === 'enum') return `must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  if (e.keyword === 'anyOf') return anyOfMessage(e);
  if (e.keyword === 'pattern') return `must match ${e.params.pattern}`;
  if (e.keyword === 'format') return `must be a ${e.params.format} (for example 2026-11-22T01:00:00Z)`;
  return e.message ?? 'is invalid';
}

function anyOfMessage(e: ErrorObject): string {
  return e.instancePath.endsWith('/exitCode')
    ? 'must be an exit code (0-255) or a list of them'
    : 'must be a string or a non-empty list of strings';
}

function allowedKeys(e: ErrorObject): string[] {
  const props = (e.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return props ? Object.keys(props) : [];
}

/** Drops the branch errors an `anyOf` produces beside its own error, keeping one message per place. */
function simplify(errors: ErrorObject[]): ErrorObject[] {
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  const namePaths = new Set(errors.filter((e) => e.keyword === 'propertyNames').map((e) => e.instancePath));
  // A propertyNames failure also reports the inner pattern error at the same place: keep one.
  errors = errors.filter(
    (e) => !(e.keyword !== 'propertyNames' && namePaths.has(e.instancePath) && e.schemaPath.includes('/propertyNames/')),
  );
  return errors.filter(
    (e) =>
      e.keyword === 'anyOf' ||
      (!(anyOfPaths.has(e.instancePath) && e.schemaPath.includes('/anyOf/')) && !isInsideAnyOfBranch(e, anyOfPaths)),
  );
}

function isInsideAnyOfBranch(e: ErrorObject, anyOfPaths: Set<string>): boolean {
  for (const p of anyOfPaths) if (e.instancePath.startsWith(`${p}/`) && e.schemaPath.includes('/anyOf/')) return true;
  return false;
}
