/**
 * The Sigstore verification pyprov runs: @sigstore/verify's `Verifier`, as
 * installed, for the timestamps (SET, RFC 3161), the transparency-log entries
 * (SET, inclusion proof, checkpoint, body against the signature) and the
 * signature itself, with the signing certificate checked by pyprov's own
 * code (./certificates.ts: chain to a trusted Fulcio CA at each verified
 * time, SCTs).
 *
 * The seam is the library's own: a TrustMaterial's `publicKey` key finder
 * (`KeyFinderFunc`, exported for bundles signed by a known key). For a
 * certificate-signed entity the library is handed the same entity with a
 * key hint, and the key finder answers with the leaf's public key whose
 * `validFor(time)` runs the certificate checks at each time the library has
 * verified; a failure there throws the library's own CERTIFICATE_ERROR. So
 * the steps run in the library's order (timestamps, signing key, log
 * entries, signature) and fail with its error codes. One difference: the
 * library checks the SCTs once, with the chain found at the last verified
 * time; pyprov checks them with the chain found at each time (once per
 * distinct issuer), which can only refuse more.
 *
 * Entities signed by a public key go to the library unchanged.
 */
import type { X509Certificate } from "@sigstore/core";
import { Verifier, type SignedEntity, type TrustMaterial } from "@sigstore/verify";
import { createPublicKey, type KeyObject } from "node:crypto";
import { CertificateVerifier } from "./certificates.js";

export class SignedEntityVerifier {
  private readonly certificates: CertificateVerifier;
  private readonly plain: Verifier;

  constructor(private readonly material: TrustMaterial) {
    this.certificates = new CertificateVerifier(material.certificateAuthorities, material.ctlogs);
    this.plain = new Verifier(material);
  }

  /** Throws @sigstore/verify's VerificationError (or another error) when the entity does not verify. */
  verify(entity: SignedEntity): void {
    if (entity.key.$case !== "certificate") {
      this.plain.verify(entity);
      return;
    }
    const leaf = entity.key.certificate;
    const certificates = this.certificates;
    const sctsChecked = new Set<X509Certificate | undefined>();
    let publicKey: KeyObject | undefined;
    const signingKey = {
      validFor(time: Date): boolean {
        const path = certificates.chain(leaf, time);
        if (!sctsChecked.has(path[1])) {
          certificates.checkScts(path);
          sctsChecked.add(path[1]);
        }
        return true;
      },
      // Read by the library after every validFor(): made from the leaf as the
      // library's own signer is (its SubjectPublicKeyInfo).
      get publicKey(): KeyObject {
        return (publicKey ??= createPublicKey({
          key: leaf.publicKey,
          format: "der",
          type: "spki",
        }));
      },
    };
    const material: TrustMaterial = { ...this.material, publicKey: () => signingKey };
    new Verifier(material).verify({ ...entity, key: { $case: "public-key", hint: "" } });
  }
}
