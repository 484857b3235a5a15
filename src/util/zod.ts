import * as z from "zod/mini";
import en from "zod/v4/locales/en.js";

/**
 * Parse options giving English issue messages: pass to every `safeParse` /
 * `parse` (`Schema.safeParse(value, ENGLISH)`). zod/mini, unlike classic zod,
 * registers no locale, so without it every issue reads "Invalid input".
 * pyprov does not call `z.config()`: that would change zod's messages for
 * everything else in the process that uses zod (test/util/zod.test.ts checks
 * both).
 */
export const ENGLISH: z.core.ParseContext<z.core.$ZodIssue> = Object.freeze({
  error: en().localeError,
});

/** `schema` with a `description` for the JSON Schema generated from it (classic zod's `.describe()`). */
export const described = <T extends z.ZodMiniType>(schema: T, description: string): T =>
  schema.check(z.describe(description));

/** Render a JSON path the way a person reads it: `a.b[0].c`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out === "" ? String(p) : `.${String(p)}`;
  }
  return out || "(top level)";
}

/** The first zod issue, as one line: `at <path>: <message>`. */
export function describeZodError(err: z.core.$ZodError): string {
  const issue = err.issues[0];
  if (!issue) return "invalid";
  let message = issue.message;
  if (issue.code === "unrecognized_keys") {
    message = `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
  }
  return `at ${formatPath(issue.path)}: ${message}`;
}
