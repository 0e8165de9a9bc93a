// The words of a step's command, and where a `${{ }}` in them would be pasted into code: the script of
// a `shell:` step, or the inline code a shell or interpreter in the argv runs (`bash -c`, `node -e`, …).
import { splitCommand, type SplitResult } from '../text/argv.js';
import type { DataPath } from './position.js';
import type { Plan, Step } from './types.js';

/** One `${{` that would become code: where it is (a string value and an offset in it) and what runs it. */
export interface CodeTemplate {
  path: DataPath;
  offset: number;
  /** The expression's source, trimmed (empty when it is not closed). */
  expr: string;
  /** What interprets the code: `bash`, `sh -c`, `node -e`, … */
  runner: string;
  /** True when a shell interprets it (the hint then says `"$NAME"`). */
  shell: boolean;
}

const TEMPLATE = /\$\{\{.*?\}\}/g;

/**
 * Splits a `run:` string into words with each `${{ }}` kept whole inside its word, so an
 * expression's spaces do not split it and a value's spaces (substituted later) stay one argument.
 */
export function splitRun(run: string): SplitResult {
  const split = splitRunWords(run);
  return 'error' in split ? split : { argv: split.words.map((w) => w.text) };
}

/** A word of a command and the offsets (in the string it came from) of the `${{` inside it. */
interface Word {
  text: string;
  offsets: number[];
}

function splitRunWords(run: string): { words: Word[] } | { error: string } {
  const templates: { text: string; offset: number }[] = [];
  const guarded = run.replace(TEMPLATE, (text, offset: number) => `\u0001${templates.push({ text, offset }) - 1}\u0001`);
  const split = splitCommand(guarded);
  if ('error' in split) return split;
  return {
    words: split.argv.map((w) => {
      const used = [...w.matchAll(/\u0001(\d+)\u0001/g)].map((m) => templates[Number(m[1])]!);
      return { text: w.replace(/\u0001(\d+)\u0001/g, (_m, i: string) => templates[Number(i)]!.text), offsets: used.map((t) => t.offset) };
    }),
  };
}

/** Every `${{` of a plan that would be pasted into code, in the order the steps are declared. */
export function templatesInCode(plan: Plan): CodeTemplate[] {
  const found: CodeTemplate[] = [];
  for (const phase of ['preconditions', 'steps', 'rollback', 'finally'] as const) {
    for (const [index, step] of (plan.spec[phase] ?? []).entries()) found.push(...stepTemplates(step, ['spec', phase, index, 'run']));
  }
  return found;
}

function stepTemplates(step: Step, path: DataPath): CodeTemplate[] {
  const { run } = step;
  if (run === undefined) return [];
  if (step.shell && typeof run === 'string') return offsetsIn(run).map((offset) => template(path, run, offset, step.shell!, true));
  const words: (Word & { path: DataPath; source: string })[] = [];
  if (Array.isArray(run)) run.forEach((text, i) => words.push({ text, offsets: offsetsIn(text), path: [...path, i], source: text }));
  else {
    const split = splitRunWords(run);
    if ('error' in split) return [];
    for (const w of split.words) words.push({ ...w, path, source: run });
  }
  return codeWords(words.map((w) => w.text)).flatMap(({ index, runner, shell }) => {
    const w = words[index]!;
    return w.offsets.map((offset) => template(w.path, w.source, offset, runner, shell));
  });
}

function offsetsIn(text: string): number[] {
  const offsets: number[] = [];
  for (let i = text.indexOf('${{'); i !== -1; i = text.indexOf('${{', i + 3)) offsets.push(i);
  return offsets;
}

function template(path: DataPath, source: string, offset: number, runner: string, shell: boolean): CodeTemplate {
  const close = source.indexOf('}}', offset + 3);
  return { path, offset, expr: close < 0 ? '' : source.slice(offset + 3, close).trim(), runner, shell };
}

/** An interpreter that runs code given on its command line: its name pattern and the options that take the code. */
interface Interpreter {
  name: RegExp;
  shell: boolean;
  /** Options whose next word is the code (a short option also at the end of a cluster: `-ec`, `-ne`). */
  code: string[];
  /** Options whose next word is their value, not an operand. */
  valued: string[];
}

const INTERPRETERS: Interpreter[] = [
  {
    name: /^(?:ba|da|z|k|mk|a|y|fi)?sh$/,
    shell: true,
    code: ['-c', '--command'],
    valued: ['-o', '+o', '-O', '+O', '--rcfile', '--init-file'],
  },
  {
    name: /^(?:node|nodejs|bun)$/,
    shell: false,
    code: ['-e', '--eval', '-p', '--print'],
    valued: ['-r', '--require', '--import', '--loader', '--experimental-loader', '-C', '--conditions', '--input-type'],
  },
  { name: /^python[0-9.]*$/, shell: false, code: ['-c'], valued: ['-W', '-X'] },
  { name: /^perl[0-9.]*$/, shell: false, code: ['-e', '-E'], valued: [] },
  { name: /^ruby[0-9.]*$/, shell: false, code: ['-e'], valued: ['-r', '-I'] },
  { name: /^php[0-9.]*$/, shell: false, code: ['-r'], valued: ['-c', '-d'] },
  { name: /^(?:pwsh|powershell)(?:\.exe)?$/i, shell: false, code: ['-c', '-command'], valued: [] },
];

/** The words of an argv that an interpreter in it runs as code, with what runs them. */
export function codeWords(argv: readonly string[]): { index: number; runner: string; shell: boolean }[] {
  const found: { index: number; runner: string; shell: boolean }[] = [];
  argv.forEach((word, at) => {
    const name = word.split('/').pop()!;
    const interpreter = INTERPRETERS.find((i) => i.name.test(name));
    if (!interpreter) return;
    const code = codeAfter(argv, at, interpreter);
    if (code) found.push({ index: code.index, runner: `${name} ${code.option}`, shell: interpreter.shell });
  });
  return found;
}

// Reads the interpreter's options up to its first operand (a script file: then nothing is inline code).
function codeAfter(argv: readonly string[], at: number, interpreter: Interpreter): { index: number; option: string } | undefined {
  const isCode = (option: string) => interpreter.code.some((c) => c.toLowerCase() === option.toLowerCase());
  let pending: string | undefined;
  for (let i = at + 1; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') return pending ? { index: i + 1, option: pending } : undefined;
    if (!/^[-+]./.test(word)) return pending ? { index: i, option: pending } : undefined;
    const [option, attached] = word.startsWith('--') ? (word.split(/=(.*)/s) as [string, string?]) : [word, undefined];
    if (attached !== undefined) {
      if (isCode(option)) return { index: i, option };
      continue;
    }
    if (isCode(option)) {
      if (!interpreter.shell) return { index: i + 1, option };
      pending = option;
      continue;
    }
    if (interpreter.valued.includes(option)) {
      i++;
      continue;
    }
    // A cluster of short options: `-ec` (the code option last) or `-eo pipefail` (a valued one last).
    if (/^[-+][A-Za-z]{2,}$/.test(word)) {
      const last = `-${word.at(-1)}`;
      const codeLetter = interpreter.code.find((c) => c.length === 2 && word.slice(1).includes(c[1]!));
      if (interpreter.shell && word.startsWith('-') && codeLetter) pending = codeLetter;
      else if (!interpreter.shell && isCode(last)) return { index: i + 1, option: word };
      if (interpreter.valued.includes(`${word[0]}${word.at(-1)}`)) i++;
    }
  }
  return undefined;
}
