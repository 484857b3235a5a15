/**
 * Stored verdicts parsed with zod on the way in (from the server) and out
 * (from the database): a verdict read back is input from outside this
 * process, and a store holding one this build cannot read fails closed
 * (STATE_SCHEMA), never as a pass.
 */
import * as z from "zod/mini";
import { PyprovError } from "../errors.js";
import { describeZodError, ENGLISH } from "../util/zod.js";
import type { StoredVerdict, VerdictKey } from "./types.js";

const StoredVerdictSchema = z.object({
  outcome: z.enum(["pass", "fail", "unattested"]),
  reasons: z.array(z.string()),
  report: z.unknown(),
  decidedAt: z.iso.datetime({ offset: true }),
  node: z.string().check(z.maxLength(255)),
});

const hexOrAbsent = z.string().check(z.regex(/^(?:[0-9a-f]{64}|absent)$/));
const VerdictKeySchema = z.object({
  file: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
  provenance: hexOrAbsent,
  policy: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
  trustRoot: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
});

export function parseStoredVerdict(
  value: unknown,
  where: string,
  code: "INTERNAL" | "STATE_SCHEMA" = "STATE_SCHEMA",
): StoredVerdict {
  const parsed = z.safeParse(StoredVerdictSchema, value, ENGLISH);
  if (!parsed.success) {
    throw new PyprovError(code, `not a stored verdict ${describeZodError(parsed.error)}`, {
      source: where,
    });
  }
  const v = parsed.data;
  return {
    outcome: v.outcome,
    reasons: [...v.reasons],
    report: v.report,
    decidedAt: new Date(v.decidedAt).toISOString(),
    node: v.node,
  };
}

/** A key from a caller: lower-case hex digests (provenance may be "absent"). */
export function checkVerdictKey(key: VerdictKey): VerdictKey {
  const parsed = z.safeParse(VerdictKeySchema, key, ENGLISH);
  if (!parsed.success) {
    throw new PyprovError("INTERNAL", `not a verdict key ${describeZodError(parsed.error)}`);
  }
  return parsed.data;
}
