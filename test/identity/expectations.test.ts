import { beforeAll, describe, expect, it } from "vitest";
import { decodeCertificate, type DecodedCertificate } from "../../src/identity/certificate.js";
import { checkExpectations, workflowPath } from "../../src/identity/expectations.js";
import { caseCertificates, fulcioExt, githubExtensions, makeCertificate } from "./helpers.js";

const certOf = (caseName: string): DecodedCertificate =>
  decodeCertificate(caseCertificates(caseName)[0]!.der);

const GH_ISSUER = "https://token.actions.githubusercontent.com";

describe("expectations against a real GitHub certificate", () => {
  const cert = certOf("tob-pypi_attestations-0.0.19-sdist");

  it("passes matching repository, workflow and issuer, reporting actual values", () => {
    expect(
      checkExpectations(
        { repository: "trailofbits/pypi-attestations", workflow: "release.yml", issuer: GH_ISSUER },
        cert,
      ),
    ).toStrictEqual([
      {
        name: "repository",
        expected: "trailofbits/pypi-attestations",
        actual: "https://github.com/trailofbits/pypi-attestations",
        ok: true,
      },
      {
        name: "workflow",
        expected: "release.yml",
        actual: ".github/workflows/release.yml",
        ok: true,
      },
      { name: "issuer", expected: GH_ISSUER, actual: GH_ISSUER, ok: true },
    ]);
  });

  it("returns nothing when nothing is expected, and one result per expectation given", () => {
    expect(checkExpectations({}, cert)).toStrictEqual([]);
    expect(checkExpectations({ issuer: GH_ISSUER }, cert).map((r) => r.name)).toStrictEqual([
      "issuer",
    ]);
  });

  it("compares the repository as GitHub does: case is ignored, nothing else is", () => {
    for (const repository of [
      "TrailOfBits/pypi-attestations",
      "TRAILOFBITS/PYPI-ATTESTATIONS",
      "github:TrailOfBits/Pypi-Attestations",
      "https://github.com/trailofbits/PyPI-Attestations",
    ]) {
      expect(checkExpectations({ repository }, cert)[0], repository).toMatchObject({
        ok: true,
        actual: "https://github.com/trailofbits/pypi-attestations",
      });
    }
    for (const repository of ["trailofbits/pypi", "trailofbits/pypi-attestation", "t/p"]) {
      const [r] = checkExpectations({ repository }, cert);
      expect(r!.ok, repository).toBe(false);
      expect(r!.reason).toBe(
        `certificate source repository "https://github.com/trailofbits/pypi-attestations" is not ${JSON.stringify(
          `https://github.com/${repository}`,
        )}`,
      );
    }
  });

  it("folds only ASCII case: a Kelvin sign is not a k", async () => {
    const kit = decodeCertificate(
      await makeCertificate({
        extensions: githubExtensions({ repository: "acme/kit", workflow: "release.yml" }),
      }),
    );
    expect(checkExpectations({ repository: "ACME/KIT" }, kit)[0]!.ok).toBe(true);
    // U+212A KELVIN SIGN lowercases to "k" under Unicode rules; it is no GitHub name character.
    expect("\u212Ait".toLowerCase()).toBe("kit");
    const [r] = checkExpectations({ repository: "acme/\u212Ait" }, kit);
    expect(r).toMatchObject({ ok: false });
    expect(r!.reason).toMatch(/^invalid repository /);
  });

  it("fails a repository expectation that names no github.com or gitlab.com repository", () => {
    for (const repository of [
      "trailofbits/pypi-attestations/",
      "trailofbits",
      "https://gitea.com/trailofbits/pypi-attestations",
      "http://github.com/trailofbits/pypi-attestations",
      "acme/.*",
    ]) {
      const [r] = checkExpectations({ repository }, cert);
      expect(r, repository).toMatchObject({ ok: false, actual: cert.claims.sourceRepositoryUri });
      expect(r!.reason).toMatch(/^invalid repository /);
    }
  });

  it("accepts a full repository URL and refuses a GitLab project of the same path", () => {
    expect(
      checkExpectations(
        { repository: "https://github.com/trailofbits/pypi-attestations" },
        cert,
      )[0]!.ok,
    ).toBe(true);
    for (const repository of [
      "https://gitlab.com/trailofbits/pypi-attestations",
      "gitlab:trailofbits/pypi-attestations",
    ]) {
      expect(checkExpectations({ repository }, cert)[0]).toMatchObject({
        ok: false,
        reason: `${JSON.stringify(repository)} is a GitLab project, but the certificate is not from GitLab: issuer "${GH_ISSUER}", source repository "https://github.com/trailofbits/pypi-attestations"`,
      });
    }
  });

  it("matches a workflow by file name in .github/workflows or by its full path", () => {
    const ok = (workflow: string) => checkExpectations({ workflow }, cert)[0]!.ok;
    expect(ok("release.yml")).toBe(true);
    expect(ok(".github/workflows/release.yml")).toBe(true);
    expect(ok("workflows/release.yml")).toBe(false);
    expect(ok("Release.yml")).toBe(false);
    expect(ok("release")).toBe(false);
    expect(ok("release.ym.")).toBe(false);
    const [r] = checkExpectations({ workflow: "publish.yml" }, cert);
    expect(r).toStrictEqual({
      name: "workflow",
      expected: "publish.yml",
      actual: ".github/workflows/release.yml",
      ok: false,
      reason:
        'certificate workflow ".github/workflows/release.yml" (from build config URI ' +
        '"https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml@refs/tags/v0.0.19") ' +
        'is not ".github/workflows/publish.yml"',
    });
  });

  it("fails an environment expectation when the certificate has no .23", () => {
    expect(checkExpectations({ environment: "pypi" }, cert)).toStrictEqual([
      {
        name: "environment",
        expected: "pypi",
        actual: undefined,
        ok: false,
        reason: "certificate has no deployment environment claim",
      },
    ]);
  });

  it("fails another issuer and an empty expectation", () => {
    const [issuer, empty] = [
      checkExpectations({ issuer: "https://gitlab.com" }, cert)[0]!,
      checkExpectations({ repository: "" }, cert)[0]!,
    ];
    expect(issuer.reason).toBe(`certificate issuer "${GH_ISSUER}" is not "https://gitlab.com"`);
    expect(empty).toMatchObject({ ok: false, reason: "expected repository is empty" });
  });

  it("reads the workflow through the digest when the ref extension is absent", () => {
    const noRef = certOf("tob-cert-no-source-repository-ref-extension");
    expect(
      checkExpectations(
        { workflow: "python-publish.yml", repository: "SWIFTSIM/swiftgalaxy" },
        noRef,
      ),
    ).toMatchObject([
      { ok: true, actual: "https://github.com/SWIFTSIM/swiftgalaxy" },
      { ok: true, actual: ".github/workflows/python-publish.yml" },
    ]);
  });
});

describe("expectations against a real GitLab certificate", () => {
  const cert = certOf("tob-gitlab_oidc_project-0.0.3-sdist");
  const GITLAB_URI = "https://gitlab.com/facutuesca/gitlab-oidc-project";

  it("gitlab:GROUP/PROJECT builds the URI on gitlab.com; the file path is read after //", () => {
    expect(
      checkExpectations(
        { repository: "gitlab:facutuesca/gitlab-oidc-project", workflow: ".gitlab-ci.yml" },
        cert,
      ),
    ).toStrictEqual([
      {
        name: "repository",
        expected: "gitlab:facutuesca/gitlab-oidc-project",
        actual: GITLAB_URI,
        ok: true,
      },
      { name: "workflow", expected: ".gitlab-ci.yml", actual: ".gitlab-ci.yml", ok: true },
    ]);
    for (const repository of [GITLAB_URI, "gitlab:FacuTuesca/GitLab-OIDC-Project"]) {
      expect(checkExpectations({ repository }, cert)[0]!.ok, repository).toBe(true);
    }
  });

  it("a bare OWNER/NAME is a GitHub repository: the GitLab certificate fails it and its workflow", () => {
    const [repository, workflow] = checkExpectations(
      { repository: "facutuesca/gitlab-oidc-project", workflow: ".gitlab-ci.yml" },
      cert,
    );
    expect(repository).toStrictEqual({
      name: "repository",
      expected: "facutuesca/gitlab-oidc-project",
      actual: GITLAB_URI,
      ok: false,
      reason: `"facutuesca/gitlab-oidc-project" is a GitHub repository, but the certificate is not from GitHub Actions: issuer "https://gitlab.com", source repository "${GITLAB_URI}"`,
    });
    expect(workflow).toMatchObject({
      ok: false,
      reason:
        'the workflow is expected in a GitHub repository, but issuer "https://gitlab.com" is GitLab\'s',
    });
    expect(
      checkExpectations(
        { repository: `https://github.com/facutuesca/gitlab-oidc-project` },
        cert,
      )[0]!.ok,
    ).toBe(false);
  });

  it("refuses wrong.yml and a GitHub-style path", () => {
    expect(checkExpectations({ workflow: "wrong.yml" }, cert)[0]).toMatchObject({
      ok: false,
      actual: ".gitlab-ci.yml",
    });
    expect(checkExpectations({ workflow: ".github/workflows/.gitlab-ci.yml" }, cert)[0]!.ok).toBe(
      false,
    );
  });
});

describe("expectations against e-mail identities", () => {
  it("cannot match a repository or workflow without a CI issuer, but matches the issuer", () => {
    const cert = certOf("pypi-gcb_attestation_test-0.0.0-sdist-pypi-provenance");
    const [repo, workflow, issuer] = checkExpectations(
      { repository: "o/n", workflow: "release.yml", issuer: "https://accounts.google.com" },
      cert,
    );
    expect(repo).toMatchObject({
      ok: false,
      actual: undefined,
      reason: "certificate has no source repository claim (.12)",
    });
    expect(workflow).toMatchObject({
      ok: false,
      reason:
        'cannot read a workflow: issuer "https://accounts.google.com" is neither GitHub Actions nor GitLab',
    });
    expect(issuer).toMatchObject({ ok: true, actual: "https://accounts.google.com" });
  });
});

describe("identity expectations", () => {
  it("match one SAN value exactly", () => {
    const gh = certOf("tob-pypi_attestations-0.0.19-sdist");
    const san =
      "https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml@refs/tags/v0.0.19";
    expect(checkExpectations({ identity: san }, gh)).toStrictEqual([
      { name: "identity", expected: san, actual: san, ok: true },
    ]);
    const prefix = "https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml";
    expect(checkExpectations({ identity: prefix }, gh)[0]).toMatchObject({
      ok: false,
      actual: san,
      reason: `certificate subject alternative name "${san}" is not "${prefix}"`,
    });
    const email = certOf("tob-rfc8785-0.1.2-whl");
    expect(checkExpectations({ identity: "william@yossarian.net" }, email)[0]!.ok).toBe(true);
    expect(checkExpectations({ identity: "William@yossarian.net" }, email)[0]!.ok).toBe(false);
  });
});

describe("expectations against synthetic certificates", () => {
  let withEnv: DecodedCertificate;
  let atInRef: DecodedCertificate;
  let disagree: DecodedCertificate;
  beforeAll(async () => {
    withEnv = decodeCertificate(
      await makeCertificate({
        extensions: githubExtensions({
          repository: "o/n",
          workflow: "release.yml",
          ref: "refs/tags/v1",
          environment: "pypi",
        }),
      }),
    );
    atInRef = decodeCertificate(
      await makeCertificate({
        extensions: githubExtensions({
          repository: "o/n",
          workflow: "release.yml",
          ref: "refs/heads/fix@home",
        }),
      }),
    );
    disagree = decodeCertificate(
      await makeCertificate({
        extensions: [fulcioExt(1, "https://a.example"), fulcioExt(8, "https://b.example")],
      }),
    );
  });

  it("compares a GitHub environment with .23 as GitHub does: ignoring ASCII case only", () => {
    expect(checkExpectations({ environment: "pypi" }, withEnv)[0]).toStrictEqual({
      name: "environment",
      expected: "pypi",
      actual: "pypi",
      ok: true,
    });
    // GitHub: "Environment names are not case sensitive."
    expect(checkExpectations({ environment: "PyPI" }, withEnv)[0]!.ok).toBe(true);
    for (const environment of ["pypi ", "pyp", "testpypi", "pyp\u0130"]) {
      expect(checkExpectations({ environment }, withEnv)[0], environment).toMatchObject({
        ok: false,
        reason: `certificate deployment environment "pypi" is not ${JSON.stringify(environment)}`,
      });
    }
  });

  it("compares a GitLab environment exactly", async () => {
    const base = "https://gitlab.com/g/p";
    const gitlab = decodeCertificate(
      await makeCertificate({
        extensions: [
          fulcioExt(8, "https://gitlab.com"),
          fulcioExt(12, base),
          fulcioExt(18, `${base}//.gitlab-ci.yml@refs/heads/main`),
          fulcioExt(23, "pypi"),
        ],
      }),
    );
    expect(checkExpectations({ environment: "pypi" }, gitlab)[0]!.ok).toBe(true);
    expect(checkExpectations({ environment: "PyPI" }, gitlab)[0]).toMatchObject({
      ok: false,
      reason: 'certificate deployment environment "pypi" is not "PyPI"',
    });
  });

  it("strips the ref claim, not the last '@', from the build config URI", () => {
    expect(workflowPath(atInRef, "github")).toBe(".github/workflows/release.yml");
    expect(checkExpectations({ workflow: "release.yml" }, atInRef)[0]!.ok).toBe(true);
  });

  it("fails the issuer when .1 and .8 disagree, even if the expectation equals .8", () => {
    expect(checkExpectations({ issuer: "https://b.example" }, disagree)[0]).toMatchObject({
      ok: false,
      actual: "https://b.example",
      reason:
        'certificate issuer claims disagree: .1 is "https://a.example" but .8 is "https://b.example"',
    });
  });
});
