/**
 * Hand-built X.509 v3 certificates (RFC 5280) in DER, signed with node:crypto.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  bitString,
  bool,
  ctx,
  ctxPrim,
  int,
  nullValue,
  octet,
  oid,
  printable,
  seq,
  set,
  utf8,
  x509Time,
} from "./der.js";
import { signWith } from "./keys.js";
import type { Bytes, Curve, KeyPair } from "./keys.js";

export const OID = {
  ecPublicKey: "1.2.840.10045.2.1",
  ecdsaSha256: "1.2.840.10045.4.3.2",
  ecdsaSha384: "1.2.840.10045.4.3.3",
  sha256: "2.16.840.1.101.3.4.2.1",
  commonName: "2.5.4.3",
  organization: "2.5.4.10",
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  basicConstraints: "2.5.29.19",
  subjectKeyId: "2.5.29.14",
  authorityKeyId: "2.5.29.35",
  subjectAltName: "2.5.29.17",
  codeSigning: "1.3.6.1.5.5.7.3.3",
  timeStamping: "1.3.6.1.5.5.7.3.8",
  sct: "1.3.6.1.4.1.11129.2.4.2",
} as const;

export interface Name {
  organization?: string;
  commonName?: string;
}

function dirString(s: string): Bytes {
  return /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(s) ? printable(s) : utf8(s);
}

/** Encodes a distinguished name (O then CN); an empty Name is an empty SEQUENCE. */
export function encodeName(name: Name): Bytes {
  const rdns: Bytes[] = [];
  if (name.organization !== undefined)
    rdns.push(set(seq(oid(OID.organization), dirString(name.organization))));
  if (name.commonName !== undefined)
    rdns.push(set(seq(oid(OID.commonName), dirString(name.commonName))));
  return seq(...rdns);
}

export interface Extension {
  oid: string;
  critical?: boolean;
  /** The bytes carried inside the extnValue OCTET STRING. */
  value: Bytes;
}

export function encodeExtension(ext: Extension): Bytes {
  return seq(oid(ext.oid), ...(ext.critical ? [bool(true)] : []), octet(ext.value));
}

/** Named-bit KeyUsage; bits: 0 digitalSignature, 5 keyCertSign, 6 cRLSign. */
export function keyUsageExt(bits: number[], critical = true): Extension {
  let mask = 0;
  for (const b of bits) mask |= 0x8000 >> b;
  const bytes = mask & 0xff ? [mask >> 8, mask & 0xff] : [mask >> 8];
  const last = bytes[bytes.length - 1] ?? 0;
  let unused = 0;
  if (last !== 0) while (((last >> unused) & 1) === 0) unused++;
  const bs = Buffer.from([0x03, bytes.length + 1, unused, ...bytes]);
  return { oid: OID.keyUsage, critical, value: bs };
}

export function extKeyUsageExt(oids: string[], critical = false): Extension {
  return { oid: OID.extKeyUsage, critical, value: seq(...oids.map(oid)) };
}

export function basicConstraintsExt(ca: boolean, pathLen?: number): Extension {
  const items = ca ? [bool(true), ...(pathLen !== undefined ? [int(pathLen)] : [])] : [];
  return { oid: OID.basicConstraints, critical: true, value: seq(...items) };
}

/** RFC 5280 method 1 key identifier: SHA-1 of the subjectPublicKey bits. */
export function keyIdentifier(spki: Bytes): Bytes {
  const key = findSubjectPublicKey(spki);
  if (!key) throw new Error("malformed SubjectPublicKeyInfo");
  return createHash("sha1").update(key).digest();
}

function findSubjectPublicKey(spki: Bytes): Bytes | undefined {
  // Walk the outer SEQUENCE: skip its header, skip the AlgorithmIdentifier TLV.
  const skipHeader = (buf: Bytes, at: number): [number, number] => {
    const l = buf[at + 1] ?? 0;
    if (l < 0x80) return [at + 2, l];
    const n = l & 0x7f;
    let len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[at + 2 + i] ?? 0);
    return [at + 2 + n, len];
  };
  const [inner] = skipHeader(spki, 0);
  const [algContent, algLen] = skipHeader(spki, inner);
  const bsAt = algContent + algLen;
  if (spki[bsAt] !== 0x03) return undefined;
  const [bsContent, bsLen] = skipHeader(spki, bsAt);
  return spki.subarray(bsContent + 1, bsContent + bsLen);
}

export function subjectKeyIdExt(spki: Bytes): Extension {
  return { oid: OID.subjectKeyId, value: octet(keyIdentifier(spki)) };
}

export function authorityKeyIdExt(issuerSpki: Bytes): Extension {
  return { oid: OID.authorityKeyId, value: seq(ctxPrim(0, keyIdentifier(issuerSpki))) };
}

export type SanSpec = { uri: string } | { email: string };

export function subjectAltNameExt(san: SanSpec, critical = true): Extension {
  const gn =
    "uri" in san
      ? ctxPrim(6, Buffer.from(san.uri, "ascii"))
      : ctxPrim(1, Buffer.from(san.email, "ascii"));
  return { oid: OID.subjectAltName, critical, value: seq(gn) };
}

export function signatureAlgorithm(curve: Curve): Bytes {
  if (curve === "P-384") return seq(oid(OID.ecdsaSha384));
  if (curve === "P-256") return seq(oid(OID.ecdsaSha256));
  throw new Error("certificates are only signed with ECDSA keys here");
}

/** A positive 20-byte serial number (content bytes, as int() will encode them). */
export function randomSerial(): Bytes {
  const s = randomBytes(20);
  s[0] = ((s[0] ?? 0) & 0x7f) | 0x01;
  return s;
}

export interface CertSpec {
  serial: Bytes;
  issuer: Name;
  subject: Name;
  notBefore: Date;
  notAfter: Date;
  spki: Bytes;
  extensions: Extension[];
}

/** TBSCertificate DER for the given issuer key's signature algorithm. */
export function tbsCertificate(spec: CertSpec, issuerCurve: Curve): Bytes {
  return seq(
    ctx(0, int(2)),
    int(spec.serial),
    signatureAlgorithm(issuerCurve),
    encodeName(spec.issuer),
    seq(x509Time(spec.notBefore), x509Time(spec.notAfter)),
    encodeName(spec.subject),
    spec.spki,
    ...(spec.extensions.length > 0 ? [ctx(3, seq(...spec.extensions.map(encodeExtension)))] : []),
  );
}

export function signTbs(tbs: Bytes, issuerKey: KeyPair): Bytes {
  return seq(tbs, signatureAlgorithm(issuerKey.curve), bitString(signWith(issuerKey, tbs)));
}

export function issueCertificate(spec: CertSpec, issuerKey: KeyPair): Bytes {
  return signTbs(tbsCertificate(spec, issuerKey.curve), issuerKey);
}

/** AlgorithmIdentifier for SHA-256 with explicit NULL parameters. */
export function sha256AlgId(): Bytes {
  return seq(oid(OID.sha256), nullValue());
}
