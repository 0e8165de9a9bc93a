// The process's stdout and stderr as sinks a failing channel never stops: a reader that went away
// (`| head`), a terminal that hung up, a stream that failed otherwise.
import { closeSync, fstatSync, openSync } from 'node:fs';
import { isatty } from 'node:tty';
import type { Sink } from './io.js';

/** The streams a process writes to, as Node gives them (a pipe, a file, a terminal). */
export interface ProcessStreams {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

const guarded = new WeakMap<NodeJS.WritableStream, Sink>();

/**
 * Sinks over a process's stdout and stderr: once a channel fails (`EPIPE` after `| head`, `EIO` from
 * a terminal that hung up), what is written there is dropped and one line on the other channel says
 * so; the command, and a run's finally steps and record, carry on. The error handlers go on the
 * streams themselves, so a library writing to them directly (listr2, commander) is covered too.
 */
export function guardStreams(streams: ProcessStreams): { stdout: Sink; stderr: Sink } {
  const terminals = stdioTerminals();
  const stderr = guardStream(streams.stderr, 'stderr', terminals, () => undefined);
  const stdout = guardStream(streams.stdout, 'stdout', terminals, () => stderr);
  return { stdout, stderr };
}

function guardStream(stream: NodeJS.WritableStream, name: string, terminals: Terminal[], other: () => Sink | undefined): Sink {
  const known = guarded.get(stream);
  if (known) return known;
  let broken = false;
  const fail = (error: unknown) => {
    if (broken) return;
    broken = true;
    const fd = (stream as { fd?: number }).fd;
    const terminal = terminals.find((t) => t.fd === fd);
    if (terminal) detachTerminal(terminals.filter((t) => t.rdev === terminal.rdev));
    const code = (error as NodeJS.ErrnoException | undefined)?.code ?? String(error);
    other()?.write(`cutover: ${name} is closed (${code}); carrying on without printing there\n`);
  };
  // Without a listener, an 'error' ends the process with a stack trace, skipping finally steps and the record.
  stream.on('error', fail);
  const sink: Sink = {
    write(chunk: string) {
      if (broken || (stream as { destroyed?: boolean }).destroyed === true) return false;
      try {
        return stream.write(chunk);
      } catch (error) {
        fail(error);
        return false;
      }
    },
  };
  guarded.set(stream, sink);
  return sink;
}

interface Terminal {
  fd: number;
  rdev: number;
}

// Which of fds 0–2 are terminals, asked at start: a terminal that hung up no longer says it is one.
function stdioTerminals(): Terminal[] {
  return [0, 1, 2].filter((fd) => isatty(fd)).map((fd) => ({ fd, rdev: fstatSync(fd).rdev }));
}

// As it exits, Node restores the settings of every terminal among fds 0–2 and aborts (exit 134) when
// that terminal is gone. Pointing those fds at /dev/null (the lowest free fd is the one just closed)
// makes Node skip them, so the exit code stays the command's.
function detachTerminal(terminals: Terminal[]): void {
  for (const { fd } of terminals) {
    try {
      closeSync(fd);
      const reopened = openSync('/dev/null', 'r+');
      if (reopened !== fd) closeSync(reopened);
    } catch {
      // Best effort: the worst case is Node's abort at exit, after the run and its record are done.
    }
  }
}
