import { beforeAll, describe, expect, it } from "vitest";
import { decodeCertificate, type DecodedCertificate } from "../../src/identity/certificate.js";
import { checkPublisher, type PublisherCheck } from "../../src/identity/publisher.js";
import { PublisherSchema, type Publisher } from "../../src/pep740/models.js";
import { loadManifest } from "../support/corpus.js";
import {
  caseCertificates,
  fulcioExt,
  githubExtensions,
  makeCertificate,
  provenanceBundles,
} from "./helpers.js";

const pub = (raw: Record<string, unknown>): Publisher => PublisherSchema.parse(raw);
const certOf = (caseName: string): DecodedCertificate =>
  decodeCertificate(caseCertificates(caseName)[0]!.der);

function failure(result: PublisherCheck): { code: string; reason: string } {
  if (result.ok) throw new Error("expected the publisher check to fail");
  return { code: result.code, reason: result.reason };
}

const MODELS = "tob-pypi_attestation_models-0.0.4a2-sdist";
const GITLAB = "tob-gitlab_oidc_project-0.0.3-sdist";
const NO_REF = "tob-cert-no-source-repository-ref-extension";
const GOOGLE = "pypi-gcb_attestation_test-0.0.0-sdist-pypi-provenance";
const SIGSTORE = "tob-sigstore-3.6.1-sdist-pypi-provenance";
const GOOGLE_EMAIL = "919436158236-compute@developer.gserviceaccount.com";

describe("publisher objects from real PyPI provenance", () => {
  const provenanceCases = loadManifest().filter((c) => c.publisher !== null);

  it("covers the GitHub and Google provenance cases", () => {
    expect(provenanceCases.map((c) => c.case).sort()).toStrictEqual(
      [
        "pep740plugin-abi3info-2024.10.3-whl-pypi-provenance",
        "pep740plugin-abi3info-2024.10.8-sdist-pypi-provenance",
        GOOGLE,
        "tob-pypi_attestations-0.0.19-sdist-pypi-provenance",
        SIGSTORE,
        "warehouse-sampleproject-4.0.0-sdist-pypi-provenance",
      ].sort(),
    );
  });

  it.each(provenanceCases.map((c) => [c.case, c] as const))(
    "%s: its publisher matches its certificate",
    (name, c) => {
      const bundles = provenanceBundles(name);
      expect(bundles.length).toBeGreaterThan(0);
      for (const bundle of bundles) {
        expect(bundle.publisher).toStrictEqual(c.publisher);
        for (const der of bundle.certificates) {
          expect(checkPublisher(pub(c.publisher!), decodeCertificate(der))).toStrictEqual({
            ok: true,
          });
        }
      }
    },
  );

  it("a provenance publisher does not match another project's certificate", () => {
    const [bundle] = provenanceBundles(SIGSTORE);
    const other = certOf("tob-pypi_attestations-0.0.19-sdist-pypi-provenance");
    expect(
      failure(checkPublisher(pub(bundle!.publisher as Record<string, unknown>), other)),
    ).toStrictEqual({
      code: "PUBLISHER_MISMATCH",
      reason:
        'publisher repository "sigstore/sigstore-python" does not match the certificate\'s source repository "https://github.com/trailofbits/pypi-attestations"',
    });
  });
});

describe("GitHub publishers", () => {
  const gh = (repository: string, workflow: string, environment?: string | null) =>
    pub({ kind: "GitHub", repository, workflow, environment });

  it("matches the upstream test certificate and refuses workflow wrong.yml", () => {
    const cert = certOf(MODELS);
    expect(checkPublisher(gh("trailofbits/pypi-attestation-models", "release.yml"), cert).ok).toBe(
      true,
    );
    const { code, reason } = failure(
      checkPublisher(gh("trailofbits/pypi-attestation-models", "wrong.yml"), cert),
    );
    expect(code).toBe("PUBLISHER_MISMATCH");
    expect(reason).toBe(
      'publisher workflow "wrong.yml" does not match the certificate\'s build config URI ' +
        '"https://github.com/trailofbits/pypi-attestation-models/.github/workflows/release.yml@refs/tags/v0.0.4a2" ' +
        '(expected "https://github.com/trailofbits/pypi-attestation-models/.github/workflows/wrong.yml@153c9a3f5c152ef5405cba227676534658acde27" ' +
        'or "https://github.com/trailofbits/pypi-attestation-models/.github/workflows/wrong.yml@refs/tags/v0.0.4a2")',
    );
  });

  it("matches a certificate without the ref extension (.14) through the digest (.13)", () => {
    const cert = certOf(NO_REF);
    expect(cert.claims.sourceRepositoryRef).toBeUndefined();
    expect(checkPublisher(gh("SWIFTSIM/swiftgalaxy", "python-publish.yml"), cert)).toStrictEqual({
      ok: true,
    });
    expect(
      failure(checkPublisher(gh("SWIFTSIM/swiftgalaxy", "release.yml"), cert)).reason,
    ).toContain(
      '"https://github.com/SWIFTSIM/swiftgalaxy/.github/workflows/release.yml@a26eb006d04dd0c41a6e38dc15ddaf7b46143505"',
    );
  });

  it("compares the repository as GitHub does: case is ignored; prefix and suffix fail", () => {
    const cert = certOf(SIGSTORE);
    // The genuine file's own provenance, its (unsigned) record naming the repository in another case.
    const [bundle] = provenanceBundles(SIGSTORE);
    for (const repository of ["Sigstore/Sigstore-Python", "SIGSTORE/SIGSTORE-PYTHON"]) {
      const record = { ...(bundle!.publisher as Record<string, unknown>), repository };
      for (const der of bundle!.certificates) {
        expect(checkPublisher(pub(record), decodeCertificate(der)), repository).toStrictEqual({
          ok: true,
        });
      }
    }
    for (const repository of ["sigstore/sigstore", "sigstore/sigstore-python/", "sigstore"]) {
      const { code, reason } = failure(checkPublisher(gh(repository, "release.yml"), cert));
      expect(code).toBe("PUBLISHER_MISMATCH");
      expect(reason).toBe(
        `publisher repository ${JSON.stringify(repository)} does not match the certificate's source repository "https://github.com/sigstore/sigstore-python"`,
      );
    }
  });

  it("treats the workflow as a literal string, not a pattern", () => {
    const cert = certOf(SIGSTORE);
    for (const workflow of ["release.ym.", "release.y*", "Release.yml", "release"]) {
      expect(checkPublisher(gh("sigstore/sigstore-python", workflow), cert).ok, workflow).toBe(
        false,
      );
    }
  });

  it("refuses a certificate from another issuer", () => {
    const { reason } = failure(
      checkPublisher(gh("facutuesca/gitlab-oidc-project", ".gitlab-ci.yml"), certOf(GITLAB)),
    );
    expect(reason).toBe(
      'certificate issuer "https://gitlab.com" is not the GitHub Actions issuer "https://token.actions.githubusercontent.com"',
    );
    expect(checkPublisher(gh("a/b", "release.yml"), certOf(GOOGLE)).ok).toBe(false);
  });

  describe("on synthetic certificates", () => {
    let withEnv: DecodedCertificate;
    let noRefs: DecodedCertificate;
    let onlyV1: DecodedCertificate;
    let reusable: DecodedCertificate;
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
      noRefs = decodeCertificate(
        await makeCertificate({
          extensions: githubExtensions({ repository: "o/n", workflow: "release.yml" }),
        }),
      );
      onlyV1 = decodeCertificate(
        await makeCertificate({
          extensions: githubExtensions({
            repository: "o/n",
            workflow: "release.yml",
            ref: "r",
          }).filter((e) => e.type !== "1.3.6.1.4.1.57264.1.8"),
        }),
      );
      reusable = decodeCertificate(
        await makeCertificate({
          extensions: [
            ...githubExtensions({
              repository: "o/n",
              workflow: "release.yml",
              ref: "refs/tags/v1",
            }),
            fulcioExt(
              9,
              "https://github.com/org/builders/.github/workflows/build.yml@refs/tags/v2",
            ),
          ],
        }),
      );
    });

    it("strict environment: compared with .23 when both are non-empty", () => {
      expect(checkPublisher(gh("o/n", "release.yml", "pypi"), withEnv).ok).toBe(true);
      // GitHub: "Environment names are not case sensitive" (PyPI stores them lowercased).
      expect(checkPublisher(gh("o/n", "release.yml", "PyPI"), withEnv).ok).toBe(true);
      expect(checkPublisher(gh("o/n", "release.yml", ""), withEnv).ok).toBe(true);
      expect(checkPublisher(gh("o/n", "release.yml", null), withEnv).ok).toBe(true);
      expect(failure(checkPublisher(gh("o/n", "release.yml", "release"), withEnv))).toStrictEqual({
        code: "PUBLISHER_MISMATCH",
        reason:
          'publisher environment "release" does not match the certificate\'s deployment environment "pypi"',
      });
    });

    it("a publisher environment with no .23 in the certificate is not compared", () => {
      const cert = certOf(SIGSTORE);
      expect(cert.claims.deploymentEnvironment).toBeUndefined();
      expect(checkPublisher(gh("sigstore/sigstore-python", "release.yml", "pypi"), cert).ok).toBe(
        true,
      );
    });

    it("strictEnvironment (an identity the user states): the environment must be in .23", () => {
      const cert = certOf(SIGSTORE);
      const strict = { strictEnvironment: true };
      expect(
        failure(
          checkPublisher(gh("sigstore/sigstore-python", "release.yml", "pypi"), cert, strict),
        ),
      ).toStrictEqual({
        code: "PUBLISHER_MISMATCH",
        reason:
          'publisher environment "pypi" is required, but the certificate has no deployment environment claim (.23)',
      });
      expect(checkPublisher(gh("o/n", "release.yml", "pypi"), withEnv, strict).ok).toBe(true);
      expect(checkPublisher(gh("o/n", "release.yml", "release"), withEnv, strict).ok).toBe(false);
      for (const none of [undefined, "", null]) {
        expect(
          checkPublisher(gh("sigstore/sigstore-python", "release.yml", none), cert, strict),
        ).toStrictEqual({ ok: true });
      }
    });

    it("requires .13 or .14", () => {
      expect(failure(checkPublisher(gh("o/n", "release.yml"), noRefs)).reason).toBe(
        "certificate has neither a source repository digest (.13) nor a source repository ref (.14) claim",
      );
    });

    it("reads the issuer from .8 only", () => {
      expect(onlyV1.claims.issuer).toBe("https://token.actions.githubusercontent.com");
      expect(failure(checkPublisher(gh("o/n", "release.yml"), onlyV1)).reason).toContain(
        "no issuer claim (.8)",
      );
    });

    it("matches the top-level workflow (.18), not a reusable one (.9)", () => {
      expect(checkPublisher(gh("o/n", "release.yml"), reusable).ok).toBe(true);
      expect(checkPublisher(gh("o/n", "build.yml"), reusable).ok).toBe(false);
    });
  });
});

describe("GitLab publishers", () => {
  const gl = (repository: string, workflow_filepath: string, environment?: string) =>
    pub({ kind: "GitLab", repository, workflow_filepath, environment });

  it("matches the upstream test certificate (double slash) and refuses wrong.yml", () => {
    const cert = certOf(GITLAB);
    expect(
      checkPublisher(gl("facutuesca/gitlab-oidc-project", ".gitlab-ci.yml"), cert),
    ).toStrictEqual({ ok: true });
    const { reason } = failure(
      checkPublisher(gl("facutuesca/gitlab-oidc-project", "wrong.yml"), cert),
    );
    expect(reason).toContain('publisher workflow_filepath "wrong.yml"');
    expect(reason).toContain(
      '"https://gitlab.com/facutuesca/gitlab-oidc-project//.gitlab-ci.yml@refs/heads/main"',
    );
    expect(reason).toContain(
      '"https://gitlab.com/facutuesca/gitlab-oidc-project//wrong.yml@refs/heads/main"',
    );
  });

  it("refuses another repository and another issuer", () => {
    expect(
      failure(checkPublisher(gl("facutuesca/gitlab", ".gitlab-ci.yml"), certOf(GITLAB))).reason,
    ).toBe(
      'publisher repository "facutuesca/gitlab" does not match the certificate\'s source repository "https://gitlab.com/facutuesca/gitlab-oidc-project"',
    );
    expect(
      failure(checkPublisher(gl("sigstore/sigstore-python", ".gitlab-ci.yml"), certOf(SIGSTORE)))
        .reason,
    ).toContain('is not the GitLab issuer "https://gitlab.com"');
  });

  it("requires both .13 and .14", async () => {
    const base = "https://gitlab.com/g/p";
    const make = async (extra: ReturnType<typeof fulcioExt>[]) =>
      decodeCertificate(
        await makeCertificate({
          extensions: [
            fulcioExt(8, "https://gitlab.com"),
            fulcioExt(12, base),
            fulcioExt(18, `${base}//ci/publish.yml@abc123`),
            ...extra,
          ],
        }),
      );
    const digestOnly = await make([fulcioExt(13, "abc123")]);
    expect(failure(checkPublisher(gl("g/p", "ci/publish.yml"), digestOnly)).reason).toBe(
      "certificate lacks the source repository ref (.14) claim, required for a GitLab publisher",
    );
    const both = await make([
      fulcioExt(13, "abc123"),
      fulcioExt(14, "refs/heads/main"),
      fulcioExt(23, "prod"),
    ]);
    expect(checkPublisher(gl("g/p", "ci/publish.yml"), both).ok).toBe(true);
    expect(checkPublisher(gl("g/p", "publish.yml"), both).ok).toBe(false);
    expect(checkPublisher(gl("g/p", "ci/publish.yml", "staging"), both).ok).toBe(false);
    // GitLab environment names are case-sensitive: exact.
    expect(failure(checkPublisher(gl("g/p", "ci/publish.yml", "Prod"), both)).reason).toBe(
      'publisher environment "Prod" does not match the certificate\'s deployment environment "prod"',
    );
  });
});

describe("Google publishers", () => {
  const google = (email: string) => pub({ kind: "Google", email });

  it("matches the service-account e-mail of the real Cloud Build certificate", () => {
    expect(checkPublisher(google(GOOGLE_EMAIL), certOf(GOOGLE))).toStrictEqual({ ok: true });
    expect(
      checkPublisher(google(GOOGLE_EMAIL), certOf("warehouse-sampleproject-3.0.0-sdist")).ok,
    ).toBe(true);
  });

  it("refuses another e-mail, naming both", () => {
    expect(
      failure(
        checkPublisher(google("919436158236-compute@developer.gserviceaccount.co"), certOf(GOOGLE)),
      ),
    ).toStrictEqual({
      code: "PUBLISHER_MISMATCH",
      reason: `publisher email "919436158236-compute@developer.gserviceaccount.co" does not match the certificate's subject alternative name "${GOOGLE_EMAIL}"`,
    });
  });

  it("refuses a certificate from another issuer, even with the same e-mail", () => {
    const reason = failure(
      checkPublisher(
        google("jku@goto.fi"),
        certOf("pypi-pypi_attestations-0.0.19-sdist-tsa-staging-rekor-v2"),
      ),
    ).reason;
    expect(reason).toBe(
      'certificate issuer "https://github.com/login/oauth" is not the Google issuer "https://accounts.google.com"',
    );
  });

  it("reads .1 when .8 is absent and refuses .1/.8 disagreement", async () => {
    const onlyV1 = decodeCertificate(
      await makeCertificate({
        san: { email: "svc@p.iam.gserviceaccount.com" },
        extensions: [fulcioExt(1, "https://accounts.google.com")],
      }),
    );
    expect(checkPublisher(google("svc@p.iam.gserviceaccount.com"), onlyV1).ok).toBe(true);
    const disagree = decodeCertificate(
      await makeCertificate({
        san: { email: "svc@p.iam.gserviceaccount.com" },
        extensions: [
          fulcioExt(1, "https://evil.example"),
          fulcioExt(8, "https://accounts.google.com"),
        ],
      }),
    );
    expect(failure(checkPublisher(google("svc@p.iam.gserviceaccount.com"), disagree)).reason).toBe(
      'certificate issuer claims disagree: .1 is "https://evil.example" but .8 is "https://accounts.google.com"',
    );
  });
});

describe("unknown publisher kinds", () => {
  it("fail closed with PUBLISHER_KIND and name the kind", () => {
    const result = checkPublisher(
      pub({ kind: "ActiveState", organization: "x" }),
      certOf(SIGSTORE),
    );
    expect(failure(result)).toStrictEqual({
      code: "PUBLISHER_KIND",
      reason:
        "unknown publisher kind 'ActiveState': pyprov can only check GitHub, GitLab and Google publishers",
    });
  });

  it("fail even when the certificate would satisfy a GitHub publisher", () => {
    const cert = certOf(SIGSTORE);
    const lookalike = pub({
      kind: "github",
      repository: "sigstore/sigstore-python",
      workflow: "release.yml",
    });
    expect(failure(checkPublisher(lookalike, cert)).code).toBe("PUBLISHER_KIND");
  });
});
