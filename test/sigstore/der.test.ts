/**
 * pyprov's own DER encoder gives exactly @sigstore/core's toDER() bytes for
 * every node of real certificates, and, with a node left out, exactly what
 * toDER() gives after the library's own edit (verifySCTs splices the SCT
 * extension out of a clone).
 */
import { ASN1Obj, X509Certificate } from "@sigstore/core";
import { describe, expect, it } from "vitest";
import { encodeDer } from "../../src/sigstore/der.js";
import { realCertificateDers } from "../support/real-certificates.js";

function* nodes(n: ASN1Obj): Generator<ASN1Obj> {
  yield n;
  for (const s of n.subs) yield* nodes(s);
}

function lengthBytes(n: number): Buffer {
  if (n < 128) return Buffer.from([n]);
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return Buffer.from([0x80 | out.length, ...out]);
}

describe("encodeDer", () => {
  const certs = realCertificateDers();

  it("has real certificates to check", () => {
    expect(certs.length).toBeGreaterThan(15);
  });

  it("encodes every node of every real certificate exactly as @sigstore/core does", () => {
    let checked = 0;
    for (const der of certs) {
      const root = ASN1Obj.parseBuffer(der);
      for (const node of nodes(root)) {
        expect(encodeDer(node).equals(node.toDER())).toBe(true);
        checked++;
      }
      // A DER certificate round-trips to its own bytes.
      expect(encodeDer(root).equals(der)).toBe(true);
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it("encodes long-form lengths (≥ 128 and ≥ 256 bytes of content)", () => {
    for (const size of [127, 128, 255, 256, 70_000]) {
      const der = Buffer.concat([Buffer.from([0x04]), lengthBytes(size), Buffer.alloc(size, 7)]);
      const node = ASN1Obj.parseBuffer(der);
      expect(encodeDer(node).equals(node.toDER())).toBe(true);
    }
  });

  it("returns a fresh buffer each time and never edits the tree", () => {
    const root = ASN1Obj.parseBuffer(certs[0]!);
    const a = encodeDer(root);
    a.fill(0);
    expect(encodeDer(root).equals(certs[0]!)).toBe(true);
    expect(root.toDER().equals(certs[0]!)).toBe(true);
  });

  it("leaving out one extension equals the library's toDER after splicing it out", () => {
    let checked = 0;
    for (const der of certs) {
      const n = X509Certificate.parse(Buffer.from(der)).extensions.length;
      for (let i = 0; i < n; i++) {
        const ours = X509Certificate.parse(Buffer.from(der));
        const theirs = X509Certificate.parse(Buffer.from(der));
        const omitted = encodeDer(ours.tbsCertificate, ours.extensions[i]);
        theirs.extensions.splice(i, 1);
        expect(omitted.equals(theirs.tbsCertificate.toDER())).toBe(true);
        expect(omitted.length).toBeLessThan(der.length);
        // Ours is untouched.
        expect(ours.extensions.length).toBe(n);
        expect(encodeDer(ours.root).equals(der)).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it("a node left with no children is encoded from its value, as toDER() does", () => {
    // SEQUENCE { SEQUENCE { INTEGER 5 } }: splice out the only inner child.
    const der = Buffer.from([0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x05]);
    const ours = ASN1Obj.parseBuffer(der);
    const theirs = ASN1Obj.parseBuffer(Buffer.from(der));
    const omitted = encodeDer(ours, ours.subs[0]!.subs[0]);
    theirs.subs[0]!.subs.splice(0, 1);
    expect(omitted.equals(theirs.toDER())).toBe(true);
  });
});
