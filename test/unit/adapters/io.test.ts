// The io's writers have the last word on stdout and stderr: secrets masked, GitHub's lines escaped.
import { describe, expect, it } from 'vitest';
import { memoryIo } from '../../../src/adapters/io.js';
import { annotation } from '../../../src/github/commands.js';

const SECRET = 'Tr0ub"le\\Pa55 w0rd';

describe('protectIo', () => {
  it('masks every write from the moment a secret is added, in every escaped form, on both streams', () => {
    const io = memoryIo();
    io.stdout.write(`before ${SECRET}\n`);
    io.addSecrets([SECRET, '']);
    io.stdout.write(`raw ${SECRET} json ${JSON.stringify(SECRET)}\n`);
    io.stderr.write(`twice ${JSON.stringify(JSON.stringify(SECRET))}\n`);
    io.commands.write(`cmd ${SECRET}\n`);
    expect(io.out()).toBe(`before ${SECRET}\nraw *** json "***"\ncmd ***\n`);
    expect(io.err()).toBe('twice "\\"***\\""\n');
    expect(io.mask(`x ${SECRET} y`)).toBe('x *** y');
  });

  it('keeps a JSON document valid: strings masked, numbers left as they are', () => {
    const io = memoryIo({ format: 'json' });
    io.addSecrets(['1234', SECRET]);
    io.stdout.write(`${JSON.stringify({ bytes: 1234, reason: `pin 1234, ${JSON.stringify(SECRET)}`, [SECRET]: true }, null, 2)}\n`);
    expect(JSON.parse(io.out())).toEqual({ bytes: 1234, reason: 'pin ***, "***"', '***': true });
  });

  it("in GitHub's format escapes plain lines so none is a command, and writes commands as they are", () => {
    const io = memoryIo({ format: 'github' });
    io.commands.write('::add-mask::s3cret-value\n');
    io.addSecrets(['s3cret-value']);
    io.stdout.write('plan: x\n::error::PWNED\n  ::warning::PWNED 100%\nsee ##[error]PWNED\n');
    io.stdout.write('half ');
    io.stdout.write('::error::not at a line start\n');
    io.stdout.write(':');
    io.stdout.write(':error::split across writes\n');
    io.stderr.write('\r::error::PWNED s3cret-value\n');
    io.commands.write(annotation('error', 'line one\n::error::PWNED s3cret-value', { title: 'T' }));
    expect(io.out()).toBe(
      [
        '::add-mask::s3cret-value',
        'plan: x',
        '%3A:error::PWNED',
        '  %3A:warning::PWNED 100%25',
        'see ##%5Berror]PWNED',
        'half ::error::not at a line start',
        ':%3Aerror::split across writes',
        '::error title=T::line one%0A::error::PWNED ***',
        '',
      ].join('\n'),
    );
    expect(io.err()).toBe('%0D::error::PWNED ***\n');
  });

  it('passes text through unchanged outside GitHub and without secrets', () => {
    const io = memoryIo();
    io.stdout.write('::error::x 100%\n');
    expect(io.out()).toBe('::error::x 100%\n');
  });
});
