// report.md: headline, tables, the Mermaid gantt timeline, roots and the exact verify commands.
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../src/text/json.js';
import { buildReport, mermaidText } from '../../../src/record/report.js';
import { shellQuote } from '../../../src/text/argv.js';
import { formatDuration } from '../../../src/text/duration.js';
import { buildRunJson } from '../../../src/record/run-record.js';
import { ran, runResult } from './fixture.js';

const report = (overrides: Parameters<typeof runResult>[0] = {}) => buildReport(buildRunJson(runResult(overrides)));

/** The lines of the first ```mermaid block. */
function mermaid(text: string): string[] {
  const lines = text.split('\n');
  const start = lines.indexOf('```mermaid');
  return lines.slice(start + 1, lines.indexOf('```', start + 1));
}

describe('buildReport', () => {
  it('opens with the outcome and names plan, run id and commit', () => {
    const text = report({ outcome: 'failure', exitCode: 1 });
    expect(text.split('\n')[0]).toBe('# station-56 · run-1 ❌ failed');
    expect(text).toContain('**Outcome: failure** (exit 1)');
    expect(text).toContain('`plans/station-56.yaml`');
    expect(text).toContain(`| Commit | \`${'a'.repeat(40)}\` on \`main\` |`);
    expect(text).toContain('| `paused_at` | 2026-11-22T01:00:03.000Z |');
  });

  it('heads a drill, an abandoned run and a rehearsal as what they are', () => {
    const drill = report({
      outcome: 'failure',
      exitCode: 1,
      drill: 'migrate',
      steps: [ran('steps', 'migrate', 0, 10, { outcome: 'failure', drill: true })],
    });
    expect(drill.split('\n')[0]).toBe('# station-56 · run-1 🧯 drill');
    expect(report({ outcome: 'abandoned', exitCode: 1 }).split('\n')[0]).toBe('# station-56 · run-1 🛑 abandoned');
    const rehearsal = report({ rehearsal: true });
    expect(rehearsal.split('\n')[0]).toBe('# station-56 · run-1 🧪 rehearsal · ✅ succeeded');
    expect(rehearsal).toContain('`cutover verify` refuses it');
    expect(rehearsal).not.toContain('## Verify');
  });

  it('has a step table with phase, id, outcome, attempts, exit code and duration', () => {
    const text = report();
    expect(text).toContain('| phase | id | outcome | attempts | exit | duration |');
    expect(text).toContain('| steps | `migrate` | ✅ success | 1 | 0 | 1.8 s |');
    expect(text).toContain('| rollback | `repoint` | ⏭️ skipped | 0 | – | – |');
  });

  it('draws the steps that ran as a Mermaid gantt chart in epoch milliseconds', () => {
    const chart = mermaid(report());
    expect(chart.slice(0, 5)).toEqual([
      'gantt',
      '  title station-56 run-1',
      '  dateFormat x',
      '  axisFormat %H:%M:%S',
      '  todayMarker off',
    ]);
    const start = Date.parse('2026-11-22T01:00:01.200Z');
    expect(chart).toContain(`  migrate :done, s3, ${start}, ${start + 1800}`);
    expect(chart).toContain('  section finally');
    expect(chart.join('\n')).not.toContain('repoint'); // never ran
    // An instant step still gets a bar of one millisecond.
    const t0 = Date.parse('2026-11-22T01:00:00.000Z');
    expect(chart).toContain(`  no-stale :done, s1, ${t0}, ${t0 + 10}`);
  });

  it('marks failed steps crit and keeps hostile step names from breaking the chart or the table', () => {
    const name = 'evil: name; #x %%{init} `tick` | pipe\nnext <b>';
    const text = report({ steps: [ran('steps', 'dry-run', 0, 50, { name, outcome: 'failure', exitCode: 3, reason: 'bad | thing `x`' })] });
    const task = mermaid(text).find((l) => l.includes(':crit'));
    expect(task).toMatch(/^ {2}dry-run evil name x init tick pipe next b :crit, s1, \d+, \d+$/);
    expect(text).toContain('- `dry-run`: bad \\| thing \\`x\\`');
    expect(text).not.toContain('<b>');
  });

  it('lists artifacts with roots and per-folder roots, the run root, and the verify commands', () => {
    const run = buildRunJson(runResult());
    const text = buildReport(run);
    const candidate = run.artifacts[0]!;
    expect(text).toContain(`| \`candidate\` | \`storage_candidate/v1\` | manifest | 4 | `);
    expect(text).toContain(`\`${candidate.root}\``);
    expect(text).toContain(`| \`kurse\` | \`${candidate.children?.kurse}\` |`);
    expect(text).toContain(`**Run root:** \`${run.runRoot}\``);
    expect(text).toContain('cutover verify reports/station-56/run-1\n');
    expect(text).toContain('(cd storage_candidate/v1 && sha256sum -c ../../reports/station-56/run-1/manifests/candidate.sha256)');
    // A single-file artifact is checked from its folder: its manifest names its base name.
    expect(text).toContain('(cd reports && sha256sum -c ../reports/station-56/run-1/manifests/summary.sha256)');
  });

  it('renders the same bytes for the same document, also read back from canonical JSON', () => {
    expect(report()).toBe(report());
    const run = buildRunJson(
      runResult({
        boundaries: { verified: '2026-11-22T01:00:02.000Z', paused: '2026-11-22T01:00:01.000Z', switched: '2026-11-22T01:00:03.000Z' },
        runner: { host: 'h', githubActor: 'a' },
      }),
    );
    const text = buildReport(run);
    expect(buildReport(JSON.parse(canonicalJson(run)) as typeof run)).toBe(text);
    expect(text.indexOf('`paused_at`')).toBeLessThan(text.indexOf('`verified_at`'));
    expect(text.indexOf('`verified_at`')).toBeLessThan(text.indexOf('`switched_at`'));
  });
});

describe('report helpers', () => {
  it('keeps letters, digits and a few marks in Mermaid text', () => {
    expect(mermaidText('Migrate: kurse → ünï (2/3)')).toBe('Migrate kurse ünï (2/3)');
    expect(mermaidText(':;#')).toBe('step');
  });

  it('quotes shell words only when needed', () => {
    expect(shellQuote('reports/a-b/run_1')).toBe('reports/a-b/run_1');
    expect(shellQuote("it's here")).toBe(`'it'\\''s here'`);
  });

  it('formats durations for people', () => {
    expect([formatDuration(15), formatDuration(1500), formatDuration(184_000), formatDuration(3_720_000)]).toEqual([
      '15 ms',
      '1.5 s',
      '3m 04s',
      '1h 02m',
    ]);
  });

  it("shows a failed step's tail in a collapsed block, fenced longer than any backticks in it", () => {
    const failed = ran('steps', 'migrate', 1200, 3000, {
      outcome: 'failure',
      exitCode: 1,
      reason: 'exit code 1, expected 0',
      tail: ['a ``` b', 'last'],
    });
    const text = report({ outcome: 'failure', exitCode: 1, steps: [ran('steps', 'dry-run', 10, 1200), failed] });
    expect(text).toContain(
      '<details><summary>Last 2 lines of the output of <code>migrate</code> (the whole log: <code>logs/steps-02-migrate.log</code>)</summary>\n\n````text\na ``` b\nlast\n````\n\n</details>',
    );
    expect(report()).not.toContain('<details><summary>Last');
  });
});
