// GitHub Actions workflow commands: escaping as the runner specifies, annotations, groups, masks.

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
