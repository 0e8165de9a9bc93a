// `cutover history [PLAN…]`: past runs, newest first, from the trailers of their record commits.
import { relative, resolve, sep } from 'node:path';
import { CutoverError } from '../errors.js';
import { findRepositoryRoot } from '../adapters/git.js';
import type { CommandIo } from '../adapters/io.js';
import { readHistory, readHistoryDepth, type HistoryDepth, type HistoryEntry } from '../record/history.js';
import { colors, writeJson } from '../ui/output.js';

/** Options of `cutover history`. */
export interface HistoryOptions {
  plans: string[];
  /** How many runs to list (default 20); as typed on the command line, or a number. */
  limit?: number | string;
}

/** How many runs `history` lists unless told otherwise. */
export const HISTORY_LIMIT = 20;

/** Lists past runs; exit 0, also when there are none. */
export async function history(options: HistoryOptions, io: CommandIo): Promise<number> {
  const text = String(options.limit ?? HISTORY_LIMIT);
  if (!/^[1-9][0-9]{0,8}$/.test(text))
    throw new CutoverError('USAGE', `--limit ${text} is not a positive whole number`, { hint: 'for example --limit 50' });
  const limit = Number(text);
  const root = await findRepositoryRoot({ cwd: io.cwd });
  const plans = options.plans.map((p) => relative(root, resolve(io.cwd, p)).split(sep).join('/'));
  const all = await readHistory(root, plans);
  const runs = all.slice(0, limit);
  const depth = await readHistoryDepth(root);
  if (io.format === 'json') {
    writeJson(io, {
      runs,
      total: all.length,
      limit,
      shallow: depth.shallow ? { commits: depth.commits, since: depth.since ?? null } : null,
    });
    return 0;
  }
  io.stdout.write(renderText(runs, all.length, depth, io));
  return 0;
}

function renderText(runs: HistoryEntry[], total: number, depth: HistoryDepth, io: CommandIo): string {
  const c = colors(io);
  const paint: Record<string, (text: string) => string> = {
    success: c.green,
    failure: c.red,
    drill: c.cyan,
    interrupted: c.yellow,
    abandoned: c.yellow,
  };
  const lines: string[] = [];
  if (runs.length === 0) lines.push('no runs recorded');
  else {
    const rows = runs.map((r) => [
      r.date.slice(0, 16).replace('T', ' '),
      r.plan,
      r.runId,
      r.outcome,
      `${r.root.slice(0, 19)}…`,
      r.commit.slice(0, 12),
      r.record,
    ]);
    const header = ['date', 'plan', 'run id', 'outcome', 'run root', 'commit', 'record'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
    const line = (cells: string[], style = (text: string, _i: number) => text) =>
      cells
        .map((cell, i) => style(i === cells.length - 1 ? cell : cell.padEnd(widths[i]!), i))
        .join('  ')
        .trimEnd();
    lines.push(c.dim(line(header)));
    for (const row of rows) lines.push(line(row, (text, i) => (i === 3 ? (paint[row[3]!] ?? ((t: string) => t))(text) : text)));
  }
  if (total > runs.length) lines.push(c.dim(`${total - runs.length} older run(s) not shown (--limit)`));
  if (depth.shallow) {
    lines.push(
      c.yellow(
        `shallow clone: looked back ${depth.commits} commit(s)${depth.since ? ` (to ${depth.since})` : ''}; older runs are not in this clone (git fetch --unshallow)`,
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}
