/**
 * Repository names name their platform (a bare OWNER/NAME is GitHub), and
 * compare as the platform compares them: GitHub and GitLab names ignore
 * ASCII case, nothing else is folded; GitHub environments ignore case,
 * GitLab environments do not.
 */
import { describe, expect, it } from "vitest";
import { PyprovError } from "../../src/errors.js";
import { decodeCertificate } from "../../src/identity/certificate.js";
import {
  equalsAsciiCaseless,
  lockIdentity,
  parseRepository,
  parseRepositoryOption,
  repositoryOfKind,
  repositoryUriIs,
  sameEnvironment,
} from "../../src/identity/platform.js";
import { checkPublisher } from "../../src/identity/publisher.js";
import { PublisherSchema } from "../../src/pep740/models.js";
import { caseCertificates, githubExtensions, makeCertificate } from "./helpers.js";

describe("repository names name their platform", () => {
  it("a bare OWNER/NAME, github: and https://github.com/ are GitHub", () => {
    for (const value of ["pypa/sampleproject", "github:pypa/sampleproject"]) {
      expect(parseRepository(value), value).toStrictEqual({
        platform: "github",
        path: "pypa/sampleproject",
      });
    }
    expect(parseRepository("https://github.com/Pypa/Sample_project.py")).toStrictEqual({
      platform: "github",
      path: "Pypa/Sample_project.py",
    });
  });

  it("gitlab: and https://gitlab.com/ are GitLab, with subgroups", () => {
    for (const value of ["gitlab:acme/tools/pkg", "https://gitlab.com/acme/tools/pkg"]) {
      expect(parseRepository(value), value).toStrictEqual({
        platform: "gitlab",
        path: "acme/tools/pkg",
      });
    }
  });

  it("refuses other schemes, hosts and malformed paths, saying why", () => {
    const cases: [string, string][] = [
      [
        "acme/tools/pkg",
        "a GitHub repository is OWNER/NAME (a GitLab project is gitlab:acme/tools/pkg)",
      ],
      ["acme", "a GitHub repository is OWNER/NAME"],
      ["acme/pkg/", "a GitHub repository is OWNER/NAME"],
      ["gitlab:acme", "a GitLab project is GROUP/[SUBGROUP/...]PROJECT"],
      ["gitlab:acme//pkg", "a GitLab project is GROUP/[SUBGROUP/...]PROJECT, without empty parts"],
      ["https://gitea.com/acme/pkg", "only github.com and gitlab.com repositories can be named"],
      ["http://github.com/acme/pkg", "only github.com and gitlab.com repositories can be named"],
      ["git@github.com:acme/pkg", "only github.com and gitlab.com repositories can be named"],
      ["bitbucket:acme/pkg", "only github.com and gitlab.com repositories can be named"],
      ["acme/.*", '".*" is not a valid name (letters, digits, "-", "_" and "." only)'],
      ["acme/..", '".." is not a valid name (letters, digits, "-", "_" and "." only)'],
      ["acme/p kg", '"p kg" is not a valid name (letters, digits, "-", "_" and "." only)'],
      ["acme/\u212Ait", '"\u212Ait" is not a valid name (letters, digits, "-", "_" and "." only)'],
    ];
    for (const [value, error] of cases) {
      expect(parseRepository(value), value).toStrictEqual({ error });
    }
  });

  it("--repository: a one-line USAGE error listing the accepted forms", () => {
    let caught: unknown;
    try {
      parseRepositoryOption("https://gitea.com/acme/pkg\nx");
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PyprovError);
    const e = caught as PyprovError;
    expect(e.code).toBe("USAGE");
    expect(e.message).toBe(
      '--repository "https://gitea.com/acme/pkg\\nx": only github.com and gitlab.com repositories can be named; ' +
        "give OWNER/NAME, github:OWNER/NAME or https://github.com/OWNER/NAME for GitHub; " +
        "gitlab:GROUP/PROJECT or https://gitlab.com/GROUP/PROJECT for GitLab",
    );
    expect(e.oneLine()).not.toContain("\n");
  });
});

describe("a publisher's repository on the platform its kind names", () => {
  it("keeps the bare path and reduces a same-platform form to it", () => {
    expect(repositoryOfKind("github", "acme/pkg")).toBe("acme/pkg");
    expect(repositoryOfKind("github", "https://github.com/acme/pkg")).toBe("acme/pkg");
    expect(repositoryOfKind("gitlab", "gitlab:acme/tools/pkg")).toBe("acme/tools/pkg");
  });

  it("refuses another platform's form, another host and a malformed path", () => {
    expect(repositoryOfKind("github", "gitlab:acme/pkg")).toStrictEqual({
      error: '"gitlab:acme/pkg" names a GitLab project, not a GitHub repository',
    });
    expect(repositoryOfKind("gitlab", "https://github.com/acme/pkg")).toStrictEqual({
      error: '"https://github.com/acme/pkg" names a GitHub repository, not a GitLab project',
    });
    expect(repositoryOfKind("github", "https://gitea.com/acme/pkg")).toStrictEqual({
      error: '"https://gitea.com/acme/pkg" is not a GitHub repository',
    });
    expect(repositoryOfKind("github", "acme/tools/pkg")).toStrictEqual({
      error: '"acme/tools/pkg": a GitHub repository is OWNER/NAME',
    });
  });

  it("lockIdentity checks GitHub and GitLab identities and leaves other kinds alone", () => {
    const gh = { kind: "GitHub", repository: "github:acme/pkg", workflow: "release.yml" };
    expect(lockIdentity(gh)).toStrictEqual({ ...gh, repository: "acme/pkg" });
    expect(lockIdentity({ kind: "GitHub", repository: "gitlab:acme/pkg" })).toBe(
      'repository "gitlab:acme/pkg" names a GitLab project, not a GitHub repository',
    );
    const google = { kind: "Google", email: "a@b.example" };
    expect(lockIdentity(google)).toBe(google);
    const lower = { kind: "github", repository: "gitlab:x/y" };
    expect(lockIdentity(lower)).toBe(lower); // an unknown kind: fails closed when verified
  });
});

describe("names compare as the platform compares them", () => {
  it("ASCII case only: no Unicode case mapping", () => {
    expect(equalsAsciiCaseless("Sigstore/Sigstore-Python", "sigstore/sigstore-python")).toBe(true);
    expect(equalsAsciiCaseless("acme/pkg", "acme/pkg2")).toBe(false);
    // U+212A KELVIN SIGN and U+0130 (dotted capital I) lowercase to ASCII under Unicode rules.
    expect("\u212A".toLowerCase()).toBe("k");
    expect(equalsAsciiCaseless("\u212Ait", "kit")).toBe(false);
    expect(equalsAsciiCaseless("\u0130", "i")).toBe(false);
    expect(equalsAsciiCaseless("\u00C4", "\u00E4")).toBe(false);
  });

  it("the base URL of .12 is exact; the path ignores case", () => {
    const uri = "https://github.com/sigstore/sigstore-python";
    expect(repositoryUriIs(uri, "github", "Sigstore/Sigstore-Python")).toBe(true);
    expect(repositoryUriIs(uri, "gitlab", "sigstore/sigstore-python")).toBe(false);
    expect(repositoryUriIs("https://GitHub.com/a/b", "github", "a/b")).toBe(false);
    expect(repositoryUriIs(undefined, "github", "a/b")).toBe(false);
  });

  it("environments: GitHub ignores case, GitLab and unknown platforms do not", () => {
    expect(sameEnvironment("github", "PyPI", "pypi")).toBe(true);
    expect(sameEnvironment("gitlab", "PyPI", "pypi")).toBe(false);
    expect(sameEnvironment(undefined, "PyPI", "pypi")).toBe(false);
    expect(sameEnvironment("github", "pypi", "pypi ")).toBe(false);
  });

  it("a publisher record with a Kelvin sign does not match a certificate for .../kit", async () => {
    const kit = decodeCertificate(
      await makeCertificate({
        extensions: githubExtensions({ repository: "acme/kit", workflow: "release.yml", ref: "r" }),
      }),
    );
    const gh = (repository: string) =>
      checkPublisher(
        PublisherSchema.parse({ kind: "GitHub", repository, workflow: "release.yml" }),
        kit,
      );
    expect(gh("ACME/Kit")).toStrictEqual({ ok: true });
    expect(gh("acme/\u212Ait")).toStrictEqual({
      ok: false,
      code: "PUBLISHER_MISMATCH",
      reason:
        'publisher repository "acme/\u212Ait" does not match the certificate\'s source repository "https://github.com/acme/kit"',
    });
  });

  it("GitLab: the project path ignores case, the CI file path after // does not", () => {
    const cert = decodeCertificate(caseCertificates("tob-gitlab_oidc_project-0.0.3-sdist")[0]!.der);
    const gl = (repository: string, workflow_filepath: string) =>
      checkPublisher(
        PublisherSchema.parse({ kind: "GitLab", repository, workflow_filepath }),
        cert,
      );
    expect(gl("FacuTuesca/GitLab-OIDC-Project", ".gitlab-ci.yml")).toStrictEqual({ ok: true });
    const wrongCase = gl("FacuTuesca/GitLab-OIDC-Project", ".GitLab-ci.yml");
    expect(wrongCase.ok).toBe(false);
    expect(!wrongCase.ok && wrongCase.reason).toContain(
      '(expected "https://gitlab.com/facutuesca/gitlab-oidc-project//.GitLab-ci.yml@',
    );
  });
});
