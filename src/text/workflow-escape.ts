// The escapes of GitHub's workflow-command protocol, and plain log text that can never be read as a command.
//
// The runner reads its steps' stdout and stderr line by line (a line ends at LF, CR or CRLF). A line
// is a command when, after leading white space, it starts `::name` with a known name and has a
// second `::` (`::error file=a.yaml::message`), or when it holds `##[name]` anywhere (the older
// syntax, still parsed). In a command the runner unescapes `%0D`, `%0A` and `%25` in the message,
// and also `%3A` and `%2C` in property values; @actions/core escapes the same characters.

/** Escapes a workflow command's message: `%`, CR and LF (as @actions/core's escapeData). */
export function escapeData(value: string): string {
  return value.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
}

/** Escapes a workflow command's property value: also `:` and `,` (as @actions/core's escapeProperty). */
export function escapeProperty(value: string): string {
  return escapeData(value).replaceAll(':', '%3A').replaceAll(',', '%2C');
}

/** What the text written so far left on its open line, as much as the next write needs to know. */
export interface LineState {
  /** The line so far while it is white space and at most one `:` (the runner trims that white space); null after anything else. */
  lead: string | null;
  /** Its last two characters (the start of a `##[` the next write could finish). */
  tail: string;
}

/** The state at the start of a line. */
export const LINE_START: LineState = { lead: '', tail: '' };

// White space as the runner's .NET TrimStart sees it: JavaScript's \s and U+0085.
const LEADING_PAIR = /^[\s\u0085]*(:):/;
const LEAD = /^[\s\u0085]*:?$/;

/**
 * Plain text (messages, file names, a plan's description, any number of lines) for a log the
 * runner reads, continuing a line in `state`. Each line is escaped as a command's message is, so a
 * CR cannot end it early; then the `[` of every `##[` and one `:` of a leading `::` are escaped as
 * `%5B` and `%3A`, so that no line is ever a command, however the text is split across writes.
 * Returns the text to write and the state it leaves.
 */
export function escapeLogText(text: string, state: LineState = LINE_START): { text: string; state: LineState } {
  let before = state;
  const lines = text.split('\n').map((line, i) => {
    if (i > 0) before = LINE_START;
    const escaped = escapeLine(escapeData(line), before);
    const joined = (before.lead ?? '') + escaped;
    before = { lead: before.lead !== null && LEAD.test(joined) ? joined : null, tail: (before.tail + escaped).slice(-2) };
    return escaped;
  });
  return { text: lines.join('\n'), state: before };
}

/** One line's escaped text, defused given what came before it on its line. */
function escapeLine(escaped: string, before: LineState): string {
  // Only the `[` is replaced, which lies past the two characters carried over.
  let out = `${before.tail}${escaped}`.replaceAll('##[', '##%5B').slice(before.tail.length);
  if (before.lead !== null) {
    const lead = before.lead;
    const pair = LEADING_PAIR.exec(lead + out);
    if (pair) {
      // Escape the first colon of the pair that this write holds (the one before may be written already).
      const at = pair[0].length - 2 >= lead.length ? pair[0].length - 2 : pair[0].length - 1;
      out = `${out.slice(0, at - lead.length)}%3A${out.slice(at - lead.length + 1)}`;
    }
  }
  return out;
}
