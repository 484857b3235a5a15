/**
 * Loading any Sigstore bundle (media types v0.1, v0.2, v0.3 and the legacy
 * v0.3 spelling) for `pyprov verify-bundle`.
 *
 * The outer shape is checked with zod first (media type, exactly one content
 * and one key material, numeric strings, strict base64, counts), then the
 * bundle is parsed by @sigstore/bundle's bundleFromJSON, and finally turned
 * into a SignedEntity once to be sure its certificate and timestamps parse.
 * Every problem is a one-line PyprovError (INPUT_MALFORMED /
 * INPUT_TOO_LARGE): a bundle that cannot be read reaches no verdict.
 */
import { createHash } from "node:crypto";
import {
  BUNDLE_V01_MEDIA_TYPE,
  BUNDLE_V02_MEDIA_TYPE,
  BUNDLE_V03_LEGACY_MEDIA_TYPE,
  BUNDLE_V03_MEDIA_TYPE,
  ValidationError,
  bundleFromJSON,
  type Bundle,
} from "@sigstore/bundle";
import { toSignedEntity } from "@sigstore/verify";
import * as z from "zod/mini";
import { PyprovError } from "../errors.js";
import { decodeBase64Strict, type TransparencyLogEntry } from "../pep740/models.js";
import { protoLooseMessage } from "../util/proto-json.js";
import { parseJsonBytes, readInputFile } from "../util/read-input.js";
import { describeZodError, ENGLISH } from "../util/zod.js";

/** Bundles are small (kilobytes); anything near this is hostile. */
export const MAX_BUNDLE_BYTES = 8 * 1024 * 1024;
export const MAX_TLOG_ENTRIES = 32;
export const MAX_TIMESTAMPS = 32;
export const MAX_CHAIN_CERTIFICATES = 10;

export const BUNDLE_MEDIA_TYPES = {
  [BUNDLE_V01_MEDIA_TYPE]: "0.1",
  [BUNDLE_V02_MEDIA_TYPE]: "0.2",
  [BUNDLE_V03_LEGACY_MEDIA_TYPE]: "0.3",
  [BUNDLE_V03_MEDIA_TYPE]: "0.3",
} as const satisfies Record<string, "0.1" | "0.2" | "0.3">;
type MediaType = keyof typeof BUNDLE_MEDIA_TYPES;

export interface LoadedBundle {
  source: string;
  /** sha256 of the file's bytes. */
  sha256: string;
  mediaType: MediaType;
  version: "0.1" | "0.2" | "0.3";
  bundle: Bundle;
  content: "messageSignature" | "dsseEnvelope";
  /** The signer: a leaf certificate (DER) or a public-key hint (the key comes from --key). */
  key: { type: "certificate"; der: Buffer } | { type: "publicKey"; hint: string };
  /** Every log entry, in the form pyprov's own log checks (C2, C3, C11) read. */
  entries: TransparencyLogEntry[];
  /** Things the loader changed or noticed, for people. */
  notes: string[];
}

const b64 = z
  .string()
  .check(z.refine((s) => decodeBase64Strict(s) !== undefined, "not valid base64"));
const uint64 = z.union([
  z.string().check(z.regex(/^(0|[1-9][0-9]{0,19})$/, "must be a non-negative decimal integer")),
  z.number().check(z.int(), z.nonnegative(), z.lte(Number.MAX_SAFE_INTEGER)),
]);
const TlogEntryShape = protoLooseMessage({
  logIndex: uint64,
  logId: protoLooseMessage({ keyId: b64 }),
  kindVersion: protoLooseMessage({
    kind: z.string().check(z.minLength(1)),
    version: z.string().check(z.minLength(1)),
  }),
  integratedTime: z.optional(uint64),
  inclusionPromise: z.optional(protoLooseMessage({ signedEntryTimestamp: b64 })),
  inclusionProof: z.optional(
    protoLooseMessage({
      logIndex: uint64,
      rootHash: b64,
      treeSize: uint64,
      hashes: z.array(b64).check(z.maxLength(64)),
      checkpoint: z.optional(protoLooseMessage({ envelope: z.string().check(z.minLength(1)) })),
    }),
  ),
  canonicalizedBody: b64,
});
const HASH_ALGORITHMS = [
  "HASH_ALGORITHM_UNSPECIFIED",
  "SHA2_256",
  "SHA2_384",
  "SHA2_512",
  "SHA3_256",
  "SHA3_384",
] as const;
const BundleShape = protoLooseMessage({
  mediaType: z.string(),
  verificationMaterial: protoLooseMessage({
    certificate: z.optional(protoLooseMessage({ rawBytes: b64 })),
    x509CertificateChain: z.optional(
      protoLooseMessage({
        certificates: z
          .array(protoLooseMessage({ rawBytes: b64 }))
          .check(z.minLength(1), z.maxLength(MAX_CHAIN_CERTIFICATES)),
      }),
    ),
    publicKey: z.optional(
      protoLooseMessage({ hint: z.optional(z.string().check(z.maxLength(1024))) }),
    ),
    tlogEntries: z.optional(z.array(TlogEntryShape).check(z.maxLength(MAX_TLOG_ENTRIES))),
    timestampVerificationData: z.optional(
      protoLooseMessage({
        rfc3161Timestamps: z.optional(
          z.array(protoLooseMessage({ signedTimestamp: b64 })).check(z.maxLength(MAX_TIMESTAMPS)),
        ),
      }),
    ),
  }),
  messageSignature: z.optional(
    protoLooseMessage({
      messageDigest: z.optional(
        protoLooseMessage({ algorithm: z.enum(HASH_ALGORITHMS), digest: b64 }),
      ),
      signature: b64,
    }),
  ),
  dsseEnvelope: z.optional(
    protoLooseMessage({
      payload: b64,
      payloadType: z.string(),
      signatures: z
        .array(protoLooseMessage({ sig: b64, keyid: z.optional(z.string()) }))
        .check(z.maxLength(16)),
    }),
  ),
});

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Parse and check bundle bytes (protobuf-JSON: a null field reads as absent). Throws PyprovError only. */
export function parseBundle(raw: Buffer, source: string): LoadedBundle {
  const malformed = (message: string): PyprovError =>
    new PyprovError("INPUT_MALFORMED", message, { source });
  const json = parseJsonBytes(raw, source);
  if (!isObject(json)) throw malformed("not a Sigstore bundle (expected a JSON object)");
  const mediaType = json.mediaType;
  if (typeof mediaType !== "string") throw malformed("not a Sigstore bundle: no mediaType");
  if (!Object.hasOwn(BUNDLE_MEDIA_TYPES, mediaType)) {
    throw malformed(
      `unsupported bundle media type ${JSON.stringify(mediaType)} (supported: ${Object.keys(BUNDLE_MEDIA_TYPES).join(", ")})`,
    );
  }
  const shape = BundleShape.safeParse(json, ENGLISH);
  if (!shape.success) throw malformed(`invalid bundle ${describeZodError(shape.error)}`);
  const vm = shape.data.verificationMaterial;
  const contents = [shape.data.messageSignature, shape.data.dsseEnvelope].filter(Boolean).length;
  if (contents !== 1) {
    throw malformed(
      "invalid bundle: it must hold exactly one of messageSignature and dsseEnvelope",
    );
  }
  const keys = [vm.certificate, vm.x509CertificateChain, vm.publicKey].filter(Boolean).length;
  if (keys !== 1) {
    throw malformed(
      "invalid bundle: verificationMaterial must hold exactly one of certificate, x509CertificateChain and publicKey",
    );
  }

  let bundle: Bundle;
  try {
    // The checked document: null fields already read as absent.
    bundle = bundleFromJSON(shape.data);
  } catch (err) {
    const fields = err instanceof ValidationError && err.fields?.length ? err.fields : undefined;
    throw malformed(
      fields
        ? `invalid bundle: missing or empty ${fields.join(", ")}`
        : `invalid bundle: ${err instanceof Error ? err.message : String(err)}`,
    );
  }

  const notes: string[] = [];
  // A v0.1 bundle may carry an inclusion proof without a signed checkpoint
  // (older clients wrote them). Unsigned, it proves nothing, and
  // @sigstore/verify cannot read it: drop it and rely on the entry's SET,
  // which v0.1 requires.
  for (const entry of bundle.verificationMaterial.tlogEntries) {
    if (entry.inclusionProof && !entry.inclusionProof.checkpoint) {
      entry.inclusionProof = undefined;
      notes.push(
        `log entry ${entry.logIndex}: inclusion proof without a signed checkpoint ignored; the signed entry timestamp (SET) is verified instead`,
      );
    }
  }

  try {
    toSignedEntity(bundle, Buffer.alloc(0));
  } catch (err) {
    throw malformed(
      `bundle certificate or timestamp cannot be parsed: ${err instanceof Error ? err.message : String(err)}`,
    );
  }

  const material = bundle.verificationMaterial.content;
  let key: LoadedBundle["key"];
  switch (material.$case) {
    case "certificate":
      key = { type: "certificate", der: Buffer.from(material.certificate.rawBytes) };
      break;
    case "x509CertificateChain":
      key = {
        type: "certificate",
        der: Buffer.from(material.x509CertificateChain.certificates[0]!.rawBytes),
      };
      break;
    case "publicKey":
      key = { type: "publicKey", hint: material.publicKey.hint };
      break;
  }
  return {
    source,
    sha256: createHash("sha256").update(raw).digest("hex"),
    mediaType: mediaType as MediaType,
    version: BUNDLE_MEDIA_TYPES[mediaType as MediaType],
    bundle,
    content: bundle.content.$case,
    key,
    entries: bundle.verificationMaterial.tlogEntries.map(toEntry),
    notes,
  };
}

type BundleTlogEntry = Bundle["verificationMaterial"]["tlogEntries"][number];

/** @sigstore/bundle's entry → the shape src/sigstore/tlog-entry.ts reads (strings checked above). */
function toEntry(e: BundleTlogEntry): TransparencyLogEntry {
  const proof = e.inclusionProof;
  return {
    logIndex: BigInt(e.logIndex),
    logId: { keyId: Buffer.from(e.logId?.keyId ?? Buffer.alloc(0)) },
    kindVersion: { kind: e.kindVersion?.kind ?? "", version: e.kindVersion?.version ?? "" },
    integratedTime: BigInt(e.integratedTime || "0"),
    inclusionPromise: e.inclusionPromise
      ? { signedEntryTimestamp: Buffer.from(e.inclusionPromise.signedEntryTimestamp) }
      : undefined,
    inclusionProof:
      proof && proof.checkpoint
        ? {
            logIndex: BigInt(proof.logIndex),
            rootHash: Buffer.from(proof.rootHash),
            treeSize: BigInt(proof.treeSize),
            hashes: proof.hashes.map((h) => Buffer.from(h)),
            checkpoint: { envelope: proof.checkpoint.envelope },
          }
        : undefined,
    canonicalizedBody: Buffer.from(e.canonicalizedBody),
  };
}

/** Read and parse a bundle file (size- and depth-capped). */
export function loadBundleFile(path: string): LoadedBundle {
  return parseBundle(readInputFile(path, MAX_BUNDLE_BYTES), path);
}
