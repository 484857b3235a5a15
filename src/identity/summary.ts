/**
 * A person-readable publisher identity derived from a verified certificate's
 * Fulcio claims: which platform, repository, workflow, ref and environment.
 */
import type { PublisherIdentity } from "../verify/types.js";
import { primaryIdentity, type DecodedCertificate } from "./certificate.js";
import { workflowPath } from "./expectations.js";
import {
  GITHUB_BASE,
  GITHUB_ISSUER,
  GITLAB_BASE,
  GITLAB_ISSUER,
  GOOGLE_ISSUER,
} from "./publisher.js";

function stripPrefix(value: string | undefined, prefix: string): string | undefined {
  return value !== undefined && value.startsWith(prefix) ? value.slice(prefix.length) : undefined;
}

export function publisherIdentity(cert: DecodedCertificate): PublisherIdentity {
  const c = cert.claims;
  const kind: PublisherIdentity["kind"] =
    c.issuer === GITHUB_ISSUER
      ? "github"
      : c.issuer === GITLAB_ISSUER
        ? "gitlab"
        : c.issuer === GOOGLE_ISSUER
          ? "google"
          : "other";
  let repository: string | undefined;
  let workflow: string | undefined;
  if (kind === "github" || kind === "gitlab") {
    repository = stripPrefix(c.sourceRepositoryUri, kind === "github" ? GITHUB_BASE : GITLAB_BASE);
    workflow = workflowPath(cert, kind);
  }
  return {
    kind,
    issuer: c.issuer,
    repository,
    workflow,
    ref: c.sourceRepositoryRef,
    environment: c.deploymentEnvironment,
    runner: c.runnerEnvironment,
    repositoryId: c.sourceRepositoryIdentifier,
    ownerId: c.sourceRepositoryOwnerIdentifier,
    identity: primaryIdentity(cert),
  };
}
