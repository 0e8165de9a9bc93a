// GitHub's own parser of workflow files and action metadata (@actions/workflow-parser, the one behind
// the Actions language service), loaded through esbuild: its modules import their JSON schemas without an
// import attribute, which Node's loader refuses.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

type WorkflowParser = typeof import('@actions/workflow-parser');
type ActionParser = typeof import('@actions/workflow-parser/actions/index');
type Parsers = Pick<WorkflowParser, 'parseWorkflow' | 'convertWorkflowTemplate' | 'NoOperationTraceWriter'> &
  Pick<ActionParser, 'parseAction' | 'convertActionTemplate'>;

const root = fileURLToPath(new URL('../..', import.meta.url));
let parsers: Promise<Parsers> | undefined;

function load(): Promise<Parsers> {
  parsers ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cutover-workflow-parser-'));
    try {
      const file = join(dir, 'parser.mjs');
      await build({
        stdin: {
          contents: [
            "export { parseWorkflow, convertWorkflowTemplate, NoOperationTraceWriter } from '@actions/workflow-parser';",
            "export { parseAction, convertActionTemplate } from '@actions/workflow-parser/actions/index';",
          ].join('\n'),
          resolveDir: root,
          loader: 'js',
        },
        bundle: true,
        format: 'esm',
        platform: 'node',
        outfile: file,
        logLevel: 'error',
        // Its CommonJS dependencies (yaml) call require() for Node's built-ins.
        banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
      });
      return (await import(/* @vite-ignore */ pathToFileURL(file).href)) as Parsers;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  })();
  return parsers;
}

/** Every error GitHub's parser finds in a workflow file: its schema, then the conversion to a workflow template. */
export async function workflowErrors(name: string, content: string): Promise<string[]> {
  const p = await load();
  const result = p.parseWorkflow({ name, content }, new p.NoOperationTraceWriter());
  const errors = result.context.errors.getErrors().map((e) => e.message);
  if (errors.length || !result.value) return errors.length ? errors : [`${name}: nothing parsed`];
  const template = await p.convertWorkflowTemplate(result.context, result.value);
  return (template.errors ?? []).map((e) => e.Message);
}

/** Every error GitHub's parser finds in an action's metadata (action.yml), and the runs it declares. */
export async function actionErrors(name: string, content: string): Promise<{ errors: string[]; runs?: unknown }> {
  const p = await load();
  const result = p.parseAction({ name, content }, new p.NoOperationTraceWriter());
  const errors = result.context.errors.getErrors().map((e) => e.message);
  if (errors.length || !result.value) return { errors: errors.length ? errors : [`${name}: nothing parsed`] };
  return { errors: [], runs: p.convertActionTemplate(result.context, result.value).runs };
}
