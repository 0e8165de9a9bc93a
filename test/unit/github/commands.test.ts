// Workflow command escaping, exactly as the Actions runner specifies it.
import { expect, it } from 'vitest';
import { addMaskCommands, annotation, escapeData, escapeProperty, resumeCommands, stopCommands, workflowCommand } from '../../../src/github/commands.js';

it('escapes %, CR and LF in messages, and also : and , in properties', () => {
  expect(escapeData('50% done\r\nnext: a,b')).toBe('50%25 done%0D%0Anext: a,b');
  expect(escapeProperty('C:\\x,y%\n')).toBe('C%3A\\x%2Cy%25%0A');
  expect(annotation('error', 'line1\nline2 100%', { file: 'a:b,c.yaml', line: 3, col: 4, title: 'T,1' })).toBe(
    '::error file=a%3Ab%2Cc.yaml,line=3,col=4,title=T%2C1::line1%0Aline2 100%25\n',
  );
});

it('omits properties that are not set', () => {
  expect(annotation('warning', 'x')).toBe('::warning::x\n');
});

it('escapes every character GitHub names in a message and in every property, and nothing else', () => {
  const nasty = '100% a:b,c\r\nline two\rthree\nfour';
  const line = annotation('error', nasty, { file: nasty, line: 7, col: 9, title: nasty });
  const data = '100%25 a:b,c%0D%0Aline two%0Dthree%0Afour';
  const property = '100%25 a%3Ab%2Cc%0D%0Aline two%0Dthree%0Afour';
  expect(line).toBe(`::error file=${property},line=7,col=9,title=${property}::${data}\n`);
  // One physical line: the runner reads a command per line.
  expect(line.slice(0, -1)).not.toMatch(/[\r\n]/);
  // Escaping `%` first: an already-escaped sequence is not mistaken for one on the way back.
  expect(escapeData('%0A')).toBe('%250A');
  expect(escapeProperty('%3A')).toBe('%253A');
});

it('round-trips through the runner’s unescaping', () => {
  // The runner's order (ActionCommand.UnescapeProperty / UnescapeData): the specific codes, then %25.
  const unescapeData = (s: string) => s.replaceAll('%0D', '\r').replaceAll('%0A', '\n').replaceAll('%25', '%');
  const unescapeProperty = (s: string) => s.replaceAll('%0D', '\r').replaceAll('%0A', '\n').replaceAll('%3A', ':').replaceAll('%2C', ',').replaceAll('%25', '%');
  for (const value of ['plain', '50%', 'a:b,c', 'x\r\ny', '%0A%3A%2C%25', '%%::,,\n\n']) {
    expect(unescapeData(escapeData(value))).toBe(value);
    expect(unescapeProperty(escapeProperty(value))).toBe(value);
  }
});

it('masks each secret value and each of its lines, escaped, skipping values too short to mask', () => {
  expect(addMaskCommands(['s3cr3t-value'])).toBe('::add-mask::s3cr3t-value\n');
  expect(addMaskCommands(['line-one\nline-two'])).toBe('::add-mask::line-one%0Aline-two\n::add-mask::line-one\n::add-mask::line-two\n');
  expect(addMaskCommands(['100%-sure'])).toBe('::add-mask::100%25-sure\n');
  expect(addMaskCommands(['abc', '', 'abcd'])).toBe('::add-mask::abcd\n');
  expect(addMaskCommands(['same-value', 'same-value'])).toBe('::add-mask::same-value\n');
});

it('stops and resumes workflow commands with a token', () => {
  expect(stopCommands('tok-1')).toBe('::stop-commands::tok-1\n');
  expect(resumeCommands('tok-1')).toBe('::tok-1::\n');
});

it('writes a workflow command without properties and with numeric ones', () => {
  expect(workflowCommand('group', {}, 'steps/a:b')).toBe('::group::steps/a:b\n');
  expect(workflowCommand('notice', { line: 3, col: undefined, title: '' }, 'm')).toBe('::notice line=3::m\n');
});
