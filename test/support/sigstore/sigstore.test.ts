/**
 * The synthetic Sigstore against the real @sigstore/verify 4.1.3 Verifier:
 * clean attestations verify, and each fault is rejected (or, where the
 * library leaves the check to its caller, demonstrably present but accepted).
 */
import { describe, expect, it } from "vitest";
import { TestSigstore, googleIdentity, verifyWithSigstore } from "./index.js";
import type { AttestOptions, Faults, Pep740Attestation, TrustedRootJSON } from "./index.js";

const ss = TestSigstore.shared();
const root = ss.trustedRoot();

function failure(att: Pep740Attestation, trust: TrustedRootJSON = root): string {
  try {
    verifyWithSigstore(att, trust);
  } catch (e) {
    const err = e as { code?: string; message?: string; cause?: { message?: string } };
    const cause = err.cause?.message ? ` (${err.cause.message})` : "";
    return `${err.code ?? "?"}: ${err.message ?? String(e)}${cause}`;
  }
  return "verified";
}

const attest = (faults: Faults, o: AttestOptions = {}): Pep740Attestation =>
  ss.attest({ ...o, faults });

const decodeBody = (att: Pep740Attestation): Record<string, unknown> => {
  const entry = att.verification_material.transparency_entries[0];
  if (!entry) throw new Error("no entry");
  return JSON.parse(Buffer.from(entry.canonicalizedBody, "base64").toString("utf8")) as Record<
    string,
    unknown
  >;
};

describe("clean attestations verify with the real Verifier", () => {
  it.each(["v1", "v2-dsse", "v2-hashedrekord"] as const)("rekor %s", (rekor) => {
    const att = ss.attest({ filename: "pkg-1.0.tar.gz", sha256: "ab".repeat(32), rekor });
    const signer = verifyWithSigstore(att, root);
    expect(signer.identity?.subjectAlternativeName).toBe(
      "https://github.com/acme/pkg/.github/workflows/release.yml@refs/tags/v1.0.0",
    );
    expect(signer.identity?.extensions?.issuer).toBe("https://token.actions.githubusercontent.com");
  });

  it("v1 with an RFC 3161 timestamp as well", () => {
    const att = ss.attest({ rekor: "v1", tsa: true });
    expect(att.verification_material.timestamps).toHaveLength(1);
    expect(failure(att)).toBe("verified");
  });

  it("a Google identity with only the legacy issuer extension", () => {
    const att = ss.attest({
      identity: googleIdentity({
        email: "svc@proj.iam.gserviceaccount.com",
        issuerExtensions: "v1",
      }),
    });
    const signer = verifyWithSigstore(att, root);
    expect(signer.identity?.subjectAlternativeName).toBe("svc@proj.iam.gserviceaccount.com");
    expect(signer.identity?.extensions?.issuer).toBe("https://accounts.google.com");
  });

  it("at a chosen past time", () => {
    const time = new Date("2024-11-06T22:37:10Z");
    const r = ss.attestDetailed({ time });
    expect(r.tlogEntry.integratedTime).toBe(String(time.getTime() / 1000));
    expect(failure(r.attestation)).toBe("verified");
  });
});

describe("faults the Verifier rejects", () => {
  const cases: [string, Faults, AttestOptions, RegExp][] = [
    ["expired leaf (v1)", { leafValidity: "expired" }, {}, /not valid or expired/],
    ["expired leaf (v2, TSA time)", { leafValidity: "expired" }, { rekor: "v2-dsse" }, /expired/],
    ["not-yet-valid leaf", { leafValidity: "not-yet-valid" }, {}, /not valid or expired/],
    ["untrusted CA", { untrustedCa: true }, {}, /CERTIFICATE_ERROR: Failed to verify/],
    ["no SCT", { sct: "none" }, {}, /expected 1 SCTs, got 0/],
    ["SCT by a foreign CT key", { sct: "foreign-key" }, {}, /SCT verification failed/],
    ["foreign Rekor v1 key", { rekorForeignKey: true }, {}, /inclusion promise/],
    ["foreign Rekor v2 key", { rekorForeignKey: true }, { rekor: "v2-dsse" }, /checkpoint sig/],
    ["SET over a different body", { setOverDifferentBody: true }, {}, /inclusion promise/],
    [
      "unknown kindVersion dsse 0.0.3",
      { kindVersion: { kind: "dsse", version: "0.0.3" } },
      {},
      /TLOG_BODY_ERROR/,
    ],
    [
      "unknown kind",
      { kindVersion: { kind: "rekord", version: "0.0.1" } },
      {},
      /unsupported kind: rekord/,
    ],
    [
      "entry kindVersion disagrees with body",
      { tleKindVersion: { kind: "intoto", version: "0.0.2" } },
      {},
      /kind\/version mismatch/,
    ],
    ["payload hash mismatch (dsse 0.0.1)", { payloadHashMismatch: true }, {}, /payload hash/],
    [
      "payload hash mismatch (dsse 0.0.2)",
      { payloadHashMismatch: true },
      { rekor: "v2-dsse" },
      /payload hash/,
    ],
    [
      "signed digest mismatch (hashedrekord 0.0.2)",
      { payloadHashMismatch: true },
      { rekor: "v2-hashedrekord" },
      /digest mismatch/,
    ],
    [
      "checkpoint signs a root the proof does not reach",
      { proofTamper: "checkpointRoot" },
      {},
      /calculated root hash/,
    ],
    ["DSSE signature over other bytes", { dsseSignatureOverDifferentBytes: true }, {}, /SIGNATURE/],
    [
      "DSSE signature over other bytes (v2)",
      { dsseSignatureOverDifferentBytes: true },
      { rekor: "v2-dsse" },
      /SIGNATURE/,
    ],
    [
      "TSA token over other bytes",
      { tsaOverDifferentBytes: true },
      { rekor: "v2-dsse" },
      /TIMESTAMP/,
    ],
    ["TSA token from a foreign TSA", { tsaUntrusted: true }, { rekor: "v2-dsse" }, /TIMESTAMP/],
    [
      "v2 entry without any timestamp",
      {},
      { rekor: "v2-dsse", tsa: false },
      /expected 1 timestamps/,
    ],
  ];
  it.each(cases)("%s", (_name, faults, o, expected) => {
    expect(failure(attest(faults, o))).toMatch(expected);
  });

  it("an entry with neither inclusion promise nor proof", () => {
    const att = attest({ omitInclusionPromise: true, omitInclusionProof: true });
    expect(failure(att)).not.toBe("verified");
  });
});

describe("faults the Verifier leaves to its caller (accepted, but present)", () => {
  it("leaf without digitalSignature / codeSigning, or with CA:TRUE", () => {
    for (const faults of [
      { leafKeyUsage: "no-digital-signature" },
      { leafKeyUsage: "omit" },
      { leafEku: "no-code-signing" },
      { leafEku: "omit" },
      { leafCa: true },
    ] as Faults[]) {
      expect(failure(attest(faults))).toBe("verified");
    }
  });

  it.each(["same-key", "other-key"] as const)("tlog body names another leaf (%s)", (which) => {
    const att = attest({ bodyCertificate: which });
    expect(failure(att)).toBe("verified");
    const spec = decodeBody(att)["spec"] as { signatures: { verifier: string }[] };
    const pem = Buffer.from(spec.signatures[0]?.verifier ?? "", "base64").toString("utf8");
    const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ""), "base64");
    expect(der.length).toBeGreaterThan(0);
    expect(der.toString("base64")).not.toBe(att.verification_material.certificate);
  });

  it("tlog body names another leaf (v2)", () => {
    const att = attest({ bodyCertificate: "other-key" }, { rekor: "v2-dsse" });
    expect(failure(att)).toBe("verified");
    expect(JSON.stringify(decodeBody(att))).not.toContain(att.verification_material.certificate);
  });

  it.each(["rootHash", "treeSize"] as const)(
    "inclusion proof %s disagrees with checkpoint",
    (f) => {
      const att = attest({ proofTamper: f });
      expect(failure(att)).toBe("verified");
      const proof = att.verification_material.transparency_entries[0]?.inclusionProof;
      const [, size, rootHash] = proof?.checkpoint.envelope.split("\n") ?? [];
      if (f === "rootHash") expect(proof?.rootHash).not.toBe(rootHash);
      else expect(proof?.treeSize).not.toBe(size);
    },
  );

  it("an intoto 0.0.2 entry (not dsse) verifies", () => {
    const att = attest({ kindVersion: { kind: "intoto", version: "0.0.2" } });
    expect(att.verification_material.transparency_entries[0]?.kindVersion.kind).toBe("intoto");
    expect(failure(att)).toBe("verified");
  });
});

describe("trusted root options", () => {
  const att = ss.attest({ rekor: "v1", tsa: true });
  const v2 = ss.attest({ rekor: "v2-dsse" });

  it("has the production shape", () => {
    expect(Object.keys(root)).toEqual([
      "mediaType",
      "tlogs",
      "certificateAuthorities",
      "ctlogs",
      "timestampAuthorities",
    ]);
    expect(root.mediaType).toBe("application/vnd.dev.sigstore.trustedroot+json;version=0.1");
    expect(root.tlogs).toHaveLength(2);
    expect(Object.keys(root.tlogs[0] ?? {})).toEqual([
      "baseUrl",
      "hashAlgorithm",
      "publicKey",
      "logId",
    ]);
    expect(Object.keys(root.certificateAuthorities[0] ?? {})).toEqual([
      "subject",
      "uri",
      "certChain",
      "validFor",
    ]);
  });

  it("omitting validFor.start is accepted (means: since the beginning)", () => {
    const r = ss.trustedRoot({
      omitValidForStart: ["rekorV1", "rekorV2", "fulcio", "ctlog", "tsa"],
    });
    expect((r.tlogs[0]?.["publicKey"] as { validFor: object }).validFor).toEqual({});
    expect(failure(att, r)).toBe("verified");
    expect(failure(v2, r)).toBe("verified");
  });

  it.each([
    ["fulcio", /CERTIFICATE_ERROR/],
    ["ctlog", /SCT/],
    ["rekorV1", /inclusion promise/],
    ["tsa", /TIMESTAMP/],
  ] as const)("a %s validity that ended before the signing is rejected", (entry, expected) => {
    const r = ss.trustedRoot({ validForEnd: { [entry]: "2021-01-01T00:00:00Z" } });
    expect(failure(att, r)).toMatch(expected);
  });

  it.each([
    ["fulcio", att, /CERTIFICATE_ERROR/],
    ["ctlog", att, /SCT verification failed/],
    ["rekorV1", att, /inclusion promise/],
    ["rekorV2", v2, /checkpoint/],
    ["tsa", att, /TIMESTAMP/],
  ] as const)("a foreign %s key is rejected", (entry, a, expected) => {
    expect(failure(a, ss.trustedRoot({ foreignKey: [entry] }))).toMatch(expected);
  });

  it("trusting the foreign CA, CT log and TSA accepts their products", () => {
    const r = ss.trustedRoot({ alsoTrustForeign: ["fulcio", "ctlog", "tsa"] });
    expect(failure(attest({ untrustedCa: true }), r)).toBe("verified");
    expect(failure(attest({ tsaUntrusted: true }, { rekor: "v2-dsse" }), r)).toBe("verified");
  });

  it("a root without Rekor v2 rejects v2 entries", () => {
    expect(failure(v2, ss.trustedRoot({ include: ["rekorV1", "fulcio", "ctlog", "tsa"] }))).toMatch(
      /checkpoint/,
    );
  });
});

describe("speed", () => {
  it("creates an attestation in a few milliseconds", () => {
    const fresh = TestSigstore.createSync();
    const n = 200;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fresh.attest({ filename: `pkg-${i}.tar.gz` });
    const perAttestation = (performance.now() - t0) / n;
    expect(perAttestation).toBeLessThan(20);
  });
});
