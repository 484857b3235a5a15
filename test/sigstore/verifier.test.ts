import { describe, expect, it } from "vitest";
import { loadProvenanceFile } from "../../src/pep740/load.js";
import { AttestationCryptoVerifier } from "../../src/sigstore/verifier.js";
import { loadTrustedRoot } from "../../src/sigstore/trust-root.js";
import { casePath, loadManifest, trustedRootPath } from "../support/corpus.js";

const ATTESTATION_KINDS = new Set(["attestation", "provenance", "slsa-attestation"]);

describe("AttestationCryptoVerifier on the real corpus", () => {
  const verifiers = {
    production: new AttestationCryptoVerifier(loadTrustedRoot(trustedRootPath("production"))),
    staging: new AttestationCryptoVerifier(loadTrustedRoot(trustedRootPath("staging"))),
  };
  for (const c of loadManifest().filter((m) => m.pep740)) {
    for (const f of c.files.filter((f) => ATTESTATION_KINDS.has(f.kind))) {
      it(`${c.case}/${f.file} verifies cryptographically`, () => {
        const v = verifiers[c.sigstore_instance as "production" | "staging"];
        const loaded = loadProvenanceFile(casePath(c.case, f.file));
        for (const g of loaded.groups) {
          for (const { attestation } of g.attestations) {
            const r = v.verify(attestation);
            expect(r.steps.filter((s) => !s.ok)).toEqual([]);
            expect(r.ok).toBe(true);
            expect(r.verifiedTimes.length).toBeGreaterThan(0);
          }
        }
      });
    }
  }
});
