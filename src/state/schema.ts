/**
 * The decision log's rows described with zod: every row is parsed with it
 * when it enters the store (from the server), when it is read back (from the
 * database or the local journal: both are input from outside this process),
 * and the JSON Schema of `pyprov decisions --format json` is generated from
 * it (published as docs/schemas/pyprov-decisions-v1.schema.json; a test
 * checks the file is what this module generates).
 */
import { randomUUID } from "node:crypto";
import * as z from "zod/mini";
import { PyprovError } from "../errors.js";
import { described, describeZodError, ENGLISH } from "../util/zod.js";
import type { DecisionRow, DecisionVerdict } from "./types.js";

export const DECISIONS_SCHEMA_ID =
  "https://raw.githubusercontent.com/pyprov/pyprov/main/docs/schemas/pyprov-decisions-v1.schema.json";

export const DECISION_VERDICTS = [
  "served",
  "blocked",
  "allowed-unattested",
] as const satisfies readonly DecisionVerdict[];

const hex64 = z.string().check(z.regex(/^[0-9a-f]{64}$/));
const text = (max: number, description: string) =>
  described(z.string().check(z.maxLength(max)), description);

export const DecisionRowSchema = z
  .object({
    id: described(
      z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/)),
      "the row's stable id (a UUID): a row is logged once whatever retries wrote it",
    ),
    time: described(
      z.iso.datetime({ offset: true }),
      "RFC 3339, when the decision was made (UTC, to the millisecond)",
    ),
    node: text(255, "the node that decided (--node-name, default the host name and port)"),
    client: text(255, "the client's address as the node saw it"),
    project: text(255, "the canonical (PEP 503 normalised) project name"),
    filename: text(1024, "the distribution's file name"),
    sha256: described(hex64, "the file's sha256"),
    verdict: described(
      z.enum(DECISION_VERDICTS),
      "served: it verified; blocked: refused; allowed-unattested: no provenance, let through by the policy",
    ),
    reasons: described(
      z.array(z.string().check(z.maxLength(4096))),
      "the verify report's reasons (empty when served)",
    ),
    policy_sha256: described(hex64, "sha256 of the policy in force"),
    mode: described(z.enum(["enforce", "audit"]), "the node's --mode"),
  })
  .check(z.meta({ id: "Decision" }));

export const DecisionsDocumentSchema = described(
  z.array(DecisionRowSchema),
  "pyprov decisions --format json: the decision log's rows, in the order they were appended",
);

// Every field of a DecisionRow is described here, and nothing more.
const _rowsConform = (r: DecisionRow): z.input<typeof DecisionRowSchema> => r;
void _rowsConform;
type Both = [
  Exclude<keyof DecisionRow, keyof z.output<typeof DecisionRowSchema>>,
  Exclude<keyof z.output<typeof DecisionRowSchema>, keyof DecisionRow>,
];
const _same: Both extends [never, never] ? true : Both = true;
void _same;

/** A new row id. */
export function newDecisionId(): string {
  return randomUUID();
}

/** `time` as stored and returned: UTC, milliseconds, `Z`. */
export function normaliseTime(time: string): string {
  return new Date(time).toISOString();
}

/**
 * Parse a row (from a caller, the database or the journal), its time
 * normalised; `what` names where it came from for the error. A row that does
 * not parse is a programming error from a caller (INTERNAL) and an unreadable
 * store from a database (STATE_SCHEMA): the caller says which.
 */
export function parseDecisionRow(
  value: unknown,
  code: "INTERNAL" | "STATE_SCHEMA",
  what: string,
): DecisionRow {
  const parsed = z.safeParse(DecisionRowSchema, value, ENGLISH);
  if (!parsed.success) {
    throw new PyprovError(code, `${what}: not a decision row ${describeZodError(parsed.error)}`);
  }
  return {
    ...parsed.data,
    reasons: [...parsed.data.reasons],
    time: normaliseTime(parsed.data.time),
  };
}

/** The decision log's JSON Schema (draft 2020-12), as published in docs/schemas/. */
export function decisionsJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(DecisionsDocumentSchema, {
    target: "draft-2020-12",
    io: "input",
  }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  return {
    $schema,
    $id: DECISIONS_SCHEMA_ID,
    title: "pyprov decisions --format json, schema version 1",
    ...rest,
  };
}
