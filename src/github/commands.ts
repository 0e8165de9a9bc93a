// GitHub Actions workflow commands: annotations, groups, masks, stopping commands; escaped as the runner reads them.
import { escapeData, escapeProperty } from '../text/workflow-escape.js';
import { secretVariants } from '../text/secret-variants.js';

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
 * `::add-mask::` lines for secret values: every form the maskers of src/text/mask.ts look for
 * (each value, each of its lines, their escaped forms), so the runner hides in the job's log what
 * cutover hides in its own output. Values too short to mask are left out (secret-variants.ts says why).
 */
export function addMaskCommands(values: readonly string[]): string {
  return secretVariants(values)
    .map((value) => workflowCommand('add-mask', {}, value))
    .join('');
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
