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

  it("compares the repository exactly", () => {
    for (const repository of [
      "TrailOfBits/pypi-attestations",
      "trailofbits/pypi",
      "trailofbits/pypi-attestations/",
    ]) {
      const [r] = checkExpectations({ repository }, cert);
      expect(r!.ok, repository).toBe(false);
      expect(r!.reason).toBe(
        `certificate source repository "https://github.com/trailofbits/pypi-attestations" is not ${JSON.stringify(
          `https://github.com/${repository}`,
        )}`,
      );
    }
  });

  it("accepts a full repository URL and refuses another host's", () => {
    expect(
      checkExpectations(
        { repository: "https://github.com/trailofbits/pypi-attestations" },
        cert,
      )[0]!.ok,
    ).toBe(true);
    expect(
      checkExpectations(
        { repository: "https://gitlab.com/trailofbits/pypi-attestations" },
        cert,
      )[0]!.ok,
    ).toBe(false);
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

  it("builds the repository URI on gitlab.com and reads the file path after //", () => {
    expect(
      checkExpectations(
        { repository: "facutuesca/gitlab-oidc-project", workflow: ".gitlab-ci.yml" },
        cert,
      ),
    ).toStrictEqual([
      {
        name: "repository",
        expected: "facutuesca/gitlab-oidc-project",
        actual: "https://gitlab.com/facutuesca/gitlab-oidc-project",
        ok: true,
      },
      { name: "workflow", expected: ".gitlab-ci.yml", actual: ".gitlab-ci.yml", ok: true },
    ]);
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

  it("compares the environment with .23 exactly", () => {
    expect(checkExpectations({ environment: "pypi" }, withEnv)[0]).toStrictEqual({
      name: "environment",
      expected: "pypi",
      actual: "pypi",
      ok: true,
    });
    expect(checkExpectations({ environment: "PyPI" }, withEnv)[0]).toMatchObject({
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
