/**
 * Several attestations for one distribution (every one must pass) and
 * several distributions in one run (results in input order, the worst
 * outcome decides the exit code), on synthetic attestations.
 */
import { writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { verifyDistributions } from "../../src/pipeline.js";
import { githubIdentity } from "../support/sigstore/index.js";
import { DIST_NAME, Workspace, only } from "../support/synthetic.js";
import type { Dist } from "../support/synthetic.js";

const ws = new Workspace();
afterAll(() => ws.cleanup());

const SLSA = "https://slsa.dev/provenance/v1";

describe("several attestations for one file", () => {
  it("a publish and an SLSA attestation in one provenance: both verified, no warning", async () => {
    const d = ws.dist();
    ws.writeProvenance(d, [
      ws.attest(d),
      ws.attest(d, { predicateType: SLSA, predicate: {}, rekor: "v2-dsse" }),
    ]);
    const run = await ws.verifyJson([d.path]);
    const r = only(run);
    expect(r.verdict).toBe("verified");
    expect(r.attestations.map((a) => [a.predicateType, a.ok])).toEqual([
      ["https://docs.pypi.org/attestations/publish/v1", true],
      [SLSA, true],
    ]);
    expect(r.warnings).toEqual([]);
    expect(run.code).toBe(0);
  });

  it("sidecars DIST.publish.attestation and DIST.slsa.attestation are both used", async () => {
    const d = ws.dist();
    ws.writeAttestation(d, ws.attest(d));
    ws.writeAttestation(d, ws.attest(d, { predicateType: SLSA }), ".slsa.attestation");
    const r = only(await ws.verifyJson([d.path]));
    expect(r.attestations).toHaveLength(2);
    expect(r.verdict).toBe("verified");
  });

  it("one bad attestation among good ones fails the file", async () => {
    const d = ws.dist();
    ws.writeProvenance(d, [
      ws.attest(d),
      ws.attest(d, { predicateType: SLSA, faults: { sct: "none" } }),
      ws.attest(d, { rekor: "v2-hashedrekord" }),
    ]);
    const run = await ws.verifyJson([d.path]);
    const r = only(run);
    expect(r.verdict).toBe("failed");
    expect(r.attestations.map((a) => a.ok)).toEqual([true, false, true]);
    expect(r.failure?.code).toBe("CERTIFICATE_SCT");
    expect(run.code).toBe(1);
    const human = await ws.verify([d.path]);
    expect(human.stdout).not.toContain("✓");
    expect(human.code).toBe(1);
  });

  it("a good attestation from another repository fails the publisher and --repository", async () => {
    const d = ws.dist();
    const other = githubIdentity({ repository: "evil/pkg", workflow: "release.yml", ref: "v1" });
    ws.writeProvenance(d, [ws.attest(d), ws.attest(d, { identity: other, predicateType: SLSA })]);
    const r = only(await ws.verifyJson([d.path]));
    expect(r.failure?.code).toBe("PUBLISHER_MISMATCH");
    const sidecarOnly = ws.dist();
    ws.writeAttestation(sidecarOnly, ws.attest(sidecarOnly));
    ws.writeAttestation(
      sidecarOnly,
      ws.attest(sidecarOnly, { identity: other, predicateType: SLSA }),
      ".slsa.attestation",
    );
    const run = await ws.verifyJson([sidecarOnly.path, "--repository", "acme/pkg"]);
    expect(only(run).failure?.code).toBe("EXPECTATION_MISMATCH");
    expect(run.code).toBe(1);
  });

  it("two attestations with the same predicate type verify with a warning", async () => {
    const d = ws.dist();
    ws.writeProvenance(d, [ws.attest(d), ws.attest(d, { rekor: "v2-dsse" })]);
    const run = await ws.verifyJson([d.path]);
    expect(only(run).verdict).toBe("verified");
    expect(only(run).warnings).toEqual([
      "2 attestations share the predicate type https://docs.pypi.org/attestations/publish/v1",
    ]);
    expect(run.code).toBe(0);
    const human = await ws.verify([d.path]);
    expect(human.stdout).toContain(
      "\n    warning: 2 attestations share the predicate type https://docs.pypi.org/attestations/publish/v1\n",
    );
    expect(human.code).toBe(0);
  });
});

describe("several distributions in one run", () => {
  /** good1, bad (expired leaf), good2: a shared directory, distinct names. */
  function trio(): Dist[] {
    const dir = ws.subdir();
    const names = [
      "acme_pkg-1.0.0-py3-none-any.whl",
      "acme_pkg-1.0.0.tar.gz",
      "acme_pkg-1.0.0-cp312-abi3-manylinux_2_28_x86_64.whl",
    ];
    return names.map((name, i) => {
      const d = ws.dist(name, dir);
      const faults = i === 1 ? { leafValidity: "expired" as const } : {};
      ws.writeProvenance(d, [ws.attest(d, { faults })]);
      return d;
    });
  }

  it("all verified: exit 0, results in input order", async () => {
    const [a, , c] = trio();
    const run = await ws.verifyJson([c!.path, a!.path]);
    expect(run.doc.results.map((r) => [r.target.filename, r.verdict])).toEqual([
      [c!.filename, "verified"],
      [a!.filename, "verified"],
    ]);
    expect(run.doc.summary).toEqual({ total: 2, verified: 2, failed: 0, missing: 0, errors: 0 });
    expect(run.code).toBe(0);
  });

  it("one failure: exit 1, the others still verified, in input order", async () => {
    const dists = trio();
    const run = await ws.verifyJson(dists.map((d) => d.path));
    expect(run.doc.results.map((r) => [r.target.filename, r.verdict, r.failure?.code])).toEqual([
      [dists[0]!.filename, "verified", undefined],
      [dists[1]!.filename, "failed", "CERTIFICATE_CHAIN"],
      [dists[2]!.filename, "verified", undefined],
    ]);
    expect(run.code).toBe(1);
    const human = await ws.verify(dists.map((d) => d.path));
    const lines = human.stdout.split("\n");
    expect(lines[0]).toMatch(
      new RegExp(`^✓ ${dists[0]!.filename.replace(/\./g, "\\.")}  github:acme/pkg`),
    );
    expect(lines[1]).toMatch(/^✗ acme_pkg-1\.0\.0\.tar\.gz/);
    expect(lines[2]).toContain("not valid at the verified signing time");
    expect(lines[3]).toMatch(/^✓ acme_pkg-1\.0\.0-cp312/);
    expect(lines[4]).toBe("2 verified, 1 failed");
    expect(human.code).toBe(1);
  });

  it("a file without provenance fails (NO_ATTESTATIONS) and the rest are still reported", async () => {
    const [a] = trio();
    const bare = ws.dist();
    const run = await ws.verifyJson([a!.path, bare.path]);
    expect(run.doc.results.map((r) => r.verdict)).toEqual(["verified", "missing"]);
    expect(run.doc.results[1]!.failure?.code).toBe("NO_ATTESTATIONS");
    expect(run.doc.results[1]!.failure?.message).toContain(`${bare.path}.provenance`);
    expect(run.code).toBe(1);
  });

  it("unreadable provenance for one file: exit 2, the other results still reported", async () => {
    const dists = trio();
    writeFileSync(`${dists[2]!.path}.provenance`, "{ this is not json");
    const run = await ws.verifyJson(dists.map((d) => d.path));
    expect(run.doc.results.map((r) => r.verdict)).toEqual(["verified", "failed", "error"]);
    expect(run.doc.results[2]!.error?.code).toBe("INPUT_MALFORMED");
    expect(run.doc.results[2]!.error?.message).toContain(`${dists[2]!.path}.provenance`);
    expect(run.doc.summary).toEqual({ total: 3, verified: 1, failed: 1, missing: 0, errors: 1 });
    expect(run.code).toBe(2);

    const human = await ws.verify(dists.map((d) => d.path));
    expect(human.code).toBe(2);
    expect(human.stdout).toContain("1 verified, 1 failed, 1 without a verdict\n");
    expect(human.stdout).toMatch(/^✓ acme_pkg-1\.0\.0-py3-none-any\.whl/);
    expect(human.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(human.stderr).toContain(`${dists[2]!.path}.provenance: not valid JSON`);
  });

  it("the library reports the same, one result per target in order", async () => {
    const dists = trio();
    const missing = `${ws.subdir()}/${DIST_NAME}`;
    const run = await verifyDistributions({
      targets: [
        { kind: "path", path: missing },
        ...dists.map((d) => ({ kind: "path" as const, path: d.path })),
      ],
      trustedRoot: ws.root,
      expectations: { repository: "acme/pkg", environment: "pypi" },
    });
    expect(run.results.map((r) => r.verdict)).toEqual(["error", "verified", "failed", "verified"]);
    expect(run.results[0]!.error?.code).toBe("INPUT_UNREADABLE");
    expect(run.results[1]!.expectations.map((e) => [e.name, e.ok])).toEqual([
      ["repository", true],
      ["environment", true],
    ]);
    expect(run.exitCode).toBe(2);
    expect(run.trustRoot.source).toBe(ws.root);
  });
});
