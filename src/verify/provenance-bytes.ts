/**
 * Verify one file against provenance bytes as the index sent them: parse,
 * verify every attestation, attach SLSA predicates. The same function runs on
 * the main thread and in verification workers (verify/workers.ts).
 */
import type { Expectations } from "../identity/expectations.js";
import { parseProvenance } from "../pep740/load.js";
import type { Publisher } from "../pep740/models.js";
import type { AttestationCryptoVerifier } from "../sigstore/verifier.js";
import { attachSlsaPredicates } from "../slsa/predicate.js";
import { verifyTarget } from "./target.js";
import type { TargetReport } from "./types.js";

export interface ProvenanceBytesJob {
  file: { filename: string; sha256: string; path?: string | undefined };
  body: Uint8Array;
  /** Where the bytes came from (a URL): named in errors and reports. */
  source: string;
  expectations: Expectations;
  identities: Publisher[] | undefined;
}

/** Throws a PyprovError when the bytes are not a provenance object. */
export function verifyProvenanceBytes(
  job: ProvenanceBytesJob,
  crypto: AttestationCryptoVerifier,
): TargetReport {
  const body = job.body;
  const bytes = Buffer.isBuffer(body)
    ? body
    : Buffer.from(body.buffer, body.byteOffset, body.byteLength); // a view, not a copy
  const provenance = parseProvenance(bytes, job.source);
  const report = verifyTarget(job.file, provenance, {
    crypto,
    expectations: job.expectations,
    identities: job.identities,
  });
  attachSlsaPredicates(report, provenance);
  return report;
}
