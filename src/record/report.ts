// report.md: a run record for a reviewer on GitHub: outcome, steps, a Mermaid timeline, roots, how to verify.
import { posix } from 'node:path';
import { formatDuration } from '../text/duration.js';
import { shellQuote } from '../text/argv.js';
import { codeText as code, escapeHtml as html, escapeMarkdown as md } from '../text/markdown.js';
import { recordOutcome, type RecordOutcome, type RunJson, type RunJsonArtifact, type RunJsonStep } from './run-record.js';

const HEADLINE: Record<RecordOutcome, string> = {
  success: '✅ succeeded',
  failure: '❌ failed',
  interrupted: '⚠️ interrupted',
  abandoned: '🛑 abandoned',
  drill: '🧯 drill',
};

const STEP_MARK: Record<RunJsonStep['outcome'], string> = {
  success: '✅ success',
  failure: '❌ failure',
  skipped: '⏭️ skipped',
  interrupted: '⚠️ interrupted',
};

/** Renders report.md from a (masked) run.json document; the same document always gives the same bytes. */
export function buildReport(run: RunJson): string {
  const out: string[] = [];
  out.push(`# ${md(run.plan.name)} · ${md(run.runId)}${run.rehearsal ? ' 🧪 rehearsal ·' : ''} ${HEADLINE[recordOutcome(run)]}`, '');
  const flags = [
    run.rehearsal ? 'rehearsal: the plan ran as the work tree held it, unfrozen and uncommitted; not evidence' : '',
    run.drill !== undefined ? `drill: step \`${code(run.drill)}\` failed on purpose` : '',
    run.outcome === 'abandoned'
      ? 'abandoned: the run stopped and was closed with `cutover abandon`; nothing ran after the journal ended'
      : '',
    run.resumed ? 'resumed after an interruption' : '',
  ].filter(Boolean);
  out.push(`> **Outcome: ${run.outcome}** (exit ${run.exitCode})${flags.length ? ` · ${flags.join(' · ')}` : ''}`, '');

  out.push('| | |', '|---|---|');
  out.push(`| Plan | \`${code(run.plan.name)}\` · \`${code(run.plan.path)}\` · \`${run.plan.digest}\` |`);
  out.push(`| Lock | \`${code(run.lock.path)}\` · \`${run.lock.digest}\` |`);
  out.push(`| Freeze digest | \`${code(run.freezeDigest)}\` |`);
  out.push(`| Run id | \`${code(run.runId)}\` |`);
  out.push(`| Commit | \`${code(run.commit)}\`${run.branch ? ` on \`${code(run.branch)}\`` : ''} |`);
  out.push(
    `| Started | ${md(run.startedAt)} |`,
    `| Ended | ${md(run.endedAt)} (${formatDuration(Date.parse(run.endedAt) - Date.parse(run.startedAt))}) |`,
  );
  const runner = sortedEntries(run.runner).map(([k, v]) => `${md(k)}: \`${code(v)}\``);
  if (runner.length) out.push(`| Runner | ${runner.join(' · ')} |`);
  out.push(`| Tool | cutover ${md(run.tool.version)} · record ${run.recordVersion} · ${run.manifestFormat} |`, '');

  if (run.problems?.length) {
    out.push('## Problems', '');
    for (const problem of run.problems) out.push(`- ${md(problem)}`);
    out.push('');
  }

  // In time order; run.json's keys are sorted by name, so the object's own order carries nothing.
  const boundaries = sortedEntries(run.boundaries).sort(([a, x], [b, y]) => (x < y ? -1 : x > y ? 1 : a < b ? -1 : 1));
  if (boundaries.length) {
    out.push('## Boundaries', '', '| boundary | at |', '|---|---|');
    for (const [name, at] of boundaries) out.push(`| \`${code(name)}\` | ${md(at)} |`);
    out.push('');
  }
  const window = run.pauseWindow;
  if (window) {
    out.push(
      `Writes were paused for **${formatDuration(window.wallMs)}** (\`paused_at\` → \`resumed_at\`): the ${window.steps} step(s) inside took ${formatDuration(window.stepsMs)}, cutover's own time was ${formatDuration(window.cutoverMs)}.`,
      '',
    );
  }

  if (run.distributed) out.push(...runnersBlock(run.distributed));

  out.push('## Steps', '', '| phase | id | outcome | attempts | exit | duration |', '|---|---|---|---:|---:|---:|');
  for (const step of run.steps) {
    const exit = step.signal ? `signal ${md(step.signal)}` : step.exitCode === null ? '–' : String(step.exitCode);
    const outcome = `${STEP_MARK[step.outcome]}${step.timedOut ? ' (timed out)' : ''}${step.drill ? ' (drill)' : ''}`;
    out.push(
      `| ${step.phase} | \`${code(step.id)}\` | ${outcome} | ${step.attempts} | ${exit}${step.timedOut ? ' ⏱' : ''} | ${step.startedAt ? formatDuration(step.durationMs) : '–'} |`,
    );
  }
  const notes = run.steps.filter((s) => s.reason !== undefined);
  if (notes.length) {
    out.push('');
    for (const step of notes) out.push(`- \`${code(step.id)}\`: ${md(step.reason ?? '')}`);
  }
  out.push('');
  for (const step of run.steps.filter((s) => s.tail?.length)) out.push(...tailBlock(step));

  const chart = gantt(run);
  if (chart.length) out.push('## Timeline', '', '```mermaid', ...chart, '```', '');

  out.push('## Artifacts', '');
  if (run.artifacts.length === 0) out.push('This plan declares no artifacts.', '');
  else {
    out.push('| artifact | path | commit | files | bytes | Merkle root |', '|---|---|---|---:|---:|---|');
    for (const a of run.artifacts) {
      const root = a.present ? `\`${a.root}\`` : 'absent when the run ended';
      out.push(`| \`${code(a.name)}\` | \`${code(a.path)}\` | ${a.commit} | ${a.files} | ${a.bytes} | ${root} |`);
    }
    out.push('');
    for (const a of run.artifacts.filter((x) => x.children && Object.keys(x.children).length)) {
      out.push(`<details><summary>Per-folder roots of <code>${html(a.name)}</code></summary>`, '', '| folder | Merkle root |', '|---|---|');
      for (const [folder, root] of sortedEntries(a.children ?? {})) out.push(`| \`${code(folder)}\` | \`${root}\` |`);
      out.push('', '</details>', '');
    }
  }
  out.push(`**Run root:** \`${run.runRoot}\``, '');

  if (run.rehearsal) {
    out.push(
      '## Not evidence',
      '',
      'A rehearsal ran a plan that was neither frozen nor committed, and nothing of it was committed: `cutover verify` refuses it.',
      '',
    );
    return out.join('\n');
  }
  out.push('## Verify', '', 'From the repository root:', '', '```sh', `cutover verify ${shellQuote(run.record.dir)}`);
  for (const a of run.artifacts.filter((x) => x.present && x.manifest)) out.push(sha256sumCommand(run, a));
  out.push('```', '');
  out.push(
    `\`cutover verify\` recomputes every manifest, artifact, root, log digest and the plan and lock digests at \`${code(run.commit.slice(0, 12))}\`; ` +
      '`sha256sum -c` checks an artifact with coreutils alone. Artifacts committed as `manifest` live outside git: ' +
      'run the check where they are stored, or pass `--artifacts DIR` (one folder per artifact name).',
    '',
  );
  return out.join('\n');
}

/** A failed step's last output lines, collapsed: a reviewer opens it to see why without leaving the report. */
function tailBlock(step: RunJsonStep): string[] {
  const lines = step.tail ?? [];
  // A fence longer than any run of backticks in the output, so the output cannot close it.
  const longest = Math.max(0, ...lines.map((l) => Math.max(0, ...(l.match(/`+/g) ?? []).map((m) => m.length))));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  const log = step.log ? ` (the whole log: <code>${html(step.log.path)}</code>)` : '';
  return [
    `<details><summary>Last ${lines.length} line${lines.length === 1 ? '' : 's'} of the output of <code>${html(step.id)}</code>${log}</summary>`,
    '',
    `${fence}text`,
    ...lines,
    fence,
    '',
    '</details>',
    '',
  ];
}

/** The Mermaid gantt chart of the steps that ran (epoch milliseconds in, times of day on the axis). */
function gantt(run: RunJson): string[] {
  const ran = run.steps.filter((s) => s.startedAt !== null && !Number.isNaN(Date.parse(s.startedAt)));
  if (ran.length === 0) return [];
  const lines = [
    'gantt',
    `  title ${mermaidText(`${run.plan.name} ${run.runId}`)}`,
    '  dateFormat x',
    '  axisFormat %H:%M:%S',
    '  todayMarker off',
  ];
  let section = '';
  ran.forEach((step, i) => {
    if (step.phase !== section) {
      section = step.phase;
      lines.push(`  section ${section}`);
    }
    const start = Date.parse(step.startedAt as string);
    const ended = step.endedAt === null ? Number.NaN : Date.parse(step.endedAt);
    // A zero-length bar does not render; one millisecond keeps an instant step visible.
    const end = Math.max(start + 1, Number.isNaN(ended) ? start + step.durationMs : ended);
    const tag = step.outcome === 'success' ? 'done, ' : 'crit, ';
    const label = step.name === step.id ? step.id : `${step.id} ${step.name}`;
    lines.push(`  ${mermaidText(label)} :${tag}s${i + 1}, ${start}, ${end}`);
  });
  return lines;
}

/** The coreutils check of one artifact, run from the repository root. */
function sha256sumCommand(run: RunJson, artifact: RunJsonArtifact): string {
  const manifest = posix.join(run.record.dir, artifact.manifest as string);
  // A folder artifact's entries are relative to the folder; a single file's entry is its base name.
  const folder = artifact.kind === 'file' ? posix.dirname(artifact.path) : artifact.path;
  const depth = folder.split('/').filter((part) => part !== '' && part !== '.').length;
  const back = depth === 0 ? '.' : Array(depth).fill('..').join('/');
  return `(cd ${shellQuote(folder)} && sha256sum -c ${shellQuote(posix.join(back, manifest))})`;
}

// The report must not depend on key order: it is rendered from the document before it is written
// and, by verify, from the canonical JSON read back (keys sorted).
function sortedEntries(record: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(record).sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/** Text safe inside a Mermaid gantt line: letters, digits and a few punctuation marks survive. */
export function mermaidText(text: string): string {
  const safe = text
    .replace(/[^\p{L}\p{N} ._()/-]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return safe === '' ? 'step' : safe.slice(0, 80);
}

/** Which runner ran each part of a spread run, and the bundle the join took from each shard. */
function runnersBlock(d: NonNullable<RunJson['distributed']>): string[] {
  const host = (runner: Record<string, string> | undefined) => (runner?.host ? `\`${code(runner.host)}\`` : '–');
  const out = [
    '## Runners',
    '',
    `Spread over runners at \`${code(d.step)}\`: the coordinator ran on ${host(d.coordinator)} (hand-off \`${d.handoff}\`), the join on this record's runner.`,
    '',
    '| shard | runner | bundle |',
    '|---|---|---|',
  ];
  for (const shard of d.shards)
    out.push(
      `| \`${code(shard.id)}\` | ${host(shard.runner)} | ${shard.bundle ? `\`${shard.bundle}\`` : `none: ${md(shard.problem ?? 'skipped')}`} |`,
    );
  return [...out, ''];
}
