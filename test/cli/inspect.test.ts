import { describe, expect, it } from "vitest";
import { NOT_VERIFIED_BANNER } from "../../src/cli/inspect.js";
import { casePath, getCase } from "../support/corpus.js";
import { runCli } from "../support/cli.js";

describe("pyprov inspect", () => {
  const c = getCase("tob-pypi_attestations-0.0.19-sdist");
  const slsa = casePath(c.case, "pypi_attestations-0.0.19.tar.gz.slsa.attestation");

  it("labels its output as not verified, first", async () => {
    const r = await runCli(["inspect", slsa]);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe(NOT_VERIFIED_BANNER);
    expect(NOT_VERIFIED_BANNER).toMatch(/^NOT VERIFIED/);
  });

  it("shows the statement, subject, predicate type, every claim by name and the log entry", async () => {
    const r = await runCli(["inspect", slsa]);
    expect(r.stdout).toContain("predicate type: https://slsa.dev/provenance/v1");
    expect(r.stdout).toContain(
      `subject: pypi_attestations-0.0.19.tar.gz sha256:${c.artifact_sha256}`,
    );
    expect(r.stdout).toContain('"buildType": "https://actions.github.io/buildtypes/workflow/v1"');
    for (const [oid, value] of Object.entries(c.certificate_extensions)) {
      expect(r.stdout).toContain(`${value}  (${oid})`);
    }
    expect(r.stdout).toMatch(
      /Build Signer URI +https:\/\/github\.com\/trailofbits\/pypi-attestations\/\.github\/workflows\/release\.yml@refs\/tags\/v0\.0\.19/,
    );
    expect(r.stdout).toMatch(
      /dsse 0\.0\.1, log index 153454647, integrated 2024-12-04T23:13:46\.000Z, SET, inclusion proof/,
    );
  });

  it("shows a provenance object's claimed publisher as unsigned", async () => {
    const p = getCase("tob-sigstore-3.6.1-sdist-pypi-provenance");
    const r = await runCli(["inspect", casePath(p.case, "sigstore-3.6.1.tar.gz.provenance")]);
    expect(r.stdout).toContain(
      'publisher (claimed by the index, unsigned): GitHub {"repository":"sigstore/sigstore-python"',
    );
  });

  it("--format json says verified: false and carries the decoded claims", async () => {
    const r = await runCli(["inspect", slsa, "--format", "json"]);
    const doc = JSON.parse(r.stdout) as {
      verified: boolean;
      groups: { attestations: { certificate: { claims: { oid: string; value: string }[] } }[] }[];
    };
    expect(doc.verified).toBe(false);
    const claims = doc.groups[0]!.attestations[0]!.certificate.claims;
    expect(Object.fromEntries(claims.map((x) => [x.oid, x.value]))).toEqual(
      c.certificate_extensions,
    );
  });

  it("malformed input: exit 2 with one line", async () => {
    const r = await runCli(["inspect", "/nonexistent.attestation"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("/nonexistent.attestation: cannot read file: no such file");
  });
});
