/**
 * Verify one attestation against one file: cryptography (sigstore/), the
 * leaf certificate's usage (C4), and the statement (C5–C7). Every check runs
 * and is recorded, so a report shows all that is wrong, not just the first.
 */
import { CheckFailure } from "../errors.js";
import {
  checkLeafUsage,
  decodeCertificate,
  primaryIdentity,
  type DecodedCertificate,
} from "../identity/certificate.js";
import type { Attestation } from "../pep740/models.js";
import {
  checkSubjectDigest,
  checkSubjectName,
  parseStatement,
  type ParsedStatement,
} from "../pep740/statement.js";
import type { AttestationCryptoVerifier } from "../sigstore/verifier.js";
import type { AttestationReport, CertificateSummary, CheckId, CheckResult } from "./types.js";

export interface FileIdentity {
  filename: string;
  /** Lowercase hex. */
  sha256: string;
}

export interface VerifiedAttestation {
  report: AttestationReport;
  /** The decoded leaf, when it could be decoded (trusted only if report.ok). */
  certificate: DecodedCertificate | undefined;
}

/** Run fn as check `id`; a thrown CheckFailure becomes a failed check. */
export function runCheck(id: CheckId, okMessage: string, fn: () => void): CheckResult {
  try {
    fn();
    return { id, ok: true, message: okMessage };
  } catch (err) {
    if (err instanceof CheckFailure) return { id, ok: false, code: err.code, message: err.message };
    const msg = err instanceof Error ? err.message : String(err);
    return { id, ok: false, code: "VERIFICATION", message: msg };
  }
}

export function verifyAttestation(
  att: Attestation,
  source: string,
  file: FileIdentity,
  crypto: AttestationCryptoVerifier,
): VerifiedAttestation {
  const checks: CheckResult[] = [];
  const cryptoResult = crypto.verify(att);
  checks.push(...cryptoResult.steps);

  let certificate: DecodedCertificate | undefined;
  checks.push(
    runCheck("certificate-usage", "leaf certificate is a code-signing leaf", () => {
      try {
        certificate = decodeCertificate(att.verification_material.certificate, cryptoResult.leaf);
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        throw new CheckFailure("CERTIFICATE_USAGE", `certificate cannot be decoded: ${msg}`);
      }
      const problem = checkLeafUsage(certificate);
      if (problem) throw new CheckFailure("CERTIFICATE_USAGE", problem);
    }),
  );

  let statement: ParsedStatement | undefined;
  checks.push(
    runCheck("statement", "statement is an in-toto v1 statement with one subject", () => {
      statement = parseStatement(att.envelope.statement);
    }),
  );
  if (statement) {
    const st = statement;
    checks.push(
      runCheck("subject-digest", "subject sha256 matches the file", () =>
        checkSubjectDigest(st, file.sha256),
      ),
      runCheck("subject-name", "subject names this distribution", () =>
        checkSubjectName(st, file.filename),
      ),
    );
  }

  const report: AttestationReport = {
    source,
    predicateType: statement?.predicateType,
    subject: statement
      ? { name: statement.subjectName, sha256: statement.subjectSha256 }
      : undefined,
    certificate: certificate ? summarizeCertificate(certificate) : undefined,
    logEntry: cryptoResult.entry
      ? {
          kind: cryptoResult.entry.kind,
          logIndex: cryptoResult.entry.logIndex,
          logId: cryptoResult.entry.logId,
          integratedTime: cryptoResult.entry.integratedTime?.toISOString(),
          checkpointOrigin: cryptoResult.entry.checkpointOrigin,
        }
      : undefined,
    verifiedTimes: cryptoResult.verifiedTimes.map((t) => ({
      source: t.source,
      time: t.time.toISOString(),
    })),
    checks,
    ok: checks.every((c) => c.ok),
  };
  return { report, certificate };
}

export function summarizeCertificate(cert: DecodedCertificate): CertificateSummary {
  return {
    identity: primaryIdentity(cert),
    issuer: cert.claims.issuer,
    serialNumber: cert.serialNumber,
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    claims: cert.claims,
    extensions: cert.fulcioExtensions,
  };
}
