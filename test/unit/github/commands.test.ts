// Workflow commands, escaped exactly as the Actions runner reads them back.
import { expect, it } from 'vitest';
import { addMaskCommands, annotation, resumeCommands, stopCommands, workflowCommand } from '../../../src/github/commands.js';
import { secretVariants } from '../../../src/text/secret-variants.js';

it('escapes %, CR and LF in messages, and also : and , in properties', () => {
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
});

it('registers every form the maskers look for, escaped, skipping values too short to mask', () => {
  expect(addMaskCommands(['s3cr3t-value'])).toBe('::add-mask::s3cr3t-value\n');
  const multi = addMaskCommands(['line-one\nline-two']).split('\n').filter(Boolean);
  expect(multi).toEqual(
    secretVariants(['line-one\nline-two']).map((v) => `::add-mask::${v.replaceAll('%', '%25').replaceAll('\n', '%0A')}`),
  );
  // The value, each line, the value as one line, and its JSON-escaped forms are all registered.
  expect(multi).toEqual(
    expect.arrayContaining([
      '::add-mask::line-one%0Aline-two',
      '::add-mask::line-one',
      '::add-mask::line-two',
      '::add-mask::line-one line-two',
      '::add-mask::line-one\\nline-two',
    ]),
  );
  expect(addMaskCommands(['100%-sure'])).toContain('::add-mask::100%25-sure\n');
  expect(addMaskCommands(['100%-sure'])).toContain('::add-mask::100%2525-sure\n'); // its escaped form, for an annotation quoting it
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
