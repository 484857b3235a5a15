/**
 * A performance fix for @sigstore/core: ASN1Obj.toDER() re-encodes a whole
 * certificate on every call, and @sigstore/verify calls it many times per
 * attestation (certificate equality while building the chain, signature
 * checks, SCT checks). Parsed ASN1Obj trees are never modified after parsing,
 * so the encoding of each node is memoised. Callers get a fresh copy every
 * time, so nothing they do to the returned buffer can change what the next
 * caller sees; the bytes are exactly those the original method returns.
 */
import { ASN1Obj } from "@sigstore/core";

const INSTALLED = Symbol.for("pyprov.asn1-der-cache");

export function installDerCache(): void {
  const proto = ASN1Obj.prototype as ASN1Obj & { [INSTALLED]?: true };
  if (proto[INSTALLED]) return;
  const original = proto.toDER;
  const cache = new WeakMap<ASN1Obj, Buffer>();
  proto.toDER = function toDER(this: ASN1Obj): Buffer {
    let der = cache.get(this);
    if (der === undefined) {
      der = original.call(this);
      cache.set(this, der);
    }
    return Buffer.from(der);
  };
  Object.defineProperty(proto, INSTALLED, { value: true });
}
