/**
 * Publisher continuity: what `verify --history` reports per file, in
 * `TargetReport.continuity` (JSON: `results[].continuity`).
 *
 * A package's **window** is the release being verified plus the N releases
 * published before it (by upload time; PEP 440 order for ties or when the
 * index gives no times). Each release is summarised by the identities that
 * signed its files (read from cryptographically verified certificates), and
 * consecutive releases are compared.
 */
import type { FailureCode } from "../errors.js";
import type { CheckResult } from "../verify/types.js";

/** The identity fields compared between releases (and named by `allow_changes`). */
export const IDENTITY_FIELDS = [
  "issuer",
  "repository",
  "owner",
  "repository_id",
  "owner_id",
  "workflow",
  "environment",
  "identity",
] as const;
export type IdentityField = (typeof IDENTITY_FIELDS)[number];

/** Who signed a release's files: from verified Fulcio certificates, never from the index. */
export interface ReleaseIdentity {
  kind: "github" | "gitlab" | "google" | "other";
  /** OIDC issuer (.8, else .1). */
  issuer: string | undefined;
  /** OWNER/NAME (GitLab: GROUP/.../PROJECT). */
  repository: string | undefined;
  /** The repository path without its last segment. */
  owner: string | undefined;
  repositoryId: string | undefined;
  ownerId: string | undefined;
  /** Workflow path inside .18 (e.g. .github/workflows/release.yml). */
  workflow: string | undefined;
  environment: string | undefined;
  /** The certificate's SAN, for publishers without a repository (Google, other issuers). */
  identity: string | undefined;
}

/** What became of one history file. */
export type HistoryFileStatus =
  /** provenance found and cryptographically verified */
  | "attested"
  /** the index says there is none (404, or `provenance: null`) */
  | "absent"
  /** the index refused to say (403): unknown, never "absent" */
  | "withheld"
  /** provenance found but it did not verify */
  | "failed"
  /** no answer (network, malformed page entry, ...) */
  | "error";

export interface HistoryFile {
  filename: string;
  sha256: string | undefined;
  status: HistoryFileStatus;
  /** Why, for anything but "attested" and "absent". */
  message?: string;
}

export type ReleaseStatus =
  /** every file examined has verified provenance */
  | "attested"
  /** some files have verified provenance, some have none */
  | "partial"
  /** no file has provenance (the index says so) */
  | "unattested"
  /** nothing could be told (withheld, failed or unreachable files) */
  | "unknown";

export interface HistoryRelease {
  version: string;
  /** Earliest upload time of its files, as the index gives it (null: not given). */
  uploadTime: string | null;
  /** Every file of the release is yanked: shown, but not compared. */
  yanked: boolean;
  /** The release this report's file belongs to (its files are the run's own results). */
  current: boolean;
  status: ReleaseStatus;
  /** Distinct identities that signed its files. */
  identities: ReleaseIdentity[];
  files: HistoryFile[];
  /** Files of the release not examined (at most MAX_FILES_PER_RELEASE are). */
  skippedFiles?: number;
}

export type FindingKind =
  /** same repository ID, new repository or owner name, same owner ID */
  | "renamed"
  /** same repository ID, new owner ID */
  | "transferred"
  /** same repository (or owner) name, new ID: the name belongs to someone else now */
  | "reregistered"
  /** issuer, repository, workflow, environment, ... differ */
  | "publisher-changed"
  /** the release's files were signed by more than one identity */
  | "mixed-identities"
  /** a release without provenance after attested ones */
  | "downgrade"
  /** a release whose provenance could not be told (withheld, failed, unreachable) */
  | "unknown"
  /** the history could not be examined (no index page, version not listed) */
  | "incomplete"
  /** the name is close to a popular project's */
  | "lookalike-name"
  /** the project's first upload is recent */
  | "new-project"
  /** the attested repository's name has nothing to do with the package's */
  | "unrelated-repository";

export interface ContinuityFinding {
  kind: FindingKind;
  /** fail: the file fails with `code`; warn: a warning; the policy decides for most kinds. */
  severity: "fail" | "warn";
  code?: FailureCode;
  /** The releases compared (older, newer), or the release concerned. */
  from?: string;
  to?: string;
  /** Identity fields that changed. */
  fields?: IdentityField[];
  message: string;
}

// A type alias, not an interface: the JSON report schema (report/schema.ts) takes it as a plain record.
export type ContinuityReport = {
  /** Canonical project name. */
  package: string;
  /** How many previous releases were asked for (--history N). */
  history: number;
  /** How releases were ordered: by upload time, or by PEP 440 version when times are missing. */
  order: "upload-time" | "pep440";
  /** Oldest first; the last is the release of this file. */
  releases: HistoryRelease[];
  findings: ContinuityFinding[];
  /** `continuity-history` and `continuity-names`. */
  results: CheckResult[];
};
