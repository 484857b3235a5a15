/**
 * Each single fault in a synthetic attestation or trusted root fails
 * verification with its own failure code and a reason a person can act on;
 * a trusted root pyprov cannot use is a one-line error (exit 2).
 */
import { afterAll, describe, expect, it } from "vitest";
import { GITHUB_ISSUER, googleIdentity } from "../support/sigstore/index.js";
import type { AttestOptions, Faults, TrustEntry } from "../support/sigstore/index.js";
import { DIST_NAME, Workspace, noStackTrace, only } from "../support/synthetic.js";
import type { AttestFor, Dist } from "../support/synthetic.js";

const ws = new Workspace();
afterAll(() => ws.cleanup());

/** Attest a fresh DIST with `o`, write DIST.provenance, and expect failure `code`. */
async function expectFault(
  o: AttestFor,
  code: string,
  reason: string,
  args: string[] = [],
): Promise<void> {
  const dist = ws.attested(undefined, o);
  await ws.expectFailed([dist.path, ...args], code, reason);
}

type FaultCase = [string, Faults, Partial<AttestOptions>, string, string];

describe("faults in the attestation", () => {
  const CHAIN = "not valid at the verified signing time";
  const SCT = "no valid signed certificate timestamp";
  const NOT_LOGGED = "does not record this certificate";
  const USAGE = "leaf certificate:";
  const cases: FaultCase[] = [
    ["expired leaf (Rekor v1 time)", { leafValidity: "expired" }, {}, "CERTIFICATE_CHAIN", CHAIN],
    [
      "expired leaf (TSA time)",
      { leafValidity: "expired" },
      { rekor: "v2-dsse" },
      "CERTIFICATE_CHAIN",
      CHAIN,
    ],
    ["not-yet-valid leaf", { leafValidity: "not-yet-valid" }, {}, "CERTIFICATE_CHAIN", CHAIN],
    [
      "leaf from an untrusted CA",
      { untrustedCa: true },
      {},
      "CERTIFICATE_CHAIN",
      "not issued by a trusted Fulcio CA",
    ],
    ["no SCT", { sct: "none" }, {}, "CERTIFICATE_SCT", SCT],
    ["SCT signed by a foreign key", { sct: "foreign-key" }, {}, "CERTIFICATE_SCT", SCT],
    [
      "SET signed by a foreign Rekor key",
      { rekorForeignKey: true },
      {},
      "TLOG_INCLUSION",
      "signed entry timestamp (SET)",
    ],
    [
      "checkpoint signed by a foreign Rekor v2 key",
      { rekorForeignKey: true },
      { rekor: "v2-dsse" },
      "TLOG_INCLUSION",
      "checkpoint",
    ],
    [
      "SET over a different body",
      { setOverDifferentBody: true },
      {},
      "TLOG_INCLUSION",
      "signed entry timestamp (SET)",
    ],
    [
      "checkpoint signs a root the proof does not reach",
      { proofTamper: "checkpointRoot" },
      {},
      "TLOG_INCLUSION",
      "inclusion proof does not verify",
    ],
    [
      "neither SET nor inclusion proof",
      { omitInclusionPromise: true, omitInclusionProof: true },
      {},
      "TLOG_INCLUSION",
      "no inclusion proof",
    ],
    [
      "a SET but no inclusion proof",
      { omitInclusionProof: true },
      {},
      "TLOG_INCLUSION",
      "no inclusion proof",
    ],
    [
      "body records a second leaf for the same key",
      { bodyCertificate: "same-key" },
      {},
      "TLOG_CERTIFICATE",
      NOT_LOGGED,
    ],
    [
      "body records another key's leaf",
      { bodyCertificate: "other-key" },
      {},
      "TLOG_CERTIFICATE",
      NOT_LOGGED,
    ],
    [
      "body records another leaf (dsse 0.0.2)",
      { bodyCertificate: "other-key" },
      { rekor: "v2-dsse" },
      "TLOG_CERTIFICATE",
      NOT_LOGGED,
    ],
    [
      "body records another leaf (hashedrekord 0.0.2)",
      { bodyCertificate: "other-key" },
      { rekor: "v2-hashedrekord" },
      "TLOG_CERTIFICATE",
      NOT_LOGGED,
    ],
    [
      "proof rootHash differs from the checkpoint",
      { proofTamper: "rootHash" },
      {},
      "TLOG_PROOF_INCONSISTENT",
      "root hash differs",
    ],
    [
      "proof treeSize differs from the checkpoint",
      { proofTamper: "treeSize" },
      {},
      "TLOG_PROOF_INCONSISTENT",
      "tree size",
    ],
    [
      "kindVersion intoto 0.0.2",
      { kindVersion: { kind: "intoto", version: "0.0.2" } },
      {},
      "TLOG_KIND",
      '"intoto 0.0.2"',
    ],
    [
      "kindVersion hashedrekord 0.0.1",
      { kindVersion: { kind: "hashedrekord", version: "0.0.1" } },
      {},
      "TLOG_KIND",
      '"hashedrekord 0.0.1"',
    ],
    [
      "entry kindVersion says intoto, body is dsse",
      { tleKindVersion: { kind: "intoto", version: "0.0.2" } },
      {},
      "TLOG_KIND",
      '"intoto 0.0.2"',
    ],
    [
      "payload hash mismatch (dsse 0.0.1)",
      { payloadHashMismatch: true },
      {},
      "TLOG_BODY",
      "payload hash mismatch",
    ],
    [
      "payload hash mismatch (dsse 0.0.2)",
      { payloadHashMismatch: true },
      { rekor: "v2-dsse" },
      "TLOG_BODY",
      "payload hash mismatch",
    ],
    [
      "signed digest mismatch (hashedrekord 0.0.2)",
      { payloadHashMismatch: true },
      { rekor: "v2-hashedrekord" },
      "TLOG_BODY",
      "does not record this signature",
    ],
    [
      "DSSE signature over different bytes",
      { dsseSignatureOverDifferentBytes: true },
      {},
      "SIGNATURE",
      "signature does not verify",
    ],
    [
      "DSSE signature over different bytes (v2)",
      { dsseSignatureOverDifferentBytes: true },
      { rekor: "v2-dsse" },
      "SIGNATURE",
      "signature does not verify",
    ],
    [
      "TSA token over different bytes",
      { tsaOverDifferentBytes: true },
      { rekor: "v2-dsse" },
      "TIMESTAMP",
      "no verified signing time",
    ],
    [
      "TSA token from an untrusted TSA",
      { tsaUntrusted: true },
      { rekor: "v2-dsse" },
      "TIMESTAMP",
      "no verified signing time",
    ],
    [
      "v2 entry without any timestamp",
      {},
      { rekor: "v2-dsse", tsa: false },
      "TIMESTAMP",
      "no verified signing time",
    ],
    [
      "leaf without digitalSignature",
      { leafKeyUsage: "no-digital-signature" },
      {},
      "CERTIFICATE_USAGE",
      "digitalSignature",
    ],
    ["leaf without key usage", { leafKeyUsage: "omit" }, {}, "CERTIFICATE_USAGE", USAGE],
    [
      "leaf without codeSigning EKU",
      { leafEku: "no-code-signing" },
      {},
      "CERTIFICATE_USAGE",
      "codeSigning",
    ],
    ["leaf without EKU", { leafEku: "omit" }, {}, "CERTIFICATE_USAGE", USAGE],
    ["leaf with CA:TRUE", { leafCa: true }, {}, "CERTIFICATE_USAGE", "as a CA"],
  ];
  it.each(cases)("%s", async (_name, faults, o, code, reason) => {
    await expectFault({ ...o, faults }, code, reason);
  });

  it("a fault is shown on the human output with its reason, never as verified", async () => {
    const dist = ws.attested(undefined, { faults: { untrustedCa: true } });
    const r = await ws.verify([dist.path]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^✗ ${DIST_NAME}`));
    expect(r.stdout).toContain(
      "\n    certificate not issued by a trusted Fulcio CA\n0 verified, 1 failed\n",
    );
    expect(r.stdout).not.toContain("✓");
  });

  it("a proof inconsistent with its checkpoint fails on Rekor v2 too", async () => {
    for (const proofTamper of ["rootHash", "treeSize"] as const) {
      const dist = ws.attested(undefined, { rekor: "v2-dsse", faults: { proofTamper } });
      const run = await ws.verifyJson([dist.path]);
      expect(run.code).toBe(1);
      const failed = only(run)
        .attestations[0]!.checks.filter((c) => !c.ok)
        .map((c) => c.id);
      expect(failed).toContain("tlog-proof-consistency");
    }
  });

  it("a wrong --issuer expectation fails", async () => {
    await expectFault({}, "EXPECTATION_MISMATCH", "is not", [
      "--issuer",
      "https://accounts.google.com",
    ]);
    const google = googleIdentity({ email: "svc@acme.iam.gserviceaccount.com" });
    const dist = ws.attested(google);
    const run = await ws.verifyJson([dist.path, "--issuer", GITHUB_ISSUER]);
    expect(only(run).failure?.code).toBe("EXPECTATION_MISMATCH");
    expect(run.code).toBe(1);
  });
});

describe("the trusted root", () => {
  const v1 = ws.attested();
  const v2 = ws.attested(undefined, { rekor: "v2-dsse" });
  const cases: [TrustEntry, Dist, string][] = [
    ["rekorV1", v1, "TLOG_INCLUSION"],
    ["rekorV2", v2, "TLOG_INCLUSION"],
    ["fulcio", v1, "CERTIFICATE_CHAIN"],
    ["ctlog", v1, "CERTIFICATE_SCT"],
    ["tsa", v2, "TIMESTAMP"],
  ];
  it.each(cases)("a foreign %s key fails verification", async (entry, dist, code) => {
    const root = ws.writeRoot({ foreignKey: [entry] });
    const run = await ws.verifyJson([dist.path], root);
    expect(only(run).failure?.code).toBe(code);
    expect(run.code).toBe(1);
  });

  it("a Fulcio CA whose validity ended before the signing fails", async () => {
    const root = ws.writeRoot({ validForEnd: { fulcio: "2021-01-01T00:00:00Z" } });
    const run = await ws.verifyJson([v1.path], root);
    expect(only(run).failure?.code).toBe("CERTIFICATE_CHAIN");
    expect(run.code).toBe(1);
  });

  it("a root without Rekor v2 rejects v2 entries and still accepts v1", async () => {
    const root = ws.writeRoot({ include: ["rekorV1", "fulcio", "ctlog", "tsa"] });
    const run = await ws.verifyJson([v2.path], root);
    expect(only(run).failure?.code).toBe("TLOG_INCLUSION");
    expect((await ws.verify([v1.path], root)).code).toBe(0);
  });

  it.each(["rekorV1", "rekorV2", "fulcio", "ctlog", "tsa"] as const)(
    "an entry without validFor.start (%s) is refused: exit 2, one line",
    async (entry) => {
      const root = ws.writeRoot({ omitValidForStart: [entry] });
      for (const format of ["human", "json"]) {
        const r = await ws.verify([v1.path, "--format", format], root);
        expect(r.code).toBe(2);
        expect(r.stdout).toBe("");
        expect(r.stderr).toMatch(/^pyprov: [^\n]+\n$/);
        expect(r.stderr).toContain(root);
        expect(r.stderr).toContain("validFor.start");
        expect(noStackTrace(r.stderr)).toBe(true);
      }
    },
  );
});
