/**
 * Which platform a repository name belongs to, and how that platform compares
 * names. The platform is always named by the user (or by a publisher's kind),
 * never taken from the certificate being checked.
 *
 * Repository names (`--repository`, a PEP 751 `attestation-identities`
 * entry's `repository`):
 * - `OWNER/NAME`, `github:OWNER/NAME`, `https://github.com/OWNER/NAME`: a
 *   GitHub repository;
 * - `gitlab:GROUP/[SUBGROUP/...]PROJECT`, `https://gitlab.com/GROUP/...`: a
 *   GitLab project (a bare name never means GitLab);
 * - anything else (another scheme or host, a trailing "/", an empty segment,
 *   a character GitHub and GitLab never allow in a path) is refused.
 *
 * Case: GitHub owner and repository names are case-insensitive, and so are
 * GitLab namespace and project paths (GitLab keeps routes unique regardless
 * of case and resolves `Group/Project` to `group/project`; PyPI matches the
 * `project_path` claim case-insensitively too). Names are ASCII, so only
 * A-Z fold to a-z; nothing else is ever folded (no Unicode case mapping:
 * the Kelvin sign never equals "k"). Numeric IDs, workflow paths and refs
 * stay exact.
 *
 * Environments: GitHub's documentation says "Environment names are not case
 * sensitive" (and PyPI stores them lowercased), so a GitHub deployment
 * environment (.23) compares the same way. GitLab environment names are
 * case-sensitive and stay exact.
 */
import { PyprovError } from "../errors.js";

export const GITHUB_ISSUER = "https://token.actions.githubusercontent.com";
export const GITLAB_ISSUER = "https://gitlab.com";
export const GITHUB_BASE = "https://github.com/";
export const GITLAB_BASE = "https://gitlab.com/";

export type Platform = "github" | "gitlab";

export const PLATFORMS: Record<
  Platform,
  { issuer: string; base: string; name: string; noun: string; shape: string }
> = {
  github: {
    issuer: GITHUB_ISSUER,
    base: GITHUB_BASE,
    name: "GitHub Actions",
    noun: "GitHub repository",
    shape: "OWNER/NAME",
  },
  gitlab: {
    issuer: GITLAB_ISSUER,
    base: GITLAB_BASE,
    name: "GitLab",
    noun: "GitLab project",
    shape: "GROUP/[SUBGROUP/...]PROJECT",
  },
};

/** A repository on a named platform; `path` is OWNER/NAME or GROUP/.../PROJECT. */
export interface RepositoryName {
  platform: Platform;
  path: string;
}

const FORMS: { prefix: string; platform: Platform }[] = [
  { prefix: "github:", platform: "github" },
  { prefix: GITHUB_BASE, platform: "github" },
  { prefix: "gitlab:", platform: "gitlab" },
  { prefix: GITLAB_BASE, platform: "gitlab" },
];

export const REPOSITORY_FORMS =
  "OWNER/NAME, github:OWNER/NAME or https://github.com/OWNER/NAME for GitHub; " +
  "gitlab:GROUP/PROJECT or https://gitlab.com/GROUP/PROJECT for GitLab";

const SEGMENT = /^[A-Za-z0-9_.-]+$/;

/** Why `path` is not a repository path on `platform`, or undefined when it is one. */
export function repositoryPathError(platform: Platform, path: string): string | undefined {
  const segments = path.split("/");
  const { noun, shape } = PLATFORMS[platform];
  if (platform === "github" ? segments.length !== 2 : segments.length < 2) {
    return `a ${noun} is ${shape}`;
  }
  for (const s of segments) {
    if (!SEGMENT.test(s) || s === "." || s === "..") {
      return s === ""
        ? `a ${noun} is ${shape}, without empty parts`
        : `${JSON.stringify(s)} is not a valid name (letters, digits, "-", "_" and "." only)`;
    }
  }
  return undefined;
}

/** Parse a repository name in one of {@link REPOSITORY_FORMS}; an error says why it is none. */
export function parseRepository(value: string): RepositoryName | { error: string } {
  const form = FORMS.find((f) => value.startsWith(f.prefix));
  if (form === undefined && value.includes(":")) {
    return { error: "only github.com and gitlab.com repositories can be named" };
  }
  const platform = form?.platform ?? "github";
  const path = form ? value.slice(form.prefix.length) : value;
  const error = repositoryPathError(platform, path);
  if (error === undefined) return { platform, path };
  // A bare GROUP/SUBGROUP/PROJECT is most likely a GitLab project given without its prefix.
  const hint =
    form === undefined && repositoryPathError("gitlab", path) === undefined
      ? ` (a GitLab project is gitlab:${path})`
      : "";
  return { error: error + hint };
}

/** `--repository VALUE` parsed, or a one-line USAGE error listing the accepted forms. */
export function parseRepositoryOption(value: string, flag = "--repository"): RepositoryName {
  const parsed = parseRepository(value);
  if ("error" in parsed) {
    throw new PyprovError(
      "USAGE",
      `${flag} ${JSON.stringify(value)}: ${parsed.error}; give ${REPOSITORY_FORMS}`,
    );
  }
  return parsed;
}

/**
 * A publisher's `repository` (PEP 751 attestation identity) on the platform
 * its kind names: the bare path, or a prefixed form or URL of that same
 * platform. Returns the bare path, or why the value is not one.
 */
export function repositoryOfKind(platform: Platform, value: string): string | { error: string } {
  const form = FORMS.find((f) => value.startsWith(f.prefix));
  if (form === undefined && value.includes(":")) {
    return { error: `${JSON.stringify(value)} is not a ${PLATFORMS[platform].noun}` };
  }
  if (form !== undefined && form.platform !== platform) {
    return {
      error: `${JSON.stringify(value)} names a ${PLATFORMS[form.platform].noun}, not a ${PLATFORMS[platform].noun}`,
    };
  }
  const path = form ? value.slice(form.prefix.length) : value;
  const error = repositoryPathError(platform, path);
  return error === undefined ? path : { error: `${JSON.stringify(value)}: ${error}` };
}

/** ASCII case-insensitive equality: A-Z equal a-z, every other code unit compared exactly. */
export function equalsAsciiCaseless(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x >= 0x41 && x <= 0x5a) x += 0x20;
    if (y >= 0x41 && y <= 0x5a) y += 0x20;
    if (x !== y) return false;
  }
  return true;
}

/** Two repository paths on one platform name the same repository (GitHub and GitLab ignore case). */
export function sameRepositoryPath(a: string, b: string): boolean {
  return equalsAsciiCaseless(a, b);
}

/**
 * The Source Repository URI (.12) is `path` on `platform`: the platform's
 * base URL exactly, then the path as the platform compares it.
 */
export function repositoryUriIs(
  uri: string | undefined,
  platform: Platform,
  path: string,
): boolean {
  const { base } = PLATFORMS[platform];
  return (
    uri !== undefined && uri.startsWith(base) && sameRepositoryPath(uri.slice(base.length), path)
  );
}

/** A deployment environment (.23) as the platform compares it: GitHub ignores case, others do not. */
export function sameEnvironment(
  platform: Platform | undefined,
  expected: string,
  actual: string,
): boolean {
  return platform === "github" ? equalsAsciiCaseless(expected, actual) : expected === actual;
}

/** The platform a certificate's issuer (.8, else .1) belongs to, if GitHub Actions or GitLab. */
export function platformOfIssuer(issuer: string | undefined): Platform | undefined {
  return issuer === GITHUB_ISSUER ? "github" : issuer === GITLAB_ISSUER ? "gitlab" : undefined;
}

/**
 * A PEP 751 attestation identity with its `repository` checked against the
 * platform its kind names (GitHub, GitLab) and reduced to the bare path; or
 * why it is not one. Other kinds, and a missing repository, are left to the
 * publisher schema.
 */
export function lockIdentity<T extends { kind: string; [key: string]: unknown }>(
  identity: T,
): T | string {
  const platform: Platform | undefined =
    identity.kind === "GitHub" ? "github" : identity.kind === "GitLab" ? "gitlab" : undefined;
  const repository = identity.repository;
  if (platform === undefined || typeof repository !== "string") return identity;
  const path = repositoryOfKind(platform, repository);
  if (typeof path !== "string") return `repository ${path.error}`;
  return path === repository ? identity : { ...identity, repository: path };
}
