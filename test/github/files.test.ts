// GitHub's environment files: outputs in the multi-line delimiter form, the step summary under its 1 MiB limit.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { appendStepSummary, fitSummary, formatOutputs, setOutputs, SUMMARY_LIMIT } from '../../src/github/files.js';
import { createMasker } from '../../src/text/mask.js';
import { tempDir } from '../helpers/git-repo.js';

/**
 * GITHUB_OUTPUT as the runner reads it (FileCommandManager): lines end at LF, a CR right before the
 * LF is dropped; `name=value` on one line, or `name<<DELIMITER`, the value's lines, and a line that
 * is exactly DELIMITER, the value being those lines joined with LF.
 */
function parseOutputFile(text: string): Record<string, string> {
  const lines = text.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  if (lines.at(-1) === '') lines.pop();
  const outputs: Record<string, string> = {};
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const heredoc = line.indexOf('<<');
    const equals = line.indexOf('=');
    if (heredoc > 0 && (equals < 0 || heredoc < equals)) {
      const name = line.slice(0, heredoc);
      const delimiter = line.slice(heredoc + 2);
      if (delimiter === '') throw new Error(`empty delimiter for ${name}`);
      const value: string[] = [];
      for (i++; ; i++) {
        if (i >= lines.length) throw new Error(`matching delimiter not found for ${name}`);
        if (lines[i] === delimiter) break;
        value.push(lines[i]!);
      }
      outputs[name] = value.join('\n');
    } else if (equals > 0) {
      outputs[line.slice(0, equals)] = line.slice(equals + 1);
    } else {
      throw new Error(`invalid line ${JSON.stringify(line)}`);
    }
  }
  return outputs;
}

describe('GITHUB_OUTPUT', () => {
  it('round-trips multi-line and awkward values through the runner’s format', () => {
    const outputs = {
      outcome: 'success',
      record: 'reports/station-56/gh-1-1',
      multi: 'first line\nsecond line\n\nfourth, after an empty one',
      trailing: 'ends with a newline\n',
      leading: '\nstarts with one',
      empty: '',
      'looks-like-more': 'x<<EOF\nname=value\nEOF\nother<<ghadelimiter_x',
      unicode: 'Zürich ✓ 𝄞',
    };
    const text = formatOutputs(outputs);
    expect(parseOutputFile(text)).toEqual(outputs);
  });

  it('round-trips any value without CR (the runner turns CRLF into LF), whatever the delimiter generator returns', () => {
    const value = fc.stringMatching(/^[^\r]*$/u);
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_-]{0,12}$/), value), (outputs) => {
        expect(parseOutputFile(formatOutputs(outputs))).toEqual(outputs);
      }),
      { numRuns: 300 },
    );
  });

  it('never uses a delimiter the value contains, so a value cannot end itself early and forge an output', () => {
    const attack = 'innocent\nEOF\noutcome<<X\nsuccess\nX';
    const offered = ['EOF', 'X', 'safe-delimiter'];
    const text = formatOutputs({ note: attack, outcome: 'failure' }, () => offered.shift() ?? 'fallback');
    expect(text.startsWith('note<<safe-delimiter\n')).toBe(true);
    expect(parseOutputFile(text)).toEqual({ note: attack, outcome: 'failure' });
  });

  it('picks a fresh random delimiter for every output', () => {
    const text = formatOutputs({ a: '1', b: '2' });
    const delimiters = [...text.matchAll(/^[ab]<<(.+)$/gm)].map((m) => m[1]);
    expect(delimiters).toHaveLength(2);
    expect(delimiters[0]).not.toBe(delimiters[1]);
    expect(delimiters[0]).toMatch(/^ghadelimiter_[0-9a-f-]{36}$/);
  });

  it('refuses an output name the runner would misread', () => {
    expect(() => formatOutputs({ 'a=b': 'x' })).toThrow(/invalid output name/);
    expect(() => formatOutputs({ 'a<<b': 'x' })).toThrow(/invalid output name/);
  });

  it('appends to the file the runner named, and does nothing without one', async () => {
    const file = join(tempDir(), 'output');
    writeFileSync(file, 'earlier=kept\n');
    await setOutputs({ GITHUB_OUTPUT: file }, { outcome: 'refused', record: 'a\nb' }, (t) => t);
    expect(parseOutputFile(readFileSync(file, 'utf8'))).toEqual({ earlier: 'kept', outcome: 'refused', record: 'a\nb' });
    await expect(setOutputs({}, { outcome: 'x' }, (t) => t)).resolves.toBeUndefined();
  });

  it('masks each value as written, leaving names and delimiters whole', async () => {
    const file = join(tempDir(), 'output');
    const secret = 'Tr0ub"le\\Pa55 w0rd';
    const { mask } = createMasker([secret]);
    await setOutputs({ GITHUB_OUTPUT: file }, { record: `reports/${secret}`, note: `a\n${JSON.stringify(secret)}` }, mask);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('Tr0ub');
    expect(parseOutputFile(text)).toEqual({ record: 'reports/***', note: 'a\n"***"' });
  });
});

describe('GITHUB_STEP_SUMMARY', () => {
  it('keeps a summary that fits as it is', () => {
    expect(fitSummary('# title\n\nbody', 1000, 'cut')).toBe('# title\n\nbody\n');
  });

  it('cuts a summary over the limit at a line end, closes an open code block and says it was cut', () => {
    const lines = ['# report', '', '```mermaid', ...Array.from({ length: 60_000 }, (_, i) => `  step ${i} ✓ Zürich :done, s${i}, 1, 2`)];
    const markdown = `${lines.join('\n')}\n\`\`\`\n`;
    expect(Buffer.byteLength(markdown)).toBeGreaterThan(SUMMARY_LIMIT);
    const fitted = fitSummary(markdown, SUMMARY_LIMIT, 'the whole report is in reports/x/report.md');
    expect(Buffer.byteLength(fitted)).toBeLessThan(SUMMARY_LIMIT);
    expect(Buffer.byteLength(fitted)).toBeGreaterThan(SUMMARY_LIMIT - 200);
    expect(fitted).toMatch(/\n```\n\n> \*\*Truncated:\*\* the whole report is in reports\/x\/report\.md\n$/);
    // Every line kept is whole (no half line, no broken character).
    const kept = fitted.slice(0, fitted.indexOf('\n```\n\n> **Truncated'));
    for (const line of kept.split('\n').slice(3)) expect(line).toMatch(/^ {2}step \d+ ✓ Zürich :done, s\d+, 1, 2$/);
    expect(Buffer.from(fitted, 'utf8').toString('utf8')).toBe(fitted);
  });

  it('cuts between characters, never inside one, when multi-byte text meets the limit', () => {
    const line = '𝄞'.repeat(10); // 40 bytes a line, 4 bytes a character
    const markdown = Array.from({ length: 100 }, () => line).join('\n');
    for (let budget = 150; budget < 400; budget += 7) {
      const fitted = fitSummary(markdown, budget, 'cut');
      expect(Buffer.byteLength(fitted)).toBeLessThan(budget);
      expect(fitted).not.toContain('\uFFFD');
      expect(
        fitted
          .split('\n')
          .filter((l) => l.startsWith('𝄞'))
          .every((l) => l === line),
      ).toBe(true);
    }
    expect(fitSummary(markdown, 10, 'a note far longer than the ten bytes left')).toBe('');
  });

  it('appends under what is left of 1 MiB when the step already wrote to the summary', async () => {
    const file = join(tempDir(), 'summary.md');
    writeFileSync(file, `${'x'.repeat(SUMMARY_LIMIT - 5000)}\n`);
    await appendStepSummary({ GITHUB_STEP_SUMMARY: file }, `${'line of the report\n'.repeat(1000)}`, 'see the record', (t) => t);
    const size = statSync(file).size;
    expect(size).toBeLessThanOrEqual(SUMMARY_LIMIT);
    expect(readFileSync(file, 'utf8')).toMatch(/> \*\*Truncated:\*\* see the record\n$/);
    // Full: nothing more is written, not even a note.
    writeFileSync(file, 'x'.repeat(SUMMARY_LIMIT));
    await appendStepSummary({ GITHUB_STEP_SUMMARY: file }, 'more', 'note', (t) => t);
    expect(statSync(file).size).toBe(SUMMARY_LIMIT);
  });

  it('masks the summary and its note as written, in Markdown-escaped form too', async () => {
    const file = join(tempDir(), 'summary.md');
    const secret = 'Tr0ub"le\\Pa55_w0rd';
    const { mask } = createMasker([secret]);
    const markdown = `- raw ${secret}\n- escaped ${secret.replaceAll('\\', '\\\\').replaceAll('_', '\\_')}\n- code \`${secret}\`\n`;
    await appendStepSummary({ GITHUB_STEP_SUMMARY: file }, markdown, `note ${secret}`, mask);
    expect(readFileSync(file, 'utf8')).toBe('- raw ***\n- escaped ***\n- code `***`\n');
  });
});
