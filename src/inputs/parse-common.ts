/**
 * Helpers shared by the input parsers: size caps, UTF-8 decoding, TOML
 * parsing with one-line errors, header line lookup, file names from URLs.
 * Only {@link readInputText} does I/O.
 */
import { basename } from "node:path";
import { parse as parseToml, TomlError } from "smol-toml";
import type * as z from "zod/mini";
import { PyprovError } from "../errors.js";
import { readInputFile } from "../util/read-input.js";
import { describeZodError, ENGLISH } from "../util/zod.js";

/** Largest input file accepted, in bytes. */
export const MAX_INPUT_BYTES = 10 * 1024 * 1024;

const MAX_TOML_DEPTH = 64;

/** Refuse text whose UTF-8 encoding is larger than {@link MAX_INPUT_BYTES}. */
export function checkTextSize(text: string, file: string): void {
  // A UTF-16 code unit is at most 3 UTF-8 bytes: skip the exact count when it cannot matter.
  if (text.length * 3 <= MAX_INPUT_BYTES) return;
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > MAX_INPUT_BYTES) {
    throw new PyprovError(
      "INPUT_TOO_LARGE",
      `file is ${bytes} bytes, larger than the limit of ${MAX_INPUT_BYTES} bytes`,
      { source: file },
    );
  }
}

/** Read a text file (UTF-8, optional BOM) of at most {@link MAX_INPUT_BYTES}. */
export function readInputText(path: string): string {
  const raw = readInputFile(path, MAX_INPUT_BYTES);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(raw);
  } catch {
    throw new PyprovError("INPUT_MALFORMED", "not valid UTF-8 text", { source: path });
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** An error about one input file, optionally at a line. */
export function malformed(file: string, message: string, line?: number): PyprovError {
  return new PyprovError(
    "INPUT_MALFORMED",
    line === undefined ? message : `line ${line}: ${message}`,
    {
      source: file,
    },
  );
}

/** Parse a TOML document; syntax errors become INPUT_MALFORMED with the line. */
export function parseTomlDocument(text: string, file: string): Record<string, unknown> {
  checkTextSize(text, file);
  try {
    return parseToml(text, { maxDepth: MAX_TOML_DEPTH, unsafeKeyBehaviour: "throw" });
  } catch (err) {
    if (err instanceof TomlError) {
      const first = err.message.split("\n")[0] ?? "";
      const reason = first.replace(/^Invalid TOML document:\s*/, "") || "syntax error";
      throw new PyprovError("INPUT_MALFORMED", `line ${err.line}: invalid TOML: ${reason}`, {
        source: file,
        cause: err,
      });
    }
    const reason = err instanceof Error ? err.message : String(err);
    throw new PyprovError("INPUT_MALFORMED", `invalid TOML: ${reason}`, {
      source: file,
      cause: err,
    });
  }
}

/** Validate with zod; failures become INPUT_MALFORMED naming `what` (and the line). */
export function validate<T extends z.ZodMiniType>(
  schema: T,
  value: unknown,
  file: string,
  what: string,
  line?: number,
): z.output<T> {
  const result = schema.safeParse(value, ENGLISH);
  if (!result.success) throw malformed(file, `${what}: ${describeZodError(result.error)}`, line);
  return result.data;
}

/**
 * The 1-based lines of every `[[key]]` array-of-tables header, in order.
 * Strings (including multi-line ones) and comments are skipped, so text inside
 * them is never taken for a header. Meant for text that already parsed as TOML.
 */
export function arrayTableHeaderLines(text: string, key: string): number[] {
  const header = new RegExp(`[ \\t]*\\[\\[[ \\t]*(?:${key}|"${key}"|'${key}')[ \\t]*\\]\\]`, "y");
  const lines: number[] = [];
  let line = 1;
  let lineStart = true;
  let i = 0;
  const skipTo = (end: number): void => {
    for (let j = i; j < end; j++) if (text.charCodeAt(j) === 0x0a) line++;
    i = end;
  };
  while (i < text.length) {
    if (lineStart) {
      header.lastIndex = i;
      if (header.test(text)) lines.push(line);
      lineStart = false;
    }
    const c = text[i];
    if (c === "\n") {
      line++;
      lineStart = true;
      i++;
    } else if (c === "#") {
      const nl = text.indexOf("\n", i);
      i = nl === -1 ? text.length : nl;
    } else if (text.startsWith('"""', i) || text.startsWith("'''", i)) {
      const quote = text.slice(i, i + 3);
      let j = i + 3;
      for (;;) {
        if (j >= text.length) break;
        if (quote === '"""' && text[j] === "\\") j += 2;
        else if (text.startsWith(quote, j)) {
          j += 3;
          // Up to two more quote characters belong to the string's content.
          for (let k = 0; k < 2 && text[j] === quote[0]; k++) j++;
          break;
        } else j++;
      }
      skipTo(Math.min(j, text.length));
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== c && text[j] !== "\n")
        j += c === '"' && text[j] === "\\" ? 2 : 1;
      i = Math.min(j + 1, text.length);
      if (text[j] === "\n") i = j;
    } else i++;
  }
  return lines;
}

/** The source line of the i-th array-of-tables entry; 1 when the headers could not be matched. */
export function headerLine(lines: readonly number[], count: number, index: number): number {
  return lines.length === count ? (lines[index] ?? 1) : 1;
}

/** The file name in a URL: its last path segment, percent-decoded. Undefined when there is none. */
export function filenameFromUrl(url: string): string | undefined {
  let pathname: string;
  try {
    pathname = new URL(url).pathname;
  } catch {
    return undefined;
  }
  const last = pathname.slice(pathname.lastIndexOf("/") + 1);
  let name: string;
  try {
    name = decodeURIComponent(last);
  } catch {
    return undefined;
  }
  return name === "" || /[/\\]/.test(name) || name === "." || name === ".." ? undefined : name;
}

/** The file name of a local path written in a lock (either separator). */
export function filenameFromPath(path: string): string | undefined {
  const name = basename(path.replace(/\\/g, "/"));
  return name === "" || name === "." || name === ".." ? undefined : name;
}

export const SHA256_HEX = /^[0-9a-fA-F]{64}$/;

/** PEP 508 project name. */
export const PROJECT_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;

/** Append a value unless already present. */
export function pushUnique<T>(list: T[], value: T): void {
  if (!list.includes(value)) list.push(value);
}

/** A date-time from a TOML document (a string, or a TOML datetime literal) as a string. */
export function dateText(value: string | Date): string {
  return typeof value === "string" ? value : value.toISOString();
}
