/**
 * Text that came from outside (file names, file contents in parser messages,
 * certificate claims) is never written to a terminal raw: control characters,
 * line and paragraph separators and bidirectional overrides are escaped, so a
 * hostile input cannot inject terminal escape sequences or forge extra
 * output lines.
 */
// C0 controls, DEL, C1 controls, line/paragraph separators, bidi controls, BOM.
const UNSAFE =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

export function safeText(s: string): string {
  return s.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/** One line: runs of whitespace collapsed, then anything unsafe escaped. */
export function oneLine(s: string): string {
  return safeText(s.replace(/[\t\n\r ]+/g, " ").trim());
}
