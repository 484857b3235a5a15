/**
 * The identity that signed a file, read from its verified certificates, and
 * how two identities differ.
 *
 * A change between consecutive releases is classified by the immutable IDs
 * (Fulcio .15 repository ID, .17 owner ID), never by names alone:
 *
 *   same repository ID, another name, same owner ID  → renamed        (warning)
 *   same repository ID, another owner ID             → transferred    (warning)
 *   same repository name (or owner name), new ID     → re-registered  (failure)
 *   anything else (issuer, repository, workflow,
 *   environment, e-mail, ...)                        → publisher change (failure)
 *
 * The workflow and environment are compared on top of a rename or transfer:
 * a transferred repository that also publishes from another workflow is both.
 */
import type { FulcioClaims } from "../identity/certificate.js";
import {
  GITHUB_BASE,
  GITHUB_ISSUER,
  GITLAB_BASE,
  GITLAB_ISSUER,
  GOOGLE_ISSUER,
} from "../identity/publisher.js";
import { workflowPathOf } from "../identity/expectations.js";
import type { CheckId, TargetReport } from "../verify/types.js";
import type { HistoryFileStatus, IdentityField, ReleaseIdentity } from "./types.js";

/** An identity with the claims it was read from (to match policy publishers against). */
export interface ObservedIdentity {
  identity: ReleaseIdentity;
  claims: FulcioClaims;
  san: string | undefined;
}

/** Checks that say nothing about the authenticity of a certificate. */
const NOT_CRYPTO: ReadonlySet<CheckId> = new Set<CheckId>([
  "expectations",
  "attestation-identities",
  "publisher",
  "slsa-predicate",
]);

/** Whether an attestation's cryptographic and statement checks all passed. */
function authentic(a: TargetReport["attestations"][number]): boolean {
  return a.certificate !== undefined && a.checks.every((c) => c.ok || NOT_CRYPTO.has(c.id));
}

/** The certificates of a report's authentic attestations (crypto and statement checks passed). */
export function authenticAttestations(
  report: TargetReport,
): { claims: FulcioClaims; san: string | undefined }[] {
  return report.attestations.flatMap((a) =>
    authentic(a) && a.certificate
      ? [{ claims: a.certificate.claims, san: a.certificate.identity }]
      : [],
  );
}

/** What a verified (or not) report says about its file, for continuity purposes. */
export function fileStatus(report: TargetReport): { status: HistoryFileStatus; message?: string } {
  switch (report.verdict) {
    case "verified":
      return { status: "attested" };
    case "missing":
      return { status: "absent" };
    case "error":
      return report.error?.code === "PROVENANCE_WITHHELD"
        ? { status: "withheld", message: report.error.message }
        : { status: "error", message: report.error?.message ?? "no verdict" };
    case "failed":
      // Failed for a reason other than the cryptography (an expectation, the
      // policy, the lock's identities): the certificates still say who signed.
      return report.attestations.length > 0 && report.attestations.every(authentic)
        ? { status: "attested" }
        : { status: "failed", message: report.failure?.message ?? "verification failed" };
  }
}

function platformOf(claims: FulcioClaims): "github" | "gitlab" | "google" | "other" {
  const issuer = claims.issuerV2 ?? claims.issuerV1;
  if (claims.issuerV2 === GITHUB_ISSUER) return "github";
  if (claims.issuerV2 === GITLAB_ISSUER) return "gitlab";
  if (issuer === GOOGLE_ISSUER) return "google";
  return "other";
}

/** The identity one certificate describes. */
export function identityFromClaims(claims: FulcioClaims, san: string | undefined): ReleaseIdentity {
  const kind = platformOf(claims);
  const issuer = claims.issuerV2 ?? claims.issuerV1;
  if (kind === "github" || kind === "gitlab") {
    const base = kind === "github" ? GITHUB_BASE : GITLAB_BASE;
    const uri = claims.sourceRepositoryUri;
    const repository =
      uri === undefined ? undefined : uri.startsWith(base) ? uri.slice(base.length) : uri;
    const slash = repository?.lastIndexOf("/") ?? -1;
    return {
      kind,
      issuer,
      repository,
      owner: repository !== undefined && slash > 0 ? repository.slice(0, slash) : undefined,
      repositoryId: claims.sourceRepositoryIdentifier,
      ownerId: claims.sourceRepositoryOwnerIdentifier,
      workflow: workflowPathOf(claims, kind),
      environment: claims.deploymentEnvironment || undefined,
      identity: undefined, // the SAN names the ref, which changes with every release
    };
  }
  return {
    kind,
    issuer,
    repository: undefined,
    owner: undefined,
    repositoryId: undefined,
    ownerId: undefined,
    workflow: undefined,
    environment: undefined,
    identity: san,
  };
}

/** The distinct identities of a report's authentic attestations. */
export function identitiesOf(report: TargetReport): ObservedIdentity[] {
  const out: ObservedIdentity[] = [];
  for (const { claims, san } of authenticAttestations(report)) {
    const identity = identityFromClaims(claims, san);
    if (!out.some((o) => sameIdentity(o.identity, identity))) out.push({ identity, claims, san });
  }
  return out;
}

const FIELD_OF: Record<IdentityField, keyof ReleaseIdentity> = {
  issuer: "issuer",
  repository: "repository",
  owner: "owner",
  repository_id: "repositoryId",
  owner_id: "ownerId",
  workflow: "workflow",
  environment: "environment",
  identity: "identity",
};

/** The fields whose values differ. */
export function changedFields(a: ReleaseIdentity, b: ReleaseIdentity): IdentityField[] {
  return (Object.keys(FIELD_OF) as IdentityField[]).filter(
    (f) => a[FIELD_OF[f]] !== b[FIELD_OF[f]],
  );
}

export function sameIdentity(a: ReleaseIdentity, b: ReleaseIdentity): boolean {
  return a.kind === b.kind && changedFields(a, b).length === 0;
}

/** "github pypi/pypi-attestations (repository ID 772247423, owner ID 2964877) workflow .github/workflows/release.yml" */
export function describeIdentity(i: ReleaseIdentity): string {
  if (i.kind !== "github" && i.kind !== "gitlab") {
    return `${i.kind === "google" ? "google" : (i.issuer ?? "unknown issuer")} ${i.identity ?? "(no identity)"}`;
  }
  const ids = [
    i.repositoryId !== undefined ? `repository ID ${i.repositoryId}` : undefined,
    i.ownerId !== undefined ? `owner ID ${i.ownerId}` : undefined,
  ].filter((x) => x !== undefined);
  const parts = [`${i.kind} ${i.repository ?? "(no repository)"}`];
  if (ids.length) parts.push(`(${ids.join(", ")})`);
  parts.push(`workflow ${i.workflow ?? "(none)"}`);
  if (i.environment !== undefined) parts.push(`environment ${i.environment}`);
  return parts.join(" ");
}

export interface Change {
  kind: "renamed" | "transferred" | "reregistered" | "publisher-changed";
  fields: IdentityField[];
}

const show = (v: string | undefined): string => (v === undefined ? "(none)" : v);

/** What changed from `a` to `b` (empty when they are the same identity). */
export function classifyChange(a: ReleaseIdentity, b: ReleaseIdentity): Change[] {
  const fields = changedFields(a, b);
  if (fields.length === 0 && a.kind === b.kind) return [];
  const repoPlatform = (a.kind === "github" || a.kind === "gitlab") && a.kind === b.kind;
  if (!repoPlatform) {
    return [{ kind: "publisher-changed", fields: fields.length ? fields : ["issuer"] }];
  }
  const PLATFORM_FIELDS: readonly IdentityField[] = ["workflow", "environment", "issuer"];
  const rest = fields.filter((f) => PLATFORM_FIELDS.includes(f));
  const out: Change[] = [];
  const sameRepoId = a.repositoryId !== undefined && a.repositoryId === b.repositoryId;
  const bothIds = a.repositoryId !== undefined && b.repositoryId !== undefined;
  const ownerReused =
    a.owner === b.owner &&
    a.ownerId !== undefined &&
    b.ownerId !== undefined &&
    a.ownerId !== b.ownerId;
  if (sameRepoId) {
    const naming = fields.filter((f) => f === "repository" || f === "owner" || f === "owner_id");
    if (fields.includes("owner_id")) out.push({ kind: "transferred", fields: naming });
    else if (naming.length > 0) out.push({ kind: "renamed", fields: naming });
  } else if (bothIds && (a.repository === b.repository || ownerReused)) {
    out.push({
      kind: "reregistered",
      fields: fields.filter((f) => !rest.includes(f)),
    });
  } else {
    const naming = fields.filter((f) => !rest.includes(f));
    if (naming.length > 0) out.push({ kind: "publisher-changed", fields: naming });
  }
  if (rest.length > 0) out.push({ kind: "publisher-changed", fields: rest });
  return out;
}

/** One line on one change, naming both sides. */
export function describeChange(
  change: Change,
  a: ReleaseIdentity,
  b: ReleaseIdentity,
  from: string,
  to: string,
): string {
  switch (change.kind) {
    case "renamed":
      return `renamed: repository ID ${show(a.repositoryId)} published ${from} as ${show(a.repository)} and ${to} as ${show(b.repository)} (same repository, new name)`;
    case "transferred":
      return `transferred: repository ID ${show(a.repositoryId)} moved from ${show(a.repository)} (owner ID ${show(a.ownerId)}) to ${show(b.repository)} (owner ID ${show(b.ownerId)}) between ${from} and ${to}: the same repository, now under another owner`;
    case "reregistered":
      return a.repository === b.repository
        ? `re-registered: ${show(b.repository)} published ${from} as repository ID ${show(a.repositoryId)} (owner ID ${show(a.ownerId)}) and ${to} as repository ID ${show(b.repositoryId)} (owner ID ${show(b.ownerId)}): the name now belongs to another repository (possible repojacking)`
        : `re-registered: owner ${show(b.owner)} was owner ID ${show(a.ownerId)} at ${from} and is owner ID ${show(b.ownerId)} at ${to}: the account name now belongs to someone else (possible repojacking)`;
    case "publisher-changed": {
      const what = change.fields
        .map((f) => `${f} ${show(a[FIELD_OF[f]])} → ${show(b[FIELD_OF[f]])}`)
        .join(", ");
      return `publisher changed from ${from} to ${to}: ${what}`;
    }
  }
}
