/**
 * Bridges to the real @sigstore/verify: a PEP 740 attestation as a Sigstore
 * bundle (v0.3, DSSE), and a one-call verification against a trusted root.
 */
import { bundleFromJSON } from "@sigstore/bundle";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import { Verifier, toSignedEntity, toTrustMaterial } from "@sigstore/verify";
import type { Signer, VerifierOptions } from "@sigstore/verify";
import { INTOTO_PAYLOAD_TYPE } from "./bodies.js";
import type { Pep740Attestation } from "./sigstore.js";
import type { TrustedRootJSON } from "./trusted-root.js";

export const BUNDLE_V03_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json";

/** The attestation as a serialized Sigstore bundle v0.3 with a DSSE envelope. */
export function attestationToBundleJSON(att: Pep740Attestation): Record<string, unknown> {
  const vm = att.verification_material;
  return {
    mediaType: BUNDLE_V03_MEDIA_TYPE,
    verificationMaterial: {
      certificate: { rawBytes: vm.certificate },
      tlogEntries: vm.transparency_entries,
      timestampVerificationData: {
        rfc3161Timestamps: (vm.timestamps ?? []).map((t) => ({ signedTimestamp: t })),
      },
    },
    dsseEnvelope: {
      payload: att.envelope.statement,
      payloadType: INTOTO_PAYLOAD_TYPE,
      signatures: [{ sig: att.envelope.signature, keyid: "" }],
    },
  };
}

/**
 * Verifies the attestation with the real @sigstore/verify Verifier against
 * the trusted root; returns the signer or throws what the library throws.
 */
export function verifyWithSigstore(
  att: Pep740Attestation,
  root: TrustedRootJSON,
  options?: VerifierOptions,
): Signer {
  const bundle = bundleFromJSON(attestationToBundleJSON(att));
  const verifier = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(root)), options);
  return verifier.verify(toSignedEntity(bundle));
}
