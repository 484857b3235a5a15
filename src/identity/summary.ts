/**
 * A person-readable publisher identity derived from a verified certificate's
 * Fulcio claims: which platform, repository, workflow, ref and environment.
 */
import type { PublisherIdentity } from "../verify/types.js";
import { primaryIdentity, type DecodedCertificate } from "./certificate.js";

export const GITHUB_ISSUER = "https://token.actions.githubusercontent.com";
export const GITLAB_ISSUER = "https://gitlab.com";
export const GOOGLE_ISSUER = "https://accounts.google.com";

function stripPrefix(value: string | undefined, prefix: string): string | undefined {
  return value !== undefined && value.startsWith(prefix) ? value.slice(prefix.length) : undefined;
}

/** The workflow path inside a Build Config URI (.18), e.g. ".github/workflows/release.yml". */
export function workflowPathFromConfigUri(
  configUri: string | undefined,
  repositoryUri: string | undefined,
  kind: "github" | "gitlab",
): string | undefined {
  if (!configUri || !repositoryUri) return undefined;
  const sep = kind === "gitlab" ? "//" : "/";
  const rest = stripPrefix(configUri, repositoryUri + sep);
  if (rest === undefined) return undefined;
  const at = rest.lastIndexOf("@");
  return at > 0 ? rest.slice(0, at) : undefined;
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
    const host = kind === "github" ? "https://github.com/" : "https://gitlab.com/";
    repository = stripPrefix(c.sourceRepositoryUri, host);
    workflow = workflowPathFromConfigUri(c.buildConfigUri, c.sourceRepositoryUri, kind);
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
