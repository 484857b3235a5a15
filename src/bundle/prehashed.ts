/**
 * Verifying a signature over a digest alone, for `verify-bundle sha256:HEX`
 * on a message-signature bundle.
 *
 * @sigstore/verify verifies a message signature only over the artifact's
 * bytes (node:crypto.verify hashes the data itself) and node:crypto has no
 * "the data is already a digest" mode for ECDSA. So, with only a digest:
 *
 * - ECDSA (P-256, P-384, P-521): the standard verification equation
 *   (SEC 1 §4.1.4) in BigInt arithmetic, on the public key that
 *   node:crypto parsed and validated. Only public values are involved, so
 *   constant-time arithmetic is not needed.
 * - RSA PKCS#1 v1.5: node:crypto.publicDecrypt recovers the DigestInfo, which
 *   must equal the expected one byte for byte.
 * - Ed25519 and RSA-PSS sign the message (or need it), not a digest:
 *   "unsupported", and the caller asks for the artifact file instead.
 *
 * The key is always the one @sigstore/verify has already accepted (the
 * certificate's, after its chain, SCT and log checks, or the user's --key).
 */
import { constants, publicDecrypt, type KeyObject } from "node:crypto";

export type DigestAlgorithm = "sha256" | "sha384" | "sha512";

interface Curve {
  p: bigint;
  a: bigint;
  n: bigint;
  gx: bigint;
  gy: bigint;
}

/** The NIST prime curves all have a = −3. */
function curve(p: bigint, n: string, generator: string): Curve {
  const half = generator.length / 2;
  return {
    p,
    a: p - 3n,
    n: BigInt(`0x${n}`),
    gx: BigInt(`0x${generator.slice(0, half)}`),
    gy: BigInt(`0x${generator.slice(half)}`),
  };
}

// Parameters from SEC 2 / FIPS 186-4 (as `openssl ecparam -param_enc explicit` prints them).
const CURVES: Readonly<Record<string, Curve>> = {
  prime256v1: curve(
    BigInt("0xffffffff00000001000000000000000000000000ffffffffffffffffffffffff"),
    "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551",
    "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296" +
      "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5",
  ),
  secp384r1: curve(
    BigInt(
      "0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff",
    ),
    "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973",
    "aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7" +
      "3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5f",
  ),
  secp521r1: curve(
    (1n << 521n) - 1n,
    "01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409",
    "00c6858e06b70404e9cd9e3ecb662395b4429c648139053fb521f828af606b4d3dbaa14b5e77efe75928fe1dc127a2ffa8de3348b3c1856a429bf97e7e31c2e5bd66" +
      "011839296a789a3bc0045c8a5fb42c7d1bd998f54449579b446817afbd17273e662c97ee72995ef42640c550b9013fad0761353c7086a272c24088be94769fd16650",
  ),
};

/** A point in Jacobian coordinates; z = 0 is the point at infinity. */
type Point = { x: bigint; y: bigint; z: bigint };
const INFINITY: Point = { x: 1n, y: 1n, z: 0n };

function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  let result = 1n;
  let b = mod(base, m);
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
  }
  return result;
}

/** Inverse modulo a prime. */
const modInv = (a: bigint, p: bigint): bigint => modPow(a, p - 2n, p);

function double(c: Curve, P: Point): Point {
  if (P.z === 0n || P.y === 0n) return INFINITY;
  const { p } = c;
  const y2 = mod(P.y * P.y, p);
  const s = mod(4n * P.x * y2, p);
  const z2 = mod(P.z * P.z, p);
  const m = mod(3n * P.x * P.x + c.a * z2 * z2, p);
  const x = mod(m * m - 2n * s, p);
  const y = mod(m * (s - x) - 8n * y2 * y2, p);
  return { x, y, z: mod(2n * P.y * P.z, p) };
}

function add(c: Curve, P: Point, Q: Point): Point {
  if (P.z === 0n) return Q;
  if (Q.z === 0n) return P;
  const { p } = c;
  const pz2 = mod(P.z * P.z, p);
  const qz2 = mod(Q.z * Q.z, p);
  const u1 = mod(P.x * qz2, p);
  const u2 = mod(Q.x * pz2, p);
  const s1 = mod(P.y * qz2 * Q.z, p);
  const s2 = mod(Q.y * pz2 * P.z, p);
  const h = mod(u2 - u1, p);
  const r = mod(s2 - s1, p);
  if (h === 0n) return r === 0n ? double(c, P) : INFINITY;
  const h2 = mod(h * h, p);
  const h3 = mod(h2 * h, p);
  const x = mod(r * r - h3 - 2n * u1 * h2, p);
  const y = mod(r * (u1 * h2 - x) - s1 * h3, p);
  return { x, y, z: mod(h * P.z * Q.z, p) };
}

/** u1·G + u2·Q (Shamir's trick: one pass over the bits). */
function twoScalarMul(c: Curve, u1: bigint, G: Point, u2: bigint, Q: Point): Point {
  const GQ = add(c, G, Q);
  let R = INFINITY;
  const bits = Math.max(u1.toString(2).length, u2.toString(2).length);
  for (let i = bits - 1; i >= 0; i--) {
    R = double(c, R);
    const b1 = (u1 >> BigInt(i)) & 1n;
    const b2 = (u2 >> BigInt(i)) & 1n;
    if (b1 && b2) R = add(c, R, GQ);
    else if (b1) R = add(c, R, G);
    else if (b2) R = add(c, R, Q);
  }
  return R;
}

/** DER ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }, parsed strictly. */
export function parseDerEcdsaSignature(sig: Uint8Array): { r: bigint; s: bigint } | undefined {
  let at = 0;
  const length = (): number | undefined => {
    const first = sig[at++];
    if (first === undefined) return undefined;
    if (first < 0x80) return first;
    if (first === 0x81) {
      const l = sig[at++];
      return l !== undefined && l >= 0x80 ? l : undefined;
    }
    return undefined; // signatures of these curves never need more
  };
  const integer = (): bigint | undefined => {
    if (sig[at++] !== 0x02) return undefined;
    const len = length();
    if (len === undefined || len === 0 || at + len > sig.length) return undefined;
    const bytes = sig.subarray(at, at + len);
    at += len;
    if (bytes[0]! & 0x80) return undefined; // negative
    if (len > 1 && bytes[0] === 0 && !(bytes[1]! & 0x80)) return undefined; // not minimal
    return BigInt(`0x${Buffer.from(bytes).toString("hex")}`);
  };
  if (sig[at++] !== 0x30) return undefined;
  const total = length();
  if (total === undefined || at + total !== sig.length) return undefined;
  const r = integer();
  const s = integer();
  if (r === undefined || s === undefined || at !== sig.length) return undefined;
  return { r, s };
}

function verifyEcdsa(key: KeyObject, digest: Buffer, signature: Buffer): boolean | "unsupported" {
  const name = key.asymmetricKeyDetails?.namedCurve;
  const c = name === undefined ? undefined : CURVES[name];
  if (!c) return "unsupported";
  const jwk = key.export({ format: "jwk" });
  if (typeof jwk.x !== "string" || typeof jwk.y !== "string") return false;
  const Q: Point = {
    x: BigInt(`0x${Buffer.from(jwk.x, "base64url").toString("hex")}`),
    y: BigInt(`0x${Buffer.from(jwk.y, "base64url").toString("hex")}`),
    z: 1n,
  };
  const sig = parseDerEcdsaSignature(signature);
  if (!sig) return false;
  const { r, s } = sig;
  if (r <= 0n || r >= c.n || s <= 0n || s >= c.n) return false;
  // e: the leftmost bitlen(n) bits of the digest.
  let e = digest.length === 0 ? 0n : BigInt(`0x${digest.toString("hex")}`);
  const excess = digest.length * 8 - c.n.toString(2).length;
  if (excess > 0) e >>= BigInt(excess);
  const w = modInv(s, c.n);
  const R = twoScalarMul(c, mod(e * w, c.n), { x: c.gx, y: c.gy, z: 1n }, mod(r * w, c.n), Q);
  if (R.z === 0n) return false;
  const x = mod(R.x * modInv(mod(R.z * R.z, c.p), c.p), c.p);
  return mod(x, c.n) === r;
}

// DER DigestInfo prefixes (RFC 8017 §9.2, note 1).
const DIGEST_INFO_PREFIX: Readonly<Record<DigestAlgorithm, string>> = {
  sha256: "3031300d060960864801650304020105000420",
  sha384: "3041300d060960864801650304020205000430",
  sha512: "3051300d060960864801650304020305000440",
};

function verifyRsaPkcs1(
  key: KeyObject,
  digest: Buffer,
  algorithm: DigestAlgorithm,
  signature: Buffer,
): boolean {
  let recovered: Buffer;
  try {
    recovered = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    return false;
  }
  const expected = Buffer.concat([Buffer.from(DIGEST_INFO_PREFIX[algorithm], "hex"), digest]);
  return recovered.equals(expected);
}

const DIGEST_LENGTH: Readonly<Record<DigestAlgorithm, number>> = {
  sha256: 32,
  sha384: 48,
  sha512: 64,
};

/**
 * Does `signature` by `key` sign the message whose `algorithm` digest is
 * `digest`? "unsupported" for key types that cannot be checked from a
 * digest (Ed25519, RSA-PSS, unknown curves).
 */
export function verifyPrehashed(
  key: KeyObject,
  digest: Buffer,
  algorithm: DigestAlgorithm,
  signature: Buffer,
): boolean | "unsupported" {
  if (digest.length !== DIGEST_LENGTH[algorithm]) return false;
  switch (key.asymmetricKeyType) {
    case "ec":
      return verifyEcdsa(key, digest, signature);
    case "rsa":
      return verifyRsaPkcs1(key, digest, algorithm, signature);
    default:
      return "unsupported";
  }
}
