// Quoting a value for a one-line message: whatever it holds, the message stays one printable line.

// JSON.stringify escapes C0 controls, `"` and `\`; DEL, C1 controls and the Unicode line and
// paragraph separators it leaves raw, and a terminal or a log viewer would act on them.
// eslint-disable-next-line no-control-regex
const UNESCAPED = /[\u007f-\u009f\u2028\u2029]/g;

/** A value as a double-quoted string with every control character and line separator escaped. */
export function quote(value: string): string {
  return JSON.stringify(value).replace(UNESCAPED, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
