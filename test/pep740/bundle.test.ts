import { bundleFromJSON } from "@sigstore/bundle";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { attestationToBundle, attestationToBundleJSON } from "../../src/pep740/bundle.js";
import { parseProvenanceOrAttestation } from "../../src/pep740/load.js";
import type { Attestation } from "../../src/pep740/models.js";
import { AttestationSchema } from "../../src/pep740/models.js";
import { casePath, loadManifest } from "../support/corpus.js";
import { TestSigstore } from "../support/sigstore/index.js";

/** Every attestation in the corpus, from attestation and provenance files alike. */
function corpusAttestations(): { where: string; att: Attestation }[] {
  const out: { where: string; att: Attestation }[] = [];
  for (const c of loadManifest()) {
    for (const f of c.files) {
      if (!["attestation", "slsa-attestation", "provenance"].includes(f.kind)) continue;
      const loaded = parseProvenanceOrAttestation(readFileSync(casePath(c.case, f.file)), f.file);
      for (const g of loaded.groups) {
        for (const a of g.attestations)
          out.push({ where: `${c.case}/${a.source}`, att: a.attestation });
      }
    }
  }
  return out;
}

describe("attestationToBundle", () => {
  it("builds exactly the bundle that parsing its protobuf-JSON form gives, for every corpus attestation", () => {
    const all = corpusAttestations();
    expect(all.length).toBeGreaterThan(15);
    for (const { where, att } of all) {
      expect(attestationToBundle(att), where).toStrictEqual(
        bundleFromJSON(attestationToBundleJSON(att)),
      );
    }
  });

  it("and for synthetic ones: Rekor v1, v2 dsse and hashedrekord, with and without timestamps", () => {
    const ss = TestSigstore.createSync();
    const variants = [
      ss.attest({ rekor: "v1" }),
      ss.attest({ rekor: "v1", tsa: true }),
      ss.attest({ rekor: "v2-dsse" }),
      ss.attest({ rekor: "v2-hashedrekord" }),
      ss.attest({ rekor: "v1", faults: { omitInclusionPromise: true } }),
      ss.attest({ rekor: "v1", faults: { omitInclusionProof: true } }),
      ss.attest({ rekor: "v2-dsse", faults: { omitIntegratedTime: true } }),
    ];
    const outcome = (f: () => unknown) => {
      try {
        return { bundle: f() };
      } catch (err) {
        return { error: String(err) };
      }
    };
    let refused = 0;
    for (const raw of variants) {
      const att = AttestationSchema.parse(raw);
      const direct = outcome(() => attestationToBundle(att));
      expect(direct).toStrictEqual(outcome(() => bundleFromJSON(attestationToBundleJSON(att))));
      if ("error" in direct) refused++;
    }
    // v0.3 bundles need an inclusion proof: that variant is refused by both, the rest built.
    expect(refused).toBe(1);
  });

  it("refuses what bundleFromJSON refuses: a log entry without any proof", () => {
    const ss = TestSigstore.createSync();
    const att = AttestationSchema.parse(ss.attest({ rekor: "v1" }));
    const entry = att.verification_material.transparency_entries[0]!;
    const bare = {
      ...att,
      verification_material: {
        ...att.verification_material,
        transparency_entries: [
          { ...entry, inclusionPromise: undefined, inclusionProof: undefined },
        ],
      },
    };
    expect(() => bundleFromJSON(attestationToBundleJSON(bare))).toThrow();
    expect(() => attestationToBundle(bare)).toThrow();
  });
});
