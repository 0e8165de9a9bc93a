// Workflow command escaping, exactly as the Actions runner specifies it.
import { expect, it } from 'vitest';
import { annotation, escapeData, escapeProperty } from '../../../src/effects/github.js';

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
