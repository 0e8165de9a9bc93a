// `cutover init`: scaffolds a first plan, the registry it freezes, its lock and the two GitHub
// workflows; never overwrites a file.
import { existsSync } from 'node:fs';
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CutoverError } from '../errors.js';
import { readGitIdentity } from '../adapters/git-files.js';
import { findRepositoryRoot } from '../adapters/git.js';
import { pathExists } from '../adapters/fs.js';
import { freeze } from './freeze.js';
import type { CommandIo } from '../adapters/io.js';

const EXAMPLE_PLAN = `# yaml-language-server: $schema=../node_modules/cutover/schemas/cutover-plan.schema.json
apiVersion: cutover/v1
kind: Plan
metadata:
  name: example
  description: A first cutover plan. Edit it, then \`cutover freeze plans/example.yaml\` and commit the lock.
spec:
  registries:
    - { name: config, paths: ["config/*.json"] }
  preconditions:
    - { id: config-present, uses: assert, expect: { exists: [config/example.json] } }
  steps:
    - id: hello
      run: [node, -e, "console.log('cutover runs steps without a shell')"]
      timeout: 1m
  finally:
    - { id: done, run: [node, -e, "console.log('finally steps always run')"] }
`;

const EXAMPLE_CONFIG = `{ "note": "an approved configuration file: cutover refuses to run when it differs from the lock" }\n`;

/**
 * The workflow templates shipped with cutover: `examples/workflows` of the package, found upwards from
 * this code (a module in dist/commands, or the bundled dist/cli.js).
 */
function workflowTemplates(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const candidate = join(dir, 'examples', 'workflows');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error('the workflow templates (examples/workflows) are missing from the installed package');
  }
}

/** Scaffolds the files; refuses (exit 3) when any of them exists, before writing anything. */
export async function init(io: CommandIo): Promise<number> {
  const root = await findRepositoryRoot({ cwd: io.cwd });
  await readGitIdentity({ cwd: root }); // the lock names who froze it: fail before writing anything
  const templates = workflowTemplates();
  const files: [string, string][] = [
    ['plans/example.yaml', EXAMPLE_PLAN],
    ['config/example.json', EXAMPLE_CONFIG],
    ['.github/workflows/validate-plans.yml', await readFile(join(templates, 'validate-plans.yml'), 'utf8')],
    ['.github/workflows/execute-plan.yml', await readFile(join(templates, 'execute-plan.yml'), 'utf8')],
  ];
  const lock = 'plans/example.lock.json';
  for (const rel of [...files.map(([f]) => f), lock]) {
    if (await pathExists(join(root, rel))) {
      throw new CutoverError('FILE_EXISTS', `${rel} already exists; init never overwrites`, {
        position: { file: rel },
        hint: 'edit the existing files, or move them aside first',
      });
    }
  }
  for (const [rel, content] of files) await createFile(join(root, rel), content);
  for (const [rel] of files) if (!io.quiet && io.format !== 'json') io.stdout.write(`created ${rel}\n`);
  return freeze({ plan: join(root, 'plans/example.yaml') }, io);
}

async function createFile(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(content);
  } finally {
    await handle.close();
  }
}
