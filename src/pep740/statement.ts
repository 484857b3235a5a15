/**
 * The in-toto statement inside a PEP 740 attestation (C5–C7): its shape,
 * its predicate type, and that its single subject is exactly the file being
 * verified (name after parsing, sha256 by string equality).
 */
import { CheckFailure } from "../errors.js";
import { compareSubjectToFilename } from "../pypi/filename.js";
import {
  ALLOWED_DIGEST_ALGORITHMS,
  INTOTO_STATEMENT_V1,
  KNOWN_PREDICATE_TYPES,
  StatementSchema,
  type Statement,
} from "./models.js";
import { ENGLISH } from "../util/zod.js";

export interface ParsedStatement {
  statement: Statement;
  subjectName: string;
  subjectSha256: string | undefined;
  predicateType: string;
}

/** C6: parse the statement bytes and check their shape. Throws CheckFailure. */
export function parseStatement(bytes: Uint8Array): ParsedStatement {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) as unknown;
  } catch {
    throw new CheckFailure("STATEMENT_INVALID", "statement is not valid UTF-8 JSON");
  }
  const parsed = StatementSchema.safeParse(json, ENGLISH);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? ` at ${issue.path.join(".")}` : "";
    throw new CheckFailure(
      "STATEMENT_INVALID",
      `statement is not an in-toto statement${where}: ${issue?.message ?? "invalid"}`,
    );
  }
  const st = parsed.data;
  if (st._type !== INTOTO_STATEMENT_V1) {
    throw new CheckFailure(
      "STATEMENT_INVALID",
      `statement _type is "${st._type}", expected "${INTOTO_STATEMENT_V1}"`,
    );
  }
  if (st.subject.length !== 1) {
    throw new CheckFailure(
      "STATEMENT_INVALID",
      `statement has ${st.subject.length} subjects; PyPI requires exactly one`,
    );
  }
  const subject = st.subject[0]!;
  if (subject.name.length === 0) {
    throw new CheckFailure("STATEMENT_INVALID", "statement subject has an empty name");
  }
  for (const alg of Object.keys(subject.digest)) {
    if (!ALLOWED_DIGEST_ALGORITHMS.includes(alg)) {
      throw new CheckFailure(
        "STATEMENT_INVALID",
        `statement subject has an unknown digest algorithm "${alg}"`,
      );
    }
  }
  if (!KNOWN_PREDICATE_TYPES.includes(st.predicateType)) {
    throw new CheckFailure("PREDICATE_TYPE", `unknown predicate type "${st.predicateType}"`);
  }
  if (
    st.predicate !== undefined &&
    st.predicate !== null &&
    (typeof st.predicate !== "object" || Array.isArray(st.predicate))
  ) {
    throw new CheckFailure(
      "STATEMENT_INVALID",
      "statement predicate is neither an object nor null",
    );
  }
  return {
    statement: st,
    subjectName: subject.name,
    subjectSha256: subject.digest.sha256,
    predicateType: st.predicateType,
  };
}

/** C7 digest: the subject's sha256 must string-equal the file's lowercase hex sha256. */
export function checkSubjectDigest(st: ParsedStatement, fileSha256: string): void {
  if (st.subjectSha256 === undefined) {
    throw new CheckFailure("SUBJECT_DIGEST", "statement subject has no sha256 digest");
  }
  if (st.subjectSha256 !== fileSha256) {
    throw new CheckFailure(
      "SUBJECT_DIGEST",
      `subject digest does not match the file (subject sha256 ${st.subjectSha256}, file sha256 ${fileSha256})`,
    );
  }
}

/** C7 name: the subject names the same distribution as the file, after parsing. */
export function checkSubjectName(st: ParsedStatement, filename: string): void {
  const reason = compareSubjectToFilename(st.subjectName, filename);
  if (reason !== undefined) {
    throw new CheckFailure(
      "SUBJECT_NAME",
      `subject name "${st.subjectName}" does not match the file "${filename}": ${reason}`,
    );
  }
}
