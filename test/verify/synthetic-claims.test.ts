/**
 * What an attestation claims, on synthetic attestations: the index's
 * (unsigned) publisher object against the certificate, the in-toto statement
 * against the file, and every Rekor flavour the claims may be logged in.
 */
import { afterAll, describe, expect, it } from "vitest";
import { PUBLISH_V1, STATEMENT_V1 } from "../support/sigstore/index.js";
import type { Identity } from "../support/sigstore/index.js";
import { ACME_GITHUB, ACME_LINE, DIST_NAME, Workspace, only } from "../support/synthetic.js";
import type { Dist } from "../support/synthetic.js";

const ws = new Workspace();
afterAll(() => ws.cleanup());

describe("the index's publisher object against the certificate", () => {
  const cases: [string, Identity, Record<string, unknown>, string, string][] = [
    [
      "wrong repository",
      ACME_GITHUB,
      { ...ACME_GITHUB.publisher, repository: "acme/other" },
      "PUBLISHER_MISMATCH",
      'publisher repository "acme/other"',
    ],
    [
      "repository with a look-alike character",
      ACME_GITHUB,
      { ...ACME_GITHUB.publisher, repository: "acme/p\u212Ag" },
      "PUBLISHER_MISMATCH",
      'publisher repository "acme/p\u212Ag"',
    ],
    [
      "wrong workflow",
      ACME_GITHUB,
      { ...ACME_GITHUB.publisher, workflow: "publish.yml" },
      "PUBLISHER_MISMATCH",
      'publisher workflow "publish.yml"',
    ],
    [
      "workflow with a metacharacter",
      ACME_GITHUB,
      { ...ACME_GITHUB.publisher, workflow: "release.ym." },
      "PUBLISHER_MISMATCH",
      'publisher workflow "release.ym."',
    ],
    [
      "environment differs from .23",
      ACME_GITHUB,
      { ...ACME_GITHUB.publisher, environment: "release" },
      "PUBLISHER_MISMATCH",
      'publisher environment "release" does not match',
    ],
    [
      "environment with a suffix",
      ACME_GITHUB,
      { ...ACME_GITHUB.publisher, environment: "pypi-" },
      "PUBLISHER_MISMATCH",
      'publisher environment "pypi-"',
    ],
    [
      "GitLab publisher for a GitHub certificate",
      ACME_GITHUB,
      {
        kind: "GitLab",
        repository: "acme/pkg",
        workflow_filepath: ".github/workflows/release.yml",
      },
      "PUBLISHER_MISMATCH",
      "is not the GitLab issuer",
    ],
    [
      "Google publisher for a GitHub certificate",
      ACME_GITHUB,
      { kind: "Google", email: "x@example.com" },
      "PUBLISHER_MISMATCH",
      "is not the Google issuer",
    ],
    [
      "unknown kind ActiveState",
      ACME_GITHUB,
      { kind: "ActiveState", organization: "acme" },
      "PUBLISHER_KIND",
      "unknown publisher kind 'ActiveState'",
    ],
    [
      "kind in another case",
      ACME_GITHUB,
      { ...ACME_GITHUB.publisher, kind: "github" },
      "PUBLISHER_KIND",
      "unknown publisher kind 'github'",
    ],
  ];
  it.each(cases)("%s fails", async (_name, identity, publisher, code, reason) => {
    const d = ws.dist();
    ws.writeProvenance(d, [ws.attest(d, { identity })], publisher);
    const { stdout } = await ws.expectFailed([d.path], code, reason);
    expect(stdout).not.toContain("✓");
  });

  // GitHub compares owner, repository and environment names ignoring case: so does pyprov.
  it.each([
    ["repository in another case", { repository: "ACME/Pkg" }],
    ["environment in another case", { environment: "PyPI" }],
  ])("%s verifies (GitHub ignores the case)", async (_name, over) => {
    const d = ws.dist();
    ws.writeProvenance(d, [ws.attest(d)], { ...ACME_GITHUB.publisher, ...over });
    await ws.expectVerified([d.path]);
  });

  it.each([
    ["empty", ""],
    ["null", null],
  ])("an %s publisher environment means any environment", async (_name, environment) => {
    const d = ws.dist();
    ws.writeProvenance(d, [ws.attest(d)], { ...ACME_GITHUB.publisher, environment });
    await ws.expectVerified([d.path]);
  });
});

describe("Rekor flavours", () => {
  it.each(["v1", "v2-dsse", "v2-hashedrekord"] as const)("rekor %s verifies", async (rekor) => {
    const dist = ws.attested(ACME_GITHUB, { rekor });
    const run = await ws.verifyJson([dist.path, "--repository", "acme/pkg"]);
    const r = only(run);
    expect(r.verdict).toBe("verified");
    expect(run.code).toBe(0);
    const kind = {
      v1: "dsse 0.0.1",
      "v2-dsse": "dsse 0.0.2",
      "v2-hashedrekord": "hashedrekord 0.0.2",
    };
    expect(JSON.stringify(r.attestations[0])).toContain(`"kind":"${kind[rekor]}"`);
  });

  it("a single attestation sidecar (no publisher object) verifies", async () => {
    const d = ws.dist();
    ws.writeAttestation(d, ws.attest(d, { rekor: "v2-dsse" }));
    const r = await ws.verify([d.path, "--repository", "acme/pkg"]);
    expect(r.stdout).toContain(`✓ ${DIST_NAME}  ${ACME_LINE}`);
    expect(r.code).toBe(0);
  });
});

describe("faults in the statement", () => {
  /** A statement for `dist` with fields replaced. */
  const statement = (dist: Dist, over: Record<string, unknown>): Record<string, unknown> => ({
    _type: STATEMENT_V1,
    subject: [{ name: dist.filename, digest: { sha256: dist.sha256 } }],
    predicateType: PUBLISH_V1,
    predicate: null,
    ...over,
  });
  const cases: [string, (d: Dist) => Record<string, unknown> | string, string, string][] = [
    [
      "two subjects",
      (d) =>
        statement(d, {
          subject: [
            { name: d.filename, digest: { sha256: d.sha256 } },
            { name: "acme_pkg-1.0.0.tar.gz", digest: { sha256: d.sha256 } },
          ],
        }),
      "STATEMENT_INVALID",
      "2 subjects",
    ],
    ["no subject", (d) => statement(d, { subject: [] }), "STATEMENT_INVALID", "0 subjects"],
    [
      "wrong _type",
      (d) => statement(d, { _type: "https://in-toto.io/Statement/v0.1" }),
      "STATEMENT_INVALID",
      "_type",
    ],
    [
      "unknown predicate type",
      (d) => statement(d, { predicateType: "https://example.com/p/v1" }),
      "PREDICATE_TYPE",
      "https://example.com/p/v1",
    ],
    [
      "unknown digest algorithm",
      (d) =>
        statement(d, { subject: [{ name: d.filename, digest: { sha256: d.sha256, md5: "00" } }] }),
      "STATEMENT_INVALID",
      'unknown digest algorithm "md5"',
    ],
    [
      "subject sha256 in uppercase",
      (d) =>
        statement(d, {
          subject: [{ name: d.filename, digest: { sha256: d.sha256.toUpperCase() } }],
        }),
      "SUBJECT_DIGEST",
      "does not match the file",
    ],
    [
      "no sha256 digest",
      (d) => statement(d, { subject: [{ name: d.filename, digest: { sha512: "ab".repeat(64) } }] }),
      "SUBJECT_DIGEST",
      "no sha256",
    ],
    [
      "another file's digest",
      (d) => statement(d, { subject: [{ name: d.filename, digest: { sha256: "ab".repeat(32) } }] }),
      "SUBJECT_DIGEST",
      "does not match the file",
    ],
    [
      "another distribution's name",
      (d) =>
        statement(d, {
          subject: [{ name: "acme_pkg-1.0.1-py3-none-any.whl", digest: { sha256: d.sha256 } }],
        }),
      "SUBJECT_NAME",
      "acme_pkg-1.0.1-py3-none-any.whl",
    ],
    [
      "predicate is an array",
      (d) => statement(d, { predicate: [] }),
      "STATEMENT_INVALID",
      "predicate",
    ],
    ["not JSON", () => "not json", "STATEMENT_INVALID", "not valid UTF-8 JSON"],
  ];
  it.each(cases)("%s", async (_name, make, code, reason) => {
    const dist = ws.dist();
    ws.writeProvenance(dist, [ws.attest(dist, { statement: make(dist) })]);
    const run = await ws.verifyJson([dist.path]);
    const r = only(run);
    expect(r.failure?.code, run.stdout).toBe(code);
    expect(r.failure?.message).toContain(reason);
    expect(run.code).toBe(1);
  });

  it("an SLSA provenance predicate verifies", async () => {
    const dist = ws.dist();
    const att = ws.attest(dist, { predicateType: "https://slsa.dev/provenance/v1", predicate: {} });
    ws.writeAttestation(dist, att, ".slsa.attestation");
    const run = await ws.verifyJson([dist.path]);
    expect(only(run).attestations[0]?.predicateType).toBe("https://slsa.dev/provenance/v1");
    expect(run.code).toBe(0);
  });
});
