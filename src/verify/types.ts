/**
 * The result model: what pyprov concluded about each target, with every
 * check it ran. The JSON report is a direct rendering of these types, so
 * changes here are schema changes (see report/json.ts).
 */
import type { ErrorCode, FailureCode } from "../errors.js";
import type { FulcioClaims } from "../identity/certificate.js";
import type { ExpectationResult } from "../identity/expectations.js";
import type { EntryKind } from "../sigstore/tlog-entry.js";
import type { ContinuityReport } from "../history/types.js";
import type { SlsaResult } from "../slsa/types.js";

export type CheckId =
  | "attestation-format"
  | "tlog-kind"
  | "sigstore"
  | "tlog-certificate"
  | "tlog-proof-consistency"
  | "certificate-usage"
  | "statement"
  | "subject-digest"
  | "subject-name"
  | "publisher"
  | "expectations"
  | "attestation-identities"
  | "coverage"
  // verify --installed: the files on disk against the wheel's RECORD (installed/)
  | "installed-files"
  // SLSA provenance fields against the certificate (slsa/level.ts)
  | "slsa-predicate"
  // Policy rules (policy/apply.ts), reported in TargetReport.policy.results
  | "policy-attestation"
  | "policy-publisher"
  | "policy-slsa"
  | "policy-exception"
  // Publisher continuity (history/, names/), reported in TargetReport.continuity.results
  | "continuity-history"
  | "continuity-names";

export interface CheckResult {
  id: CheckId;
  ok: boolean;
  /** Set when ok is false. */
  code?: FailureCode;
  message: string;
}

export interface CertificateSummary {
  /** The SAN a person reads (URI or e-mail). */
  identity: string | undefined;
  issuer: string | undefined;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  claims: FulcioClaims;
  /** Every Fulcio extension decoded, keyed by OID. */
  extensions: Record<string, string>;
}

export interface AttestationReport {
  /** File (and JSON path) the attestation came from. */
  source: string;
  predicateType: string | undefined;
  subject: { name: string; sha256: string | undefined } | undefined;
  certificate: CertificateSummary | undefined;
  logEntry:
    | {
        kind: EntryKind;
        logIndex: string;
        logId: string;
        integratedTime: string | undefined;
        checkpointOrigin: string | undefined;
      }
    | undefined;
  verifiedTimes: { source: "rekor-set" | "rfc3161"; time: string }[];
  checks: CheckResult[];
  ok: boolean;
  /** The statement's predicate as signed, for SLSA Provenance v1 attestations (slsa/predicate.ts). */
  predicate?: unknown;
}

/** The identity a person wants to see, read from the (verified) certificate. */
export interface PublisherIdentity {
  kind: "github" | "gitlab" | "google" | "other";
  issuer: string | undefined;
  repository: string | undefined;
  workflow: string | undefined;
  ref: string | undefined;
  environment: string | undefined;
  runner: string | undefined;
  repositoryId: string | undefined;
  ownerId: string | undefined;
  identity: string | undefined;
}

export interface TargetReport {
  target: {
    filename: string;
    sha256: string;
    path: string | undefined;
    /** For files from an index, a requirements file or a lockfile. */
    project?: string;
    version?: string;
    url?: string;
    /** The requirements-file or lockfile line the file came from. */
    origin?: { file: string; line: number };
  };
  provenance:
    | {
        kind: "provenance" | "attestations";
        sources: string[];
        /** sha256 of each provenance or attestation file's bytes as received (VSA inputAttestations). */
        digests?: { source: string; sha256: string }[];
      }
    | undefined;
  /** The publisher object the index claims (unsigned; checked against each certificate). */
  claimedPublisher: Record<string, unknown> | undefined;
  /** Read from the first attestation's certificate. */
  identity: PublisherIdentity | undefined;
  attestations: AttestationReport[];
  expectations: ExpectationResult[];
  checks: CheckResult[];
  warnings: string[];
  /**
   * verified: every check passed. failed: at least one check failed (exit 1).
   * missing: the file has no provenance (exit 1, or 0 with --allow-missing).
   * error: no verdict could be reached for this target (exit 2).
   */
  verdict: "verified" | "failed" | "missing" | "error";
  /** The first failing check, when the verdict is "failed". */
  failure: { code: FailureCode; message: string } | undefined;
  /** Why no verdict was reached, when the verdict is "error". */
  error: { code: ErrorCode; message: string } | undefined;
  /** SLSA Build level with its evidence (slsa/level.ts), for every verdict. */
  slsa?: SlsaResult;
  /** The policy's rules for this file (policy/apply.ts), when a policy is in force. */
  policy?: {
    /** The policy file and the sha256 of its bytes. */
    source: string;
    sha256: string;
    /** Canonical project name the rules were chosen for. */
    package: string | undefined;
    /** The packages key that applied ("default" when none). */
    rule?: string;
    results: CheckResult[];
  };
  /** Publisher continuity and look-alike names (history/continuity.ts), with `verify --history`. */
  continuity?: ContinuityReport;
}
