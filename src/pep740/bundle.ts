/**
 * PEP 740 attestation → Sigstore bundle v0.3 (verification-rules.md §2).
 *
 * Only the first transparency entry is used, as pypi-attestations does:
 * extra entries never rescue a failure.
 */
import { bundleFromJSON, type Bundle } from "@sigstore/bundle";
import type { Attestation } from "./models.js";
import { INTOTO_PAYLOAD_TYPE } from "./models.js";

export const BUNDLE_V03_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json";

const b64 = (b: Uint8Array): string => Buffer.from(b).toString("base64");

/** The serialized (protobuf-JSON) bundle for an attestation. */
export function attestationToBundleJSON(att: Attestation): Record<string, unknown> {
  const vm = att.verification_material;
  const tle = vm.transparency_entries[0];
  if (!tle) throw new Error("attestation has no transparency entries");
  const entry: Record<string, unknown> = {
    logIndex: tle.logIndex.toString(),
    logId: { keyId: b64(tle.logId.keyId) },
    kindVersion: { kind: tle.kindVersion.kind, version: tle.kindVersion.version },
    integratedTime: (tle.integratedTime ?? 0n).toString(),
    canonicalizedBody: b64(tle.canonicalizedBody),
  };
  if (tle.inclusionPromise) {
    entry.inclusionPromise = {
      signedEntryTimestamp: b64(tle.inclusionPromise.signedEntryTimestamp),
    };
  }
  if (tle.inclusionProof) {
    const p = tle.inclusionProof;
    entry.inclusionProof = {
      logIndex: p.logIndex.toString(),
      rootHash: b64(p.rootHash),
      treeSize: p.treeSize.toString(),
      hashes: p.hashes.map(b64),
      checkpoint: { envelope: p.checkpoint.envelope },
    };
  }
  const verificationMaterial: Record<string, unknown> = {
    certificate: { rawBytes: b64(vm.certificate) },
    tlogEntries: [entry],
  };
  if (vm.timestamps && vm.timestamps.length > 0) {
    verificationMaterial.timestampVerificationData = {
      rfc3161Timestamps: vm.timestamps.map((t) => ({ signedTimestamp: b64(t) })),
    };
  }
  return {
    mediaType: BUNDLE_V03_MEDIA_TYPE,
    verificationMaterial,
    dsseEnvelope: {
      payload: b64(att.envelope.statement),
      payloadType: INTOTO_PAYLOAD_TYPE,
      signatures: [{ sig: b64(att.envelope.signature), keyid: "" }],
    },
  };
}

/** The parsed bundle, validated by @sigstore/bundle. Throws on invalid input. */
export function attestationToBundle(att: Attestation): Bundle {
  return bundleFromJSON(attestationToBundleJSON(att));
}
