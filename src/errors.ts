/**
 * pyprov's one error taxonomy.
 *
 * Two kinds of things go wrong, and they must never be confused:
 *
 * - A {@link PyprovError} means *no verdict could be reached*: bad usage, an
 *   unreadable or malformed input, a missing trusted root, a network failure.
 *   The CLI exits 2.
 * - A {@link CheckFailure} is a *verdict*: the target was examined and failed
 *   a named check (bad signature, wrong digest, wrong publisher...). The CLI
 *   exits 1.
 *
 * Codes are stable: they appear in JSON output and scripts may match on them.
 */
import { oneLine } from "./util/text.js";

/** Codes for errors that prevent a verdict (exit 2). */
export const ERROR_CODES = [
  "USAGE",
  "INPUT_UNREADABLE",
  "INPUT_TOO_LARGE",
  "INPUT_MALFORMED",
  "TRUST_ROOT_INVALID",
  "TRUST_ROOT_MISSING",
  "NETWORK",
  "PROVENANCE_WITHHELD", // the index refused to say (HTTP 403): unknown, never "absent"
  "OFFLINE", // --offline and the answer is not in the cache
  "STATE_UNAVAILABLE", // the state store (SQLite file, PostgreSQL) cannot be reached or written
  "STATE_SCHEMA", // the state store's schema is newer than this build, or not migrated
  "INTERNAL",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class PyprovError extends Error {
  readonly code: ErrorCode;
  /** The file (or URL) the problem is in, when there is one. */
  readonly source: string | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { source?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "PyprovError";
    this.code = code;
    this.source = options.source;
  }

  /** One line for a person: "<source>: <message>". */
  oneLine(): string {
    const text = oneLine(this.message);
    return this.source ? `${oneLine(this.source)}: ${text}` : text;
  }
}

/** Codes for verification failures (exit 1). */
export const FAILURE_CODES = [
  // Trust material and cryptography (Sigstore)
  "CERTIFICATE_CHAIN", // not issued by a trusted Fulcio CA, or not valid at the verified time
  "CERTIFICATE_SCT", // no valid signed certificate timestamp
  "CERTIFICATE_USAGE", // key usage / extended key usage / CA flag wrong for a signing leaf
  "TIMESTAMP", // no verified time, or an RFC 3161 timestamp failed
  "TLOG_INCLUSION", // SET, inclusion proof or checkpoint failed
  "TLOG_BODY", // the log entry does not record this signature/payload
  "TLOG_CERTIFICATE", // the log entry records another certificate
  "TLOG_KIND", // a log-entry kind pyprov does not accept
  "TLOG_PROOF_INCONSISTENT", // inclusion proof disagrees with its signed checkpoint
  "SIGNATURE", // DSSE signature does not verify
  // The in-toto statement
  "PAYLOAD_TYPE",
  "STATEMENT_INVALID",
  "PREDICATE_TYPE",
  "SUBJECT_NAME",
  "SUBJECT_DIGEST",
  // Identity
  "PUBLISHER_KIND",
  "PUBLISHER_MISMATCH",
  "EXPECTATION_MISMATCH",
  // SLSA provenance and policy (slsa/, policy/)
  "PREDICATE_MISMATCH", // a SLSA predicate field contradicts the certificate
  "POLICY_PUBLISHER", // the certificate matches none of the policy's publishers
  "REPOSITORY_ID_MISMATCH", // a pinned repository or owner ID differs: possible repojacking
  "POLICY_SLSA_LEVEL", // the SLSA Build level is below the policy's min_slsa_level
  // Publisher continuity and look-alike names (history/, names/; verify --history)
  "PUBLISHER_CHANGED", // the publisher differs from the previous releases' (not allowed by the policy)
  "REPOSITORY_REREGISTERED", // the repository (or owner) name now has another ID: possible repojacking
  "ATTESTATION_DOWNGRADE", // no provenance, although earlier releases (or sibling files) were attested
  "LOOKALIKE_NAME", // the name is close to a popular project's (policy lookalike: error)
  "NEW_PROJECT", // the project is younger than min_project_age_days (policy lookalike: error)
  "UNRELATED_REPOSITORY", // the attested repository's name has nothing to do with the package's (lookalike: error)
  // Coverage
  "NO_ATTESTATIONS",
  "NOT_FROM_INDEX", // a direct URL, VCS, path or editable requirement: nothing an index attests
  "INDEX_AMBIGUOUS", // an unpinned requirement pip may take from more than one index (dependency confusion)
  "ENTRY_MISMATCH", // the file a lock or requirement entry points at is another project's or version's
  "ARTIFACT_DIGEST", // downloaded bytes differ from the digest the lock or requirement pins
  "INSTALLED_MODIFIED", // verify --installed: installed files differ from the verified wheel's RECORD
  "VERIFICATION", // any other failure reported by the Sigstore verifier
] as const;
export type FailureCode = (typeof FAILURE_CODES)[number];

/** A failed check: carried as data in results, thrown only inside a single check. */
export class CheckFailure extends Error {
  readonly code: FailureCode;
  constructor(code: FailureCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CheckFailure";
    this.code = code;
  }
}

/** Describe any thrown value in one line, without a stack trace. */
export function describeError(err: unknown): string {
  if (err instanceof PyprovError) return err.oneLine();
  if (err instanceof Error) return oneLine(err.message) || err.name;
  return oneLine(String(err));
}
