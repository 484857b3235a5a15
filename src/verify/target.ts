/**
 * Verify one distribution file against all the attestations found for it:
 * each attestation on its own (attestation.ts), then the index's publisher
 * claim and the user's expectations against each verified certificate, then
 * coverage (C10).
 */
import type { DecodedCertificate } from "../identity/certificate.js";
import {
  checkExpectations,
  type Expectations,
  type ExpectationResult,
} from "../identity/expectations.js";
import { checkPublisher } from "../identity/publisher.js";
import type { Publisher } from "../pep740/models.js";
import { publisherIdentity } from "../identity/summary.js";
import type { LoadedProvenance } from "../pep740/load.js";
import type { AttestationCryptoVerifier } from "../sigstore/verifier.js";
import { verifyAttestation, type FileIdentity } from "./attestation.js";
import type { AttestationReport, CheckResult, TargetReport } from "./types.js";

export interface VerifyContext {
  crypto: AttestationCryptoVerifier;
  expectations: Expectations;
  /**
   * Identities the file's publisher must match (any one of them), e.g. a
   * PEP 751 lock's attestation-identities, checked against each certificate
   * with the publisher rules, strictly: they are expectations, so an
   * environment they name must be present in the certificate (.23).
   */
  identities?: Publisher[] | undefined;
}

export function verifyTarget(
  file: FileIdentity & { path?: string | undefined },
  provenance: LoadedProvenance,
  ctx: VerifyContext,
): TargetReport {
  const attestations: AttestationReport[] = [];
  const certificates: DecodedCertificate[] = [];
  let expectations: ExpectationResult[] | undefined;
  const hasExpectations = Object.values(ctx.expectations).some((v) => v !== undefined);

  for (const group of provenance.groups) {
    for (const { attestation, source } of group.attestations) {
      const { report, certificate } = verifyAttestation(attestation, source, file, ctx.crypto);
      // Only a certificate that passed the cryptographic checks may speak for the identity shown.
      if (certificate && report.checks.some((c) => c.id === "sigstore" && c.ok)) {
        certificates.push(certificate);
      }
      if (group.publisher !== undefined) {
        const pub = group.publisher;
        report.checks.push(
          certificate
            ? publisherCheck(checkPublisher(pub, certificate), pub.kind)
            : {
                id: "publisher",
                ok: false,
                code: "PUBLISHER_MISMATCH",
                message: "no certificate to check the publisher against",
              },
        );
      }
      if (hasExpectations) {
        if (certificate) {
          const results = checkExpectations(ctx.expectations, certificate);
          const failed = results.filter((r) => !r.ok);
          if (expectations === undefined || failed.length > 0) expectations = results;
          report.checks.push(
            failed.length === 0
              ? { id: "expectations", ok: true, message: "certificate meets every expectation" }
              : {
                  id: "expectations",
                  ok: false,
                  code: "EXPECTATION_MISMATCH",
                  message: failed.map((f) => f.reason ?? `${f.name} does not match`).join("; "),
                },
          );
        } else {
          report.checks.push({
            id: "expectations",
            ok: false,
            code: "EXPECTATION_MISMATCH",
            message: "no certificate to check the expectations against",
          });
        }
      }
      if (ctx.identities !== undefined) {
        report.checks.push(identitiesCheck(ctx.identities, certificate));
      }
      report.ok = report.checks.every((c) => c.ok);
      attestations.push(report);
    }
  }

  const checks: CheckResult[] = [];
  const warnings: string[] = [];
  if (attestations.length === 0) {
    checks.push({
      id: "coverage",
      ok: false,
      code: "NO_ATTESTATIONS",
      message: "no attestations for this file",
    });
  } else {
    const failing = attestations.filter((a) => !a.ok).length;
    checks.push(
      failing === 0
        ? {
            id: "coverage",
            ok: true,
            message: `all ${attestations.length} attestation(s) verified`,
          }
        : {
            id: "coverage",
            ok: false,
            code: firstFailure(attestations)?.code ?? "VERIFICATION",
            message: `${failing} of ${attestations.length} attestation(s) failed`,
          },
    );
    const seen = new Map<string, number>();
    for (const a of attestations) {
      if (a.predicateType) seen.set(a.predicateType, (seen.get(a.predicateType) ?? 0) + 1);
    }
    for (const [type, n] of seen) {
      if (n > 1) warnings.push(`${n} attestations share the predicate type ${type}`);
    }
  }

  const failure = firstFailure(attestations) ?? failureOf(checks);
  const first = certificates[0];
  return {
    target: { filename: file.filename, sha256: file.sha256, path: file.path },
    provenance: {
      kind: provenance.kind,
      sources: provenance.sources,
      ...(provenance.digests ? { digests: provenance.digests } : {}),
    },
    claimedPublisher: claimedPublisher(provenance),
    identity: first ? publisherIdentity(first) : undefined,
    attestations,
    expectations: expectations ?? [],
    checks,
    warnings,
    verdict: failure ? "failed" : "verified",
    failure,
    error: undefined,
  };
}

function identitiesCheck(
  identities: Publisher[],
  certificate: DecodedCertificate | undefined,
): CheckResult {
  if (!certificate) {
    return {
      id: "attestation-identities",
      ok: false,
      code: "EXPECTATION_MISMATCH",
      message: "no certificate to check the expected attestation identities against",
    };
  }
  const reasons: string[] = [];
  for (const identity of identities) {
    // The lock states these identities: an environment it names must be in the certificate.
    const r = checkPublisher(identity, certificate, { strictEnvironment: true });
    if (r.ok) {
      return {
        id: "attestation-identities",
        ok: true,
        message: `matches the expected ${identity.kind} identity`,
      };
    }
    reasons.push(r.reason);
  }
  return {
    id: "attestation-identities",
    ok: false,
    code:
      identities.length > 0 && reasons.every((r) => r.startsWith("unknown publisher kind"))
        ? "PUBLISHER_KIND"
        : "EXPECTATION_MISMATCH",
    message:
      identities.length === 0
        ? "the expected attestation identities list is empty"
        : `certificate matches none of the expected attestation identities: ${reasons.join("; ")}`,
  };
}

function publisherCheck(result: ReturnType<typeof checkPublisher>, kind: string): CheckResult {
  return result.ok
    ? { id: "publisher", ok: true, message: `${kind} publisher matches the certificate` }
    : { id: "publisher", ok: false, code: result.code, message: result.reason };
}

function failureOf(checks: CheckResult[]): TargetReport["failure"] {
  const c = checks.find((x) => !x.ok);
  return c ? { code: c.code ?? "VERIFICATION", message: c.message } : undefined;
}

function firstFailure(attestations: AttestationReport[]): TargetReport["failure"] {
  for (const a of attestations) {
    const f = failureOf(a.checks);
    if (f) return f;
  }
  return undefined;
}

function claimedPublisher(p: LoadedProvenance): Record<string, unknown> | undefined {
  const pub = p.groups.find((g) => g.publisher !== undefined)?.publisher;
  if (!pub) return undefined;
  const { ...rest } = pub as Record<string, unknown>;
  delete rest.unknown;
  return rest;
}
