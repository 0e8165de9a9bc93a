// guardStreams: a channel that fails is dropped with one notice on the other; nothing throws or crashes.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { guardStreams } from '../../../src/adapters/streams.js';

/** A writable that keeps what it gets and, once told to, fails every write with `code`. */
function channel(code?: string) {
  const got: string[] = [];
  let failing = false;
  const stream = new Writable({
    write(chunk, _encoding, done) {
      if (failing) return done(Object.assign(new Error(`write ${code}`), { code }));
      got.push(String(chunk));
      done();
    },
  });
  return { stream, got, fail: () => (failing = true) };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('guardStreams', () => {
  it('drops what is written after stdout failed (EPIPE), says so once on stderr, and never throws', async () => {
    const out = channel('EPIPE');
    const err = channel();
    const { stdout, stderr } = guardStreams({ stdout: out.stream, stderr: err.stream });
    stdout.write('before\n');
    out.fail();
    stdout.write('lost 1\n');
    await settle();
    expect(() => stdout.write('lost 2\n')).not.toThrow();
    // A library writing to the stream itself (listr2, commander) meets the same handler.
    out.stream.write('direct\n');
    await settle();
    stderr.write('still here\n');
    expect(out.got).toEqual(['before\n']);
    expect(err.got).toEqual(['cutover: stdout is closed (EPIPE); carrying on without printing there\n', 'still here\n']);
  });

  it('a failed stderr is dropped silently (there is no other channel to tell)', async () => {
    const out = channel();
    const err = channel('EPIPE');
    const { stdout, stderr } = guardStreams({ stdout: out.stream, stderr: err.stream });
    err.fail();
    stderr.write('lost\n');
    await settle();
    stdout.write('fine\n');
    expect(out.got).toEqual(['fine\n']);
  });

  it('a stream that throws on write is treated as failed', () => {
    const err = channel();
    const throwing = new Writable({ write: () => undefined });
    throwing.write = () => {
      throw Object.assign(new Error('bad fd'), { code: 'EBADF' });
    };
    const { stdout } = guardStreams({ stdout: throwing, stderr: err.stream });
    expect(() => stdout.write('x')).not.toThrow();
    expect(err.got).toEqual(['cutover: stdout is closed (EBADF); carrying on without printing there\n']);
  });

  it('guards a stream once: a second call returns the same sinks and adds no listener', () => {
    const out = channel();
    const err = channel();
    const first = guardStreams({ stdout: out.stream, stderr: err.stream });
    const listeners = out.stream.listenerCount('error');
    const second = guardStreams({ stdout: out.stream, stderr: err.stream });
    expect(second.stdout).toBe(first.stdout);
    expect(out.stream.listenerCount('error')).toBe(listeners);
  });
});
