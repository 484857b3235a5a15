/**
 * The renderers on hand-made reports: the VSA's fields for each verdict, the
 * resourceUri and policy fallbacks, purls, SARIF levels and locations,
 * CycloneDX references and properties, and the table's cells.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ERROR_CODES, FAILURE_CODES } from "../../src/errors.js";
import { cyclonedxBom } from "../../src/report/cyclonedx.js";
import { purlOf, relativeUri, sigstoreVerifyVersion, uriOf } from "../../src/report/outcome.js";
import { RULE_DESCRIPTIONS, RULE_IDS, sarifLog } from "../../src/report/sarif.js";
import { compactPublisher, renderTable } from "../../src/report/table.js";
import { BUILTIN_POLICY_URI, resourceUriOf, vsaStatement } from "../../src/report/vsa.js";
import type { TargetReport } from "../../src/verify/types.js";
import { Workspace } from "../support/synthetic.js";
import { runCli } from "../support/cli.js";
import { expectValidCycloneDx, expectValidSarif, expectValidVsaLines } from "./helpers.js";

const SHA = "ab".repeat(32);
const PROV_SHA = "cd".repeat(32);

function report(
  over: Omit<Partial<TargetReport>, "target"> & { target?: Partial<TargetReport["target"]> } = {},
): TargetReport {
  const { target, ...rest } = over;
  return {
    target: {
      filename: "Acme_Pkg-1.0.0-py3-none-any.whl",
      sha256: SHA,
      path: undefined,
      ...target,
    },
    provenance: {
      kind: "provenance",
      sources: ["https://pypi.example/integrity/acme-pkg/1.0.0/x/provenance"],
      digests: [
        { source: "https://pypi.example/integrity/acme-pkg/1.0.0/x/provenance", sha256: PROV_SHA },
      ],
    },
    claimedPublisher: undefined,
    identity: {
      kind: "github",
      issuer: "https://token.actions.githubusercontent.com",
      repository: "acme/pkg",
      workflow: ".github/workflows/release.yml",
      ref: "refs/tags/v1.0.0",
      environment: "pypi",
      runner: "github-hosted",
      repositoryId: "1",
      ownerId: "2",
      identity: "https://github.com/acme/pkg/.github/workflows/release.yml@refs/tags/v1.0.0",
    },
    attestations: [],
    expectations: [],
    checks: [],
    warnings: [],
    verdict: "verified",
    failure: undefined,
    error: undefined,
    slsa: { level: "SLSA_BUILD_LEVEL_2", evidence: { predicateTypes: [] }, whyNotHigher: "" },
    ...rest,
  };
}

const missing = (): TargetReport =>
  report({
    verdict: "missing",
    provenance: undefined,
    identity: undefined,
    failure: { code: "NO_ATTESTATIONS", message: "none" },
    slsa: { level: "SLSA_BUILD_LEVEL_0", evidence: { predicateTypes: [] }, whyNotHigher: "" },
  });

describe("purl and URIs", () => {
  it("pkg:pypi with the PEP 503 name and the file_name qualifier, percent-encoded", () => {
    expect(purlOf(report())).toBe(
      "pkg:pypi/acme-pkg@1.0.0?file_name=Acme_Pkg-1.0.0-py3-none-any.whl",
    );
    const local = report({ target: { filename: "weird-1.0+local.tar.gz" } });
    expect(purlOf(local)).toBe("pkg:pypi/weird@1.0%2Blocal?file_name=weird-1.0%2Blocal.tar.gz");
    expect(purlOf(report({ target: { filename: "not a dist" } }))).toBeUndefined();
  });

  it("file: URIs: relative stays relative, absolute is file:///, URLs unchanged", () => {
    expect(uriOf("dist/a b#1.whl")).toBe("file:dist/a%20b%231.whl");
    expect(uriOf("./x.provenance")).toBe("file:x.provenance");
    expect(uriOf("/tmp/x.provenance")).toBe("file:///tmp/x.provenance");
    expect(uriOf("https://h/p")).toBe("https://h/p");
    expect(relativeUri("/repo/sub/requirements.txt", "/repo")).toBe("sub/requirements.txt");
    expect(relativeUri("/elsewhere/r.txt", "/repo")).toBe("file:///elsewhere/r.txt");
    expect(relativeUri("../r.txt", "/repo")).toBe("file:///r.txt");
    expect(relativeUri("./sub/r.txt", "/repo")).toBe("sub/r.txt");
  });

  it("reads the installed @sigstore/verify's version", () => {
    const require = createRequire(import.meta.url);
    const pkg = JSON.parse(
      readFileSync(require.resolve("@sigstore/verify/package.json"), "utf8"),
    ) as {
      version: string;
    };
    expect(sigstoreVerifyVersion()).toBe(pkg.version);
  });
});

describe("VSA", () => {
  const now = new Date("2026-01-02T03:04:05.678Z");

  it("verified: PASSED, its level, the index URL, the provenance and its digest", () => {
    const s = vsaStatement(report({ target: { url: "https://files.example/x.whl" } }), { now })!;
    expect(s.subject).toEqual([
      { name: "Acme_Pkg-1.0.0-py3-none-any.whl", digest: { sha256: SHA } },
    ]);
    expect(s.predicate).toMatchObject({
      timeVerified: "2026-01-02T03:04:05Z",
      resourceUri: "https://files.example/x.whl",
      policy: { uri: BUILTIN_POLICY_URI },
      inputAttestations: [
        {
          uri: "https://pypi.example/integrity/acme-pkg/1.0.0/x/provenance",
          digest: { sha256: PROV_SHA },
        },
      ],
      verificationResult: "PASSED",
      verifiedLevels: ["SLSA_BUILD_LEVEL_2"],
      slsaVersion: "1.1",
    });
    expect(s.predicate.policy).not.toHaveProperty("digest");
  });

  it("resourceUri falls back to the purl, then to a file: URI", () => {
    expect(resourceUriOf(report())).toBe(
      "pkg:pypi/acme-pkg@1.0.0?file_name=Acme_Pkg-1.0.0-py3-none-any.whl",
    );
    expect(resourceUriOf(report({ target: { filename: "blob.bin", path: "out/blob.bin" } }))).toBe(
      "file:out/blob.bin",
    );
  });

  it("a policy: its file and the sha256 of its bytes", () => {
    const s = vsaStatement(
      report({
        policy: { source: "ci/policy.yaml", sha256: PROV_SHA, package: "acme-pkg", results: [] },
      }),
    )!;
    expect(s.predicate.policy).toEqual({
      uri: "file:ci/policy.yaml",
      digest: { sha256: PROV_SHA },
    });
  });

  it("missing: L0, FAILED unless allowed; no inputAttestations", () => {
    const refused = vsaStatement(missing())!;
    expect(refused.predicate.verificationResult).toBe("FAILED");
    expect(refused.predicate.verifiedLevels).toEqual(["SLSA_BUILD_LEVEL_0"]);
    expect(refused.predicate).not.toHaveProperty("inputAttestations");
    expect(vsaStatement(missing(), { allowMissing: true })!.predicate.verificationResult).toBe(
      "PASSED",
    );
  });

  it("failed and no verdict: FAILED with FAILED / UNEVALUATED; no digest: no statement", () => {
    const failed = report({
      verdict: "failed",
      failure: { code: "SIGNATURE", message: "bad" },
      slsa: { level: "FAILED", evidence: { predicateTypes: [] }, whyNotHigher: "" },
    });
    expect(vsaStatement(failed)!.predicate).toMatchObject({
      verificationResult: "FAILED",
      verifiedLevels: ["FAILED"],
    });
    const error = report({
      verdict: "error",
      error: { code: "NETWORK", message: "down" },
      slsa: {
        level: "SLSA_BUILD_LEVEL_UNEVALUATED",
        evidence: { predicateTypes: [] },
        whyNotHigher: "",
      },
    });
    expect(vsaStatement(error)!.predicate.verifiedLevels).toEqual(["SLSA_BUILD_LEVEL_UNEVALUATED"]);
    expect(vsaStatement(report({ target: { sha256: "" } }))).toBeUndefined();
  });

  it("--attestation files: each one an input, with the sha256 of its bytes", async () => {
    const ws = new Workspace();
    try {
      const dist = ws.dist();
      const a = ws.writeAttestation(dist, ws.attest(dist));
      const r = await runCli([
        "verify",
        dist.path,
        "--attestation",
        a,
        "--trusted-root",
        ws.root,
        "--format",
        "vsa",
      ]);
      expect(r.code, r.stderr).toBe(0);
      const [line] = expectValidVsaLines(r.stdout);
      const inputs = (
        line!.predicate as { inputAttestations: { uri: string; digest: { sha256: string } }[] }
      ).inputAttestations;
      const { createHash } = await import("node:crypto");
      expect(inputs).toEqual([
        {
          uri: uriOf(a),
          digest: { sha256: createHash("sha256").update(readFileSync(a)).digest("hex") },
        },
      ]);
    } finally {
      ws.cleanup();
    }
  });
});

describe("SARIF", () => {
  const cwd = "/repo";
  const withOrigin = (r: TargetReport) => {
    r.target.origin = { file: join(cwd, "requirements.txt"), line: 7 };
    return r;
  };

  it("one result per file that is not a clean pass, with its level and rule", () => {
    const warned = report({ warnings: ["renamed: ..."] });
    const failed = report({ verdict: "failed", failure: { code: "SUBJECT_DIGEST", message: "x" } });
    const error = report({ verdict: "error", error: { code: "NETWORK", message: "down" } });
    const run = { results: [report(), warned, missing(), failed, error], exitCode: 2 as const };
    const log = sarifLog(run, { cwd }) as {
      runs: {
        tool: { driver: { rules: { id: string }[] } };
        results: { ruleId: string; ruleIndex: number; level: string }[];
      }[];
    };
    expectValidSarif(log);
    const { results, tool } = log.runs[0]!;
    expect(results.map((r) => [r.ruleId, r.level])).toEqual([
      ["WARNING", "warning"],
      ["NO_ATTESTATIONS", "error"],
      ["SUBJECT_DIGEST", "error"],
      ["NETWORK", "error"],
    ]);
    for (const r of results) expect(tool.driver.rules[r.ruleIndex]!.id).toBe(r.ruleId);
    const allowed = sarifLog(
      { results: [missing()], exitCode: 0 },
      { cwd, allowMissing: true },
    ) as {
      runs: { results: { level: string }[] }[];
    };
    expect(allowed.runs[0]!.results[0]!.level).toBe("warning");
  });

  it("located at the requirements line (relative to the working directory), else the path or URL", () => {
    const failed = () =>
      report({ verdict: "failed", failure: { code: "SIGNATURE", message: "x" } });
    const log = sarifLog(
      {
        results: [
          withOrigin(failed()),
          report({ ...failed(), target: { path: "/repo/dist/a.whl" } }),
          report({ ...failed(), target: { url: "https://files.example/a.whl" } }),
        ],
        exitCode: 1,
      },
      { cwd },
    ) as { runs: { results: { locations: { physicalLocation: unknown }[] }[] }[] };
    expect(log.runs[0]!.results.map((r) => r.locations[0]!.physicalLocation)).toEqual([
      { artifactLocation: { uri: "requirements.txt" }, region: { startLine: 7 } },
      { artifactLocation: { uri: "dist/a.whl" } },
      { artifactLocation: { uri: "https://files.example/a.whl" } },
    ]);
  });

  it("has a rule description for every failure and error code", () => {
    for (const code of [...FAILURE_CODES, ...ERROR_CODES]) {
      expect(RULE_IDS).toContain(code);
      expect(RULE_DESCRIPTIONS[code], code).toBeTruthy();
    }
  });
});

describe("CycloneDX", () => {
  it("components with purl, hash, references and pyprov: properties; unique bom-refs", async () => {
    const r = report({
      target: { url: "https://files.example/x.whl", origin: { file: "req.txt", line: 3 } },
    });
    const bom = cyclonedxBom(
      {
        results: [r, report(), missing()],
        skipped: [{ name: "local-pkg", reason: "editable", origin: { file: "uv.lock", line: 9 } }],
        exitCode: 1,
      },
      { now: new Date(0) },
    ) as {
      components: {
        "bom-ref": string;
        properties: { name: string; value: string }[];
        externalReferences?: unknown[];
      }[];
    };
    await expectValidCycloneDx(bom);
    expect(bom.components.map((c) => c["bom-ref"])).toEqual([
      "pkg:pypi/acme-pkg@1.0.0?file_name=Acme_Pkg-1.0.0-py3-none-any.whl",
      "pkg:pypi/acme-pkg@1.0.0?file_name=Acme_Pkg-1.0.0-py3-none-any.whl#2",
      "pkg:pypi/acme-pkg@1.0.0?file_name=Acme_Pkg-1.0.0-py3-none-any.whl#3",
      "pyprov:skipped:1",
    ]);
    const props = Object.fromEntries(bom.components[0]!.properties.map((p) => [p.name, p.value]));
    expect(props).toMatchObject({
      "pyprov:verdict": "verified",
      "pyprov:verification-result": "PASSED",
      "pyprov:slsa:level": "SLSA_BUILD_LEVEL_2",
      "pyprov:publisher:repository": "acme/pkg",
      "pyprov:publisher:environment": "pypi",
      "pyprov:origin": "req.txt:3",
    });
    expect(bom.components[0]!.externalReferences).toEqual([
      { type: "distribution", url: "https://files.example/x.whl" },
      {
        type: "attestation",
        url: "https://pypi.example/integrity/acme-pkg/1.0.0/x/provenance",
        comment: "PEP 740 provenance",
        hashes: [{ alg: "SHA-256", content: PROV_SHA }],
      },
    ]);
    const skipped = Object.fromEntries(bom.components[3]!.properties.map((p) => [p.name, p.value]));
    expect(skipped).toEqual({
      "pyprov:verdict": "skipped",
      "pyprov:skip-reason": "editable",
      "pyprov:origin": "uv.lock:9",
    });
  });
});

describe("table", () => {
  it("a compact publisher: kind, repository, workflow file, environment, a non-hosted runner", () => {
    const id = report().identity!;
    expect(compactPublisher(id)).toBe("github:acme/pkg release.yml env=pypi");
    expect(compactPublisher({ ...id, environment: undefined, runner: "self-hosted" })).toBe(
      "github:acme/pkg release.yml self-hosted",
    );
    expect(
      compactPublisher({ ...id, kind: "google", identity: "a@b.iam.gserviceaccount.com" }),
    ).toBe("google:a@b.iam.gserviceaccount.com");
    expect(compactPublisher(undefined)).toBe("-");
  });

  it("columns aligned, control characters escaped, the summary last", () => {
    const evil = report({ target: { filename: "acme_pkg-1.0.0.tar.gz\x1b[31m" } });
    const text = renderTable([report(), evil], { color: false });
    const lines = text.trimEnd().split("\n");
    expect(lines[0]!.indexOf("FILE")).toBe(lines[1]!.indexOf("Acme_Pkg"));
    expect(text).not.toContain("\x1b");
    expect(lines.at(-1)).toBe("2 verified, 0 failed");
  });
});
