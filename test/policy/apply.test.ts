/**
 * Policies applied by the pipeline, on real corpus attestations and on
 * synthetic ones: publishers (with pinned IDs), require_attestation,
 * min_slsa_level, exceptions (active, expired, what they waive), glob
 * rules, the report fields and the exit code.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { exitCodeFor, verifyDistributions, type VerifyOptions } from "../../src/pipeline.js";
import { applyPolicy } from "../../src/policy/apply.js";
import { loadPolicyFile, type LoadedPolicy } from "../../src/policy/load.js";
import type { TargetReport } from "../../src/verify/types.js";
import { REPO_ROOT } from "../support/corpus.js";
import { githubIdentity, googleIdentity } from "../support/sigstore/index.js";
import { Workspace } from "../support/synthetic.js";
import {
  GCB,
  GENERATOR,
  MODELS_0_0_4A2,
  PA_0_0_19,
  PA_0_0_28,
  REPO_ID,
  SIGSTORE_3_6_1,
  SLSA_PROVENANCE_V1,
  TENANT_IDENTITY,
  TOB_OWNER_ID,
  builderIdentity,
  corpusInputs,
  policyFrom,
  slsaPredicate,
} from "./helpers.js";

const ws = new Workspace();
afterAll(() => ws.cleanup());

const example = (name: string): LoadedPolicy =>
  loadPolicyFile(join(REPO_ROOT, "docs", "policy-examples", name));

async function run(opts: VerifyOptions): Promise<{ r: TargetReport; exitCode: number }> {
  const out = await verifyDistributions(opts);
  expect(out.results).toHaveLength(1);
  return { r: out.results[0]!, exitCode: out.exitCode };
}

const NOW = new Date("2026-06-01T12:00:00Z");

describe("publishers on real attestations", () => {
  it("sigstore 3.6.1 meets its pinned publisher (transitional.json): verified, with the policy recorded", async () => {
    const policy = example("transitional.json");
    const { r, exitCode } = await run({ ...corpusInputs(SIGSTORE_3_6_1), policy });
    expect(r.verdict).toBe("verified");
    expect(exitCode).toBe(0);
    expect(r.policy).toMatchObject({
      source: policy.source,
      sha256: policy.sha256,
      package: "sigstore",
      rule: "sigstore",
    });
    expect(r.policy!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(r.policy!.results).toEqual([
      {
        id: "policy-publisher",
        ok: true,
        message:
          "matches the policy's publisher github sigstore/sigstore-python (repository ID 447691086, owner ID 71096353) workflow release.yml ref refs/tags/v*",
      },
      {
        id: "policy-slsa",
        ok: true,
        message: "SLSA Build level L2 meets the minimum L2 (rule sigstore)",
      },
    ]);
    expect(r.warnings).toEqual([]);
  });

  it("a publisher the certificate does not match: failed, POLICY_PUBLISHER, level FAILED", async () => {
    const policy = policyFrom(`version: 1
packages:
  sigstore:
    publishers:
      - kind: github
        repository: sigstore/sigstore-python
        workflow: publish.yml
`);
    const { r, exitCode } = await run({ ...corpusInputs(SIGSTORE_3_6_1), policy });
    expect(r.verdict).toBe("failed");
    expect(exitCode).toBe(1);
    expect(r.failure).toEqual({
      code: "POLICY_PUBLISHER",
      message:
        "the certificate does not match the policy's publisher github sigstore/sigstore-python workflow publish.yml: " +
        'workflow ".github/workflows/release.yml" is not ".github/workflows/publish.yml" (rule sigstore)',
    });
    expect(r.slsa?.level).toBe("FAILED");
    expect(r.slsa?.whyNotHigher).toContain("the publisher is not allowed by the policy");
  });

  it("several publishers: any one may match; none matching lists every reason", async () => {
    const two = (first: string) =>
      policyFrom(`version: 1
default:
  publishers:
    - kind: google
      email: ${first}@x.iam.gserviceaccount.com
    - kind: github
      repository: sigstore/sigstore-python
`);
    const { r } = await run({ ...corpusInputs(SIGSTORE_3_6_1), policy: two("a") });
    expect(r.verdict).toBe("verified");
    const gcb = await run({ ...corpusInputs(GCB), policy: two("a") });
    expect(gcb.r.verdict).toBe("failed");
    expect(gcb.r.failure?.message).toContain(
      "matches none of the policy's 2 publishers: #1 google a@x",
    );
    expect(gcb.r.failure?.message).toContain(
      "; #2 github sigstore/sigstore-python: certificate issuer",
    );
  });

  it("an empty publisher list allows any verified publisher", async () => {
    const { r } = await run({ ...corpusInputs(GCB), policy: policyFrom("version: 1\n") });
    expect(r.verdict).toBe("verified");
    expect(r.policy?.results[0]).toMatchObject({
      id: "policy-publisher",
      ok: true,
      message:
        "any verified publisher is allowed for gcb-attestation-test (rule default lists none)",
    });
  });
});

describe("repojacking defence on the pypi-attestations history (repository ID 772247423)", () => {
  const renamedPin = policyFrom(`version: 1
packages:
  "pypi-attestation*":
    publishers:
      - kind: github
        repository: trailofbits/pypi-attestation-models
        repository_id: "${REPO_ID}"
        owner_id: "${TOB_OWNER_ID}"
        workflow: release.yml
`);

  it("pinned under the original name: 0.0.4a2 passes quietly", async () => {
    const { r } = await run({ ...corpusInputs(MODELS_0_0_4A2), policy: renamedPin });
    expect(r.verdict).toBe("verified");
    expect(r.warnings).toEqual([]);
  });

  it("renamed (same IDs, new name): 0.0.19 passes with a renamed warning", async () => {
    const { r, exitCode } = await run({ ...corpusInputs(PA_0_0_19), policy: renamedPin });
    expect(r.verdict).toBe("verified");
    expect(exitCode).toBe(0);
    expect(r.warnings).toEqual([
      `renamed: repository ID ${REPO_ID} is pinned as trailofbits/pypi-attestation-models and now signs as trailofbits/pypi-attestations`,
    ]);
  });

  it("renamed and transferred: 0.0.28 (pypi/pypi-attestations) passes with both warnings (pypi-attestations.yaml)", async () => {
    const { r } = await run({
      ...corpusInputs(PA_0_0_28),
      policy: example("pypi-attestations.yaml"),
    });
    expect(r.verdict).toBe("verified");
    expect(r.warnings).toEqual([
      `renamed: repository ID ${REPO_ID} is pinned as trailofbits/pypi-attestations and now signs as pypi/pypi-attestations`,
      `transferred: pypi/pypi-attestations (repository ID ${REPO_ID}) now belongs to owner ID "2964877", not the pinned ${TOB_OWNER_ID}`,
    ]);
  });

  it("the example policy passes 0.0.19 quietly", async () => {
    const { r } = await run({
      ...corpusInputs(PA_0_0_19),
      policy: example("pypi-attestations.yaml"),
    });
    expect(r.verdict).toBe("verified");
    expect(r.warnings).toEqual([]);
  });

  it("same name, other IDs (a re-registered name): failed, REPOSITORY_ID_MISMATCH", async () => {
    const jacked = policyFrom(`version: 1
packages:
  pypi-attestations:
    publishers:
      - kind: github
        repository: trailofbits/pypi-attestations
        repository_id: "1234"
`);
    const { r, exitCode } = await run({ ...corpusInputs(PA_0_0_19), policy: jacked });
    expect(r.verdict).toBe("failed");
    expect(exitCode).toBe(1);
    expect(r.failure?.code).toBe("REPOSITORY_ID_MISMATCH");
    expect(r.failure?.message).toContain(
      `repository ID "${REPO_ID}" of trailofbits/pypi-attestations differs from the pinned 1234: possible repojacking`,
    );
    expect(r.slsa?.level).toBe("FAILED");
  });
});

describe("min_slsa_level", () => {
  it("L2 under a minimum of 3: failed, naming both levels and why the file is not higher", async () => {
    const policy = policyFrom("version: 1\ndefault:\n  min_slsa_level: 3\n");
    const { r, exitCode } = await run({ ...corpusInputs(PA_0_0_19), policy });
    expect(r.verdict).toBe("failed");
    expect(exitCode).toBe(1);
    expect(r.failure?.code).toBe("POLICY_SLSA_LEVEL");
    expect(r.failure?.message).toContain(
      "SLSA Build level L2 is below the minimum L3 the policy requires for pypi-attestations (rule default)",
    );
    expect(r.failure?.message).toContain("Build Signer URI (.9) equals Build Config URI (.18)");
    // The level itself is still reported as what it is.
    expect(r.slsa?.level).toBe("SLSA_BUILD_LEVEL_2");
  });

  it("L1 (Google) under a minimum of 2 fails; at a minimum of 1 it passes", async () => {
    const fail = await run({
      ...corpusInputs(GCB),
      policy: policyFrom("version: 1\ndefault:\n  min_slsa_level: 2\n"),
    });
    expect(fail.r.failure?.code).toBe("POLICY_SLSA_LEVEL");
    expect(fail.r.failure?.message).toContain("L1 is below the minimum L2");
    const pass = await run({
      ...corpusInputs(GCB),
      policy: policyFrom("version: 1\ndefault:\n  min_slsa_level: 1\n"),
    });
    expect(pass.r.verdict).toBe("verified");
  });

  it("L3 meets a minimum of 3 (slsa-l3.yaml), and an L2 file of the same package fails it", async () => {
    const policy = example("slsa-l3.yaml");
    const builder = builderIdentity();
    const l3 = ws.dist();
    ws.writeProvenance(
      l3,
      [
        ws.attest(l3, { identity: TENANT_IDENTITY }),
        ws.attest(l3, {
          identity: builder,
          predicateType: SLSA_PROVENANCE_V1,
          predicate: slsaPredicate(builder),
        }),
      ],
      TENANT_IDENTITY.publisher,
    );
    const ok = await run({
      targets: [{ kind: "path", path: l3.path }],
      trustedRoot: ws.root,
      policy,
    });
    expect(ok.r.verdict, JSON.stringify(ok.r.failure)).toBe("verified");
    expect(ok.r.slsa?.level).toBe("SLSA_BUILD_LEVEL_3");
    expect(ok.r.policy?.rule).toBe("acme-* (glob)");

    const l2 = ws.attested(TENANT_IDENTITY);
    const bad = await run({
      targets: [{ kind: "path", path: l2.path }],
      trustedRoot: ws.root,
      policy,
    });
    expect(bad.r.verdict).toBe("failed");
    expect(bad.r.failure?.message).toContain("L2 is below the minimum L3");
    expect(bad.r.failure?.message).toContain("publish provenance only");
    expect(policy.trustedBuilders[0]!.id).toBe(GENERATOR);
  });
});

describe("require_attestation and exceptions", () => {
  const missing = (filename: string) => ws.dist(filename);
  const policy = policyFrom(`version: 1
default:
  require_attestation: true
packages:
  "optional-*":
    require_attestation: false
exceptions:
  - package: legacy-lib
    reason: no trusted publishing yet
    expires: 2027-03-31
  - package: "old-*"
    reason: retired upstream
    expires: 2020-01-01
  - package: half-lib
    reason: publisher moving
    expires: 2027-03-31
    waive: [publishers]
`);
  const opts = (path: string, now = NOW): VerifyOptions => ({
    targets: [{ kind: "path", path }],
    trustedRoot: ws.root,
    policy,
    now,
  });

  it("provenance required: a file without any is missing (exit 1)", async () => {
    const d = missing("requests-2.0.0.tar.gz");
    const { r, exitCode } = await run(opts(d.path));
    expect(r.verdict).toBe("missing");
    expect(exitCode).toBe(1);
    expect(r.slsa?.level).toBe("SLSA_BUILD_LEVEL_0");
    expect(r.policy?.results).toEqual([
      {
        id: "policy-attestation",
        ok: false,
        code: "NO_ATTESTATIONS",
        message:
          "the policy requires provenance for requests (rule default), and this file has none",
      },
    ]);
  });

  it("require_attestation: false: missing is a warning (L0) and exit 0", async () => {
    const d = missing("optional_thing-1.0.0.tar.gz");
    const { r, exitCode } = await run(opts(d.path));
    expect(r.verdict).toBe("missing");
    expect(exitCode).toBe(0);
    expect(r.warnings).toEqual([
      "no provenance: allowed by the policy (require_attestation: false for optional-* (glob))",
    ]);
    expect(r.policy?.results[0]).toMatchObject({ id: "policy-attestation", ok: true });
  });

  it("an active exception: missing passes, with its reason and expiry", async () => {
    const d = missing("legacy_lib-0.9.tar.gz");
    const { r, exitCode } = await run(opts(d.path));
    expect(exitCode).toBe(0);
    expect(r.verdict).toBe("missing");
    expect(r.warnings.join("\n")).toContain(
      "waived by exception for legacy-lib (until 2027-03-31: no trusted publishing yet)",
    );
  });

  it("the same exception after its expiry day: no longer applies (exit 1, with a warning)", async () => {
    const d = missing("legacy_lib-0.9.tar.gz");
    const { r, exitCode } = await run(opts(d.path, new Date("2027-04-01T00:00:00Z")));
    expect(exitCode).toBe(1);
    expect(r.warnings).toEqual([
      "exception for legacy-lib expired on 2027-03-31 and no longer applies (no trusted publishing yet)",
    ]);
    expect(r.policy?.results[0]).toMatchObject({ ok: false, code: "NO_ATTESTATIONS" });
  });

  it("an expired glob exception: fails", async () => {
    const d = missing("old_tool-1.0.0.tar.gz");
    const { exitCode, r } = await run(opts(d.path));
    expect(exitCode).toBe(1);
    expect(r.warnings[0]).toContain("exception for old-* expired on 2020-01-01");
  });

  it("an exception waives only the rules it names", async () => {
    const d = missing("half_lib-1.0.0.tar.gz");
    const { exitCode } = await run(opts(d.path));
    expect(exitCode).toBe(1);
  });

  it("an exception waives a publisher violation on a verified file (with a warning)", async () => {
    const strict = policyFrom(`version: 1
packages:
  legacy-lib:
    publishers:
      - kind: github
        repository: acme/other
exceptions:
  - package: legacy-lib
    reason: moving to acme/other
    expires: 2027-03-31
`);
    const d = ws.attested(TENANT_IDENTITY, {}, "legacy_lib-1.0.0.tar.gz");
    const { r, exitCode } = await run({
      targets: [{ kind: "path", path: d.path }],
      trustedRoot: ws.root,
      policy: strict,
      now: NOW,
    });
    expect(r.verdict).toBe("verified");
    expect(exitCode).toBe(0);
    expect(r.slsa?.level).toBe("SLSA_BUILD_LEVEL_2");
    expect(r.warnings.join("\n")).toContain(
      "waived by exception for legacy-lib (until 2027-03-31: moving to acme/other)",
    );
    expect(r.policy?.results.at(-1)).toEqual({
      id: "policy-exception",
      ok: true,
      message: "exception for legacy-lib applies until 2027-03-31: moving to acme/other",
    });
    const later = await run({
      targets: [{ kind: "path", path: d.path }],
      trustedRoot: ws.root,
      policy: strict,
      now: new Date("2028-01-01T00:00:00Z"),
    });
    expect(later.r.verdict).toBe("failed");
    expect(later.r.failure?.code).toBe("POLICY_PUBLISHER");
  });

  it("no exception passes a verification failure", async () => {
    const p = policyFrom(`version: 1
exceptions:
  - package: sampleproject
    reason: anything
    expires: 2099-01-01
`);
    const inputs = corpusInputs("warehouse-sampleproject-4.0.0-sdist-pypi-provenance");
    const { r, exitCode } = await run({
      ...inputs,
      targets: [{ kind: "digest", filename: "sampleproject-4.0.0.tar.gz", sha256: "1".repeat(64) }],
      policy: p,
    });
    expect(r.verdict).toBe("failed");
    expect(exitCode).toBe(1);
    expect(r.failure?.code).toBe("SUBJECT_DIGEST");
    expect(r.warnings).toContain(
      "the exception for sampleproject does not apply: no exception waives a verification failure",
    );
  });

  it("the Google Cloud Build exception of transitional.json waives its L1 (min_slsa_level only)", async () => {
    const strict = policyFrom(
      readFileSync(join(REPO_ROOT, "docs", "policy-examples", "transitional.json"), "utf8").replace(
        '"min_slsa_level": 1 }',
        '"min_slsa_level": 2 }',
      ),
      "t.json",
    );
    const { r } = await run({ ...corpusInputs(GCB), policy: strict, now: NOW });
    expect(r.verdict).toBe("verified");
    expect(r.warnings[0]).toContain("L1 is below the minimum L2");
    expect(r.warnings[0]).toContain("waived by exception for gcb-attestation-test");
  });
});

describe("glob package rules", () => {
  const policy = policyFrom(`version: 1
packages:
  "acme-*":
    publishers:
      - kind: github
        repository: acme/pkg
        workflow: release.yml
        environment: pypi
  acme-special:
    publishers:
      - kind: google
        email: special@acme.iam.gserviceaccount.com
`);
  it("a glob rule applies to every package it matches", async () => {
    const good = ws.attested(TENANT_IDENTITY, {}, "acme_web-1.0.0.tar.gz");
    expect(
      (await run({ targets: [{ kind: "path", path: good.path }], trustedRoot: ws.root, policy })).r
        .verdict,
    ).toBe("verified");
    const other = githubIdentity({
      repository: "evil/pkg",
      workflow: "release.yml",
      ref: "refs/tags/v1.0.0",
      environment: "pypi",
    });
    const bad = ws.attested(other, {}, "acme_cli-1.0.0.tar.gz");
    const { r } = await run({
      targets: [{ kind: "path", path: bad.path }],
      trustedRoot: ws.root,
      policy,
    });
    expect(r.verdict).toBe("failed");
    expect(r.policy?.rule).toBe("acme-* (glob)");
  });
  it("an exact name beats the glob", async () => {
    const google = googleIdentity({ email: "special@acme.iam.gserviceaccount.com" });
    const d = ws.attested(google, {}, "acme_special-1.0.0.tar.gz");
    const { r } = await run({
      targets: [{ kind: "path", path: d.path }],
      trustedRoot: ws.root,
      policy,
    });
    expect(r.verdict).toBe("verified");
    expect(r.policy?.rule).toBe("acme-special");
  });
  it("names outside the glob get the default", async () => {
    const other = githubIdentity({
      repository: "evil/pkg",
      workflow: "release.yml",
      ref: "refs/tags/v1.0.0",
    });
    const d = ws.attested(other, {}, "unrelated-1.0.0.tar.gz");
    const { r } = await run({
      targets: [{ kind: "path", path: d.path }],
      trustedRoot: ws.root,
      policy,
    });
    expect(r.verdict).toBe("verified");
    expect(r.policy?.rule).toBe("default");
  });
});

describe("every attestation of a file must match", () => {
  it("a publish attestation by the tenant and SLSA provenance by a reusable builder both match acme/pkg release.yml", async () => {
    const policy = policyFrom(`version: 1
default:
  publishers:
    - kind: github
      repository: acme/pkg
      workflow: release.yml
`);
    const builder = builderIdentity();
    const d = ws.dist();
    ws.writeProvenance(
      d,
      [
        ws.attest(d, { identity: TENANT_IDENTITY }),
        ws.attest(d, {
          identity: builder,
          predicateType: SLSA_PROVENANCE_V1,
          predicate: slsaPredicate(builder),
        }),
      ],
      TENANT_IDENTITY.publisher,
    );
    const { r } = await run({
      targets: [{ kind: "path", path: d.path }],
      trustedRoot: ws.root,
      policy,
    });
    expect(r.verdict).toBe("verified");
  });
});

describe("exitCodeFor and applyPolicy without a policy", () => {
  it("sets only the SLSA level when there is no policy", async () => {
    const d = ws.attested();
    const { r } = await run({ targets: [{ kind: "path", path: d.path }], trustedRoot: ws.root });
    expect(r.slsa?.level).toBe("SLSA_BUILD_LEVEL_2");
    expect(r.policy).toBeUndefined();
  });

  it("missing counts as a failure unless --allow-missing or the policy allows it", () => {
    const report = (
      results?: { id: "policy-attestation"; ok: boolean; message: string }[],
    ): TargetReport => ({
      target: { filename: "a-1.0.0.tar.gz", sha256: "", path: undefined },
      provenance: undefined,
      claimedPublisher: undefined,
      identity: undefined,
      attestations: [],
      expectations: [],
      checks: [],
      warnings: [],
      verdict: "missing",
      failure: { code: "NO_ATTESTATIONS", message: "none" },
      error: undefined,
      ...(results ? { policy: { source: "p", sha256: "x", package: "a", results } } : {}),
    });
    expect(exitCodeFor([report()])).toBe(1);
    expect(exitCodeFor([report()], true)).toBe(0);
    expect(exitCodeFor([report([{ id: "policy-attestation", ok: true, message: "" }])])).toBe(0);
    expect(exitCodeFor([report([{ id: "policy-attestation", ok: false, message: "" }])])).toBe(1);
    expect(exitCodeFor([report([])])).toBe(1);
  });

  it("leaves reports without a verdict alone", () => {
    const r: TargetReport = {
      target: { filename: "sampleproject==1.0", sha256: "", path: undefined },
      provenance: undefined,
      claimedPublisher: undefined,
      identity: undefined,
      attestations: [],
      expectations: [],
      checks: [],
      warnings: [],
      verdict: "error",
      failure: undefined,
      error: { code: "NETWORK", message: "down" },
    };
    applyPolicy(r, policyFrom("version: 1\n"));
    expect(r.verdict).toBe("error");
    expect(r.slsa?.level).toBe("SLSA_BUILD_LEVEL_UNEVALUATED");
    expect(r.policy?.results).toEqual([]);
  });
});
