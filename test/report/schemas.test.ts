/**
 * Every format against its schema, over real runs that cover each verdict:
 * verified, verified with warnings, failed, missing (refused and allowed),
 * no verdict, a policy, a SLSA provenance attestation, and real corpus data.
 * The JSON report's published schema is checked to be up to date.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { verifyReportJsonSchema } from "../../src/report/schema.js";
import { runCli } from "../support/cli.js";
import { casePath, trustedRootPath } from "../support/corpus.js";
import { Workspace } from "../support/synthetic.js";
import {
  GENERATOR,
  SLSA_PROVENANCE_V1,
  TENANT_IDENTITY,
  builderIdentity,
  slsaPredicate,
} from "../policy/helpers.js";
import {
  REPORT_SCHEMA_PATH,
  UPDATE,
  expectValidCycloneDx,
  expectValidReport,
  expectValidSarif,
  expectValidVsaLines,
} from "./helpers.js";

const ws = new Workspace();
afterAll(() => ws.cleanup());

/** Runs whose reports the formats must all describe validly. */
async function scenarios(): Promise<{ name: string; args: string[]; root?: string }[]> {
  const ok = ws.attested();
  // Publish provenance plus SLSA provenance from a trusted isolated builder: L3.
  const slsa = ws.dist("acme_pkg-1.0.0.tar.gz");
  const builder = builderIdentity();
  ws.writeProvenance(slsa, [
    ws.attest(slsa, { identity: TENANT_IDENTITY }),
    ws.attest(slsa, {
      identity: builder,
      predicateType: SLSA_PROVENANCE_V1,
      predicate: slsaPredicate(builder),
    }),
  ]);
  const trusting = ws.file("l3.yaml", `version: 1\ntrusted_builders:\n  - id: ${GENERATOR}\n`);
  const wrongEnv = ws.attested();
  const bare = ws.dist();
  const broken = ws.dist();
  ws.writeJson(`${broken.path}.provenance`, "{ not json");
  const policy = ws.file(
    "policy.yaml",
    "version: 1\ndefault:\n  require_attestation: false\n  min_slsa_level: 3\n",
  );
  const corpus = "tob-sigstore-3.6.1-sdist-pypi-provenance";
  return [
    { name: "verified", args: [ok.path] },
    { name: "publish + SLSA provenance (L3)", args: [slsa.path, "--policy", trusting] },
    { name: "failed expectation", args: [wrongEnv.path, "--environment", "staging"] },
    { name: "missing, refused", args: [ok.path, bare.path] },
    { name: "missing, allowed", args: [ok.path, bare.path, "--allow-missing"] },
    { name: "no verdict", args: [ok.path, broken.path] },
    {
      name: "policy: L3 required, missing allowed",
      args: [ok.path, bare.path, "--policy", policy],
    },
    {
      name: "corpus sigstore 3.6.1",
      args: [casePath(corpus, "sigstore-3.6.1.tar.gz"), "--repository", "sigstore/sigstore-python"],
      root: trustedRootPath("production"),
    },
  ];
}

async function run(args: string[], root: string | undefined, format: string) {
  return runCli(["verify", ...args, "--trusted-root", root ?? ws.root, "--format", format]);
}

describe("the JSON report's schema", () => {
  it("docs/schemas/pyprov-verify-v1.schema.json is what src/report/schema.ts generates", () => {
    // Compared as JSON: the committed file is formatted by Prettier.
    const generated = verifyReportJsonSchema();
    if (UPDATE) writeFileSync(REPORT_SCHEMA_PATH, JSON.stringify(generated, null, 2) + "\n");
    expect(JSON.parse(readFileSync(REPORT_SCHEMA_PATH, "utf8"))).toEqual(generated);
  });

  it("is draft 2020-12 with a stable $id, and leaves objects open for added fields", () => {
    const schema = verifyReportJsonSchema();
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.$id).toMatch(/pyprov-verify-v1\.schema\.json$/);
    expect(JSON.stringify(schema)).not.toContain('"additionalProperties":false');
  });
});

describe("every format validates against its schema", async () => {
  const cases = await scenarios();
  for (const c of cases) {
    it(`${c.name}: json, sarif, vsa, cyclonedx; the same exit code in each`, async () => {
      const json = await run(c.args, c.root, "json");
      const doc = JSON.parse(json.stdout) as { exitCode: number; results: unknown[] };
      expectValidReport(doc);
      expect(doc.exitCode).toBe(json.code);

      const sarif = await run(c.args, c.root, "sarif");
      expect(sarif.code).toBe(json.code);
      expectValidSarif(JSON.parse(sarif.stdout));

      const vsa = await run(c.args, c.root, "vsa");
      expect(vsa.code).toBe(json.code);
      const statements = expectValidVsaLines(vsa.stdout);
      expect(statements.length).toBeGreaterThan(0);

      const bom = await run(c.args, c.root, "cyclonedx");
      expect(bom.code).toBe(json.code);
      await expectValidCycloneDx(JSON.parse(bom.stdout));

      for (const r of [sarif, vsa, bom]) expect(r.stdout.length).toBeGreaterThan(0);
    });
  }

  it("covers each verdict and a warning", async () => {
    const seen = new Set<string>();
    for (const c of cases) {
      const json = await run(c.args, c.root, "json");
      const doc = JSON.parse(json.stdout) as {
        results: { verdict: string; warnings: string[] }[];
      };
      for (const r of doc.results) {
        seen.add(r.verdict);
        if (r.warnings.length > 0) seen.add("warning");
      }
    }
    expect([...seen].sort()).toEqual(["error", "failed", "missing", "verified", "warning"]);
  });
});

describe("schema validators reject what they should (they are not vacuous)", () => {
  it("SARIF: a result without a message", () => {
    expect(() =>
      expectValidSarif({
        version: "2.1.0",
        runs: [{ tool: { driver: { name: "pyprov" } }, results: [{ ruleId: "X" }] }],
      }),
    ).toThrow();
  });

  it("CycloneDX: a component of an unknown type, a bad serial number", async () => {
    const base = { bomFormat: "CycloneDX", specVersion: "1.6", version: 1 };
    await expect(
      expectValidCycloneDx({ ...base, components: [{ type: "pkg", name: "x" }] }),
    ).rejects.toThrow();
    await expect(expectValidCycloneDx({ ...base, serialNumber: "urn:uuid:1" })).rejects.toThrow();
  });

  it("in-toto / VSA: a subject without a digest, an unknown level, two levels", () => {
    const ok = {
      _type: "https://in-toto.io/Statement/v1",
      subject: [{ name: "x.whl", digest: { sha256: "a".repeat(64) } }],
      predicateType: "https://slsa.dev/verification_summary/v1",
      predicate: {
        verifier: {
          id: "https://github.com/pyprov/pyprov",
          version: { pyprov: "1", "@sigstore/verify": "1" },
        },
        timeVerified: "2026-01-01T00:00:00Z",
        resourceUri: "pkg:pypi/x@1",
        policy: { uri: "pyprov:builtin-default" },
        verificationResult: "PASSED",
        verifiedLevels: ["SLSA_BUILD_LEVEL_2"],
      },
    };
    expect(expectValidVsaLines(JSON.stringify(ok) + "\n")).toHaveLength(1);
    const bad = (edit: (d: typeof ok) => void): string => {
      const d = structuredClone(ok);
      edit(d);
      return JSON.stringify(d) + "\n";
    };
    expect(() => expectValidVsaLines(bad((d) => (d.subject = [{ name: "x" } as never])))).toThrow();
    expect(() =>
      expectValidVsaLines(bad((d) => (d.predicate.verifiedLevels = ["SLSA_LEVEL_9"]))),
    ).toThrow();
    expect(() =>
      expectValidVsaLines(
        bad((d) => (d.predicate.verifiedLevels = ["SLSA_BUILD_LEVEL_2", "SLSA_BUILD_LEVEL_1"])),
      ),
    ).toThrow();
  });

  it("JSON report: a field the schema does not describe fails the closed check", async () => {
    const r = await run([ws.attested().path], undefined, "json");
    const doc = JSON.parse(r.stdout) as { results: Record<string, unknown>[] };
    expectValidReport(doc);
    doc.results[0]!.undocumented = true;
    expect(() => expectValidReport(doc)).toThrow(/closed/);
    const wrong = JSON.parse(r.stdout) as { results: { verdict: string }[] };
    wrong.results[0]!.verdict = "maybe";
    expect(() => expectValidReport(wrong)).toThrow(/published/);
  });
});
