#!/usr/bin/env node
// Generates docs/plan-reference.md from schemas/cutover-plan.schema.json (`--check` fails when it is stale).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const schema = JSON.parse(readFileSync(join(root, 'schemas/cutover-plan.schema.json'), 'utf8'));
const target = join(root, 'docs/plan-reference.md');

/** Resolves a local `$ref` (`#/$defs/x`) and merges the referring node's own description over it. */
function deref(node) {
  if (!node?.$ref) return node;
  const name = node.$ref.replace('#/$defs/', '');
  return { ...schema.$defs[name], ...node, $ref: undefined, defName: name };
}

function typeOf(node) {
  const n = deref(node);
  if (n.const !== undefined) return `\`${JSON.stringify(n.const)}\``;
  if (n.enum) return n.enum.map((v) => `\`${v}\``).join(' \\| ');
  if (n.anyOf) return n.anyOf.map(typeOf).join(' or ');
  if (n.defName === 'duration') return 'duration';
  if (n.defName === 'path') return 'path';
  if (n.type === 'array') return `list of ${typeOf(n.items ?? {})}`;
  if (n.type === 'object' && n.additionalProperties && typeof n.additionalProperties === 'object')
    return `map of ${typeOf(n.additionalProperties)}`;
  if (n.type === 'object' && n.defName) return `[${n.defName}](#${n.defName.toLowerCase()})`;
  return n.type ?? 'any value';
}

/** One table of an object's keys; nested objects get their own sections. */
function section(title, node, anchor, out, seen) {
  const n = deref(node);
  if (!n.properties || seen.has(anchor)) return;
  seen.add(anchor);
  const required = new Set(n.required ?? []);
  out.push(
    `## ${title}`,
    '',
    `<a id="${anchor}"></a>`,
    '',
    n.description ?? '',
    '',
    '| key | type | required | description |',
    '|---|---|---|---|',
  );
  const nested = [];
  for (const [key, value] of Object.entries(n.properties)) {
    const v = deref(value);
    const examples = v.examples
      ? ` Example: ${v.examples.map((e) => `\`${typeof e === 'string' ? e : JSON.stringify(e)}\``).join(', ')}.`
      : '';
    const pattern = v.pattern && !v.defName ? ` Pattern: \`${v.pattern}\`.` : '';
    out.push(
      `| \`${key}\` | ${typeOf(value)} | ${required.has(key) ? 'yes' : ''} | ${(v.description ?? '').replaceAll('|', '\\|')}${pattern}${examples} |`,
    );
    const inner = v.type === 'array' ? deref(v.items) : v;
    if (inner?.properties) nested.push([inner.defName ?? key, inner, (inner.defName ?? `${anchor}-${key}`).toLowerCase()]);
    // A map whose values may be objects of their own (a matrix's `{ file, path }`): those get a section too.
    for (const option of v.additionalProperties?.anyOf ?? []) {
      const o = deref(option);
      if (o?.properties) nested.push([o.defName, o, o.defName.toLowerCase()]);
    }
  }
  out.push('');
  for (const [name, inner, a] of nested) section(name, inner, a, out, seen);
}

export function render() {
  const out = [
    '# Plan reference',
    '',
    '<!-- Generated from schemas/cutover-plan.schema.json by scripts/plan-reference.js; a test fails when it is stale. -->',
    '',
    'A plan is one YAML document (YAML 1.2, core schema) with `apiVersion: cutover/v1`. Anchors, aliases, tags,',
    'directives and duplicate keys are refused; unknown keys are errors. Strings may use `${{ expr }}`',
    'interpolation: `env.NAME`, `run.id`, `plan.name`, `git.sha`, `git.branch`, string literals and `??`.',
    'Paths are relative to the repository root and stay inside it. Durations are `250ms`, `90s`, `10m`, `1h`.',
    'Editors with yaml-language-server complete plans from the schema (`cutover schema` prints it).',
    '',
    "- `${{ env.NAME }}` in `spec.runId` and `spec.env` reads the caller's environment; elsewhere it also sees `spec.env`.",
    "- `${{ env.NAME }}` with `NAME` unset and no `??` default is refused by `cutover plan` and `cutover run` before anything runs (exit 2, at the expression, naming the variable); `${{ env.NAME ?? '' }}` asks for an empty default. In `cutover plan` an unset secret is a warning: previews run where secrets are withheld.",
    '- `run` as a string is split into words before interpolation, so a substituted value is always one argument.',
    "- Without `shell:`, a `run` string may not hold a shell operator as a word (`>`, `>>`, `<`, `|`, `||`, `&&`, `;`, `&`, `2>&1`) or a word starting with `$(` or a backtick: nothing would interpret it. Add `shell: bash`, or write `run` as a list to pass it as an argument (quoted, `'|'` is an argument too).",
    '- `if` takes `success()`, `failure()`, `always()`, `steps.<id>.outcome`, `env.NAME`, string literals, `==`, `!=`, `&&`, `||`, `!` and parentheses.',
    '- `${{ matrix.<name> }}` is the value of one shard of a step with `matrix`, in its `run`, `env`, `produces` and `expect`.',
    '- Steps wait for the steps they `needs` (by default the entry before them) and run at most `spec.concurrency` at once: [runs.md](runs.md#2-phases).',
    '- Interpolation is not allowed in names, ids, `uses`, `shell`, `boundary`, `needs`, `matrix`, `window`, `secrets`, or the paths of inputs and registries (the lock pins them literally).',
    '',
  ];
  section('Plan', schema, 'plan', out, new Set());
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = render();
  if (process.argv.includes('--check')) {
    const current = readFileSync(target, 'utf8');
    if (current !== text) {
      console.error('docs/plan-reference.md is stale: run `node scripts/plan-reference.js`');
      process.exit(1);
    }
  } else {
    writeFileSync(target, text);
    console.log(`wrote ${target}`);
  }
}
