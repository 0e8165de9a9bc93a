// `cutover schema`: prints the plan JSON Schema.
import { planSchema } from '../plan/schema.js';
import type { CommandIo } from '../adapters/io.js';

/** Prints the plan JSON Schema to stdout. */
export async function schema(io: CommandIo): Promise<number> {
  io.stdout.write(`${JSON.stringify(planSchema, null, 2)}\n`);
  return 0;
}
