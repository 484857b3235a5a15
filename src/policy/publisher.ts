/**
 * A policy publisher entry against a verified certificate's Fulcio claims.
 * The kind names the platform. Every comparison is exact (refs may be
 * globs), except where the platform ignores case (identity/platform.ts):
 * repository names, and GitHub environment names. IDs stay exact.
 *
 * Repojacking defence (GitHub and GitLab): repository and owner IDs
 * (.15/.17) are immutable, names are not.
 * - Name matches and every pinned ID matches: match.
 * - Name matches but a pinned ID differs: REPOSITORY_ID_MISMATCH, "possible
 *   repojacking": the name now belongs to another repository (or owner).
 * - Name differs but the pinned repository ID matches: the same repository
 *   under a new name: match, with a "renamed" warning (and a "transferred"
 *   warning when the owner ID changed too).
 * - Otherwise: not this publisher.
 */
import type { FulcioClaims } from "../identity/certificate.js";
import {
  GITHUB_BASE,
  GITHUB_ISSUER,
  GITLAB_BASE,
  GITLAB_ISSUER,
  GOOGLE_ISSUER,
  quote,
} from "../identity/publisher.js";
import { workflowPathOf } from "../identity/expectations.js";
import { repositoryUriIs, sameEnvironment } from "../identity/platform.js";
import { globMatch } from "./glob.js";
import type {
  GitHubPolicyPublisher,
  GitLabPolicyPublisher,
  GooglePolicyPublisher,
  PolicyPublisher,
} from "./schema.js";

/** What a publisher is matched against: a verified certificate's claims and SAN. */
export interface CertificateView {
  claims: FulcioClaims;
  /** The certificate's SAN (URI or e-mail). */
  identity: string | undefined;
}

export type PublisherMatch =
  | { ok: true; warnings: string[] }
  | { ok: false; code: "POLICY_PUBLISHER" | "REPOSITORY_ID_MISMATCH"; reason: string };

const mismatch = (reason: string): PublisherMatch => ({
  ok: false,
  code: "POLICY_PUBLISHER",
  reason,
});

/** A short description of a policy publisher entry, for messages. */
export function describePolicyPublisher(p: PolicyPublisher): string {
  if (p.kind === "google") return `google ${p.email}`;
  const parts = [`${p.kind} ${p.repository}`];
  const ids = [
    p.repository_id !== undefined ? `repository ID ${p.repository_id}` : undefined,
    p.owner_id !== undefined ? `owner ID ${p.owner_id}` : undefined,
  ].filter((x) => x !== undefined);
  if (ids.length) parts.push(`(${ids.join(", ")})`);
  const workflow = p.kind === "github" ? p.workflow : p.workflow_filepath;
  if (workflow !== undefined) parts.push(`workflow ${workflow}`);
  if (p.environment !== undefined) parts.push(`environment ${p.environment}`);
  if (p.ref !== undefined) parts.push(`ref ${p.ref}`);
  if (p.runner !== undefined) parts.push(`runner ${p.runner}`);
  if (p.triggers !== undefined) parts.push(`triggers ${p.triggers.join("|")}`);
  return parts.join(" ");
}

export function matchPolicyPublisher(p: PolicyPublisher, cert: CertificateView): PublisherMatch {
  switch (p.kind) {
    case "github":
      return matchRepositoryPublisher(p, cert, "github");
    case "gitlab":
      return matchRepositoryPublisher(p, cert, "gitlab");
    case "google":
      return matchGoogle(p, cert);
  }
}

const PLATFORMS = {
  github: { issuer: GITHUB_ISSUER, base: GITHUB_BASE, separator: "/", name: "GitHub Actions" },
  gitlab: { issuer: GITLAB_ISSUER, base: GITLAB_BASE, separator: "//", name: "GitLab" },
} as const;

function matchRepositoryPublisher(
  p: GitHubPolicyPublisher | GitLabPolicyPublisher,
  cert: CertificateView,
  platform: "github" | "gitlab",
): PublisherMatch {
  const c = cert.claims;
  const { issuer, base, name } = PLATFORMS[platform];
  if (c.issuerV2 !== issuer) {
    const actual = c.issuerV2 ?? c.issuer;
    return mismatch(
      `certificate issuer ${actual === undefined ? "(none)" : quote(actual)} is not ${name} (${quote(issuer)})`,
    );
  }
  const uri = c.sourceRepositoryUri;
  if (uri === undefined) return mismatch("certificate has no source repository claim (.12)");
  const actualRepo = uri.startsWith(base) ? uri.slice(base.length) : uri;
  const warnings: string[] = [];
  const idNoun = platform === "github" ? "repository" : "project";
  const ownerNoun = platform === "github" ? "owner" : "namespace";
  const actualId = c.sourceRepositoryIdentifier;
  const actualOwner = c.sourceRepositoryOwnerIdentifier;
  const shown = (v: string | undefined) => (v === undefined ? "(none)" : quote(v));
  if (repositoryUriIs(uri, platform, p.repository)) {
    if (p.repository_id !== undefined && actualId !== p.repository_id) {
      return {
        ok: false,
        code: "REPOSITORY_ID_MISMATCH",
        reason:
          `${idNoun} ID ${shown(actualId)} of ${p.repository} differs from the pinned ${p.repository_id}: ` +
          `possible repojacking (the name now belongs to another ${idNoun})`,
      };
    }
    if (p.owner_id !== undefined && actualOwner !== p.owner_id) {
      return {
        ok: false,
        code: "REPOSITORY_ID_MISMATCH",
        reason:
          `${ownerNoun} ID ${shown(actualOwner)} of ${p.repository} differs from the pinned ${p.owner_id}: ` +
          `possible repojacking (the ${ownerNoun} account was re-created)`,
      };
    }
  } else if (p.repository_id !== undefined && actualId === p.repository_id) {
    warnings.push(
      `renamed: ${idNoun} ID ${p.repository_id} is pinned as ${p.repository} and now signs as ${actualRepo}`,
    );
    if (p.owner_id !== undefined && actualOwner !== p.owner_id) {
      warnings.push(
        `transferred: ${actualRepo} (${idNoun} ID ${p.repository_id}) now belongs to ${ownerNoun} ID ${shown(actualOwner)}, not the pinned ${p.owner_id}`,
      );
    }
  } else {
    return mismatch(`source repository ${quote(uri)} is not ${quote(base + p.repository)}`);
  }

  const workflow = p.kind === "github" ? p.workflow : p.workflow_filepath;
  if (workflow !== undefined) {
    const want =
      platform === "github" && !workflow.includes("/") ? `.github/workflows/${workflow}` : workflow;
    const actual = workflowPathOf(c, platform);
    if (actual === undefined) {
      return mismatch(
        `cannot read a workflow path from the build config URI (.18) ${shown(c.buildConfigUri)}`,
      );
    }
    if (actual !== want) return mismatch(`workflow ${quote(actual)} is not ${quote(want)}`);
  }
  const environment = c.deploymentEnvironment;
  if (
    p.environment !== undefined &&
    (environment === undefined || !sameEnvironment(platform, p.environment, environment))
  ) {
    return mismatch(
      environment === undefined || environment === ""
        ? `certificate has no deployment environment (.23); the policy requires ${quote(p.environment)}`
        : `deployment environment ${quote(environment)} is not ${quote(p.environment)}`,
    );
  }
  if (p.ref !== undefined) {
    const ref = c.sourceRepositoryRef;
    if (ref === undefined) {
      return mismatch(`certificate has no source repository ref (.14) to match ${quote(p.ref)}`);
    }
    if (!globMatch(p.ref, ref)) return mismatch(`ref ${quote(ref)} does not match ${quote(p.ref)}`);
  }
  if (p.runner !== undefined && c.runnerEnvironment !== p.runner) {
    return mismatch(
      `runner environment (.11) ${shown(c.runnerEnvironment)} is not ${quote(p.runner)}`,
    );
  }
  if (p.triggers !== undefined) {
    const trigger = c.buildTrigger;
    if (trigger === undefined || !p.triggers.includes(trigger)) {
      return mismatch(
        `build trigger (.20) ${shown(trigger)} is not one of ${p.triggers.map(quote).join(", ")}`,
      );
    }
  }
  return { ok: true, warnings };
}

function matchGoogle(p: GooglePolicyPublisher, cert: CertificateView): PublisherMatch {
  const { issuerV1, issuerV2 } = cert.claims;
  if (issuerV1 !== undefined && issuerV2 !== undefined && issuerV1 !== issuerV2) {
    return mismatch(
      `certificate issuer claims disagree: .1 is ${quote(issuerV1)} but .8 is ${quote(issuerV2)}`,
    );
  }
  const issuer = issuerV2 ?? issuerV1;
  if (issuer !== GOOGLE_ISSUER) {
    return mismatch(
      `certificate issuer ${issuer === undefined ? "(none)" : quote(issuer)} is not Google (${quote(GOOGLE_ISSUER)})`,
    );
  }
  if (cert.identity !== p.email) {
    return mismatch(
      `certificate identity ${cert.identity === undefined ? "(none)" : quote(cert.identity)} is not ${quote(p.email)}`,
    );
  }
  return { ok: true, warnings: [] };
}
