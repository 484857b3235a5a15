/** Shared helpers for the input-parser tests. */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { PyprovError } from "../../src/errors.js";
import type { ErrorCode } from "../../src/errors.js";

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "inputs");

/** The fixtures' digests are sha256 (or sha512) of the file name they stand for. */
export function h(name: string): string {
  return createHash("sha256").update(name).digest("hex");
}
export function h512(name: string): string {
  return createHash("sha512").update(name).digest("hex");
}

/** Run fn, which must throw a PyprovError with this code and source; return its message. */
export function expectPyprovError(
  fn: () => unknown,
  code: ErrorCode,
  source: string,
  message?: RegExp,
): string {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(PyprovError);
  if (!(caught instanceof PyprovError)) throw new Error("unreachable");
  expect({ code: caught.code, source: caught.source }).toStrictEqual({ code, source });
  if (message) expect(caught.message).toMatch(message);
  return caught.message;
}

/** A temporary directory with the given files; a file given as a number is sparse of that size. */
export function withTempFiles<T>(
  files: Record<string, string | number | Buffer>,
  fn: (dir: string) => T,
): T {
  const dir = mkdtempSync(join(tmpdir(), "pyprov-inputs-"));
  try {
    for (const [name, content] of Object.entries(files)) {
      const path = join(dir, name);
      if (typeof content === "number") {
        writeFileSync(path, "");
        truncateSync(path, content);
      } else writeFileSync(path, content);
    }
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Text just over the 10 MiB input cap. */
export function oversizedText(): string {
  return "#".repeat(10 * 1024 * 1024 + 1);
}
