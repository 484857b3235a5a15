/**
 * `pyprov policy init`: a policy that pins the publishers observed now
 * (trust on first use), immutable repository and owner IDs included.
 *
 * From each verified file's certificates: GitHub and GitLab publishers with
 * repository, repository_id, owner_id, workflow, environment (when the
 * certificate names one), ref (a tag becomes `refs/tags/*`, so the next
 * release still matches; a branch stays exact) and runner; Google
 * publishers by e-mail. Each package's min_slsa_level is the lowest level
 * observed; a package with a file that has no provenance gets
 * `require_attestation: false` (the policy states what is true now).
 */
import { stringify } from "yaml";
import type { FulcioClaims } from "../identity/certificate.js";
import {
  GITHUB_BASE,
  GITHUB_ISSUER,
  GITLAB_BASE,
  GITLAB_ISSUER,
  GOOGLE_ISSUER,
} from "../identity/publisher.js";
import { levelNumber } from "../slsa/types.js";
import type { TargetReport } from "../verify/types.js";
import { packageOf } from "./apply.js";
import { workflowPathOf } from "../identity/expectations.js";
import type {
  GitHubPolicyPublisher,
  GitLabPolicyPublisher,
  PolicyDocument,
  PolicyPublisher,
  PolicyRule,
} from "./schema.js";

export interface InitResult {
  document: PolicyDocument;
  /** Things a person should know (identities that cannot be pinned, ...). */
  notes: string[];
  packages: number;
  publishers: number;
}

/** A tag ref generalised so that the next release matches; anything else exact. */
export function refPattern(ref: string): string {
  if (ref.startsWith("refs/tags/")) {
    return ref.slice("refs/tags/".length).includes("/") ? "refs/tags/**" : "refs/tags/*";
  }
  return ref;
}

/** The policy publisher a verified certificate describes, or a reason it cannot be pinned. */
export function publisherFromCertificate(
  claims: FulcioClaims,
  identity: string | undefined,
): { ok: true; publisher: PolicyPublisher } | { ok: false; reason: string } {
  const platform =
    claims.issuerV2 === GITHUB_ISSUER
      ? "github"
      : claims.issuerV2 === GITLAB_ISSUER
        ? "gitlab"
        : undefined;
  if (platform !== undefined) {
    const base = platform === "github" ? GITHUB_BASE : GITLAB_BASE;
    const uri = claims.sourceRepositoryUri;
    const path = workflowPathOf(claims, platform);
    if (uri === undefined || !uri.startsWith(base) || path === undefined) {
      return { ok: false, reason: "the certificate lacks a readable repository or workflow" };
    }
    const repository = uri.slice(base.length);
    const common = {
      repository,
      ...(claims.sourceRepositoryIdentifier !== undefined
        ? { repository_id: claims.sourceRepositoryIdentifier }
        : {}),
      ...(claims.sourceRepositoryOwnerIdentifier !== undefined
        ? { owner_id: claims.sourceRepositoryOwnerIdentifier }
        : {}),
    };
    const rest = {
      ...(claims.deploymentEnvironment ? { environment: claims.deploymentEnvironment } : {}),
      ...(claims.sourceRepositoryRef ? { ref: refPattern(claims.sourceRepositoryRef) } : {}),
    };
    if (platform === "github") {
      const dir = ".github/workflows/";
      const workflow =
        path.startsWith(dir) && !path.slice(dir.length).includes("/")
          ? path.slice(dir.length)
          : path;
      const r = claims.runnerEnvironment;
      const runner: Pick<GitHubPolicyPublisher, "runner"> =
        r === "github-hosted" || r === "self-hosted" ? { runner: r } : {};
      return { ok: true, publisher: { kind: "github", ...common, workflow, ...rest, ...runner } };
    }
    const r = claims.runnerEnvironment;
    const runner: Pick<GitLabPolicyPublisher, "runner"> =
      r === "gitlab-hosted" || r === "self-hosted" ? { runner: r } : {};
    return {
      ok: true,
      publisher: { kind: "gitlab", ...common, workflow_filepath: path, ...rest, ...runner },
    };
  }
  const issuer = claims.issuerV2 ?? claims.issuerV1;
  if (issuer === GOOGLE_ISSUER && identity !== undefined && identity.includes("@")) {
    return { ok: true, publisher: { kind: "google", email: identity } };
  }
  return {
    ok: false,
    reason: `issuer ${issuer ?? "(none)"} is not GitHub Actions, GitLab or Google; policies can only pin those`,
  };
}

/** Build the policy document from one verification run's results. */
export function buildInitialPolicy(results: readonly TargetReport[]): InitResult {
  interface Seen {
    publishers: Map<string, PolicyPublisher>;
    minLevel: number | undefined;
    missing: boolean;
    unpinnable: boolean;
  }
  const packages = new Map<string, Seen>();
  const notes: string[] = [];
  for (const r of results) {
    const name = packageOf(r);
    if (name === undefined) continue;
    let seen = packages.get(name);
    if (!seen) {
      seen = { publishers: new Map(), minLevel: undefined, missing: false, unpinnable: false };
      packages.set(name, seen);
    }
    if (r.verdict === "missing") {
      seen.missing = true;
      continue;
    }
    if (r.verdict !== "verified") continue;
    const n = r.slsa ? levelNumber(r.slsa.level) : undefined;
    if (n !== undefined)
      seen.minLevel = seen.minLevel === undefined ? n : Math.min(seen.minLevel, n);
    for (const a of r.attestations) {
      if (!a.certificate) continue;
      const p = publisherFromCertificate(a.certificate.claims, a.certificate.identity);
      if (!p.ok) {
        if (!seen.unpinnable) notes.push(`${name}: ${r.target.filename}: ${p.reason}`);
        seen.unpinnable = true;
        continue;
      }
      seen.publishers.set(JSON.stringify(p.publisher), p.publisher);
    }
  }
  const out: Record<string, PolicyRule> = {};
  let publishers = 0;
  for (const name of [...packages.keys()].sort()) {
    const seen = packages.get(name)!;
    const rule: PolicyRule = {};
    if (seen.missing) {
      rule.require_attestation = false;
      notes.push(`${name}: a file has no provenance, so require_attestation is false for it`);
    }
    if (seen.minLevel !== undefined) rule.min_slsa_level = seen.minLevel;
    if (seen.publishers.size > 0 && !seen.unpinnable) {
      rule.publishers = [...seen.publishers.values()];
      publishers += rule.publishers.length;
    }
    out[name] = rule;
  }
  return {
    document: {
      version: 1,
      default: { require_attestation: true, min_slsa_level: 1, publishers: [] },
      packages: out,
      trusted_builders: [],
      exceptions: [],
    },
    notes,
    packages: packages.size,
    publishers,
  };
}

/** The policy as file text: YAML with a header comment, or JSON. */
export function renderPolicy(
  doc: PolicyDocument,
  format: "yaml" | "json",
  header: string[] = [],
): string {
  if (format === "json") return JSON.stringify(doc, null, 2) + "\n";
  const comment = header.map((l) => `# ${l}`.trimEnd()).join("\n");
  const body = stringify(doc, { lineWidth: 0 });
  return (comment ? comment + "\n" : "") + body;
}
