/**
 * The user's expectations (--repository, --workflow, --environment,
 * --issuer) against the verified certificate, never against the index's
 * publisher object (verification-rules.md C9). Comparisons are exact, except
 * where the platform itself ignores case (platform.ts): repository names,
 * and GitHub environment names.
 *
 * - repository: names its platform (platform.ts): `OWNER/NAME`,
 *   `github:OWNER/NAME` or `https://github.com/OWNER/NAME` is a GitHub
 *   repository, `gitlab:GROUP/.../PROJECT` or `https://gitlab.com/...` a
 *   GitLab project; anything else fails (the CLI refuses it as USAGE). The
 *   certificate must come from that platform's issuer and its Source
 *   Repository URI (.12) must be that repository. The platform is never
 *   taken from the certificate.
 * - workflow: the path inside the Build Config URI (.18). GitHub: a bare
 *   filename "release.yml" must be `.github/workflows/release.yml`, a value
 *   with "/" must equal the whole path. GitLab: the file path after "//"
 *   must equal the value (no basename matching: GitLab CI files may live in
 *   any directory, so a bare name would be ambiguous). With a repository
 *   expectation, the workflow is read only in that repository's platform: a
 *   GitLab certificate never meets a GitHub workflow, nor the reverse.
 * - environment: the Deployment Environment claim (.23); absent fails.
 * - issuer: the issuer claim (.8, else .1); if both are present they must agree.
 * - identity: one SAN value (URI, e-mail, .7 username) equal to it, the exact
 *   equivalent of an escaped ^…$ SAN policy (C8).
 */
import {
  primaryIdentity,
  sanValues,
  type DecodedCertificate,
  type FulcioClaims,
} from "./certificate.js";
import {
  PLATFORMS,
  parseRepository,
  platformOfIssuer,
  repositoryUriIs,
  sameEnvironment,
  type Platform,
} from "./platform.js";
import { quote } from "./publisher.js";

export interface Expectations {
  repository?: string;
  workflow?: string;
  environment?: string;
  issuer?: string;
  /** A SAN value, compared exactly. */
  identity?: string;
}

export interface ExpectationResult {
  name: keyof Expectations;
  expected: string;
  actual: string | undefined;
  ok: boolean;
  reason?: string;
}

function platformOf(cert: DecodedCertificate): Platform | undefined {
  return platformOfIssuer(cert.claims.issuer);
}

function result(
  name: keyof Expectations,
  expected: string,
  actual: string | undefined,
  reason: string | undefined,
): ExpectationResult {
  return reason === undefined
    ? { name, expected, actual, ok: true }
    : { name, expected, actual, ok: false, reason };
}

function issuerText(cert: DecodedCertificate): string {
  const issuer = cert.claims.issuer;
  return issuer === undefined ? "the certificate has no issuer claim" : `issuer ${quote(issuer)}`;
}

function checkRepository(expected: string, cert: DecodedCertificate): ExpectationResult {
  const actual = cert.claims.sourceRepositoryUri;
  const fail = (reason: string) => result("repository", expected, actual, reason);
  const parsed = parseRepository(expected);
  if ("error" in parsed) return fail(`invalid repository ${quote(expected)}: ${parsed.error}`);
  if (actual === undefined) return fail("certificate has no source repository claim (.12)");
  const { name, noun, base } = PLATFORMS[parsed.platform];
  const wanted = base + parsed.path;
  if (platformOf(cert) !== parsed.platform) {
    return fail(
      `${quote(expected)} is a ${noun}, but the certificate is not from ${name}: ${issuerText(cert)}, source repository ${quote(actual)}`,
    );
  }
  if (!repositoryUriIs(actual, parsed.platform, parsed.path))
    return fail(`certificate source repository ${quote(actual)} is not ${quote(wanted)}`);
  return result("repository", expected, actual, undefined);
}

/**
 * The workflow path inside the Build Config URI (.18): after the Source
 * Repository URI (.12) and "/" (GitHub) or "//" (GitLab), before "@" and the
 * digest (.13) or ref (.14) it ends with (else the last "@").
 */
export function workflowPath(cert: DecodedCertificate, platform: Platform): string | undefined {
  return workflowPathOf(cert.claims, platform);
}

/** {@link workflowPath} from decoded claims (policy, history and SLSA checks hold only claims). */
export function workflowPathOf(claims: FulcioClaims, platform: Platform): string | undefined {
  const { buildConfigUri, sourceRepositoryUri, sourceRepositoryDigest, sourceRepositoryRef } =
    claims;
  if (buildConfigUri === undefined || sourceRepositoryUri === undefined) return undefined;
  const prefix = sourceRepositoryUri + (platform === "gitlab" ? "//" : "/");
  if (!buildConfigUri.startsWith(prefix)) return undefined;
  const rest = buildConfigUri.slice(prefix.length);
  for (const s of [sourceRepositoryRef, sourceRepositoryDigest]) {
    if (s !== undefined && s !== "" && rest.endsWith(`@${s}`) && rest.length > s.length + 1) {
      return rest.slice(0, rest.length - s.length - 1);
    }
  }
  const at = rest.lastIndexOf("@");
  return at > 0 ? rest.slice(0, at) : undefined;
}

const GITHUB_WORKFLOWS_DIR = ".github/workflows/";

function checkWorkflow(
  expected: string,
  cert: DecodedCertificate,
  repositoryPlatform: Platform | undefined,
): ExpectationResult {
  const platform = platformOf(cert);
  const configUri = cert.claims.buildConfigUri;
  if (platform === undefined) {
    return result(
      "workflow",
      expected,
      configUri,
      `cannot read a workflow: ${issuerText(cert)} is neither GitHub Actions nor GitLab`,
    );
  }
  if (repositoryPlatform !== undefined && platform !== repositoryPlatform) {
    return result(
      "workflow",
      expected,
      configUri,
      `the workflow is expected in a ${PLATFORMS[repositoryPlatform].noun}, but ${issuerText(cert)} is ${PLATFORMS[platform].name}'s`,
    );
  }
  if (configUri === undefined) {
    return result(
      "workflow",
      expected,
      undefined,
      "certificate has no build config URI claim (.18)",
    );
  }
  const path = workflowPath(cert, platform);
  if (path === undefined) {
    return result(
      "workflow",
      expected,
      configUri,
      `certificate build config URI ${quote(configUri)} does not name a workflow in the source repository`,
    );
  }
  const wanted =
    platform === "github" && !expected.includes("/") ? GITHUB_WORKFLOWS_DIR + expected : expected;
  if (path !== wanted) {
    return result(
      "workflow",
      expected,
      path,
      `certificate workflow ${quote(path)} (from build config URI ${quote(configUri)}) is not ${quote(wanted)}`,
    );
  }
  return result("workflow", expected, path, undefined);
}

function checkEnvironment(expected: string, cert: DecodedCertificate): ExpectationResult {
  const actual = cert.claims.deploymentEnvironment;
  if (actual === undefined) {
    return result(
      "environment",
      expected,
      undefined,
      "certificate has no deployment environment claim",
    );
  }
  if (!sameEnvironment(platformOf(cert), expected, actual)) {
    return result(
      "environment",
      expected,
      actual,
      `certificate deployment environment ${quote(actual)} is not ${quote(expected)}`,
    );
  }
  return result("environment", expected, actual, undefined);
}

function checkIssuer(expected: string, cert: DecodedCertificate): ExpectationResult {
  const { issuer, issuerV1, issuerV2 } = cert.claims;
  if (issuer === undefined)
    return result("issuer", expected, undefined, "certificate has no issuer claim (.8 or .1)");
  if (issuerV1 !== undefined && issuerV2 !== undefined && issuerV1 !== issuerV2) {
    return result(
      "issuer",
      expected,
      issuer,
      `certificate issuer claims disagree: .1 is ${quote(issuerV1)} but .8 is ${quote(issuerV2)}`,
    );
  }
  if (issuer !== expected) {
    return result(
      "issuer",
      expected,
      issuer,
      `certificate issuer ${quote(issuer)} is not ${quote(expected)}`,
    );
  }
  return result("issuer", expected, issuer, undefined);
}

function checkIdentity(expected: string, cert: DecodedCertificate): ExpectationResult {
  const values = sanValues(cert);
  if (values.includes(expected)) return result("identity", expected, expected, undefined);
  const actual = primaryIdentity(cert);
  const reason =
    values.length === 0
      ? "certificate has no subject alternative name"
      : `certificate subject alternative name ${values.map(quote).join(", ")} is not ${quote(expected)}`;
  return result("identity", expected, actual, reason);
}

const CHECKS: {
  name: keyof Expectations;
  check: (
    expected: string,
    cert: DecodedCertificate,
    repositoryPlatform: Platform | undefined,
  ) => ExpectationResult;
}[] = [
  { name: "repository", check: checkRepository },
  { name: "workflow", check: checkWorkflow },
  { name: "environment", check: checkEnvironment },
  { name: "issuer", check: checkIssuer },
  { name: "identity", check: checkIdentity },
];

/** One result per expectation given (in the order repository, workflow, environment, issuer, identity). */
export function checkExpectations(
  exp: Expectations,
  cert: DecodedCertificate,
): ExpectationResult[] {
  const out: ExpectationResult[] = [];
  const repository = exp.repository === undefined ? undefined : parseRepository(exp.repository);
  const repositoryPlatform =
    repository === undefined || "error" in repository ? undefined : repository.platform;
  for (const { name, check } of CHECKS) {
    const expected = exp[name];
    if (expected === undefined) continue;
    out.push(
      expected === ""
        ? result(name, expected, undefined, `expected ${name} is empty`)
        : check(expected, cert, repositoryPlatform),
    );
  }
  return out;
}
