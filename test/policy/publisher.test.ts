/**
 * Policy publisher entries against certificate claims: every field, each way
 * it passes and each way it fails, including the repojacking defence
 * (pinned IDs) and renamed/transferred repositories; then the same on real
 * corpus certificates.
 */
import { describe, expect, it } from "vitest";
import { decodeCertificate, primaryIdentity } from "../../src/identity/certificate.js";
import { parseAttestation, parseProvenance } from "../../src/pep740/load.js";
import {
  describePolicyPublisher,
  matchPolicyPublisher,
  type CertificateView,
} from "../../src/policy/publisher.js";
import { workflowPathOf } from "../../src/identity/expectations.js";
import type { PolicyPublisher } from "../../src/policy/schema.js";
import { casePath, readCaseFile } from "../support/corpus.js";
import {
  GCB,
  GITLAB_CASE,
  MODELS_0_0_4A2,
  PA_0_0_19,
  PA_0_0_28,
  PYPI_OWNER_ID,
  REPO_ID,
  TOB_OWNER_ID,
  githubClaims,
} from "./helpers.js";

const view = (claims: ReturnType<typeof githubClaims>): CertificateView => ({
  claims,
  identity: claims.buildSignerUri,
});

function expectMatch(p: PolicyPublisher, cert: CertificateView, warnings: string[] = []) {
  const m = matchPolicyPublisher(p, cert);
  expect(m, JSON.stringify(m)).toEqual({ ok: true, warnings });
}

function expectMismatch(
  p: PolicyPublisher,
  cert: CertificateView,
  reason: string,
  code = "POLICY_PUBLISHER",
) {
  const m = matchPolicyPublisher(p, cert);
  expect(m.ok).toBe(false);
  if (!m.ok) {
    expect(m.code).toBe(code);
    expect(m.reason).toContain(reason);
  }
}

const GH: PolicyPublisher = {
  kind: "github",
  repository: "pypa/sampleproject",
  repository_id: "123456",
  owner_id: "654321",
  workflow: "release.yml",
  environment: "pypi",
  ref: "refs/tags/*",
  runner: "github-hosted",
  triggers: ["push", "release"],
};
const ok = view(githubClaims({ environment: "pypi" }));

describe("GitHub publisher", () => {
  it("matches when every field matches", () => expectMatch(GH, ok));

  it("needs only the repository when nothing else is pinned", () => {
    expectMatch({ kind: "github", repository: "pypa/sampleproject" }, view(githubClaims({})));
  });

  it("issuer: not GitHub Actions fails", () => {
    expectMismatch(
      GH,
      view({ ...githubClaims({}), issuerV2: "https://gitlab.com" }),
      "is not GitHub Actions",
    );
    const noV2 = { ...githubClaims({}) };
    delete noV2.issuerV2;
    expectMismatch(GH, view(noV2), "is not GitHub Actions");
  });

  it("repository: compared as GitHub compares names (ASCII case ignored), else exactly", () => {
    expectMatch({ kind: "github", repository: "PyPA/SampleProject" }, ok);
    expectMismatch(
      { kind: "github", repository: "pypa/sample" },
      ok,
      'source repository "https://github.com/pypa/sampleproject" is not "https://github.com/pypa/sample"',
    );
  });

  describe("pinned IDs (repojacking defence)", () => {
    it("same name, new repository ID: fails, naming possible repojacking", () => {
      expectMismatch(
        GH,
        view(githubClaims({ environment: "pypi", repositoryId: "999" })),
        'repository ID "999" of pypa/sampleproject differs from the pinned 123456: possible repojacking',
        "REPOSITORY_ID_MISMATCH",
      );
    });

    it("same name, new owner ID: fails, naming possible repojacking", () => {
      expectMismatch(
        GH,
        view(githubClaims({ environment: "pypi", ownerId: "1" })),
        'owner ID "1" of pypa/sampleproject differs from the pinned 654321: possible repojacking',
        "REPOSITORY_ID_MISMATCH",
      );
    });

    it("same name, no ID claims: fails (an old certificate cannot prove its IDs)", () => {
      const c = githubClaims({ environment: "pypi" });
      delete c.sourceRepositoryIdentifier;
      expectMismatch(GH, view(c), "repository ID (none)", "REPOSITORY_ID_MISMATCH");
    });

    it("new name, same IDs: passes with a renamed warning", () => {
      expectMatch(
        GH,
        view(githubClaims({ repository: "pypa/sample-project", environment: "pypi" })),
        [
          "renamed: repository ID 123456 is pinned as pypa/sampleproject and now signs as pypa/sample-project",
        ],
      );
    });

    it("new name and owner, same repository ID: passes with renamed and transferred warnings", () => {
      expectMatch(
        GH,
        view(
          githubClaims({ repository: "psf/sampleproject", ownerId: "777", environment: "pypi" }),
        ),
        [
          "renamed: repository ID 123456 is pinned as pypa/sampleproject and now signs as psf/sampleproject",
          'transferred: psf/sampleproject (repository ID 123456) now belongs to owner ID "777", not the pinned 654321',
        ],
      );
    });

    it("new name, new repository ID: another repository", () => {
      expectMismatch(
        GH,
        view(
          githubClaims({
            repository: "evil/sampleproject",
            repositoryId: "9",
            environment: "pypi",
          }),
        ),
        'source repository "https://github.com/evil/sampleproject" is not',
      );
    });

    it("new name with only the owner ID pinned: not enough to call it a rename", () => {
      expectMismatch(
        { kind: "github", repository: "pypa/a", owner_id: "654321" },
        view(githubClaims({ repository: "pypa/b" })),
        "is not",
      );
    });

    it("a renamed repository must still meet the other fields", () => {
      expectMismatch(
        GH,
        view(githubClaims({ repository: "pypa/renamed", environment: "staging" })),
        'deployment environment "staging" is not "pypi"',
      );
    });
  });

  it("workflow: a file name means .github/workflows/NAME; a path is compared whole", () => {
    expectMatch(
      {
        kind: "github",
        repository: "pypa/sampleproject",
        workflow: ".github/workflows/release.yml",
      },
      ok,
    );
    expectMismatch(
      { ...GH, workflow: "publish.yml" },
      ok,
      'workflow ".github/workflows/release.yml" is not ".github/workflows/publish.yml"',
    );
    expectMismatch({ ...GH, workflow: "RELEASE.yml" }, ok, "is not");
    expectMismatch(
      { ...GH, workflow: "workflows/release.yml" },
      ok,
      'is not "workflows/release.yml"',
    );
  });

  it("workflow: a build config URI of another repository cannot be read", () => {
    const c = githubClaims({ environment: "pypi" });
    c.buildConfigUri =
      "https://github.com/other/repo/.github/workflows/release.yml@refs/tags/v4.0.0";
    expectMismatch(GH, view(c), "cannot read a workflow path");
  });

  it("environment: must equal .23 (GitHub ignores case), and a missing .23 fails", () => {
    expectMismatch(
      GH,
      view(githubClaims({ environment: "testpypi" })),
      'deployment environment "testpypi" is not "pypi"',
    );
    expectMatch(GH, view(githubClaims({ environment: "PyPI" })));
    expectMismatch(
      GH,
      view(githubClaims({})),
      'certificate has no deployment environment (.23); the policy requires "pypi"',
    );
  });

  it("ref: a glob over .14", () => {
    expectMatch({ ...GH, ref: "refs/tags/v*" }, ok);
    expectMatch({ ...GH, ref: "refs/tags/v4.0.0" }, ok);
    expectMismatch(
      GH,
      view(githubClaims({ ref: "refs/heads/main", environment: "pypi" })),
      'ref "refs/heads/main" does not match "refs/tags/*"',
    );
    const c = githubClaims({ environment: "pypi" });
    delete c.sourceRepositoryRef;
    expectMismatch(GH, view(c), "no source repository ref (.14)");
  });

  it("runner: exact, and an absent .11 fails", () => {
    expectMismatch(
      GH,
      view(githubClaims({ runner: "self-hosted", environment: "pypi" })),
      'runner environment (.11) "self-hosted" is not "github-hosted"',
    );
    const c = githubClaims({ environment: "pypi" });
    delete c.runnerEnvironment;
    expectMismatch(GH, view(c), "(.11) (none)");
    expectMatch(
      { ...GH, runner: "self-hosted" },
      view(githubClaims({ runner: "self-hosted", environment: "pypi" })),
    );
  });

  it("triggers: .20 must be listed", () => {
    expectMismatch(
      GH,
      view(githubClaims({ trigger: "pull_request_target", environment: "pypi" })),
      'build trigger (.20) "pull_request_target" is not one of "push", "release"',
    );
  });

  it("describes itself for messages", () => {
    expect(describePolicyPublisher(GH)).toBe(
      "github pypa/sampleproject (repository ID 123456, owner ID 654321) workflow release.yml environment pypi ref refs/tags/* runner github-hosted triggers push|release",
    );
  });
});

function gitlabView(
  o: { project?: string; id?: string; ns?: string; runner?: string; env?: string } = {},
): CertificateView {
  const project = o.project ?? "group/sub/project";
  const config = `https://gitlab.com/${project}//.gitlab-ci.yml@refs/tags/v1`;
  return {
    identity: config,
    claims: {
      issuer: "https://gitlab.com",
      issuerV2: "https://gitlab.com",
      buildSignerUri: config,
      runnerEnvironment: o.runner ?? "gitlab-hosted",
      sourceRepositoryUri: `https://gitlab.com/${project}`,
      sourceRepositoryDigest: "abc",
      sourceRepositoryRef: "refs/tags/v1",
      sourceRepositoryIdentifier: o.id ?? "11",
      sourceRepositoryOwnerIdentifier: o.ns ?? "22",
      buildConfigUri: config,
      buildTrigger: "push",
      ...(o.env ? { deploymentEnvironment: o.env } : {}),
    },
  };
}

describe("GitLab publisher", () => {
  const GL: PolicyPublisher = {
    kind: "gitlab",
    repository: "group/sub/project",
    repository_id: "11",
    owner_id: "22",
    workflow_filepath: ".gitlab-ci.yml",
    ref: "refs/tags/*",
    runner: "gitlab-hosted",
  };
  it("matches (the config path follows a double slash)", () => expectMatch(GL, gitlabView()));
  it("fails on the workflow file path", () => {
    expectMismatch(
      { ...GL, workflow_filepath: "ci/release.yml" },
      gitlabView(),
      'workflow ".gitlab-ci.yml" is not "ci/release.yml"',
    );
  });
  it("fails on a GitHub certificate", () => {
    expectMismatch(GL, ok, "is not GitLab");
  });
  it("project ID pinned: same path, new project ID fails", () => {
    expectMismatch(
      GL,
      gitlabView({ id: "99" }),
      'project ID "99" of group/sub/project differs from the pinned 11: possible repojacking',
      "REPOSITORY_ID_MISMATCH",
    );
    expectMismatch(GL, gitlabView({ ns: "99" }), "namespace ID", "REPOSITORY_ID_MISMATCH");
  });
  it("project ID pinned: new path, same ID passes as renamed", () => {
    expectMatch(GL, gitlabView({ project: "group/project" }), [
      "renamed: project ID 11 is pinned as group/sub/project and now signs as group/project",
    ]);
  });
  it("runner and environment", () => {
    expectMismatch(
      GL,
      gitlabView({ runner: "self-hosted" }),
      '"self-hosted" is not "gitlab-hosted"',
    );
    expectMismatch({ ...GL, environment: "pypi" }, gitlabView(), "no deployment environment");
    expectMatch({ ...GL, environment: "pypi" }, gitlabView({ env: "pypi" }));
  });
});

describe("Google publisher", () => {
  const email = "builder@proj.iam.gserviceaccount.com";
  const G: PolicyPublisher = { kind: "google", email };
  const google = (o: { v1?: string; v2?: string; identity?: string }): CertificateView => ({
    identity: o.identity ?? email,
    claims: {
      ...(o.v1 ? { issuerV1: o.v1 } : {}),
      ...(o.v2 ? { issuerV2: o.v2 } : {}),
      issuer: o.v2 ?? o.v1,
    },
  });
  const GOOGLE = "https://accounts.google.com";
  it("matches on the SAN e-mail with the issuer in .8, .1 or both", () => {
    expectMatch(G, google({ v2: GOOGLE }));
    expectMatch(G, google({ v1: GOOGLE }));
    expectMatch(G, google({ v1: GOOGLE, v2: GOOGLE }));
  });
  it("fails on another e-mail (exactly, case-sensitively)", () => {
    expectMismatch(
      G,
      google({ v2: GOOGLE, identity: "other@proj.iam.gserviceaccount.com" }),
      "is not",
    );
    expectMismatch(G, google({ v2: GOOGLE, identity: email.toUpperCase() }), "is not");
  });
  it("fails on another issuer, no issuer, or disagreeing issuers", () => {
    expectMismatch(
      G,
      google({ v2: "https://token.actions.githubusercontent.com" }),
      "is not Google",
    );
    expectMismatch(G, google({}), "(none) is not Google");
    expectMismatch(G, google({ v1: GOOGLE, v2: "https://evil" }), "issuer claims disagree");
  });
  it("fails on a GitHub certificate whose SAN is not an e-mail", () => {
    expectMismatch(G, ok, "is not Google");
  });
});

describe("on real corpus certificates", () => {
  function certOf(caseName: string, file: string, provenance = false): CertificateView {
    const raw = readCaseFile(caseName, file);
    const att = provenance
      ? parseProvenance(raw, casePath(caseName, file)).groups[0]!.attestations[0]!.attestation
      : parseAttestation(raw, casePath(caseName, file));
    const cert = decodeCertificate(att.verification_material.certificate);
    return { claims: cert.claims, identity: primaryIdentity(cert) };
  }
  const models = certOf(MODELS_0_0_4A2, "pypi_attestation_models-0.0.4a2.tar.gz.attestation");
  const v19 = certOf(PA_0_0_19, "pypi_attestations-0.0.19.tar.gz.publish.attestation");
  const v28 = certOf(PA_0_0_28, "pypi.attestation.json");
  const pinned: PolicyPublisher = {
    kind: "github",
    repository: "trailofbits/pypi-attestation-models",
    repository_id: REPO_ID,
    owner_id: TOB_OWNER_ID,
    workflow: "release.yml",
    ref: "refs/tags/v*",
    runner: "github-hosted",
  };

  it("the pinned original matches itself", () => expectMatch(pinned, models));

  it("the rename to trailofbits/pypi-attestations: same IDs, passes as renamed", () => {
    expectMatch(pinned, v19, [
      `renamed: repository ID ${REPO_ID} is pinned as trailofbits/pypi-attestation-models and now signs as trailofbits/pypi-attestations`,
    ]);
  });

  it("the transfer to pypi/pypi-attestations: renamed and transferred", () => {
    expectMatch(pinned, v28, [
      `renamed: repository ID ${REPO_ID} is pinned as trailofbits/pypi-attestation-models and now signs as pypi/pypi-attestations`,
      `transferred: pypi/pypi-attestations (repository ID ${REPO_ID}) now belongs to owner ID "${PYPI_OWNER_ID}", not the pinned ${TOB_OWNER_ID}`,
    ]);
  });

  it("a name-only pin breaks at the rename", () => {
    expectMismatch(
      { kind: "github", repository: "trailofbits/pypi-attestation-models" },
      v19,
      'source repository "https://github.com/trailofbits/pypi-attestations" is not',
    );
  });

  it("the same name with other IDs (a re-registered name) fails as possible repojacking", () => {
    expectMismatch(
      { ...pinned, repository: "trailofbits/pypi-attestations", repository_id: "1" },
      v19,
      "possible repojacking",
      "REPOSITORY_ID_MISMATCH",
    );
  });

  it("GitLab (facutuesca/gitlab-oidc-project) and Google (Cloud Build) certificates", () => {
    const gitlab = certOf(GITLAB_CASE, "gitlab_oidc_project-0.0.3.tar.gz.publish.attestation");
    expect(workflowPathOf(gitlab.claims, "gitlab")).toBe(".gitlab-ci.yml");
    expectMatch(
      {
        kind: "gitlab",
        repository: "facutuesca/gitlab-oidc-project",
        repository_id: "55235664",
        owner_id: "12885801",
        workflow_filepath: ".gitlab-ci.yml",
        ref: "refs/heads/main",
        runner: "gitlab-hosted",
      },
      gitlab,
    );
    expectMismatch(
      {
        kind: "gitlab",
        repository: "facutuesca/gitlab-oidc-project",
        workflow_filepath: "wrong.yml",
      },
      gitlab,
      "is not",
    );
    const gcb = certOf(GCB, "gcb_attestation_test-0.0.0.tar.gz.provenance", true);
    expectMatch(
      { kind: "google", email: "919436158236-compute@developer.gserviceaccount.com" },
      gcb,
    );
    expectMismatch({ kind: "google", email: "other@developer.gserviceaccount.com" }, gcb, "is not");
  });
});
