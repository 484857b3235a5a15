/**
 * Binding a DSSE bundle to an artifact: the envelope must carry an in-toto
 * statement (v1 or v0.1) with a subject whose sha256 is the artifact's.
 * Unlike a PEP 740 attestation, any predicate type and any number of
 * subjects are allowed. Digests compare as strings against the artifact's
 * lowercase hex (an uppercase subject digest does not match).
 */
import * as z from "zod/mini";
import { CheckFailure } from "../errors.js";
import { INTOTO_PAYLOAD_TYPE } from "../pep740/models.js";
import { ENGLISH } from "../util/zod.js"; // English issue messages

export const INTOTO_STATEMENT_TYPES: readonly string[] = [
  "https://in-toto.io/Statement/v1",
  "https://in-toto.io/Statement/v0.1",
];

const MAX_SUBJECTS = 10_000;

const GenericStatement = z.looseObject({
  _type: z.string(),
  subject: z
    .array(
      z.looseObject({
        name: z.optional(z.string()),
        digest: z.record(z.string(), z.string()),
      }),
    )
    .check(z.minLength(1), z.maxLength(MAX_SUBJECTS)),
  predicateType: z.string(),
});

export interface MatchedStatement {
  statementType: string;
  predicateType: string;
  subjectCount: number;
  /** The subject that names the artifact (its name may be empty). */
  subjectName: string | undefined;
}

/** Check payloadType and statement, and find the subject for `sha256`. Throws CheckFailure. */
export function matchStatementSubject(
  payloadType: string,
  payload: Uint8Array,
  sha256: string,
): MatchedStatement {
  if (payloadType !== INTOTO_PAYLOAD_TYPE) {
    throw new CheckFailure(
      "PAYLOAD_TYPE",
      `DSSE payload type is "${payloadType}", expected "${INTOTO_PAYLOAD_TYPE}": nothing binds it to the artifact`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(payload)) as unknown;
  } catch {
    throw new CheckFailure("STATEMENT_INVALID", "DSSE payload is not valid UTF-8 JSON");
  }
  const parsed = GenericStatement.safeParse(json, ENGLISH);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? ` at ${issue.path.join(".")}` : "";
    throw new CheckFailure(
      "STATEMENT_INVALID",
      `DSSE payload is not an in-toto statement${where}: ${issue?.message ?? "invalid"}`,
    );
  }
  const st = parsed.data;
  if (!INTOTO_STATEMENT_TYPES.includes(st._type)) {
    throw new CheckFailure(
      "STATEMENT_INVALID",
      `statement _type is "${st._type}", expected one of ${INTOTO_STATEMENT_TYPES.join(", ")}`,
    );
  }
  const subject = st.subject.find((s) => s.digest.sha256 === sha256);
  if (!subject) {
    const listed = st.subject
      .map((s) => s.digest.sha256)
      .filter((d): d is string => d !== undefined)
      .slice(0, 3);
    throw new CheckFailure(
      "SUBJECT_DIGEST",
      `no statement subject has the artifact's sha256 ${sha256}` +
        (listed.length
          ? ` (subjects: ${listed.join(", ")}${st.subject.length > 3 ? ", ..." : ""})`
          : " (no subject has a sha256)"),
    );
  }
  return {
    statementType: st._type,
    predicateType: st.predicateType,
    subjectCount: st.subject.length,
    subjectName: subject.name,
  };
}
