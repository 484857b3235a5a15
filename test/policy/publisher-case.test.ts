/**
 * Policy publishers compare names as their platform does (the kind names the
 * platform): GitHub and GitLab repository names ignore ASCII case, IDs stay
 * exact; GitHub environments ignore case, GitLab environments do not. The
 * schema refuses a repository that names another platform or host. Through
 * `policy diff`, a difference in case only is no difference.
 */
import { describe, expect, it } from "vitest";
import { parsePolicy } from "../../src/policy/load.js";
import { correspond, fieldChanges, type Observation } from "../../src/policy/diff.js";
import { matchPolicyPublisher, type CertificateView } from "../../src/policy/publisher.js";
import type { PolicyPublisher } from "../../src/policy/schema.js";
import { PyprovError } from "../../src/errors.js";
import { githubClaims } from "./helpers.js";

const view = (claims: ReturnType<typeof githubClaims>): CertificateView => ({
  claims,
  identity: claims.buildSignerUri,
});

function gitlabView(project: string, env?: string): CertificateView {
  const config = `https://gitlab.com/${project}//.gitlab-ci.yml@refs/tags/v1`;
  return {
    identity: config,
    claims: {
      issuer: "https://gitlab.com",
      issuerV2: "https://gitlab.com",
      sourceRepositoryUri: `https://gitlab.com/${project}`,
      sourceRepositoryDigest: "abc",
      sourceRepositoryRef: "refs/tags/v1",
      sourceRepositoryIdentifier: "11",
      sourceRepositoryOwnerIdentifier: "22",
      buildConfigUri: config,
      ...(env !== undefined ? { deploymentEnvironment: env } : {}),
    },
  };
}

const GH: PolicyPublisher = {
  kind: "github",
  repository: "PyPA/SampleProject",
  repository_id: "123456",
  workflow: "release.yml",
  environment: "PyPI",
};

describe("policy publishers: names compare as the platform compares them", () => {
  it("GitHub: repository and environment ignore case; the pinned ID is still enforced", () => {
    expect(matchPolicyPublisher(GH, view(githubClaims({ environment: "pypi" })))).toEqual({
      ok: true,
      warnings: [],
    });
    const other = matchPolicyPublisher(
      GH,
      view(githubClaims({ environment: "pypi", repositoryId: "999" })),
    );
    expect(other).toMatchObject({ ok: false, code: "REPOSITORY_ID_MISMATCH" });
    // The workflow path stays exact.
    expect(
      matchPolicyPublisher(
        { ...GH, workflow: "Release.yml" },
        view(githubClaims({ environment: "pypi" })),
      ),
    ).toMatchObject({
      ok: false,
      reason: 'workflow ".github/workflows/release.yml" is not ".github/workflows/Release.yml"',
    });
  });

  it("GitLab: the project path ignores case, the environment does not", () => {
    const GL: PolicyPublisher = { kind: "gitlab", repository: "Group/Sub/Project" };
    expect(matchPolicyPublisher(GL, gitlabView("group/sub/project"))).toEqual({
      ok: true,
      warnings: [],
    });
    expect(matchPolicyPublisher(GL, gitlabView("group/project")).ok).toBe(false);
    expect(
      matchPolicyPublisher({ ...GL, environment: "PyPI" }, gitlabView("group/sub/project", "pypi")),
    ).toMatchObject({ ok: false, reason: 'deployment environment "pypi" is not "PyPI"' });
  });

  it("the schema refuses a repository naming another platform or host", () => {
    for (const [kind, repository] of [
      ["github", "gitlab:acme/pkg"],
      ["github", "github:acme/pkg"],
      ["github", "acme/p kg"],
      ["gitlab", "https://gitlab.com/acme/pkg"],
      ["gitlab", "gitlab:acme/pkg"],
    ]) {
      const text = JSON.stringify({
        version: 1,
        default: { publishers: [{ kind, repository }] },
      });
      expect(() => parsePolicy(Buffer.from(text), "policy.json"), repository).toThrow(PyprovError);
    }
  });
});

describe("policy diff: a difference in case only is none", () => {
  const pinned: PolicyPublisher = {
    kind: "github",
    repository: "PyPA/SampleProject",
    workflow: "release.yml",
    environment: "PyPI",
  };
  const observed: Observation = {
    publisher: {
      kind: "github",
      repository: "pypa/sampleproject",
      workflow: ".github/workflows/release.yml",
      environment: "pypi",
    },
    ref: "refs/tags/v1",
    files: [],
  };

  it("pairs the pin by name ignoring case and reports no field change", () => {
    expect(correspond([pinned], observed.publisher)).toBe(0);
    expect(fieldChanges(pinned, observed, false)).toEqual([]);
  });

  it("a GitLab environment in another case is a change", () => {
    const gl: PolicyPublisher = { kind: "gitlab", repository: "G/P", environment: "PyPI" };
    const o: Observation = {
      publisher: { kind: "gitlab", repository: "g/p", environment: "pypi" },
      ref: undefined,
      files: [],
    };
    expect(correspond([gl], o.publisher)).toBe(0);
    expect(fieldChanges(gl, o, false).map((c) => c.field)).toEqual(["environment"]);
  });
});
