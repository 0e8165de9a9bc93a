// `cutover init`: scaffolds a first plan; never overwrites a file.
import { mkdir, open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CutoverError } from '../errors.js';
import type { CommandIo } from './io.js';

const EXAMPLE_PLAN = `# yaml-language-server: $schema=../node_modules/cutover/schemas/cutover-plan.schema.json
apiVersion: cutover/v1
kind: Plan
metadata:
  name: example
  description: A first cutover plan; edit it, then \`cutover freeze plans/example.yaml\`.
spec:
  registries:
    - { name: config, paths: ["config/*.json"] }
  preconditions:
    - { id: config-present, uses: assert, expect: { exists: [config] } }
  steps:
    - id: hello
      run: [node, -e, "console.log('cutover runs steps without a shell')"]
      timeout: 1m
  finally:
    - { id: done, run: [node, -e, "console.log('finally steps always run')"] }
`;

/** Scaffolds plans/example.yaml; refuses (exit 3) when it exists. */
export async function init(io: CommandIo): Promise<number> {
  const files: [string, string][] = [['plans/example.yaml', EXAMPLE_PLAN]];
  for (const [rel, content] of files) {
    const path = join(io.cwd, rel);
    await mkdir(dirname(path), { recursive: true });
    let handle;
    try {
      handle = await open(path, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new CutoverError('FILE_EXISTS', `${rel} already exists; init never overwrites`, { position: { file: rel }, hint: 'edit the existing plan, or move it aside first' });
      }
      throw e;
    }
    try {
      await handle.writeFile(content);
    } finally {
      await handle.close();
    }
    if (!io.quiet) io.stdout.write(`created ${rel}\n`);
  }
  return 0;
}
