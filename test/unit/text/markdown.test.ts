// The one Markdown escaper: prose shows as written, code spans cannot be closed early or split a table.
import { describe, expect, it } from 'vitest';
import { codeBlock, codeFence, escapeHtml, escapeMarkdown, inlineCode, needsCodeBlock } from '../../../src/text/markdown.js';

describe('markdown', () => {
  it('escapes everything Markdown would act on in prose, on one line', () => {
    expect(escapeMarkdown('a *b* _c_ [d](e) `f` #g | h ~i~ > j <script>\\\nk')).toBe(
      'a \\*b\\* \\_c\\_ \\[d\\]\\(e\\) \\`f\\` \\#g \\| h \\~i\\~ \\> j &lt;script\\>\\\\ k',
    );
  });

  it('keeps a code span whole: backticks and pipes replaced, line breaks joined', () => {
    expect(inlineCode('a`b|c\nd')).toBe("`a'b¦c d`");
    expect(needsCodeBlock('node x.js --to v2')).toBe(false);
    expect(needsCodeBlock('echo a|b')).toBe(true);
  });

  it('fences a block longer than any backtick run inside it', () => {
    expect(codeFence('plain')).toBe('```');
    expect(codeFence('a ```` b')).toBe('`````');
    expect(codeBlock('echo "a|b"\n', 'sh')).toBe('```sh\necho "a|b"\n```\n');
    expect(escapeHtml('<a href="x">&</a>')).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;');
  });
});
