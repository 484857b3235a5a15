/**
 * SignedEntityVerifier (the library's Verifier with pyprov's own certificate
 * checks) against @sigstore/verify's Verifier used alone: on every real
 * corpus attestation and bundle, and on every single fault the test
 * Sigstore can make, both pass, or both fail with the same error code and
 * message.
 */
import { bundleFromJSON } from "@sigstore/bundle";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import {
  Verifier,
  toSignedEntity,
  toTrustMaterial,
  type SignedEntity,
  type TrustMaterial,
} from "@sigstore/verify";
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { attestationToBundle } from "../../src/pep740/bundle.js";
import { loadProvenanceFile } from "../../src/pep740/load.js";
import { SignedEntityVerifier } from "../../src/sigstore/entity-verifier.js";
import { casePath, loadManifest, trustedRootPath } from "../support/corpus.js";
import { TestSigstore, attestationToBundleJSON } from "../support/sigstore/index.js";
import type { AttestOptions, TrustedRootOptions } from "../support/sigstore/index.js";

function outcome(fn: () => unknown): unknown {
  try {
    fn();
    return "verified";
  } catch (err) {
    const e = err as Error & { code?: unknown };
    return { name: e.name, code: e.code, message: e.message };
  }
}

/** Both verifiers on fresh copies of one entity (the library may consume what it is given). */
function compare(material: TrustMaterial, make: () => SignedEntity): unknown {
  const theirs = outcome(() => new Verifier(material).verify(make()));
  const ours = outcome(() => new SignedEntityVerifier(material).verify(make()));
  expect(ours).toStrictEqual(theirs);
  return theirs;
}

describe("SignedEntityVerifier on the real corpus", () => {
  const material = (instance: string): TrustMaterial =>
    toTrustMaterial(
      TrustedRoot.fromJSON(
        JSON.parse(readFileSync(trustedRootPath(instance as "production" | "staging"), "utf8")),
      ),
    );
  const results: unknown[] = [];
  for (const c of loadManifest()) {
    for (const f of c.files) {
      if (["attestation", "provenance", "slsa-attestation"].includes(f.kind)) {
        it(`${c.case}/${f.file}: as the library`, () => {
          const loaded = loadProvenanceFile(casePath(c.case, f.file));
          for (const g of loaded.groups) {
            for (const { attestation } of g.attestations) {
              const m = material(c.sigstore_instance);
              results.push(compare(m, () => toSignedEntity(attestationToBundle(attestation))));
              // Against the other instance's root: refused by both, alike.
              const other = c.sigstore_instance === "production" ? "staging" : "production";
              expect(
                compare(material(other), () => toSignedEntity(attestationToBundle(attestation))),
              ).not.toBe("verified");
            }
          }
        });
      } else if (f.kind === "sigstore-bundle") {
        it(`${c.case}/${f.file}: as the library`, () => {
          const json = JSON.parse(readFileSync(casePath(c.case, f.file), "utf8")) as unknown;
          const artifact = c.files.find((a) => a.kind === "artifact");
          const bytes =
            artifact && existsSync(casePath(c.case, artifact.file))
              ? readFileSync(casePath(c.case, artifact.file))
              : Buffer.alloc(0);
          results.push(
            compare(material(c.sigstore_instance), () =>
              toSignedEntity(bundleFromJSON(json), bytes),
            ),
          );
        });
      }
    }
  }
  it("verified real attestations and bundles (the comparisons were not all failures)", () => {
    expect(results.filter((r) => r === "verified").length).toBeGreaterThan(12);
  });
});

describe("SignedEntityVerifier on the test Sigstore's faults", () => {
  const ss = TestSigstore.shared();
  const attestCases: [string, AttestOptions][] = [
    ["genuine, Rekor v1", {}],
    ["genuine, Rekor v2 DSSE + TSA", { rekor: "v2-dsse" }],
    ["genuine, Rekor v2 hashedrekord + TSA", { rekor: "v2-hashedrekord" }],
    ["genuine, Rekor v1 + TSA", { tsa: true }],
    ["expired leaf", { faults: { leafValidity: "expired" } }],
    ["expired leaf (TSA time)", { rekor: "v2-dsse", faults: { leafValidity: "expired" } }],
    ["not-yet-valid leaf", { faults: { leafValidity: "not-yet-valid" } }],
    ["leaf without digitalSignature", { faults: { leafKeyUsage: "no-digital-signature" } }],
    ["leaf without codeSigning", { faults: { leafEku: "no-code-signing" } }],
    ["leaf is a CA", { faults: { leafCa: true } }],
    ["untrusted CA", { faults: { untrustedCa: true } }],
    ["no SCT", { faults: { sct: "none" } }],
    ["SCT by a foreign key", { faults: { sct: "foreign-key" } }],
    ["Rekor v1 foreign key", { faults: { rekorForeignKey: true } }],
    ["Rekor v2 foreign key", { rekor: "v2-dsse", faults: { rekorForeignKey: true } }],
    ["SET over another body", { faults: { setOverDifferentBody: true } }],
    ["body names another leaf, same key", { faults: { bodyCertificate: "same-key" } }],
    ["body names another key", { faults: { bodyCertificate: "other-key" } }],
    ["payload hash mismatch", { faults: { payloadHashMismatch: true } }],
    ["proof root hash", { faults: { proofTamper: "rootHash" } }],
    ["proof tree size", { faults: { proofTamper: "treeSize" } }],
    ["checkpoint root", { faults: { proofTamper: "checkpointRoot" } }],
    ["DSSE signature over other bytes", { faults: { dsseSignatureOverDifferentBytes: true } }],
    ["TSA over other bytes", { rekor: "v2-dsse", faults: { tsaOverDifferentBytes: true } }],
    ["TSA untrusted", { rekor: "v2-dsse", faults: { tsaUntrusted: true } }],
    ["no SET", { faults: { omitInclusionPromise: true } }],
    ["no inclusion proof", { faults: { omitInclusionProof: true } }],
    ["v2 without integratedTime", { rekor: "v2-dsse", faults: { omitIntegratedTime: true } }],
  ];
  const rootCases: [string, TrustedRootOptions][] = [
    ["the genuine root", {}],
    ["a root trusting foreign twins too", { alsoTrustForeign: ["fulcio", "ctlog", "tsa"] }],
    ["a root whose Fulcio CA is foreign", { foreignKey: ["fulcio"] }],
    ["a root whose CT log key is foreign", { foreignKey: ["ctlog"] }],
    [
      "a root whose Fulcio entry ended in 2021",
      { validForEnd: { fulcio: "2021-01-01T00:00:00Z" } },
    ],
    ["a root without a CT log", { include: ["rekorV1", "rekorV2", "fulcio", "tsa"] }],
    ["a root whose CT log key ended in 2021", { validForEnd: { ctlog: "2021-01-01T00:00:00Z" } }],
    [
      "a root whose CT log key starts in 2090",
      { validForStart: { ctlog: "2090-01-01T00:00:00Z" } },
    ],
  ];
  // One attestation per case, checked against every root.
  const minted = new Map<string, ReturnType<typeof ss.attest>>();
  const mint = (label: string, o: AttestOptions) => {
    let att = minted.get(label);
    if (!att) {
      att = ss.attest(o);
      minted.set(label, att);
    }
    return att;
  };
  const seen = new Set<string>();
  for (const [rootLabel, ro] of rootCases) {
    const material = toTrustMaterial(TrustedRoot.fromJSON(ss.trustedRoot(ro)));
    for (const [label, o] of attestCases) {
      it(`${label}, against ${rootLabel}: as the library`, () => {
        const att = mint(label, o);
        const r = compare(material, () =>
          toSignedEntity(bundleFromJSON(attestationToBundleJSON(att))),
        );
        seen.add(JSON.stringify(r));
      });
    }
  }
  it("the faults were told apart (many distinct outcomes, including passes)", () => {
    expect(seen.has(JSON.stringify("verified"))).toBe(true);
    expect(seen.size).toBeGreaterThan(8);
  });
});
