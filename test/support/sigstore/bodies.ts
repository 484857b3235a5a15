/**
 * Canonicalized Rekor entry bodies for a DSSE envelope, in every shape the
 * verifier knows: dsse 0.0.1 / 0.0.2, hashedrekord 0.0.1 / 0.0.2, intoto 0.0.2.
 */
import { sha256, toPem } from "./keys.js";
import type { Bytes } from "./keys.js";

/** Canonical JSON (sorted keys, no whitespace), as Rekor canonicalizes bodies. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(",")}}`;
}

export const INTOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";

/** DSSE pre-authentication encoding. */
export function pae(payloadType: string, payload: Uint8Array): Bytes {
  const type = Buffer.from(payloadType, "utf8");
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, "utf8"),
    type,
    Buffer.from(` ${payload.length} `, "utf8"),
    payload,
  ]);
}

/** What a Rekor body records about one DSSE envelope. */
export interface BodyInput {
  /** The DSSE payload (the statement bytes). */
  payload: Bytes;
  payloadType: string;
  /** The DSSE signature. */
  signature: Bytes;
  /** The certificate (DER) the body names as verifier. */
  certificate: Bytes;
  /** Overrides sha256(payload) as the recorded payload hash. */
  payloadHash?: Bytes;
}

export interface KindVersion {
  kind: string;
  version: string;
}

function envelopeJson(i: BodyInput): string {
  return canonicalJson({
    payload: i.payload.toString("base64"),
    payloadType: i.payloadType,
    signatures: [{ keyid: "", sig: i.signature.toString("base64") }],
  });
}

const b64 = (b: Bytes): string => b.toString("base64");
const hex = (b: Bytes): string => b.toString("hex");

function v2Verifier(cert: Bytes): Record<string, unknown> {
  return { keyDetails: "PKIX_ECDSA_P256_SHA_256", x509Certificate: { rawBytes: b64(cert) } };
}

/**
 * The body object for `kv`. Known shapes: dsse 0.0.1/0.0.2, hashedrekord
 * 0.0.1/0.0.2, intoto 0.0.2. Anything else gets a dsse 0.0.1-shaped spec
 * under the given kind and apiVersion.
 */
export function buildBody(kv: KindVersion, i: BodyInput): Record<string, unknown> {
  const payloadHash = i.payloadHash ?? sha256(i.payload);
  const pem = Buffer.from(toPem(i.certificate), "utf8");
  const signedDigest = sha256(pae(i.payloadType, i.payload));
  const head = { apiVersion: kv.version, kind: kv.kind };
  const id = `${kv.kind} ${kv.version}`;
  if (id === "dsse 0.0.2") {
    return {
      ...head,
      spec: {
        dsseV002: {
          payloadHash: { algorithm: "SHA2_256", digest: b64(payloadHash) },
          signatures: [{ content: b64(i.signature), verifier: v2Verifier(i.certificate) }],
        },
      },
    };
  }
  if (id === "hashedrekord 0.0.2") {
    return {
      ...head,
      spec: {
        hashedRekordV002: {
          data: { algorithm: "SHA2_256", digest: b64(i.payloadHash ?? signedDigest) },
          signature: { content: b64(i.signature), verifier: v2Verifier(i.certificate) },
        },
      },
    };
  }
  if (id === "hashedrekord 0.0.1") {
    return {
      ...head,
      spec: {
        data: { hash: { algorithm: "sha256", value: hex(i.payloadHash ?? signedDigest) } },
        signature: { content: b64(i.signature), publicKey: { content: b64(pem) } },
      },
    };
  }
  if (id === "intoto 0.0.2") {
    return {
      ...head,
      spec: {
        content: {
          envelope: {
            payloadType: i.payloadType,
            signatures: [
              {
                publicKey: b64(pem),
                sig: Buffer.from(b64(i.signature), "utf8").toString("base64"),
              },
            ],
          },
          hash: { algorithm: "sha256", value: hex(sha256(Buffer.from(envelopeJson(i)))) },
          payloadHash: { algorithm: "sha256", value: hex(payloadHash) },
        },
      },
    };
  }
  return {
    ...head,
    spec: {
      envelopeHash: { algorithm: "sha256", value: hex(sha256(Buffer.from(envelopeJson(i)))) },
      payloadHash: { algorithm: "sha256", value: hex(payloadHash) },
      signatures: [{ signature: b64(i.signature), verifier: b64(pem) }],
    },
  };
}

/** The canonicalized body bytes (what the log hashes and the entry carries). */
export function canonicalBody(kv: KindVersion, i: BodyInput): Bytes {
  return Buffer.from(canonicalJson(buildBody(kv, i)), "utf8");
}
