/**
 * Key pairs for the synthetic Sigstore (node:crypto, all synchronous).
 */
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import type { KeyObject } from "node:crypto";

/** A Buffer over a plain (non-shared) ArrayBuffer, as @sigstore/core expects. */
export type Bytes = Buffer<ArrayBuffer>;

export type Curve = "P-256" | "P-384" | "Ed25519";

export interface KeyPair {
  readonly curve: Curve;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** SubjectPublicKeyInfo, DER. */
  readonly spki: Bytes;
}

export function generateKey(curve: Curve): KeyPair {
  const { privateKey, publicKey } =
    curve === "Ed25519"
      ? generateKeyPairSync("ed25519")
      : generateKeyPairSync("ec", { namedCurve: curve });
  const spki = publicKey.export({ type: "spki", format: "der" });
  return { curve, privateKey, publicKey, spki };
}

/** The hash an ECDSA key of this curve signs with (null for Ed25519). */
export function hashFor(curve: Curve): "sha256" | "sha384" | null {
  return curve === "P-384" ? "sha384" : curve === "P-256" ? "sha256" : null;
}

/** Signs data: ECDSA (DER signature) with the curve's hash, or pure Ed25519. */
export function signWith(key: KeyPair, data: Uint8Array): Bytes {
  return sign(hashFor(key.curve), data, key.privateKey);
}

/** The protobuf-specs PublicKeyDetails name for this key. */
export function keyDetails(curve: Curve): string {
  switch (curve) {
    case "P-256":
      return "PKIX_ECDSA_P256_SHA_256";
    case "P-384":
      return "PKIX_ECDSA_P384_SHA_384";
    case "Ed25519":
      return "PKIX_ED25519";
  }
}

export function sha256(...parts: Uint8Array[]): Bytes {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
}

/** The raw 32-byte Ed25519 public key (the SPKI's trailing bytes). */
export function rawEd25519(key: KeyPair): Bytes {
  return key.spki.subarray(key.spki.length - 32);
}

export function toPem(der: Uint8Array, label = "CERTIFICATE"): string {
  const b64 = Buffer.from(der).toString("base64");
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
