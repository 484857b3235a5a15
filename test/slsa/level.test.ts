/**
 * SLSA Build levels (slsa-levels.md §3) for every kind of evidence, on real
 * corpus attestations and on synthetic ones: each level, each way a file
 * misses the next one (whyNotHigher), and the release minimum.
 */
import { afterAll, describe, expect, it } from "vitest";
import { verifyDistributions, type VerifyOptions } from "../../src/pipeline.js";
import { HIGHEST, classifySlsa, releaseLevels } from "../../src/slsa/level.js";
import { minLevel, shortLevel, type SlsaLevel } from "../../src/slsa/types.js";
import type { TargetReport } from "../../src/verify/types.js";
import {
  PUBLISH_V1,
  customIdentity,
  githubIdentity,
  githubSelfHostedIdentity,
  gitlabIdentity,
  googleIdentity,
  withExtensions,
} from "../support/sigstore/index.js";
import type { Identity } from "../support/sigstore/index.js";
import { Workspace } from "../support/synthetic.js";
import {
  GCB,
  GENERATOR,
  GITLAB_CASE,
  PA_0_0_19,
  PA_0_0_28,
  SIGSTORE_3_6_1,
  SLSA_PROVENANCE_V1,
  TENANT_IDENTITY,
  builderIdentity,
  corpusInputs,
  ext,
  policyFrom,
  slsaPredicate,
} from "../policy/helpers.js";

const ws = new Workspace();
afterAll(() => ws.cleanup());

async function runOne(opts: VerifyOptions): Promise<TargetReport> {
  const run = await verifyDistributions(opts);
  expect(run.results).toHaveLength(1);
  return run.results[0]!;
}

const trusting = (...ids: string[]) =>
  policyFrom(`version: 1\ntrusted_builders:\n${ids.map((id) => `  - id: ${id}\n`).join("")}`);

interface Att {
  identity: Identity;
  /** SLSA provenance with this predicate; publish/v1 when absent. */
  predicate?: unknown;
}

/** Verify a synthetic DIST whose provenance holds `atts` (publisher: the first identity's). */
async function synthetic(
  atts: Att[],
  policy?: ReturnType<typeof policyFrom>,
  publisher: Record<string, unknown> | null = atts[0]!.identity.publisher ?? null,
): Promise<TargetReport> {
  const dist = ws.dist();
  const minted = atts.map((a) =>
    ws.attest(dist, {
      identity: a.identity,
      ...(a.predicate !== undefined
        ? { predicateType: SLSA_PROVENANCE_V1, predicate: a.predicate }
        : {}),
    }),
  );
  if (publisher === null) {
    minted.forEach((m, i) =>
      ws.writeAttestation(dist, m, i === 0 ? ".publish.attestation" : ".slsa.attestation"),
    );
  } else {
    ws.writeProvenance(dist, minted, publisher);
  }
  return runOne({
    targets: [{ kind: "path", path: dist.path }],
    trustedRoot: ws.root,
    ...(policy ? { policy } : {}),
  });
}

const BUILDER = builderIdentity();
const L3_FILE: Att[] = [
  { identity: TENANT_IDENTITY },
  { identity: BUILDER, predicate: slsaPredicate(BUILDER) },
];

describe("real attestations (../shared/corpus)", () => {
  it("sigstore 3.6.1: publish provenance from GitHub-hosted Actions is L2, never L3", async () => {
    const r = await runOne(corpusInputs(SIGSTORE_3_6_1));
    expect(r.verdict).toBe("verified");
    expect(r.slsa?.level).toBe("SLSA_BUILD_LEVEL_2");
    expect(r.slsa?.whyNotHigher).toContain("publish provenance only");
    expect(r.slsa?.whyNotHigher).toContain("never L3");
    expect(r.slsa?.evidence).toMatchObject({
      predicateTypes: [PUBLISH_V1],
      issuer: "https://token.actions.githubusercontent.com",
      runnerEnvironment: "github-hosted",
      buildSignerUri:
        "https://github.com/sigstore/sigstore-python/.github/workflows/release.yml@refs/tags/v3.6.1",
      buildConfigUri:
        "https://github.com/sigstore/sigstore-python/.github/workflows/release.yml@refs/tags/v3.6.1",
      timeSource: "rekor-set",
    });
    expect(r.slsa?.evidence.verifiedTime).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it("pypi-attestations 0.0.19: its SLSA provenance, made by the tenant workflow, is at most L2 (.9 = .18)", async () => {
    const r = await runOne(corpusInputs(PA_0_0_19));
    expect(r.verdict).toBe("verified");
    expect(r.attestations.map((a) => a.predicateType)).toEqual([PUBLISH_V1, SLSA_PROVENANCE_V1]);
    const uri =
      "https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml@refs/tags/v0.0.19";
    expect(r.slsa?.level).toBe("SLSA_BUILD_LEVEL_2");
    expect(r.slsa?.evidence).toMatchObject({
      predicateTypes: [PUBLISH_V1, SLSA_PROVENANCE_V1],
      builderId: uri,
      buildType: "https://actions.github.io/buildtypes/workflow/v1",
      buildSignerUri: uri,
      buildConfigUri: uri,
    });
    expect(r.slsa?.evidence.attestation).toMatch(/\.slsa\.attestation$/);
    expect(r.slsa?.whyNotHigher).toContain(
      "signed by the tenant's own workflow: Build Signer URI (.9) equals Build Config URI (.18)",
    );
    // The signed predicate is kept in the report, as evidence.
    expect(r.attestations[1]!.predicate).toMatchObject({ runDetails: { builder: { id: uri } } });
    expect(r.attestations[0]!.predicate).toBeUndefined();
  });

  it("pypi-attestations 0.0.19 stays L2 even if the tenant's own workflow is allow-listed", async () => {
    const r = await runOne({
      ...corpusInputs(PA_0_0_19),
      policy: trusting(
        "https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml",
      ),
    });
    expect(r.slsa?.level).toBe("SLSA_BUILD_LEVEL_2");
    expect(r.slsa?.whyNotHigher).toContain("(.9) equals Build Config URI (.18)");
  });

  it("pypi-attestations 0.0.28 (pypi/pypi-attestations): L2", async () => {
    const r = await runOne(corpusInputs(PA_0_0_28));
    expect(r.slsa?.level).toBe("SLSA_BUILD_LEVEL_2");
  });

  it("Google Cloud Build (service account): L1", async () => {
    const r = await runOne(corpusInputs(GCB));
    expect(r.verdict).toBe("verified");
    expect(r.slsa?.level).toBe("SLSA_BUILD_LEVEL_1");
    expect(r.slsa?.whyNotHigher).toContain("Google service-account publisher");
    expect(r.slsa?.evidence.issuer).toBe("https://accounts.google.com");
  });

  it("GitLab CI on a gitlab-hosted runner: L2", async () => {
    const r = await runOne(corpusInputs(GITLAB_CASE));
    expect(r.slsa?.level).toBe("SLSA_BUILD_LEVEL_2");
    expect(r.slsa?.evidence.runnerEnvironment).toBe("gitlab-hosted");
  });

  it("an e-mail identity through GitHub OAuth (staging): L1, not a hosted CI platform", async () => {
    const r = await runOne(corpusInputs("tob-rfc8785-0.1.2-whl"));
    expect(r.verdict).toBe("verified");
    expect(r.slsa?.level).toBe("SLSA_BUILD_LEVEL_1");
    expect(r.slsa?.whyNotHigher).toContain(
      'issuer "https://github.com/login/oauth" is not a hosted CI platform',
    );
  });

  it("any verification failure is FAILED, never L0", async () => {
    const inputs = corpusInputs("warehouse-sampleproject-4.0.0-sdist-pypi-provenance");
    const r = await runOne({
      ...inputs,
      targets: [{ kind: "digest", filename: "sampleproject-4.0.0.tar.gz", sha256: "0".repeat(64) }],
    });
    expect(r.verdict).toBe("failed");
    expect(r.slsa?.level).toBe("FAILED");
    expect(r.slsa?.whyNotHigher).toContain("verification failed: ");
    expect(r.slsa?.whyNotHigher).toContain("subject digest does not match");
  });
});

describe("synthetic attestations", () => {
  it("L3: SLSA provenance from an allow-listed builder at a semver tag, matching the certificate", async () => {
    const r = await synthetic(L3_FILE, trusting(GENERATOR));
    expect(r.verdict, JSON.stringify(r.failure)).toBe("verified");
    expect(r.slsa?.level).toBe("SLSA_BUILD_LEVEL_3");
    expect(r.slsa?.whyNotHigher).toBe(HIGHEST);
    expect(r.slsa?.evidence).toMatchObject({
      trustedBuilder: GENERATOR,
      builderId: `${GENERATOR}@refs/tags/v2.1.0`,
      buildSignerUri: `${GENERATOR}@refs/tags/v2.1.0`,
      buildConfigUri: "https://github.com/acme/pkg/.github/workflows/release.yml@refs/tags/v1.0.0",
      runnerEnvironment: "github-hosted",
      predicateTypes: [PUBLISH_V1, SLSA_PROVENANCE_V1],
    });
  });

  it("L3 with a glob allow-list entry", async () => {
    const r = await synthetic(
      L3_FILE,
      trusting(
        "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/*_slsa3.yml",
      ),
    );
    expect(r.slsa?.level).toBe("SLSA_BUILD_LEVEL_3");
  });

  it("the same builder, not allow-listed (no policy): L2, saying so", async () => {
    const r = await synthetic(L3_FILE);
    expect(r.slsa?.level).toBe("SLSA_BUILD_LEVEL_2");
    expect(r.slsa?.whyNotHigher).toBe(
      `not L3: the builder "${GENERATOR}" (.9) is not trusted: the policy lists no trusted_builders`,
    );
  });

  it("the same builder, while the policy trusts another: L2", async () => {
    const r = await synthetic(
      L3_FILE,
      trusting("https://github.com/other/builder/.github/workflows/b.yml"),
    );
    expect(r.slsa?.level).toBe("SLSA_BUILD_LEVEL_2");
    expect(r.slsa?.whyNotHigher).toContain("is not in trusted_builders");
  });

  for (const ref of [
    "refs/heads/main",
    "refs/tags/v2.1.0-rc.1",
    "refs/tags/2.1.0",
    "refs/tags/v2.1",
  ]) {
    it(`an allow-listed builder at ${ref}: not L3`, async () => {
      const b = builderIdentity(ref);
      const r = await synthetic(
        [{ identity: TENANT_IDENTITY }, { identity: b, predicate: slsaPredicate(b) }],
        trusting(GENERATOR),
      );
      expect(r.slsa?.level).toBe("SLSA_BUILD_LEVEL_2");
      expect(r.slsa?.whyNotHigher).toContain(`ran at "${ref}", not at a semver release tag`);
    });
  }

  it("builder.id other than the builder that signed: not L3", async () => {
    const r = await synthetic(
      [
        { identity: TENANT_IDENTITY },
        {
          identity: BUILDER,
          predicate: slsaPredicate(BUILDER, { builderId: `${GENERATOR}@refs/tags/v9.9.9` }),
        },
      ],
      trusting(GENERATOR),
    );
    expect(r.slsa?.level).toBe("SLSA_BUILD_LEVEL_2");
    expect(r.slsa?.whyNotHigher).toContain("builder.id");
  });

  it("an unknown buildType: not L3", async () => {
    const r = await synthetic(
      [
        { identity: TENANT_IDENTITY },
        {
          identity: BUILDER,
          predicate: slsaPredicate(BUILDER, { buildType: "https://example.com/custom/v1" }),
        },
      ],
      trusting(GENERATOR),
    );
    expect(r.slsa?.level).toBe("SLSA_BUILD_LEVEL_2");
    expect(r.slsa?.whyNotHigher).toContain(
      'buildType "https://example.com/custom/v1" is not one pyprov recognises',
    );
  });

  it("unrecognised externalParameters fail the expectation: not L3", async () => {
    const wf = slsaPredicate(BUILDER).buildDefinition as {
      externalParameters: Record<string, unknown>;
    };
    const r = await synthetic(
      [
        { identity: TENANT_IDENTITY },
        {
          identity: BUILDER,
          predicate: slsaPredicate(BUILDER, {
            externalParameters: { ...wf.externalParameters, extra: "x" },
          }),
        },
      ],
      trusting(GENERATOR),
    );
    expect(r.slsa?.level).toBe("SLSA_BUILD_LEVEL_2");
    expect(r.slsa?.whyNotHigher).toContain(
      'externalParameters has unrecognised parameters: "extra"',
    );
  });

  it("a workflow parameter missing: not L3", async () => {
    const r = await synthetic(
      [
        { identity: TENANT_IDENTITY },
        {
          identity: BUILDER,
          predicate: slsaPredicate(BUILDER, {
            workflow: { ref: ext(BUILDER, 14), repository: ext(BUILDER, 12) },
          }),
        },
      ],
      trusting(GENERATOR),
    );
    expect(r.slsa?.level).toBe("SLSA_BUILD_LEVEL_2");
    expect(r.slsa?.whyNotHigher).toContain("workflow.path is missing");
  });

  it("a predicate that is not SLSA Provenance v1: not L3", async () => {
    const r = await synthetic(
      [{ identity: TENANT_IDENTITY }, { identity: BUILDER, predicate: { hello: "world" } }],
      trusting(GENERATOR),
    );
    expect(r.slsa?.level).toBe("SLSA_BUILD_LEVEL_2");
    expect(r.slsa?.whyNotHigher).toContain("not a SLSA Provenance v1 predicate");
  });

  const contradictions: [string, Record<string, unknown>, string][] = [
    [
      "workflow.ref",
      {
        workflow: {
          ref: "refs/tags/v0.9.0",
          repository: "https://github.com/acme/pkg",
          path: ".github/workflows/release.yml",
        },
      },
      'externalParameters.workflow.ref is "refs/tags/v0.9.0", but the certificate\'s .14 is "refs/tags/v1.0.0"',
    ],
    [
      "workflow.repository",
      {
        workflow: {
          ref: "refs/tags/v1.0.0",
          repository: "https://github.com/evil/pkg",
          path: ".github/workflows/release.yml",
        },
      },
      "externalParameters.workflow.repository",
    ],
    [
      "workflow.path",
      {
        workflow: {
          ref: "refs/tags/v1.0.0",
          repository: "https://github.com/acme/pkg",
          path: ".github/workflows/other.yml",
        },
      },
      "externalParameters.workflow.path",
    ],
    [
      "internalParameters.github.repository_id",
      { internalParameters: { github: { repository_id: "1" } } },
      "internalParameters.github.repository_id",
    ],
    [
      "internalParameters.github.runner_environment",
      { internalParameters: { github: { runner_environment: "self-hosted" } } },
      "internalParameters.github.runner_environment",
    ],
    [
      "the source commit",
      {
        resolvedDependencies: [
          {
            uri: "git+https://github.com/acme/pkg@refs/tags/v1.0.0",
            digest: { gitCommit: "f".repeat(40) },
          },
        ],
      },
      "gitCommit",
    ],
    [
      "the invocation",
      { invocationId: "https://github.com/acme/pkg/actions/runs/1/attempts/1" },
      "runDetails.metadata.invocationId",
    ],
  ];
  for (const [field, patch, message] of contradictions) {
    it(`a SLSA predicate contradicting the certificate (${field}) fails verification: FAILED`, async () => {
      const predicate =
        "workflow" in patch
          ? slsaPredicate(BUILDER, { workflow: patch.workflow as Record<string, unknown> })
          : slsaPredicate(BUILDER, patch);
      const r = await synthetic(
        [{ identity: TENANT_IDENTITY }, { identity: BUILDER, predicate }],
        trusting(GENERATOR),
      );
      expect(r.verdict).toBe("failed");
      expect(r.failure?.code).toBe("PREDICATE_MISMATCH");
      expect(r.failure?.message).toContain(message);
      expect(r.slsa?.level).toBe("FAILED");
      const att = r.attestations[1]!;
      expect(att.ok).toBe(false);
      expect(att.checks.at(-1)).toMatchObject({
        id: "slsa-predicate",
        ok: false,
        code: "PREDICATE_MISMATCH",
      });
      expect(r.checks.find((c) => c.id === "coverage")).toMatchObject({
        ok: false,
        message: "1 of 2 attestation(s) failed",
      });
    });
  }

  it("the tenant's own SLSA provenance (.9 = .18): at most L2, even when its workflow is allow-listed", async () => {
    const r = await synthetic(
      [
        { identity: TENANT_IDENTITY },
        { identity: TENANT_IDENTITY, predicate: slsaPredicate(TENANT_IDENTITY) },
      ],
      trusting("https://github.com/acme/pkg/.github/workflows/release.yml"),
    );
    expect(r.slsa?.level).toBe("SLSA_BUILD_LEVEL_2");
    expect(r.slsa?.whyNotHigher).toContain("Build Signer URI (.9) equals Build Config URI (.18)");
  });

  it("publish/v1 alone is never L3, even when signed through an allow-listed builder", async () => {
    const r = await synthetic([{ identity: BUILDER }], trusting(GENERATOR));
    expect(r.verdict).toBe("verified");
    expect(r.slsa?.level).toBe("SLSA_BUILD_LEVEL_2");
    expect(r.slsa?.whyNotHigher).toContain("never L3");
  });

  it("a self-hosted runner: L1", async () => {
    const id = githubSelfHostedIdentity({
      repository: "acme/pkg",
      workflow: "release.yml",
      ref: "refs/tags/v1.0.0",
    });
    const r = await synthetic([{ identity: id }]);
    expect(r.slsa?.level).toBe("SLSA_BUILD_LEVEL_1");
    expect(r.slsa?.whyNotHigher).toContain('Runner Environment (.11) is "self-hosted"');
  });

  it("an allow-listed builder on a self-hosted runner: L1, not L3", async () => {
    const b = builderIdentity("refs/tags/v2.1.0", "self-hosted");
    const r = await synthetic(
      [{ identity: TENANT_IDENTITY }, { identity: b, predicate: slsaPredicate(b) }],
      trusting(GENERATOR),
    );
    expect(r.verdict).toBe("verified");
    // The best attestation decides: the publish attestation is L2, the SLSA one only L1.
    expect(r.slsa?.level).toBe("SLSA_BUILD_LEVEL_2");
    const alone = await synthetic(
      [{ identity: b, predicate: slsaPredicate(b) }],
      trusting(GENERATOR),
    );
    expect(alone.slsa?.level).toBe("SLSA_BUILD_LEVEL_1");
  });

  it("no Runner Environment claim (.11): L1", async () => {
    const id = githubIdentity({
      repository: "acme/pkg",
      workflow: "release.yml",
      ref: "refs/tags/v1.0.0",
      overrides: { 11: null },
    });
    const r = await synthetic([{ identity: id }]);
    expect(r.slsa?.level).toBe("SLSA_BUILD_LEVEL_1");
    expect(r.slsa?.whyNotHigher).toContain("no Runner Environment claim (.11)");
  });

  it("only the deprecated issuer claim (.1): L1", async () => {
    const id = withExtensions(TENANT_IDENTITY, { 8: null });
    const r = await synthetic([{ identity: id }], undefined, null);
    expect(r.verdict).toBe("verified");
    expect(r.slsa?.level).toBe("SLSA_BUILD_LEVEL_1");
    expect(r.slsa?.whyNotHigher).toContain("no Issuer V2 claim (.8)");
  });

  it("GitLab hosted: L2; GitLab self-hosted: L1", async () => {
    const hosted = gitlabIdentity({ project: "acme/pkg", ref: "refs/tags/v1.0.0" });
    expect((await synthetic([{ identity: hosted }])).slsa?.level).toBe("SLSA_BUILD_LEVEL_2");
    const self = gitlabIdentity({
      project: "acme/pkg",
      ref: "refs/tags/v1.0.0",
      runner: "self-hosted",
    });
    const r = await synthetic([{ identity: self }]);
    expect(r.slsa?.level).toBe("SLSA_BUILD_LEVEL_1");
    expect(r.slsa?.whyNotHigher).toContain('(L2 needs "gitlab-hosted")');
  });

  it("Google service account: L1", async () => {
    const r = await synthetic([
      { identity: googleIdentity({ email: "b@p.iam.gserviceaccount.com" }) },
    ]);
    expect(r.slsa?.level).toBe("SLSA_BUILD_LEVEL_1");
  });

  it("an issuer that is not a CI platform: L1", async () => {
    const id = customIdentity({
      san: { email: "someone@example.com" },
      extensions: { 1: "https://issuer.example.com", 8: "https://issuer.example.com" },
    });
    const r = await synthetic([{ identity: id }], undefined, null);
    expect(r.verdict).toBe("verified");
    expect(r.slsa?.level).toBe("SLSA_BUILD_LEVEL_1");
    expect(r.slsa?.whyNotHigher).toContain(
      'issuer "https://issuer.example.com" is not a hosted CI platform',
    );
  });

  it("no provenance: L0", async () => {
    const dist = ws.dist();
    const r = await runOne({ targets: [{ kind: "path", path: dist.path }], trustedRoot: ws.root });
    expect(r.verdict).toBe("missing");
    expect(r.slsa?.level).toBe("SLSA_BUILD_LEVEL_0");
    expect(r.slsa?.whyNotHigher).toMatch(/^no provenance: /);
  });
});

describe("classifySlsa on reports without a verdict", () => {
  const base: TargetReport = {
    target: { filename: "a-1.0.tar.gz", sha256: "", path: undefined },
    provenance: undefined,
    claimedPublisher: undefined,
    identity: undefined,
    attestations: [],
    expectations: [],
    checks: [],
    warnings: [],
    verdict: "error",
    failure: undefined,
    error: { code: "PROVENANCE_WITHHELD", message: "HTTP 403" },
  };
  it("withheld provenance (HTTP 403): UNEVALUATED", () => {
    const { result } = classifySlsa(base);
    expect(result.level).toBe("SLSA_BUILD_LEVEL_UNEVALUATED");
    expect(result.whyNotHigher).toContain("withholds this file's provenance (HTTP 403)");
  });
  it("any other error: UNEVALUATED", () => {
    const { result } = classifySlsa({ ...base, error: { code: "NETWORK", message: "timed out" } });
    expect(result.level).toBe("SLSA_BUILD_LEVEL_UNEVALUATED");
    expect(result.whyNotHigher).toContain("timed out");
  });
});

describe("release level: the minimum over its files", () => {
  const file = (filename: string, level: SlsaLevel) => ({
    target: { filename },
    slsa: { level, evidence: { predicateTypes: [] }, whyNotHigher: "" },
  });
  it("orders FAILED < UNEVALUATED < L0 < L1 < L2 < L3", () => {
    expect(minLevel("SLSA_BUILD_LEVEL_3", "SLSA_BUILD_LEVEL_2")).toBe("SLSA_BUILD_LEVEL_2");
    expect(minLevel("SLSA_BUILD_LEVEL_0", "SLSA_BUILD_LEVEL_UNEVALUATED")).toBe(
      "SLSA_BUILD_LEVEL_UNEVALUATED",
    );
    expect(minLevel("SLSA_BUILD_LEVEL_UNEVALUATED", "FAILED")).toBe("FAILED");
    expect(shortLevel("SLSA_BUILD_LEVEL_2")).toBe("L2");
  });
  it("groups by canonical name and version, flags mixed attested and unattested files", () => {
    const levels = releaseLevels([
      file("acme_pkg-1.0.0-py3-none-any.whl", "SLSA_BUILD_LEVEL_3"),
      file("acme-pkg-1.0.0.tar.gz", "SLSA_BUILD_LEVEL_2"),
      file("acme_pkg-1.0.0-cp312-cp312-linux_x86_64.whl", "SLSA_BUILD_LEVEL_0"),
      file("acme_pkg-2.0.0.tar.gz", "SLSA_BUILD_LEVEL_1"),
      file("not a distribution", "SLSA_BUILD_LEVEL_2"),
    ]);
    expect(levels).toEqual([
      {
        project: "acme-pkg",
        version: "1.0.0",
        level: "SLSA_BUILD_LEVEL_0",
        files: 3,
        withoutProvenance: 1,
        mixed: true,
      },
      {
        project: "acme-pkg",
        version: "2.0.0",
        level: "SLSA_BUILD_LEVEL_1",
        files: 1,
        withoutProvenance: 0,
        mixed: false,
      },
    ]);
  });
  it("a real release: sigstore's sdist (L2) with an L1 file makes the release L1", async () => {
    const sigstore = await runOne(corpusInputs(SIGSTORE_3_6_1));
    const google = {
      ...sigstore,
      target: { ...sigstore.target, filename: "sigstore-3.6.1-py3-none-any.whl" },
      slsa: { ...sigstore.slsa!, level: "SLSA_BUILD_LEVEL_1" as const },
    };
    expect(releaseLevels([sigstore, google])).toMatchObject([
      {
        project: "sigstore",
        version: "3.6.1",
        level: "SLSA_BUILD_LEVEL_1",
        files: 2,
        mixed: false,
      },
    ]);
  });
});
