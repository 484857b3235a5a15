/**
 * Performance fixes for @sigstore/core, installed once per process before the
 * first verification. Neither changes a result; both are tested against the
 * original implementations (test/sigstore/speedups.test.ts).
 *
 * 1. ASN1Obj.toDER() re-encodes a tree through a growable byte stream that
 *    allocates a zero-filled 1 KiB block per node, and @sigstore/verify calls
 *    it many times per attestation (certificate equality while building the
 *    chain, TBS bytes for signature checks, public keys). The replacement
 *    computes the same encoding (tag byte, minimal definite length, content
 *    from the children or the value) into one exactly sized buffer. Nothing
 *    is memoised: @sigstore/verify edits parsed trees (it removes the SCT
 *    extension from a clone of the leaf), so every call encodes the tree as
 *    it is at that moment.
 *
 * 2. X509Certificate.verify(issuer) is memoised for pairs of trusted CA
 *    certificates only: the root and intermediate certificates of the trust
 *    material, parsed once and never modified, whose signatures over each
 *    other (P-384: ~0.5 ms each) would otherwise be checked again for every
 *    attestation. A leaf is never a trusted certificate: its signature is
 *    always checked.
 */
import { ASN1Obj, X509Certificate, crypto as coreCrypto } from "@sigstore/core";
import type { KeyObject } from "node:crypto";

const INSTALLED = Symbol.for("pyprov.sigstore-speedups");

type Node = ASN1Obj;

function lengthOfLength(len: number): number {
  if (len < 0x80) return 1;
  let n = 0;
  for (let v = len; v > 0; v = Math.floor(v / 256)) n++;
  return 1 + n;
}

function writeLength(buf: Buffer, at: number, len: number): number {
  if (len < 0x80) {
    buf[at] = len;
    return at + 1;
  }
  const n = lengthOfLength(len) - 1;
  buf[at] = 0x80 | n;
  for (let i = n; i >= 1; i--) {
    buf[at + i] = len & 0xff;
    len = Math.floor(len / 256);
  }
  return at + n + 1;
}

/** Exactly ASN1Obj.prototype.toDER's encoding, computed without intermediate streams. */
export function encodeDer(root: Node): Buffer {
  const contentSize = new Map<Node, number>();
  const total = (node: Node): number => {
    let content = 0;
    if (node.subs.length > 0) for (const sub of node.subs) content += total(sub);
    else content = node.value.length;
    contentSize.set(node, content);
    return 1 + lengthOfLength(content) + content;
  };
  const out = Buffer.allocUnsafe(total(root));
  const write = (node: Node, at: number): number => {
    const content = contentSize.get(node)!;
    out[at] = node.tag.toDER();
    at = writeLength(out, at + 1, content);
    if (node.subs.length > 0) {
      for (const sub of node.subs) at = write(sub, at);
    } else {
      node.value.copy(out, at);
      at += node.value.length;
    }
    return at;
  };
  const end = write(root, 0);
  if (end !== out.length) throw new Error("DER encoding size mismatch");
  return out;
}

/** CA certificates from trust material: the only ones whose verify() results are memoised. */
const trustedCertificates = new WeakSet<X509Certificate>();

/** Register the certificate chains of a trust material's authorities. */
export function registerTrustedCertificates(certs: Iterable<X509Certificate>): void {
  for (const c of certs) trustedCertificates.add(c);
}

function deepFreeze(node: Node): void {
  if (Object.isFrozen(node)) return;
  for (const sub of node.subs) deepFreeze(sub);
  Object.freeze(node.subs);
  Object.freeze(node.tag);
  Object.freeze(node);
}

/** Certificates made by clone(): the only ones @sigstore/verify edits. */
const clones = new WeakSet<X509Certificate>();
const certificateDers = new WeakMap<X509Certificate, Buffer>();

/** A frozen (never edited) tree, copied: what parsing its DER again would give, minus the parsing. */
export function copyTree(node: Node): Node {
  return new ASN1Obj(node.tag, Buffer.from(node.value), node.subs.map(copyTree));
}

/** A certificate's DER, encoded once (its tree frozen from then on); clones are encoded each time. */
export function certificateDer(cert: X509Certificate): Buffer {
  if (clones.has(cert)) return cert.root.toDER();
  let der = certificateDers.get(cert);
  if (der === undefined) {
    deepFreeze(cert.root);
    der = cert.root.toDER();
    certificateDers.set(cert, der);
  }
  return der;
}

export function installSigstoreSpeedups(): void {
  const asn1 = ASN1Obj.prototype as ASN1Obj & { [INSTALLED]?: true };
  if (asn1[INSTALLED]) return;

  asn1.toDER = function toDER(this: Node): Buffer {
    return encodeDer(this);
  };

  const cert = X509Certificate.prototype;
  const originalVerify = cert.verify;
  const verified = new WeakMap<X509Certificate, WeakMap<X509Certificate, boolean>>();
  const issuerKeys = new WeakMap<X509Certificate, KeyObject>();
  cert.verify = function verify(this: X509Certificate, issuer?: X509Certificate): boolean {
    const key = issuer ?? this;
    if (!trustedCertificates.has(key)) return originalVerify.call(this, issuer);
    if (!trustedCertificates.has(this)) {
      // A leaf (or any untrusted certificate) against a trusted issuer: checked
      // every time, as the original does, with the issuer's key made once.
      let publicKey = issuerKeys.get(key);
      if (publicKey === undefined) {
        publicKey = coreCrypto.createPublicKey(key.publicKey);
        issuerKeys.set(key, publicKey);
      }
      return coreCrypto.verify(
        this.tbsCertificate.toDER(),
        publicKey,
        this.signatureValue,
        this.signatureAlgorithm,
      );
    }
    let byIssuer = verified.get(this);
    const known = byIssuer?.get(key);
    if (known !== undefined) return known;
    const ok = originalVerify.call(this, issuer);
    if (!byIssuer) {
      byIssuer = new WeakMap();
      verified.set(this, byIssuer);
    }
    byIssuer.set(key, ok);
    return ok;
  };

  cert.equals = function equals(this: X509Certificate, other: X509Certificate): boolean {
    return certificateDer(this).equals(certificateDer(other));
  };
  cert.clone = function clone(this: X509Certificate): X509Certificate {
    const copy = clones.has(this)
      ? X509Certificate.parse(Buffer.from(this.root.toDER()))
      : (certificateDer(this), new X509Certificate(copyTree(this.root)));
    clones.add(copy);
    return copy;
  };

  Object.defineProperty(asn1, INSTALLED, { value: true });
}
