// GitHub Actions workflow commands: escaping as the runner specifies, annotations, groups, masks.
import { MIN_SECRET_LENGTH } from '../text/mask.js';

/** Escapes a workflow command's message: `%`, CR and LF. */
export function escapeData(value: string): string {
  return value.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
}

/** Escapes a workflow command's property value: also `:` and `,`. */
export function escapeProperty(value: string): string {
  return escapeData(value).replaceAll(':', '%3A').replaceAll(',', '%2C');
}

/** A workflow command line, `::name key=value,…::message`. */
export function workflowCommand(name: string, properties: Record<string, string | number | undefined>, message: string): string {
  const props = Object.entries(properties)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${escapeProperty(String(v))}`)
    .join(',');
  return `::${name}${props ? ` ${props}` : ''}::${escapeData(message)}\n`;
}

/** An `::error` (or warning/notice) annotation at a file position. */
export function annotation(
  level: 'error' | 'warning' | 'notice',
  message: string,
  where: { file?: string; line?: number; col?: number; title?: string } = {},
): string {
  return workflowCommand(level, { file: where.file, line: where.line, col: where.col, title: where.title }, message);
}

/**
 * `::add-mask::` lines for secret values: each value and each of its lines trimmed (the runner masks
 * line by line, so a multi-line value needs every line registered), minus values shorter than the
 * masker's minimum (src/text/mask.ts says why those stay visible everywhere, our records included).
 */
export function addMaskCommands(values: readonly string[], minLength = MIN_SECRET_LENGTH): string {
  const masks = new Set<string>();
  for (const value of values) {
    for (const candidate of [value, ...value.split(/\r?\n/).map((line) => line.trim())]) {
      if ([...candidate.trim()].length >= minLength) masks.add(candidate);
    }
  }
  return [...masks].map((value) => workflowCommand('add-mask', {}, value)).join('');
}

/**
 * Stops the runner from acting on workflow commands until `resumeCommands(token)`: a step's own
 * output (a migration printing rows, say) must not be able to open groups, annotate or add masks.
 */
export function stopCommands(token: string): string {
  return `::stop-commands::${token}\n`;
}

/** Resumes workflow commands after `stopCommands(token)`. */
export function resumeCommands(token: string): string {
  return `::${token}::\n`;
}
