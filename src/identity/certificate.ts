/**
 * Decode a Fulcio leaf certificate: names, validity, usage bits, SAN and the
 * Fulcio claims (verification-rules.md §7).
 *
 * Decoding never verifies anything: call it on a leaf whose chain and
 * signature the Sigstore verifier has already accepted. Anything that cannot
 * be decoded exactly throws {@link CertificateDecodeError} (a plain `Error`
 * subclass, never a CheckFailure or PyprovError): the caller decides whether
 * that is malformed input or a failed verdict. C4 (key usage) is reported by
 * {@link checkLeafUsage}, not thrown.
 *
 * The certificate is parsed once by @sigstore/core's DER parser (the one the
 * Sigstore verifier trusts); SAN, key usage, extended key usage and basic
 * constraints are decoded exactly from that tree (./extensions.ts), the
 * Fulcio values by OID (.1-.6 raw UTF-8, .8 and later DER UTF8String).
 */
import { X509Certificate as CoreX509Certificate } from "@sigstore/core";
import { X509Certificate as NodeX509Certificate } from "node:crypto";
import {
  decodeBasicConstraintsCA,
  decodeExtendedKeyUsage,
  decodeKeyUsageDigitalSignature,
  decodeSubjectAltName,
  decodeUtf8,
  type GeneralNames,
} from "./extensions.js";
import { describeOid, fulcioOidInfo, isUnderFulcioArc } from "./oids.js";

export interface FulcioClaims {
  /** .8 if present, else .1. */
  issuer?: string;
  issuerV1?: string;
  issuerV2?: string;
  githubWorkflowTrigger?: string;
  githubWorkflowSha?: string;
  githubWorkflowName?: string;
  githubWorkflowRepository?: string;
  githubWorkflowRef?: string;
  buildSignerUri?: string;
  buildSignerDigest?: string;
  runnerEnvironment?: string;
  sourceRepositoryUri?: string;
  sourceRepositoryDigest?: string;
  sourceRepositoryRef?: string;
  sourceRepositoryIdentifier?: string;
  sourceRepositoryOwnerUri?: string;
  sourceRepositoryOwnerIdentifier?: string;
  buildConfigUri?: string;
  buildConfigDigest?: string;
  buildTrigger?: string;
  runInvocationUri?: string;
  sourceRepositoryVisibilityAtSigning?: string;
  deploymentEnvironment?: string;
  tokenSubject?: string;
}

export type SubjectAlternativeNames = GeneralNames;

export interface DecodedCertificate {
  der: Uint8Array;
  /** The serial number's value in lowercase hex, whole bytes (as OpenSSL prints it). */
  serialNumber: string;
  /**
   * Issuer and subject distinguished names as OpenSSL renders them, joined
   * with ", "; not the OIDC issuer. Rendered on first read (no verification
   * step needs them): a certificate OpenSSL cannot read throws
   * {@link CertificateDecodeError} then.
   */
  readonly issuer: string;
  readonly subject: string;
  notBefore: Date;
  notAfter: Date;
  san: SubjectAlternativeNames;
  claims: FulcioClaims;
  /** every extension under 1.3.6.1.4.1.57264.1 decoded to a string, keyed by full OID */
  fulcioExtensions: Record<string, string>;
  keyUsageDigitalSignature: boolean;
  extendedKeyUsages: string[];
  isCA: boolean;
}

/** The certificate (or one of its extensions) cannot be decoded exactly. */
export class CertificateDecodeError extends Error {
  /** The extension at fault, when there is one. */
  readonly oid: string | undefined;
  constructor(message: string, oid?: string) {
    super(message);
    this.name = "CertificateDecodeError";
    this.oid = oid;
  }
}

export const OID_SUBJECT_ALT_NAME = "2.5.29.17";
export const OID_KEY_USAGE = "2.5.29.15";
export const OID_EXTENDED_KEY_USAGE = "2.5.29.37";
export const OID_BASIC_CONSTRAINTS = "2.5.29.19";
export const OID_EKU_CODE_SIGNING = "1.3.6.1.5.5.7.3.3";

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

type Decoded = { ok: true; value: string } | { ok: false; reason: string };

/**
 * A whole buffer that is exactly one DER UTF8String holding valid UTF-8:
 * universal primitive tag 12, a minimal definite length equal to the rest of
 * the buffer, no trailing bytes. Hand-checked rather than run through a
 * general BER parser: the rule is this narrow, and it runs ~20 times per
 * certificate.
 */
export function decodeDerUtf8String(bytes: Uint8Array): Decoded {
  if (bytes.length < 2) return { ok: false, reason: "too short to be a DER value" };
  const tag = bytes[0]!;
  if (tag !== 0x0c) {
    const tagClass = (tag >> 6) + 1;
    return { ok: false, reason: `not a UTF8String (tag class ${tagClass}, number ${tag & 0x1f})` };
  }
  const first = bytes[1]!;
  let length: number;
  let offset: number;
  if (first < 0x80) {
    length = first;
    offset = 2;
  } else {
    const n = first & 0x7f;
    if (n === 0 || n > 4) return { ok: false, reason: "not DER (indefinite or oversized length)" };
    if (bytes.length < 2 + n) return { ok: false, reason: "truncated length" };
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + bytes[2 + i]!;
    offset = 2 + n;
    // DER: the shortest form, so long form only for lengths ≥ 128 and no leading zero byte.
    if (length < 0x80 || bytes[2] === 0) {
      return { ok: false, reason: "not DER (non-minimal length encoding)" };
    }
  }
  if (offset + length > bytes.length) return { ok: false, reason: "value is truncated" };
  if (offset + length < bytes.length) {
    return {
      ok: false,
      reason: `${bytes.length - offset - length} trailing byte(s) after the value`,
    };
  }
  const value = decodeUtf8(bytes.subarray(offset));
  if (value === undefined) return { ok: false, reason: "UTF8String content is not valid UTF-8" };
  return { ok: true, value };
}

/**
 * Decode one Fulcio extension value by its OID (never by its first byte):
 * .1–.6 raw UTF-8, .8–.24 DER UTF8String; any other OID under the Fulcio arc
 * as a DER UTF8String when it is one, else as lowercase hex.
 */
export function decodeFulcioExtension(oid: string, value: Uint8Array): string {
  const info = fulcioOidInfo(oid);
  if (info?.encoding === "raw-utf8") {
    const text = decodeUtf8(value);
    if (text === undefined) {
      throw new CertificateDecodeError(
        `Fulcio extension ${describeOid(oid)} is not valid UTF-8`,
        oid,
      );
    }
    return text;
  }
  const decoded = decodeDerUtf8String(value);
  if (info?.encoding === "der-utf8string") {
    if (!decoded.ok) {
      throw new CertificateDecodeError(
        `Fulcio extension ${describeOid(oid)} is not a DER UTF8String: ${decoded.reason}`,
        oid,
      );
    }
    return decoded.value;
  }
  return decoded.ok ? decoded.value : hex(value);
}

function fail(message: string, oid?: string): never {
  throw new CertificateDecodeError(message, oid);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

interface RawExtension {
  oid: string;
  /** The extnValue OCTET STRING contents. */
  value: Buffer;
}

/**
 * Parse the certificate once with @sigstore/core's DER parser (the same one
 * the Sigstore verifier trusts; it rejects trailing data), and read the
 * display fields natively.
 */
function parseX509(
  bytes: Uint8Array,
  parsed: CoreX509Certificate | undefined,
): { decoded: DecodedCertificate; extensions: RawExtension[] } {
  let core: CoreX509Certificate;
  try {
    core = parsed ?? CoreX509Certificate.parse(Buffer.from(bytes));
  } catch (err) {
    fail(`not an X.509 certificate: ${errorText(err)}`);
  }
  // @sigstore/core reads fields by position: a tree that is not shaped like a
  // certificate shows here, as a missing field.
  let notBefore: Date;
  let notAfter: Date;
  let serialNumber: string;
  try {
    notBefore = core.notBefore;
    notAfter = core.notAfter;
    serialNumber = serialHex(core.serialNumber);
  } catch (err) {
    fail(`not an X.509 certificate: ${errorText(err)}`);
  }
  if (Number.isNaN(notBefore.getTime()) || Number.isNaN(notAfter.getTime())) {
    fail("certificate validity dates are not valid times");
  }
  try {
    const names = lazyNames(bytes);
    const decoded: DecodedCertificate = {
      der: bytes,
      serialNumber,
      get issuer() {
        return names().issuer;
      },
      get subject() {
        return names().subject;
      },
      notBefore,
      notAfter,
      san: { uris: [], emails: [], otherNames: [], dns: [] },
      claims: {},
      fulcioExtensions: {},
      keyUsageDigitalSignature: false,
      extendedKeyUsages: [],
      isCA: false,
    };
    // Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
    const extensions = core.extensions.map((ext): RawExtension => {
      const [id, middle] = ext.subs;
      const last = ext.subs[ext.subs.length - 1];
      if (
        ext.subs.length < 2 ||
        ext.subs.length > 3 ||
        !id?.tag.isOID() ||
        !last?.tag.isOctetString() ||
        last.tag.constructed ||
        (ext.subs.length === 3 && !middle?.tag.isBoolean())
      ) {
        throw new Error("malformed extension");
      }
      return { oid: id.toOID(), value: last.value };
    });
    return { decoded, extensions };
  } catch (err) {
    fail(`certificate fields cannot be decoded: ${errorText(err)}`);
  }
}

/**
 * A DER INTEGER's content as OpenSSL prints a serial number: the value in hex
 * (two digits a byte, no sign padding), "-" before a negative one.
 */
export function serialHex(content: Uint8Array): string {
  if (content.length === 0) throw new Error("empty serial number");
  let n = BigInt(`0x${Buffer.from(content).toString("hex")}`);
  if (content[0]! & 0x80) n -= 1n << BigInt(content.length * 8);
  const abs = n < 0n ? -n : n;
  let h = abs.toString(16);
  if (h.length % 2 === 1) h = `0${h}`;
  return n < 0n ? `-${h}` : h;
}

/** The issuer and subject names, rendered by OpenSSL once, on first use. */
function lazyNames(der: Uint8Array): () => { issuer: string; subject: string } {
  let names: { issuer: string; subject: string } | undefined;
  return () => {
    if (names === undefined) {
      let native: NodeX509Certificate;
      try {
        native = new NodeX509Certificate(der);
      } catch (err) {
        return fail(`certificate names cannot be rendered: ${errorText(err)}`);
      }
      const text = (dn: string | undefined) => (dn ?? "").split("\n").join(", ");
      names = { issuer: text(native.issuer), subject: text(native.subject) };
    }
    return names;
  };
}

function withExtension<T>(ext: RawExtension, decode: (value: Uint8Array) => T): T {
  try {
    return decode(ext.value);
  } catch (err) {
    return fail(`extension ${describeOid(ext.oid)} cannot be decoded: ${errorText(err)}`, ext.oid);
  }
}

/**
 * Decode a leaf certificate (DER). Throws {@link CertificateDecodeError} when
 * the DER, an extension, a Fulcio value (named by OID) or the SAN cannot be
 * decoded exactly, or when an extension appears twice. Never checks validity,
 * usage or chain.
 */
export function decodeCertificate(
  der: Uint8Array,
  /** The same DER already parsed by @sigstore/core (the verifier's parse), to save parsing it twice. */
  parsed?: CoreX509Certificate,
): DecodedCertificate {
  const { decoded, extensions } = parseX509(new Uint8Array(der), parsed);
  const seen = new Set<string>();
  for (const ext of extensions) {
    // RFC 5280 §4.2: an extension appears at most once; a second copy could say something else.
    if (seen.has(ext.oid))
      fail(`extension ${describeOid(ext.oid)} appears more than once`, ext.oid);
    seen.add(ext.oid);
    if (ext.oid === OID_SUBJECT_ALT_NAME) {
      decoded.san = withExtension(ext, decodeSubjectAltName);
    } else if (ext.oid === OID_KEY_USAGE) {
      decoded.keyUsageDigitalSignature = withExtension(ext, decodeKeyUsageDigitalSignature);
    } else if (ext.oid === OID_EXTENDED_KEY_USAGE) {
      decoded.extendedKeyUsages = withExtension(ext, decodeExtendedKeyUsage);
    } else if (ext.oid === OID_BASIC_CONSTRAINTS) {
      decoded.isCA = withExtension(ext, decodeBasicConstraintsCA);
    } else if (isUnderFulcioArc(ext.oid)) {
      const value = decodeFulcioExtension(ext.oid, new Uint8Array(ext.value));
      decoded.fulcioExtensions[ext.oid] = value;
      const key = fulcioOidInfo(ext.oid)?.key;
      if (key) decoded.claims[key] = value;
    }
  }
  const { issuerV1, issuerV2 } = decoded.claims;
  const issuer = issuerV2 ?? issuerV1;
  if (issuer !== undefined) decoded.claims.issuer = issuer;
  return decoded;
}

/** C4: KU digitalSignature; EKU codeSigning 1.3.6.1.5.5.7.3.3; not a CA. Returns undefined or a one-line reason. */
export function checkLeafUsage(cert: DecodedCertificate): string | undefined {
  const reasons: string[] = [];
  if (!cert.keyUsageDigitalSignature) {
    reasons.push("key usage does not include digitalSignature (or the extension is absent)");
  }
  if (!cert.extendedKeyUsages.includes(OID_EKU_CODE_SIGNING)) {
    const found = cert.extendedKeyUsages.length ? cert.extendedKeyUsages.join(", ") : "none";
    reasons.push(
      `extended key usage does not include codeSigning (${OID_EKU_CODE_SIGNING}); found: ${found}`,
    );
  }
  if (cert.isCA) reasons.push("basic constraints mark the certificate as a CA");
  return reasons.length ? `leaf certificate: ${reasons.join("; ")}` : undefined;
}

/** The identity a person reads: the SAN value (first URI, else e-mail, else .7 username). */
export function primaryIdentity(cert: DecodedCertificate): string | undefined {
  return cert.san.uris[0] ?? cert.san.emails[0] ?? cert.san.otherNames[0];
}

/** Every SAN value (URIs, e-mails, usernames, DNS names), for exact membership tests. */
export function sanValues(cert: DecodedCertificate): string[] {
  const { uris, emails, otherNames, dns } = cert.san;
  return [...uris, ...emails, ...otherNames, ...dns];
}

/** The DER bytes of the single CERTIFICATE block in a PEM text (text around it is ignored). */
export function certificateDerFromPem(pem: string): Uint8Array {
  const re = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]*?)-----END CERTIFICATE-----/g;
  const blocks = [...pem.matchAll(re)];
  if (blocks.length !== 1)
    fail(`expected exactly one PEM CERTIFICATE block, found ${blocks.length}`);
  const body = (blocks[0]?.[1] ?? "").replace(/\s+/g, "");
  if (
    !/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(body) ||
    body === ""
  ) {
    fail("PEM CERTIFICATE block is not valid base64");
  }
  return new Uint8Array(Buffer.from(body, "base64"));
}
