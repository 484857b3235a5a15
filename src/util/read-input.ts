/**
 * Reading user-supplied files safely: a size cap, a nesting-depth cap for
 * JSON, and one-line errors that name the file. Nothing here throws anything
 * but a PyprovError.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { PyprovError } from "../errors.js";
import { describeDuplicateKey, findDuplicateKey } from "./json-duplicates.js";

export const DEFAULT_MAX_INPUT_BYTES = 16 * 1024 * 1024;
export const MAX_JSON_DEPTH = 64;

/** Read a whole file, refusing anything larger than maxBytes before reading it. */
export function readInputFile(path: string, maxBytes = DEFAULT_MAX_INPUT_BYTES): Buffer {
  // "-" is standard input (a pipe, a file or a socket), read to its end.
  const stdin = path === "-";
  let fd: number;
  try {
    fd = stdin ? 0 : openSync(path, "r");
  } catch (err) {
    throw new PyprovError("INPUT_UNREADABLE", `cannot read file: ${ioReason(err)}`, {
      source: path,
      cause: err,
    });
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) {
      throw new PyprovError("INPUT_UNREADABLE", "is a directory, not a file", { source: path });
    }
    if (st.size > maxBytes) {
      throw new PyprovError(
        "INPUT_TOO_LARGE",
        `file is ${st.size} bytes, larger than the limit of ${maxBytes} bytes`,
        { source: path },
      );
    }
    // Read in chunks up to the cap: the size reported by stat may be wrong
    // (pipes, /proc files), so the cap is enforced on what is actually read.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1 << 20, maxBytes + 1 - total));
      const n = readChunk(fd, chunk);
      if (n === 0) break;
      total += n;
      if (total > maxBytes) {
        throw new PyprovError(
          "INPUT_TOO_LARGE",
          `file is larger than the limit of ${maxBytes} bytes`,
          { source: path },
        );
      }
      chunks.push(chunk.subarray(0, n));
    }
    return Buffer.concat(chunks, total);
  } catch (err) {
    if (err instanceof PyprovError) throw err;
    throw new PyprovError("INPUT_UNREADABLE", `cannot read file: ${ioReason(err)}`, {
      source: path,
      cause: err,
    });
  } finally {
    if (!stdin) closeSync(fd);
  }
}

/** readSync, waiting out EAGAIN on a non-blocking descriptor (standard input may be one). */
function readChunk(fd: number, chunk: Buffer): number {
  for (;;) {
    try {
      return readSync(fd, chunk, 0, chunk.length, null);
    } catch (err) {
      if (!(err && typeof err === "object" && "code" in err && err.code === "EAGAIN")) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
}

function ioReason(err: unknown): string {
  if (err && typeof err === "object" && "code" in err) {
    const code = String((err as { code: unknown }).code);
    if (code === "ENOENT") return "no such file";
    if (code === "EACCES" || code === "EPERM") return "permission denied";
    if (code === "EISDIR") return "is a directory, not a file";
    return code;
  }
  return err instanceof Error ? err.message : String(err);
}

export interface JsonOptions {
  /** Deepest nesting accepted (default MAX_JSON_DEPTH). */
  maxDepth?: number;
  /** Refuse duplicate keys (JSON a person writes: policies, trusted roots). */
  uniqueKeys?: boolean;
}

/**
 * Parse JSON text from an untrusted source. Refuses nesting deeper than
 * maxDepth before handing the text to JSON.parse (which is recursive), and
 * turns every failure into a one-line INPUT_MALFORMED error.
 */
export function parseJsonText(text: string, source: string, opts: JsonOptions = {}): unknown {
  const maxDepth = opts.maxDepth ?? MAX_JSON_DEPTH;
  const depth = jsonNestingDepth(text, maxDepth);
  if (depth > maxDepth) {
    throw new PyprovError("INPUT_MALFORMED", `JSON nested deeper than ${maxDepth} levels`, {
      source,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new PyprovError("INPUT_MALFORMED", `not valid JSON: ${msg}`, { source });
  }
  const duplicate = opts.uniqueKeys ? findDuplicateKey(text) : undefined;
  if (duplicate) {
    throw new PyprovError("INPUT_MALFORMED", describeDuplicateKey(duplicate), { source });
  }
  return value;
}

/**
 * Maximum bracket depth outside strings, stopping early once it exceeds limit.
 * Strings are skipped with indexOf (most of an attestation is long base64
 * strings): a quote ends a string unless an odd number of backslashes stands
 * before it.
 */
export function jsonNestingDepth(text: string, limit = Infinity): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      for (;;) {
        i = text.indexOf('"', i + 1);
        if (i < 0) return max; // unterminated: JSON.parse says so
        let backslashes = 0;
        while (i - backslashes - 1 > start && text.charCodeAt(i - backslashes - 1) === 0x5c) {
          backslashes++;
        }
        if (backslashes % 2 === 0) break;
      }
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth--;
  }
  return max;
}

/** Read and parse a JSON file with all the limits above. */
export function readJsonFile(
  path: string,
  maxBytes = DEFAULT_MAX_INPUT_BYTES,
): { raw: Buffer; value: unknown } {
  const raw = readInputFile(path, maxBytes);
  return { raw, value: parseJsonBytes(raw, path) };
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

export function parseJsonBytes(raw: Buffer, source: string, opts: JsonOptions = {}): unknown {
  let text: string;
  try {
    text = strictUtf8.decode(raw);
  } catch {
    throw new PyprovError("INPUT_MALFORMED", "not valid UTF-8 text", { source });
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return parseJsonText(text, source, opts);
}
