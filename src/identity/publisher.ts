/**
 * C9: the index's publisher object against the verified leaf certificate
 * (verification-rules.md §6).
 *
 * The publisher object is unsigned index metadata, so every one of its fields
 * is checked against the certificate's Fulcio claims, on strings built from
 * the publisher fields; no pattern is ever built from input. The repository
 * compares as its platform compares it (platform.ts: GitHub and GitLab names
 * ignore ASCII case); the build config URI (.18) is then built from the
 * certificate's own source repository (.12), so the workflow path and ref
 * after it stay exact.
 *
 * Environment: pypi-attestations ignores the publisher's `environment`.
 * pyprov compares it with the Deployment Environment claim (.23) whenever
 * both are non-empty, and a difference fails (GitHub environment names
 * ignore case, platform.ts). When either is empty or absent (PyPI writes ""
 * or null for "any environment"; older certificates lack .23) nothing is
 * compared: that leniency is for the index's unsigned record only. An
 * identity the user states (a PEP 751 lock's attestation-identities) is
 * checked with `strictEnvironment`: its environment must be present in the
 * certificate and equal.
 */
import type {
  GitHubPublisher,
  GitLabPublisher,
  GooglePublisher,
  Publisher,
} from "../pep740/models.js";
import { sanValues, type DecodedCertificate, type FulcioClaims } from "./certificate.js";
import {
  GITHUB_BASE,
  GITHUB_ISSUER,
  GITLAB_BASE,
  GITLAB_ISSUER,
  repositoryUriIs,
  sameEnvironment,
  type Platform,
} from "./platform.js";

export { GITHUB_BASE, GITHUB_ISSUER, GITLAB_BASE, GITLAB_ISSUER };
export const GOOGLE_ISSUER = "https://accounts.google.com";

export interface PublisherCheckOptions {
  /**
   * The publisher is an expectation, not the index's record: a non-empty
   * environment must be present in the certificate (.23) and equal.
   */
  strictEnvironment?: boolean;
}

export type PublisherCheck =
  { ok: true } | { ok: false; code: "PUBLISHER_KIND" | "PUBLISHER_MISMATCH"; reason: string };

const OK: PublisherCheck = { ok: true };

/** A value quoted for a one-line message (JSON escaping keeps control characters visible). */
export function quote(value: string): string {
  return JSON.stringify(value);
}

function mismatch(reason: string): PublisherCheck {
  return { ok: false, code: "PUBLISHER_MISMATCH", reason };
}

function nonEmpty(...values: (string | undefined)[]): string[] {
  return values.filter((v): v is string => v !== undefined && v !== "");
}

/** The issuer must be exactly `expected`, read from .8 only (GitHub, GitLab). */
function checkIssuerV2(claims: FulcioClaims, expected: string, platform: string): PublisherCheck {
  if (claims.issuerV2 === undefined) {
    return mismatch(
      `certificate has no issuer claim (.8); a ${platform} publisher requires issuer ${quote(expected)}`,
    );
  }
  if (claims.issuerV2 !== expected) {
    return mismatch(
      `certificate issuer ${quote(claims.issuerV2)} is not the ${platform} issuer ${quote(expected)}`,
    );
  }
  return OK;
}

function checkRepository(
  claims: FulcioClaims,
  repository: string,
  platform: Platform,
): PublisherCheck {
  const actual = claims.sourceRepositoryUri;
  if (actual === undefined) {
    return mismatch(
      `certificate has no source repository claim (.12) to match publisher repository ${quote(repository)}`,
    );
  }
  if (!repositoryUriIs(actual, platform, repository)) {
    return mismatch(
      `publisher repository ${quote(repository)} does not match the certificate's source repository ${quote(actual)}`,
    );
  }
  return OK;
}

/** .18 must equal `prefix + "@" + s` for some s in `refs`. */
function checkBuildConfig(
  claims: FulcioClaims,
  field: string,
  value: string,
  prefix: string,
  refs: string[],
): PublisherCheck {
  const actual = claims.buildConfigUri;
  if (actual === undefined) {
    return mismatch(
      `certificate has no build config URI claim (.18) to match publisher ${field} ${quote(value)}`,
    );
  }
  const candidates = refs.map((s) => `${prefix}@${s}`);
  if (!candidates.includes(actual)) {
    return mismatch(
      `publisher ${field} ${quote(value)} does not match the certificate's build config URI ${quote(actual)} ` +
        `(expected ${candidates.map(quote).join(" or ")})`,
    );
  }
  return OK;
}

function checkEnvironment(
  claims: FulcioClaims,
  environment: string | undefined,
  platform: Platform,
  strict: boolean,
): PublisherCheck {
  const actual = claims.deploymentEnvironment;
  if (environment === undefined || environment === "") return OK;
  if (actual === undefined || actual === "") {
    return strict
      ? mismatch(
          `publisher environment ${quote(environment)} is required, but the certificate has no deployment environment claim (.23)`,
        )
      : OK;
  }
  if (!sameEnvironment(platform, environment, actual)) {
    return mismatch(
      `publisher environment ${quote(environment)} does not match the certificate's deployment environment ${quote(actual)}`,
    );
  }
  return OK;
}

function firstFailure(...checks: (() => PublisherCheck)[]): PublisherCheck {
  for (const check of checks) {
    const result = check();
    if (!result.ok) return result;
  }
  return OK;
}

function checkGitHub(
  p: GitHubPublisher,
  cert: DecodedCertificate,
  strict: boolean,
): PublisherCheck {
  const c = cert.claims;
  // After checkRepository, .12 is this repository (as GitHub compares names).
  const repositoryUri = () => c.sourceRepositoryUri ?? GITHUB_BASE + p.repository;
  return firstFailure(
    () => checkIssuerV2(c, GITHUB_ISSUER, "GitHub Actions"),
    () => checkRepository(c, p.repository, "github"),
    () => {
      const refs = nonEmpty(c.sourceRepositoryDigest, c.sourceRepositoryRef);
      if (refs.length === 0) {
        return mismatch(
          "certificate has neither a source repository digest (.13) nor a source repository ref (.14) claim",
        );
      }
      const prefix = `${repositoryUri()}/.github/workflows/${p.workflow}`;
      return checkBuildConfig(c, "workflow", p.workflow, prefix, refs);
    },
    () => checkEnvironment(c, p.environment, "github", strict),
  );
}

function checkGitLab(
  p: GitLabPublisher,
  cert: DecodedCertificate,
  strict: boolean,
): PublisherCheck {
  const c = cert.claims;
  // After checkRepository, .12 is this project (as GitLab compares paths).
  const repositoryUri = () => c.sourceRepositoryUri ?? GITLAB_BASE + p.repository;
  return firstFailure(
    () => checkIssuerV2(c, GITLAB_ISSUER, "GitLab"),
    () => checkRepository(c, p.repository, "gitlab"),
    () => {
      const missing = [
        nonEmpty(c.sourceRepositoryDigest).length ? undefined : "source repository digest (.13)",
        nonEmpty(c.sourceRepositoryRef).length ? undefined : "source repository ref (.14)",
      ].filter((m) => m !== undefined);
      if (missing.length > 0) {
        return mismatch(
          `certificate lacks the ${missing.join(" and ")} claim, required for a GitLab publisher`,
        );
      }
      const refs = nonEmpty(c.sourceRepositoryDigest, c.sourceRepositoryRef);
      const prefix = `${repositoryUri()}//${p.workflow_filepath}`;
      return checkBuildConfig(c, "workflow_filepath", p.workflow_filepath, prefix, refs);
    },
    () => checkEnvironment(c, p.environment, "gitlab", strict),
  );
}

function checkGoogle(p: GooglePublisher, cert: DecodedCertificate): PublisherCheck {
  const { issuerV1, issuerV2 } = cert.claims;
  if (issuerV1 !== undefined && issuerV2 !== undefined && issuerV1 !== issuerV2) {
    return mismatch(
      `certificate issuer claims disagree: .1 is ${quote(issuerV1)} but .8 is ${quote(issuerV2)}`,
    );
  }
  const issuer = issuerV2 ?? issuerV1;
  if (issuer === undefined) {
    return mismatch(
      `certificate has no issuer claim (.8 or .1); a Google publisher requires ${quote(GOOGLE_ISSUER)}`,
    );
  }
  if (issuer !== GOOGLE_ISSUER) {
    return mismatch(
      `certificate issuer ${quote(issuer)} is not the Google issuer ${quote(GOOGLE_ISSUER)}`,
    );
  }
  const values = sanValues(cert);
  if (!values.includes(p.email)) {
    const found = values.length ? values.map(quote).join(", ") : "(none)";
    return mismatch(
      `publisher email ${quote(p.email)} does not match the certificate's subject alternative name ${found}`,
    );
  }
  return OK;
}

function isUnknownKind(p: Publisher): p is { kind: string; unknown: true } {
  return "unknown" in p && p.unknown === true;
}

function unknownKind(kind: string): PublisherCheck {
  const shown = JSON.stringify(kind).slice(1, -1);
  return {
    ok: false,
    code: "PUBLISHER_KIND",
    reason: `unknown publisher kind '${shown}': pyprov can only check GitHub, GitLab and Google publishers`,
  };
}

/**
 * C9: does the (unsigned) publisher object describe this certificate? With
 * `strictEnvironment`, the publisher is an expectation (a lock's identity).
 */
export function checkPublisher(
  publisher: Publisher,
  cert: DecodedCertificate,
  options: PublisherCheckOptions = {},
): PublisherCheck {
  if (isUnknownKind(publisher)) return unknownKind(publisher.kind);
  const strict = options.strictEnvironment === true;
  switch (publisher.kind) {
    case "GitHub":
      return checkGitHub(publisher, cert, strict);
    case "GitLab":
      return checkGitLab(publisher, cert, strict);
    case "Google":
      return checkGoogle(publisher, cert);
    default:
      return unknownKind((publisher as { kind: string }).kind);
  }
}
