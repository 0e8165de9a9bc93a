// YAML syntax errors in plain words: the parser's message names its own grammar ("nested mappings are
// not allowed in compact mappings") and often the line before the mistake; this says what is wrong
// with the line the author has to change, where that line is, and how to fix it.

/** A syntax error as the parser reports it: its code, message and offset in the text. */
export interface YamlError {
  code: string;
  message: string;
  offset: number;
}

/** A syntax error explained: where to look, what is wrong, and what to do. */
export interface ExplainedError {
  offset: number;
  message: string;
  hint: string;
}

interface Line {
  start: number;
  text: string;
  indent: number;
  /** The `key` of a `key: value` line (after a `- ` list marker), and the column where it starts (0-based). */
  key?: string;
  keyAt?: number;
}

const KEY_LINE = /^(\s*)((?:-\s+)*)([^\s#'"{}[\],:&*!|>%@`-][^#:]*?|-[^\s#:][^#:]*?)\s*:(?:\s|$)/;
const GENERIC_HINT =
  'check the indentation (spaces only, every key of a mapping in the same column) and the quotes on this line and the one above';

/** Errors past this many keep the parser's words: a reader fixes the first ones, and each explanation scans lines. */
const EXPLAINED = 20;
/** How far back an unclosed quote or bracket is looked for. */
const LOOK_BACK = 64 * 1024;

/** Explains the parser's errors; an error that only repeats another one at the same place is dropped. */
export function explainYamlErrors(text: string, errors: readonly YamlError[]): ExplainedError[] {
  const compact = new Set(errors.filter((e) => e.code === 'BLOCK_AS_IMPLICIT_KEY').map((e) => e.offset));
  const kept = errors.filter((e) => !(e.code === 'MULTILINE_IMPLICIT_KEY' && compact.has(e.offset)));
  return kept.map((e, i) => (i < EXPLAINED ? explain(text, e) : plain(e)));
}

function explain(text: string, e: YamlError): ExplainedError {
  const line = lineAt(text, e.offset);
  const first = e.message.split('\n')[0] ?? e.message;
  if (e.code === 'BLOCK_AS_IMPLICIT_KEY' && first.startsWith('Nested mappings')) return valueTakesKey(text, line, e.offset) ?? plain(e);
  if (e.code === 'BAD_INDENT' && first.startsWith('All mapping items')) return misaligned(text, line) ?? plain(e);
  if (e.code === 'BAD_INDENT' && /^Flow (sequence|map)/.test(first))
    return unclosedFlow(text, e.offset, first.includes('sequence') ? '[' : '{') ?? plain(e);
  if (e.code === 'MISSING_CHAR' && first.startsWith('Sequence item without')) return strayInList(line);
  if (e.code === 'MISSING_CHAR' && /^Missing closing ["']quote/.test(first))
    return unclosedQuote(text, e.offset, first.includes('"') ? '"' : "'") ?? plain(e);
  if (e.code === 'MULTILINE_IMPLICIT_KEY') return notAKey(line);
  if (e.code === 'TAB_AS_INDENT')
    return { offset: e.offset, message: 'a tab is used for indentation', hint: 'indent with spaces, not tabs' };
  return plain(e);
}

// `run: node x.js` followed by a line indented deeper: YAML takes that line for more of run's value.
function valueTakesKey(text: string, line: Line, offset: number): ExplainedError | undefined {
  if (line.key === undefined) return undefined;
  const value = line.text.slice(offset - line.start);
  if (/:(\s|$)/.test(value)) {
    return {
      offset,
      message: `the value of \`${line.key}\` holds ": ", which YAML reads as the start of another key`,
      hint: `put the whole value in quotes: ${line.key}: "${value.trim().replace(/"/g, '\\"')}"`,
    };
  }
  const next = nextContent(text, line);
  if (!next || next.indent <= line.keyAt!) return undefined;
  const what = next.key === undefined ? 'this line' : `\`${next.key}:\``;
  return {
    offset: next.start + next.indent,
    message: `${what} is indented more than \`${line.key}:\` on the line above, so YAML reads it as part of the value of \`${line.key}\``,
    hint: `indent it by ${line.keyAt} space${line.keyAt === 1 ? '' : 's'}, like \`${line.key}:\``,
  };
}

// A key whose column matches no key above it.
function misaligned(text: string, line: Line): ExplainedError | undefined {
  const previous = previousContent(text, line);
  if (line.key === undefined || previous?.key === undefined) return undefined;
  return {
    offset: line.start + line.keyAt!,
    message: `\`${line.key}:\` starts in column ${line.keyAt! + 1}, but \`${previous.key}:\` on the line above starts in column ${previous.keyAt! + 1}`,
    hint: `keys of one mapping start in the same column: line \`${line.key}:\` up with \`${previous.key}:\`, or with the key it belongs under`,
  };
}

function strayInList(line: Line): ExplainedError {
  const what = line.key === undefined ? 'this line' : `\`${line.key}:\``;
  return {
    offset: line.start + line.indent,
    message: `${what} is inside a list but is neither a new item (\`- \`) nor lined up with the keys of the item above`,
    hint: 'indent it exactly like the keys of the item it belongs to (an item written in `{ }` takes no keys on later lines), or start a new item with `- `',
  };
}

function notAKey(line: Line): ExplainedError {
  const word = line.text.trim().replace(/^(-\s+)+/, '');
  const glued = /^([^\s:]+):(\S.*)$/.exec(word);
  if (glued)
    return {
      offset: line.start + line.indent,
      message: `\`${word}\` has no space after its colon, so YAML does not read it as a key`,
      hint: `write \`${glued[1]}: ${glued[2]}\``,
    };
  return {
    offset: line.start + line.indent,
    message: `\`${word}\` is not a \`key: value\` line where a key is expected`,
    hint: 'write it as `key: value`, or start a list item with `- `',
  };
}

function unclosedQuote(text: string, offset: number, quote: string): ExplainedError | undefined {
  for (let i = Math.min(offset, text.length) - 1; i >= Math.max(0, offset - LOOK_BACK); i--) {
    if (text[i] === quote && !(quote === '"' && text[i - 1] === '\\')) {
      return {
        offset: i,
        message: `the ${quote === '"' ? 'double' : 'single'} quote opened here is never closed`,
        hint: `end the value with ${quote} on the same line, or write it without quotes`,
      };
    }
  }
  return undefined;
}

function unclosedFlow(text: string, offset: number, open: '[' | '{'): ExplainedError | undefined {
  const close = open === '[' ? ']' : '}';
  let depth = 0;
  for (let i = Math.min(offset, text.length) - 1; i >= Math.max(0, offset - LOOK_BACK); i--) {
    if (text[i] === close) depth++;
    else if (text[i] === open && depth-- === 0) {
      return {
        offset: i,
        message: `the \`${open}\` opened here is never closed with \`${close}\``,
        hint: `end the ${open === '[' ? 'list' : 'mapping'} with \`${close}\` on the same line, or write it one entry a line`,
      };
    }
  }
  return undefined;
}

function plain(e: YamlError): ExplainedError {
  const first = (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '');
  return { offset: e.offset, message: first.charAt(0).toLowerCase() + first.slice(1), hint: GENERIC_HINT };
}

function lineAt(text: string, offset: number): Line {
  const at = Math.max(0, Math.min(offset, text.length));
  const start = text.lastIndexOf('\n', at - 1) + 1;
  const end = text.indexOf('\n', start);
  return describe(start, text.slice(start, end < 0 ? text.length : end));
}

function describe(start: number, text: string): Line {
  const indent = text.length - text.trimStart().length;
  const m = KEY_LINE.exec(text);
  return { start, text, indent, ...(m ? { key: m[3]!, keyAt: m[1]!.length + m[2]!.length } : {}) };
}

/** The next line with content (not blank, not only a comment). */
function nextContent(text: string, line: Line): Line | undefined {
  let start = line.start + line.text.length + 1;
  while (start < text.length) {
    const next = lineAt(text, start);
    if (!/^\s*(#.*)?$/.test(next.text)) return next;
    start += next.text.length + 1;
  }
  return undefined;
}

function previousContent(text: string, line: Line): Line | undefined {
  // `end` is the line break that ends the line before: lineAt of it gives that line.
  let end = line.start - 1;
  while (end >= 0) {
    const previous = lineAt(text, end);
    if (!/^\s*(#.*)?$/.test(previous.text)) return previous;
    end = previous.start - 1;
  }
  return undefined;
}
