/**
 * Cryptographic verification of one PEP 740 attestation.
 *
 * @sigstore/verify checks the Rekor entry (SET, inclusion proof and signed
 * checkpoint), RFC 3161 timestamps and the DSSE signature, and pyprov's own
 * code the Fulcio chain at the verified time and the SCTs, by the library's
 * rules (./entity-verifier.ts). pyprov adds what the library leaves to the
 * caller: accepted entry kinds (C3), the logged certificate (C2) and
 * proof/checkpoint consistency (C11). One Verifier is built per trust root and
 * reused for every attestation.
 */
import type { X509Certificate } from "@sigstore/core";
import { VerificationError, toSignedEntity, type SignedEntity } from "@sigstore/verify";
import { CheckFailure, type FailureCode } from "../errors.js";
import { attestationToBundle } from "../pep740/bundle.js";
import type { Attestation } from "../pep740/models.js";
import { SignedEntityVerifier } from "./entity-verifier.js";
import type { LoadedTrustRoot } from "./trust-root.js";
import {
  checkBodyCertificate,
  checkProofConsistency,
  entryKind,
  signedLogFields,
  type EntryKind,
} from "./tlog-entry.js";

export interface VerifiedTime {
  /** "rekor-set": a Rekor v1 integratedTime backed by its signed entry timestamp. */
  source: "rekor-set" | "rfc3161";
  time: Date;
}

export interface LogEntrySummary {
  kind: EntryKind;
  logIndex: string;
  logId: string; // hex
  integratedTime: Date | undefined;
  checkpointOrigin: string | undefined;
}

/** The outcome of each cryptographic step, in order. */
export interface CryptoStep {
  id: "tlog-kind" | "sigstore" | "tlog-certificate" | "tlog-proof-consistency";
  ok: boolean;
  code?: FailureCode;
  message: string;
}

export interface CryptoResult {
  ok: boolean;
  /** The leaf as @sigstore/core parsed it for verification (reused for decoding). */
  leaf: X509Certificate | undefined;
  steps: CryptoStep[];
  verifiedTimes: VerifiedTime[];
  entry: LogEntrySummary | undefined;
}

export class AttestationCryptoVerifier {
  private readonly verifier: SignedEntityVerifier;

  constructor(readonly trustRoot: LoadedTrustRoot) {
    this.verifier = new SignedEntityVerifier(trustRoot.material);
  }

  verify(att: Attestation): CryptoResult {
    const steps: CryptoStep[] = [];
    const tle = att.verification_material.transparency_entries[0]!;
    let kind: EntryKind;
    try {
      kind = entryKind(tle);
      steps.push({ id: "tlog-kind", ok: true, message: `log entry kind ${kind}` });
    } catch (err) {
      steps.push(failed("tlog-kind", err));
      return { ok: false, leaf: undefined, steps, verifiedTimes: [], entry: undefined };
    }

    let checkpointOrigin: string | undefined;
    const entry = (): LogEntrySummary => ({ kind, ...signedLogFields(tle), checkpointOrigin });

    let verifiedTimes: VerifiedTime[] = [];
    let leaf: X509Certificate | undefined;
    try {
      if (!tle.inclusionProof) {
        // Bundles v0.3 require an inclusion proof; a SET alone is not enough.
        throw new CheckFailure("TLOG_INCLUSION", "Rekor entry has no inclusion proof");
      }
      // @sigstore/core's DER parser throws and catches an error for every
      // OCTET STRING that does not hold nested DER (dozens per certificate);
      // capturing their stack traces is most of its cost. No stack is ever
      // shown, so none is captured while the library runs (restored at once;
      // the code in between is synchronous).
      const stackTraceLimit = Error.stackTraceLimit;
      Error.stackTraceLimit = 0;
      try {
        let entity: SignedEntity;
        try {
          entity = toSignedEntity(attestationToBundle(att));
        } catch (err) {
          throw new CheckFailure(
            "VERIFICATION",
            `attestation cannot be read as a Sigstore bundle: ${errMessage(err)}`,
          );
        }
        if (entity.key.$case === "certificate") leaf = entity.key.certificate;
        this.verifier.verify(entity);
        verifiedTimes = collectVerifiedTimes(entity);
      } finally {
        Error.stackTraceLimit = stackTraceLimit;
      }
      steps.push({
        id: "sigstore",
        ok: true,
        message:
          "certificate chains to a trusted Fulcio CA at the verified time, SCT valid, " +
          "Rekor entry proven, signature valid",
      });
    } catch (err) {
      steps.push(failed("sigstore", translateSigstoreError(err)));
    }

    try {
      checkBodyCertificate(tle, kind, att.verification_material.certificate);
      steps.push({
        id: "tlog-certificate",
        ok: true,
        message: "Rekor entry records this certificate",
      });
    } catch (err) {
      steps.push(failed("tlog-certificate", err));
    }

    try {
      const cp = checkProofConsistency(tle);
      checkpointOrigin = cp?.origin;
      steps.push({
        id: "tlog-proof-consistency",
        ok: true,
        message: cp
          ? "inclusion proof agrees with its signed checkpoint"
          : "no inclusion proof (the signed entry timestamp stands alone)",
      });
    } catch (err) {
      steps.push(failed("tlog-proof-consistency", err));
    }

    return { ok: steps.every((s) => s.ok), leaf, steps, verifiedTimes, entry: entry() };
  }
}

/** The times @sigstore/verify checked: RFC 3161 genTime, and Rekor v1 integratedTime under a SET. */
export function collectVerifiedTimes(entity: SignedEntity): VerifiedTime[] {
  const times: VerifiedTime[] = [];
  for (const t of entity.timestamps) {
    if (t.$case === "timestamp-authority") {
      times.push({ source: "rfc3161", time: t.timestamp.signingTime });
    } else if (t.tlogEntry.inclusionPromise) {
      times.push({
        source: "rekor-set",
        time: new Date(Number(t.tlogEntry.integratedTime) * 1000),
      });
    }
  }
  return times;
}

function failed(id: CryptoStep["id"], err: unknown): CryptoStep {
  if (err instanceof CheckFailure) return { id, ok: false, code: err.code, message: err.message };
  return { id, ok: false, code: "VERIFICATION", message: errMessage(err) };
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Turn @sigstore/verify's errors into pyprov failure codes and plain reasons. */
export function translateSigstoreError(err: unknown): CheckFailure {
  if (err instanceof CheckFailure) return err;
  if (!(err instanceof VerificationError)) {
    return new CheckFailure("VERIFICATION", `verification failed: ${errMessage(err)}`, {
      cause: err,
    });
  }
  const cause = err.cause instanceof Error ? err.cause.message : "";
  const msg = err.message;
  switch (err.code) {
    case "CERTIFICATE_ERROR":
      if (/SCT/.test(msg)) {
        return new CheckFailure(
          "CERTIFICATE_SCT",
          "certificate has no valid signed certificate timestamp from a trusted CT log",
          { cause: err },
        );
      }
      if (/not valid or expired/.test(msg) || /not valid or expired/.test(cause)) {
        return new CheckFailure(
          "CERTIFICATE_CHAIN",
          "certificate was not valid at the verified signing time (expired or not yet valid)",
          { cause: err },
        );
      }
      return new CheckFailure(
        "CERTIFICATE_CHAIN",
        "certificate not issued by a trusted Fulcio CA",
        {
          cause: err,
        },
      );
    case "TIMESTAMP_ERROR":
      return new CheckFailure("TIMESTAMP", `no verified signing time: ${msg}`, { cause: err });
    case "TLOG_INCLUSION_PROMISE_ERROR":
      return new CheckFailure(
        "TLOG_INCLUSION",
        "Rekor signed entry timestamp (SET) does not verify against a trusted log key",
        { cause: err },
      );
    case "TLOG_INCLUSION_PROOF_ERROR":
      if (/checkpoint/.test(msg)) {
        return new CheckFailure(
          "TLOG_INCLUSION",
          `Rekor checkpoint does not verify against a trusted log key: ${msg}`,
          { cause: err },
        );
      }
      return new CheckFailure("TLOG_INCLUSION", `Rekor inclusion proof does not verify: ${msg}`, {
        cause: err,
      });
    case "TLOG_MISSING_INCLUSION_ERROR":
      return new CheckFailure(
        "TLOG_INCLUSION",
        "Rekor entry has neither a SET nor an inclusion proof",
        {
          cause: err,
        },
      );
    case "TLOG_BODY_ERROR":
      return new CheckFailure("TLOG_BODY", `Rekor entry does not record this signature: ${msg}`, {
        cause: err,
      });
    case "TLOG_ERROR":
      return new CheckFailure("TLOG_INCLUSION", `transparency log check failed: ${msg}`, {
        cause: err,
      });
    case "SIGNATURE_ERROR":
      return new CheckFailure("SIGNATURE", "signature does not verify over the statement", {
        cause: err,
      });
    default:
      return new CheckFailure("VERIFICATION", `verification failed: ${msg}`, { cause: err });
  }
}
