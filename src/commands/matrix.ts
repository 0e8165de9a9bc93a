// `cutover matrix PLAN STEP`: the shards of a matrix step, for the shard jobs of a spread run (docs/runs.md, "One run over many runners").
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { findRepositoryRoot } from '../adapters/git.js';
import type { CommandIo } from '../adapters/io.js';
import { readMatrixFiles } from '../adapters/matrix-files.js';
import { readValidPlan } from '../adapters/plan-file.js';
import { CutoverError, problemsError } from '../errors.js';
import { setOutputs } from '../github/files.js';
import { lockPathFor } from '../integrity/lock.js';
import { expandMatrix, shardId } from '../plan/matrix.js';
import { assertMatrixFrozen } from '../run/matrix-frozen.js';
import { writeJson } from '../ui/output.js';

/** Options of `cutover matrix`. */
export interface MatrixOptions {
  plan: string;
  step: string;
}

/**
 * Prints the shard ids of a matrix step of `spec.steps`, one a line (`--format json`: step, values
 * and shards); in GitHub's format it also sets the job output `shards`, a JSON list for
 * `strategy.matrix`. A list read from a file is given only with the bytes the lock froze (exit 3).
 */
export async function matrix(options: MatrixOptions, io: CommandIo): Promise<number> {
  const { plan, file } = await readValidPlan(options.plan, io.cwd);
  const root = await findRepositoryRoot({ cwd: io.cwd });
  const step = plan.spec.steps.find((s) => s.id === options.step);
  if (!step?.matrix) {
    const names = plan.spec.steps.filter((s) => s.matrix).map((s) => s.id);
    throw new CutoverError('USAGE', `${JSON.stringify(options.step)} is not a matrix step of spec.steps in ${file.display}`, {
      hint: names.length ? `its matrix steps: ${names.join(', ')}` : 'give a step `matrix:` to spread it over runners',
    });
  }
  const documents = await readMatrixFiles(root, plan);
  const lockFile = lockPathFor(relative(root, file.path));
  assertMatrixFrozen(documents.bytes, await readFile(join(root, lockFile)).catch(() => undefined), lockFile);
  const { shards, problems } = expandMatrix(step.matrix, documents.documents);
  if (problems.length) throw problemsError(problems);
  const values = shards.map((values) => Object.values(values)[0]!);
  const ids = values.map((value) => shardId(step.id, value));
  if (io.format === 'json') writeJson(io, { step: step.id, values, shards: ids });
  else io.stdout.write(`${ids.join('\n')}\n`);
  if (io.format === 'github') await setOutputs(io.env, { shards: JSON.stringify(ids) }, io.mask);
  return 0;
}
