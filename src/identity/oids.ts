/**
 * The Fulcio certificate-extension table (verification-rules.md §7; source:
 * sigstore/fulcio docs/oid-info.md).
 *
 * Every Fulcio extension lives under 1.3.6.1.4.1.57264.1. How its value is
 * encoded depends only on the OID, never on the bytes:
 *
 * - .1–.6 (deprecated) hold the raw UTF-8 bytes of the claim as extnValue;
 * - .7 is not an extension at all but an otherName inside the SAN;
 * - .8–.24 hold a DER UTF8String.
 */
import type { FulcioClaims } from "./certificate.js";

export const FULCIO_OID_PREFIX = "1.3.6.1.4.1.57264.1";

/** The full OID of Fulcio extension number `n` (1.3.6.1.4.1.57264.1.n). */
export function fulcioOid(n: number): string {
  return `${FULCIO_OID_PREFIX}.${n}`;
}

export type FulcioEncoding = "raw-utf8" | "der-utf8string" | "san-othername";

export interface FulcioOidInfo {
  /** Last arc: the n in 1.3.6.1.4.1.57264.1.n. */
  readonly arc: number;
  readonly oid: string;
  readonly name: string;
  /** OIDC claim on GitHub Actions (and on GitLab CI when it differs). */
  readonly claim: string;
  readonly gitlabClaim?: string;
  readonly encoding: FulcioEncoding;
  /** The FulcioClaims field this extension decodes into; absent for .7 (a SAN, not a claim). */
  readonly key?: Exclude<keyof FulcioClaims, "issuer">;
}

function entry(
  arc: number,
  name: string,
  claim: string,
  key: FulcioOidInfo["key"],
  gitlabClaim?: string,
): FulcioOidInfo {
  const encoding: FulcioEncoding =
    arc <= 6 ? "raw-utf8" : arc === 7 ? "san-othername" : "der-utf8string";
  return {
    arc,
    oid: fulcioOid(arc),
    name,
    claim,
    encoding,
    ...(key === undefined ? {} : { key }),
    ...(gitlabClaim === undefined ? {} : { gitlabClaim }),
  };
}

/** Fulcio extensions .1–.24, in order. */
export const FULCIO_OIDS: readonly FulcioOidInfo[] = [
  entry(1, "Issuer (V1, deprecated)", "iss", "issuerV1"),
  entry(2, "GitHub Workflow Trigger (deprecated)", "event_name", "githubWorkflowTrigger"),
  entry(3, "GitHub Workflow SHA (deprecated)", "sha", "githubWorkflowSha"),
  entry(4, "GitHub Workflow Name (deprecated)", "workflow", "githubWorkflowName"),
  entry(5, "GitHub Workflow Repository (deprecated)", "repository", "githubWorkflowRepository"),
  entry(6, "GitHub Workflow Ref (deprecated)", "ref", "githubWorkflowRef"),
  entry(7, "OtherName SAN", "username", undefined),
  entry(8, "Issuer (V2)", "iss", "issuerV2"),
  entry(9, "Build Signer URI", "job_workflow_ref", "buildSignerUri", "ci_config_ref_uri"),
  entry(10, "Build Signer Digest", "job_workflow_sha", "buildSignerDigest", "ci_config_sha"),
  entry(11, "Runner Environment", "runner_environment", "runnerEnvironment"),
  entry(12, "Source Repository URI", "repository", "sourceRepositoryUri", "project_path"),
  entry(13, "Source Repository Digest", "sha", "sourceRepositoryDigest"),
  entry(14, "Source Repository Ref", "ref", "sourceRepositoryRef"),
  entry(
    15,
    "Source Repository Identifier",
    "repository_id",
    "sourceRepositoryIdentifier",
    "project_id",
  ),
  entry(
    16,
    "Source Repository Owner URI",
    "repository_owner",
    "sourceRepositoryOwnerUri",
    "namespace_path",
  ),
  entry(
    17,
    "Source Repository Owner Identifier",
    "repository_owner_id",
    "sourceRepositoryOwnerIdentifier",
    "namespace_id",
  ),
  entry(18, "Build Config URI", "workflow_ref", "buildConfigUri", "ci_config_ref_uri"),
  entry(19, "Build Config Digest", "workflow_sha", "buildConfigDigest", "ci_config_sha"),
  entry(20, "Build Trigger", "event_name", "buildTrigger", "pipeline_source"),
  entry(21, "Run Invocation URI", "run attempt URL", "runInvocationUri", "job URL"),
  entry(
    22,
    "Source Repository Visibility At Signing",
    "repository_visibility",
    "sourceRepositoryVisibilityAtSigning",
  ),
  entry(23, "Deployment Environment", "environment", "deploymentEnvironment"),
  entry(24, "Token Subject", "sub", "tokenSubject"),
];

/** The highest extension number this table knows; larger ones are kept as "unknown". */
export const FULCIO_MAX_KNOWN_ARC = 24;

const BY_OID = new Map(FULCIO_OIDS.map((o) => [o.oid, o]));

/** Table entry for a full OID, or undefined when it is not one of .1–.24. */
export function fulcioOidInfo(oid: string): FulcioOidInfo | undefined {
  return BY_OID.get(oid);
}

/** The full OID that decodes into a given claim field. */
export function oidForClaim(key: NonNullable<FulcioOidInfo["key"]>): string {
  const info = FULCIO_OIDS.find((o) => o.key === key);
  if (!info) throw new Error(`no Fulcio OID decodes into ${key}`);
  return info.oid;
}

/** True when `oid` is strictly below 1.3.6.1.4.1.57264.1 (e.g. …57264.1.12). */
export function isUnderFulcioArc(oid: string): boolean {
  return oid.startsWith(`${FULCIO_OID_PREFIX}.`);
}

/** "1.3.6.1.4.1.57264.1.12 (Source Repository URI)" for messages. */
export function describeOid(oid: string): string {
  const info = fulcioOidInfo(oid);
  return info ? `${oid} (${info.name})` : oid;
}
