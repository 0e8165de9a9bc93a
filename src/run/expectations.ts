// Checking a step's `expect` after it ran: exit code, paths that must exist or be absent, JSON values, stdout.
import { open, readFile } from 'node:fs/promises';
import { isDeepStrictEqual } from 'node:util';
import { pathExists, resolveInside } from '../adapters/fs.js';
import type { ResolvedStep } from '../plan/resolve.js';
import { valueAt } from '../text/json.js';

/** How much of stdout a `stdout` expectation searches. */
export const STDOUT_SEARCH_BYTES = 1024 * 1024;

/** Reasons the expectations failed; empty when they all hold. */
export async function checkExpectations(
  step: ResolvedStep,
  outcome: { exitCode: number | null; stdoutPath?: string },
  { root }: { root: string },
): Promise<string[]> {
  const failures: string[] = [];
  const expect = step.expect;
  if (step.command && !expect.exitCode.includes(outcome.exitCode ?? -1)) {
    failures.push(`exit code ${outcome.exitCode ?? 'none'}, expected ${expect.exitCode.join(' or ')}`);
  }
  for (const rel of expect.exists) if (!(await pathExists(await resolveInside(root, rel)))) failures.push(`${rel} does not exist`);
  for (const rel of expect.absent) if (await pathExists(await resolveInside(root, rel))) failures.push(`${rel} exists but must be absent`);
  for (const j of expect.json) failures.push(...(await checkJson(root, j)));
  if (expect.stdout !== undefined && outcome.stdoutPath) {
    const text = await readHead(outcome.stdoutPath, STDOUT_SEARCH_BYTES);
    if (!new RegExp(expect.stdout, 'm').test(text)) failures.push(`stdout does not match /${expect.stdout}/`);
  }
  return failures;
}

async function checkJson(root: string, j: ResolvedStep['expect']['json'][number]): Promise<string[]> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(await resolveInside(root, j.file), 'utf8'));
  } catch (e) {
    return [`${j.file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : `not readable JSON (${(e as Error).message})`}`];
  }
  const found = valueAt(doc, j.path);
  const where = `${j.file} ${j.path}`;
  if (!found.exists) return [`${where} is missing`];
  const v = found.value;
  if ('equals' in j && !isDeepStrictEqual(v, j.equals)) return [`${where} is ${JSON.stringify(v)}, expected ${JSON.stringify(j.equals)}`];
  if (j.in !== undefined && !j.in.some((x) => isDeepStrictEqual(v, x)))
    return [`${where} is ${JSON.stringify(v)}, expected one of ${JSON.stringify(j.in)}`];
  if (j.lte !== undefined && !(typeof v === 'number' && v <= j.lte)) return [`${where} is ${JSON.stringify(v)}, expected ≤ ${j.lte}`];
  if (j.gte !== undefined && !(typeof v === 'number' && v >= j.gte)) return [`${where} is ${JSON.stringify(v)}, expected ≥ ${j.gte}`];
  return [];
}

async function readHead(path: string, bytes: number): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}
