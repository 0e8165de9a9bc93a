// GitHub Actions' environment files: the step summary (GITHUB_STEP_SUMMARY) and step outputs (GITHUB_OUTPUT).
import { randomUUID } from 'node:crypto';
import { appendFile, stat } from 'node:fs/promises';
import type { CommandIo } from '../adapters/io.js';
import { CutoverError } from '../errors.js';

/** GitHub's limit on one step's summary, in bytes; a bigger summary is dropped with an error. */
export const SUMMARY_LIMIT = 1024 * 1024;

/**
 * Whether a command writes GitHub's files: with `--format github`, or anywhere inside Actions (the
 * files are not stdout, so `--format json` there still gets a summary and outputs). Each file is
 * written only when the runner named it in the environment.
 */
export function writesGithubFiles(io: Pick<CommandIo, 'format' | 'env'>): boolean {
  return io.format === 'github' || io.env.GITHUB_ACTIONS === 'true';
}

/** How a text is masked before it is written (CommandIo's `mask`). */
export type MaskText = (text: string) => string;

/**
 * Appends Markdown to the step summary, cut to what is left of GitHub's limit with `note` saying
 * so; masked last, as written (the job's other steps and the run's page show the summary).
 */
export async function appendStepSummary(
  env: Record<string, string | undefined>,
  markdown: string,
  note: string,
  mask: MaskText,
): Promise<void> {
  const path = env.GITHUB_STEP_SUMMARY;
  if (!path) return;
  const used = await stat(path).then(
    (info) => info.size,
    () => 0,
  );
  const text = fitSummary(mask(markdown), SUMMARY_LIMIT - used, mask(note));
  if (text === '') return;
  await appendFile(path, used > 0 ? `\n${text}` : text).catch((cause: unknown) => {
    throw new CutoverError('IO_FAILED', `cannot append to the step summary (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`, {
      cause,
    });
  });
}

/**
 * Markdown that fits in `budget` bytes: as it is when it fits, else cut at a line end, a code block
 * left open by the cut closed (so the note is not swallowed by it), and `note` added as a quote.
 * Empty when not even the note fits.
 */
export function fitSummary(markdown: string, budget: number, note: string): string {
  const text = markdown.endsWith('\n') ? markdown : `${markdown}\n`;
  const whole = Buffer.from(text, 'utf8');
  if (whole.length <= budget - 1) return text; // one byte kept for the separating newline
  const tail = `\n> **Truncated:** ${note.replace(/\s+/g, ' ')}\n`;
  // Room for the tail, the separating newline and the longest fence a cut could leave open.
  const room = budget - 1 - Buffer.byteLength(tail) - FENCE_ALLOWANCE;
  if (room <= 0) return Buffer.byteLength(tail) <= budget - 1 ? tail.slice(1) : '';
  // A newline byte is always a character boundary in UTF-8: cutting after one never splits a character.
  const end = whole.lastIndexOf(0x0a, room - 1);
  const kept = end < 0 ? '' : whole.subarray(0, end + 1).toString('utf8');
  const fence = openFence(kept);
  return `${kept}${fence ? `${fence}\n` : ''}${tail}`;
}

const FENCE_ALLOWANCE = 64;

/** The fence that closes a code block still open at the end of `markdown`, if one is. */
function openFence(markdown: string): string | undefined {
  let open: { char: string; length: number } | undefined;
  for (const line of markdown.split('\n')) {
    const match = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line);
    if (!match) continue;
    const marker = match[1] as string;
    if (!open) open = { char: marker[0] as string, length: marker.length };
    else if (marker[0] === open.char && marker.length >= open.length && (match[2] ?? '').trim() === '') open = undefined;
  }
  return open && open.length <= FENCE_ALLOWANCE - 1 ? open.char.repeat(open.length) : undefined;
}

/**
 * Appends step outputs to GITHUB_OUTPUT (when the runner set it), in the multi-line delimiter form,
 * each value masked (the delimiters, random, are chosen after: masking cannot break the framing).
 */
export async function setOutputs(env: Record<string, string | undefined>, outputs: Record<string, string>, mask: MaskText): Promise<void> {
  const path = env.GITHUB_OUTPUT;
  if (!path || Object.keys(outputs).length === 0) return;
  const masked = Object.fromEntries(Object.entries(outputs).map(([name, value]) => [name, mask(value)]));
  await appendFile(path, formatOutputs(masked)).catch((cause: unknown) => {
    throw new CutoverError('IO_FAILED', `cannot write step outputs (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`, { cause });
  });
}

const OUTPUT_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * Outputs as the runner reads them: `name<<DELIMITER`, the value, `DELIMITER`, each on its own line,
 * every delimiter random and found in neither the name nor the value (the runner ends a value at the
 * first line equal to its delimiter, so a value holding it could forge further outputs).
 */
export function formatOutputs(outputs: Record<string, string>, newDelimiter: () => string = () => `ghadelimiter_${randomUUID()}`): string {
  let text = '';
  for (const [name, value] of Object.entries(outputs)) {
    if (!OUTPUT_NAME.test(name)) throw new Error(`invalid output name ${JSON.stringify(name)}`);
    let delimiter = newDelimiter();
    for (let tries = 1; value.includes(delimiter) || name.includes(delimiter) || delimiter === ''; tries++) {
      if (tries >= 100) throw new Error('no delimiter found that the output value does not contain');
      delimiter = newDelimiter();
    }
    text += `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
  }
  return text;
}
