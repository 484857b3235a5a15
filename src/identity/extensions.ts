/**
 * Exact decoders for the four standard extensions a Fulcio leaf is judged by
 * (RFC 5280 §4.2.1): subject alternative name, key usage, extended key usage
 * and basic constraints.
 *
 * They walk the DER tree of @sigstore/core's parser, the same parser the
 * Sigstore verifier used on this certificate (definite minimal lengths, no
 * trailing bytes, bounded depth). Anything that is not exactly the ASN.1 the
 * RFC defines throws: a value is never guessed. The test-suite checks these
 * decoders against @peculiar/x509's on every corpus and synthetic certificate.
 *
 * Why not @peculiar/x509 here: loading it registers hundreds of decorated
 * schema classes and costs 45-60 ms of every process's start-up on the
 * reference machine, more than all of pyprov's own code.
 */
import { ASN1Obj } from "@sigstore/core";
import { fulcioOid } from "./oids.js";

/** The DER of one extension value (or a part of it) is not what RFC 5280 defines. */
export class ExtensionDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExtensionDecodeError";
  }
}

export interface GeneralNames {
  uris: string[];
  emails: string[];
  /** otherName values of type 1.3.6.1.4.1.57264.1.7 (Fulcio username); other otherName types are ignored. */
  otherNames: string[];
  dns: string[];
}

const OID_FULCIO_USERNAME = fulcioOid(7);
const TAG_BOOLEAN = 0x01;
const TAG_INTEGER = 0x02;
const TAG_BIT_STRING = 0x03;
const TAG_OID = 0x06;
const TAG_UTF8_STRING = 0x0c;
const TAG_SEQUENCE = 0x30;
const CLASS_CONTEXT = 2;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Bytes as UTF-8 text, exactly (a BOM is kept as a character), or undefined when they are not UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

function bad(message: string): never {
  throw new ExtensionDecodeError(message);
}

/** Parse one whole DER value: exactly one element, nothing after it. */
export function parseDer(bytes: Uint8Array, what: string): ASN1Obj {
  try {
    return ASN1Obj.parseBuffer(Buffer.from(bytes));
  } catch (err) {
    return bad(`${what} is not DER: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The full identifier octet of an element (class, constructed bit, number). */
function tagOf(obj: ASN1Obj): number {
  return obj.tag.toDER();
}

function expectTag(obj: ASN1Obj, tag: number, what: string): void {
  if (tagOf(obj) !== tag) {
    bad(`${what}: expected tag 0x${tag.toString(16)}, found 0x${tagOf(obj).toString(16)}`);
  }
}

/** A SEQUENCE with at least `min` elements. */
function sequence(obj: ASN1Obj, what: string, min: number): ASN1Obj[] {
  expectTag(obj, TAG_SEQUENCE, what);
  if (obj.subs.length < min) bad(`${what} has ${obj.subs.length} element(s), needs ${min}`);
  return obj.subs;
}

/** IA5String content (implicitly tagged in GeneralName): 7-bit ASCII only. */
function ia5(bytes: Buffer, what: string): string {
  for (const b of bytes)
    if (b > 0x7f) bad(`${what} is not an IA5String (byte 0x${b.toString(16)})`);
  return bytes.toString("latin1");
}

/** otherName ::= [0] IMPLICIT SEQUENCE { type-id OID, value [0] EXPLICIT ANY } */
function readOtherName(name: ASN1Obj, out: GeneralNames): void {
  const [typeId, wrapped] = name.subs;
  if (
    name.subs.length !== 2 ||
    !typeId ||
    tagOf(typeId) !== TAG_OID ||
    !wrapped ||
    !wrapped.tag.isContextSpecific(0) ||
    !wrapped.tag.constructed ||
    wrapped.subs.length !== 1
  ) {
    bad("subject alternative name has a malformed otherName");
  }
  if (typeId.toOID() !== OID_FULCIO_USERNAME) return;
  const inner = wrapped.subs[0]!;
  if (tagOf(inner) !== TAG_UTF8_STRING) {
    bad(`otherName ${OID_FULCIO_USERNAME} is not a UTF8String`);
  }
  const text = decodeUtf8(inner.value);
  if (text === undefined) bad(`otherName ${OID_FULCIO_USERNAME} is not valid UTF-8`);
  out.otherNames.push(text);
}

/**
 * SubjectAltName ::= GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName.
 * rfc822Name [1], dNSName [2] and URI [6] are IA5Strings; otherName [0] is read
 * for the Fulcio username. Other forms (IP address, directory name, ...) are
 * not Fulcio identities and are skipped, but must still be well-formed DER.
 */
export function decodeSubjectAltName(value: Uint8Array): GeneralNames {
  const out: GeneralNames = { uris: [], emails: [], otherNames: [], dns: [] };
  for (const name of sequence(parseDer(value, "subject alternative name"), "GeneralNames", 1)) {
    if (name.tag.class !== CLASS_CONTEXT) bad("GeneralName is not context-tagged");
    const n = name.tag.number;
    if (n === 0) {
      if (!name.tag.constructed) bad("otherName is not constructed");
      readOtherName(name, out);
    } else if (n === 1 || n === 2 || n === 6) {
      if (name.tag.constructed) bad(`GeneralName [${n}] is constructed`);
      const text = ia5(name.value, `GeneralName [${n}]`);
      if (n === 1) out.emails.push(text);
      else if (n === 2) out.dns.push(text);
      else out.uris.push(text);
    }
  }
  return out;
}

/** KeyUsage ::= BIT STRING; digitalSignature is bit 0. */
export function decodeKeyUsageDigitalSignature(value: Uint8Array): boolean {
  const bits = parseDer(value, "key usage");
  expectTag(bits, TAG_BIT_STRING, "key usage");
  const content = bits.value;
  const unused = content[0];
  if (unused === undefined || unused > 7 || (content.length === 1 && unused !== 0)) {
    bad("key usage BIT STRING has an invalid unused-bits count");
  }
  return content.length > 1 && (content[1]! & 0x80) !== 0;
}

/** ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId (an OID). */
export function decodeExtendedKeyUsage(value: Uint8Array): string[] {
  return sequence(parseDer(value, "extended key usage"), "extended key usage", 1).map((oid) => {
    expectTag(oid, TAG_OID, "KeyPurposeId");
    return oid.toOID();
  });
}

/** BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL } */
export function decodeBasicConstraintsCA(value: Uint8Array): boolean {
  const fields = sequence(parseDer(value, "basic constraints"), "basic constraints", 0);
  if (fields.length > 2) bad("basic constraints has more than two fields");
  const [first, second] = fields;
  if (first === undefined) return false;
  if (tagOf(first) === TAG_BOOLEAN) {
    if (second !== undefined) expectTag(second, TAG_INTEGER, "pathLenConstraint");
    try {
      return first.toBoolean();
    } catch {
      return bad("basic constraints cA is not a DER BOOLEAN");
    }
  }
  if (second !== undefined) bad("basic constraints fields are out of order");
  expectTag(first, TAG_INTEGER, "pathLenConstraint");
  return false;
}
