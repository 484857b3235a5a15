/**
 * PEP 740 attestation → Sigstore bundle v0.3 (verification-rules.md §2).
 *
 * Only the first transparency entry is used, as pypi-attestations does:
 * extra entries never rescue a failure.
 */
import { assertBundleLatest, type Bundle } from "@sigstore/bundle";
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

/**
 * The parsed bundle, validated by @sigstore/bundle (as bundleFromJSON would
 * validate a v0.3 bundle). Built directly from the attestation's decoded
 * bytes: exactly what parsing attestationToBundleJSON's output gives (tested),
 * without encoding every field to base64 and decoding it again. Throws on
 * invalid input.
 */
export function attestationToBundle(att: Attestation): Bundle {
  const vm = att.verification_material;
  const tle = vm.transparency_entries[0];
  if (!tle) throw new Error("attestation has no transparency entries");
  const proof = tle.inclusionProof;
  const bundle: Bundle = {
    mediaType: BUNDLE_V03_MEDIA_TYPE,
    verificationMaterial: {
      content: { $case: "certificate", certificate: { rawBytes: Buffer.from(vm.certificate) } },
      tlogEntries: [
        {
          logIndex: tle.logIndex.toString(),
          logId: { keyId: Buffer.from(tle.logId.keyId) },
          kindVersion: { kind: tle.kindVersion.kind, version: tle.kindVersion.version },
          integratedTime: (tle.integratedTime ?? 0n).toString(),
          inclusionPromise: tle.inclusionPromise
            ? { signedEntryTimestamp: Buffer.from(tle.inclusionPromise.signedEntryTimestamp) }
            : undefined,
          inclusionProof: proof
            ? {
                logIndex: proof.logIndex.toString(),
                rootHash: Buffer.from(proof.rootHash),
                treeSize: proof.treeSize.toString(),
                hashes: proof.hashes.map((h) => Buffer.from(h)),
                checkpoint: { envelope: proof.checkpoint.envelope },
              }
            : undefined,
          canonicalizedBody: Buffer.from(tle.canonicalizedBody),
        },
      ],
      timestampVerificationData:
        vm.timestamps && vm.timestamps.length > 0
          ? { rfc3161Timestamps: vm.timestamps.map((t) => ({ signedTimestamp: Buffer.from(t) })) }
          : undefined,
    },
    content: {
      $case: "dsseEnvelope",
      dsseEnvelope: {
        payload: Buffer.from(att.envelope.statement),
        payloadType: INTOTO_PAYLOAD_TYPE,
        signatures: [{ sig: Buffer.from(att.envelope.signature), keyid: "" }],
      },
    },
  };
  assertBundleLatest(bundle);
  return bundle;
}
