/**
 * The @sigstore/core speedups must never change a result: the DER encoder
 * produces exactly the original bytes for every node of real certificates,
 * and the verify memo never lets a cached "true" stand in for a new object.
 */
import { ASN1Obj, X509Certificate } from "@sigstore/core";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  encodeDer,
  installSigstoreSpeedups,
  registerTrustedCertificates,
} from "../../src/sigstore/speedups.js";
import { casePath, loadManifest, trustedRootPath } from "../support/corpus.js";

// Capture the library's own implementation before anything installs the speedups.
const originalToDER = ASN1Obj.prototype.toDER;
const originalVerify = X509Certificate.prototype.verify;

function realCertificates(): Buffer<ArrayBuffer>[] {
  const ders: Buffer<ArrayBuffer>[] = [];
  for (const instance of ["production", "staging"] as const) {
    const root = JSON.parse(readFileSync(trustedRootPath(instance), "utf8")) as {
      certificateAuthorities: { certChain: { certificates: { rawBytes: string }[] } }[];
    };
    for (const ca of root.certificateAuthorities) {
      for (const c of ca.certChain.certificates) ders.push(Buffer.from(c.rawBytes, "base64"));
    }
  }
  for (const c of loadManifest()) {
    for (const f of c.files.filter((f) => f.kind === "attestation")) {
      const att = JSON.parse(readFileSync(casePath(c.case, f.file), "utf8")) as {
        verification_material: { certificate: string };
      };
      ders.push(Buffer.from(att.verification_material.certificate, "base64"));
    }
  }
  return ders;
}

function* nodes(n: ASN1Obj): Generator<ASN1Obj> {
  yield n;
  for (const s of n.subs) yield* nodes(s);
}

describe("encodeDer", () => {
  const certs = realCertificates();

  it("has real certificates to check", () => {
    expect(certs.length).toBeGreaterThan(15);
  });

  it("encodes every node of every real certificate exactly as @sigstore/core does", () => {
    let checked = 0;
    for (const der of certs) {
      const root = ASN1Obj.parseBuffer(der);
      for (const node of nodes(root)) {
        expect(encodeDer(node).equals(originalToDER.call(node))).toBe(true);
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
      expect(encodeDer(node).equals(originalToDER.call(node))).toBe(true);
    }
  });
});

function lengthBytes(n: number): Buffer {
  if (n < 128) return Buffer.from([n]);
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return Buffer.from([0x80 | out.length, ...out]);
}

describe("installSigstoreSpeedups", () => {
  installSigstoreSpeedups();
  const certs = realCertificates();

  it("toDER returns equal bytes, and a fresh copy each time", () => {
    const root = ASN1Obj.parseBuffer(certs[0]!);
    const a = root.toDER();
    const b = root.toDER();
    expect(a.equals(certs[0]!)).toBe(true);
    expect(a).not.toBe(b);
    a.fill(0); // a caller scribbling on its copy...
    expect(root.toDER().equals(certs[0]!)).toBe(true); // ...changes nothing for the next
  });

  it("verify: a cached success never answers for another certificate object", () => {
    // The production Fulcio intermediate is issued by the production root.
    const root = JSON.parse(readFileSync(trustedRootPath("production"), "utf8")) as {
      certificateAuthorities: { certChain: { certificates: { rawBytes: string }[] } }[];
    };
    const chain = root.certificateAuthorities
      .at(-1)!
      .certChain.certificates.map((c) => X509Certificate.parse(Buffer.from(c.rawBytes, "base64")));
    const [intermediate, rootCert] = chain;
    expect(intermediate!.verify(rootCert)).toBe(true);
    expect(intermediate!.verify(rootCert)).toBe(true); // memoised

    // The same bytes with one signature byte flipped: a new object, checked afresh.
    const tampered = Buffer.from(intermediate!.root.toDER());
    tampered[tampered.length - 5]! ^= 0x01;
    const bad = X509Certificate.parse(tampered);
    expect(bad.verify(rootCert)).toBe(false);
    expect(bad.verify(rootCert)).toBe(false);
    // And the good pair is still good.
    expect(intermediate!.verify(rootCert)).toBe(true);
    // A certificate does not verify against an unrelated issuer.
    expect(rootCert!.verify(intermediate)).toBe(false);
  });

  it("toDER always encodes the tree as it is now (the library edits parsed trees)", () => {
    // verifySCTs removes the SCT extension from a clone and re-encodes it.
    const leaf = X509Certificate.parse(certs.at(-1)!);
    const before = leaf.tbsCertificate.toDER();
    const n = leaf.extensions.length;
    leaf.extensions.splice(n - 1, 1);
    const after = leaf.tbsCertificate.toDER();
    expect(after.length).toBeLessThan(before.length);
    expect(after.equals(originalToDER.call(leaf.tbsCertificate))).toBe(true);
  });

  it("memoises verify() only between registered trusted certificates", () => {
    const root = JSON.parse(readFileSync(trustedRootPath("production"), "utf8")) as {
      certificateAuthorities: { certChain: { certificates: { rawBytes: string }[] } }[];
    };
    const parse = () =>
      root.certificateAuthorities
        .at(-1)!
        .certChain.certificates.map((c) =>
          X509Certificate.parse(Buffer.from(c.rawBytes, "base64")),
        );
    const [trustedInt, trustedRoot] = parse();
    const [otherInt, otherRoot] = parse();
    registerTrustedCertificates([trustedInt!, trustedRoot!]);
    // Make the registered pair's memo observable: swap the signature after the first check.
    expect(trustedInt!.verify(trustedRoot)).toBe(true);
    expect(otherInt!.verify(otherRoot)).toBe(true);
    const breakSignature = (c: X509Certificate) => {
      const sig = c.root.subs[2]!.value;
      sig[sig.length - 1]! ^= 0x01;
    };
    breakSignature(trustedInt!);
    breakSignature(otherInt!);
    expect(trustedInt!.verify(trustedRoot)).toBe(true); // memoised: trusted material is never edited
    expect(otherInt!.verify(otherRoot)).toBe(false); // unregistered: checked every time
  });

  it("equals and clone answer as the library's own implementations do", () => {
    const a = certs.map((der) => X509Certificate.parse(Buffer.from(der)));
    const b = certs.map((der) => X509Certificate.parse(Buffer.from(der)));
    for (let i = 0; i < a.length; i++) {
      for (let j = 0; j < b.length; j++) {
        const expected = originalToDER.call(a[i]!.root).equals(originalToDER.call(b[j]!.root));
        expect(a[i]!.equals(b[j]!), `${i} vs ${j}`).toBe(expected);
      }
      const copy = a[i]!.clone();
      expect(copy).not.toBe(a[i]);
      expect(originalToDER.call(copy.root).equals(certs[i]!)).toBe(true);
    }
    // Real certificates differ from each other: the comparison above was not trivially true.
    expect(a[0]!.equals(a.at(-1)!)).toBe(false);
  });

  it("a clone stays editable and is re-encoded as edited; the original is frozen, not stale", () => {
    const leaf = X509Certificate.parse(Buffer.from(certs.at(-1)!));
    const copy = leaf.clone(); // encodes (and freezes) the original
    const n = copy.extensions.length;
    copy.extensions.splice(n - 1, 1); // what verifySCTs does to its clone
    expect(copy.tbsCertificate.toDER().length).toBeLessThan(leaf.tbsCertificate.toDER().length);
    expect(copy.equals(leaf)).toBe(false);
    expect(leaf.equals(X509Certificate.parse(Buffer.from(certs.at(-1)!)))).toBe(true);
    // Editing the memoised original itself is refused instead of leaving stale bytes behind.
    expect(() => leaf.extensions.splice(0, 1)).toThrow(TypeError);
    expect(leaf.root.toDER().equals(certs.at(-1)!)).toBe(true);
  });

  it("clone() of a memoised certificate is the tree parsing its DER gives, with its own bytes", () => {
    const shape = (n: ASN1Obj): unknown => [
      n.tag.toDER(),
      n.value.toString("hex"),
      n.subs.map(shape),
    ];
    for (const der of certs) {
      const cert = X509Certificate.parse(Buffer.from(der));
      const copy = cert.clone();
      expect(shape(copy.root)).toStrictEqual(shape(ASN1Obj.parseBuffer(Buffer.from(der))));
      // Its bytes are its own: scribbling on the copy leaves the original intact.
      copy.signatureValue.fill(0);
      expect(cert.root.toDER().equals(der)).toBe(true);
      // A clone of a clone (an editable tree) is still exact.
      expect(copy.clone().root.toDER().equals(copy.root.toDER())).toBe(true);
    }
  });

  it("a leaf against a trusted issuer is checked every time, with the issuer's key made once", () => {
    const root = JSON.parse(readFileSync(trustedRootPath("production"), "utf8")) as {
      certificateAuthorities: { certChain: { certificates: { rawBytes: string }[] } }[];
    };
    const [intermediate] = root.certificateAuthorities
      .at(-1)!
      .certChain.certificates.map((c) => X509Certificate.parse(Buffer.from(c.rawBytes, "base64")));
    registerTrustedCertificates([intermediate!]);
    // Leaves issued by that intermediate (the corpus's recent production attestations).
    const leaves = certs
      .map((der) => X509Certificate.parse(Buffer.from(der)))
      .filter((c) => c.issuer.equals(intermediate!.subject) && !c.isCA);
    expect(leaves.length).toBeGreaterThan(3);
    let good = 0;
    for (const leaf of leaves) {
      const expected = originalVerify.call(leaf, intermediate);
      expect(leaf.verify(intermediate)).toBe(expected);
      if (expected) good++;
      const tampered = Buffer.from(originalToDER.call(leaf.root));
      tampered[tampered.length - 3]! ^= 0x01;
      expect(X509Certificate.parse(tampered).verify(intermediate)).toBe(false);
    }
    // Most were issued by this intermediate; the others by an older one with
    // the same name, which both implementations must refuse alike.
    expect(good).toBeGreaterThan(3);
    expect(good).toBeLessThan(leaves.length);
  });

  it("installs once", () => {
    const before = ASN1Obj.prototype.toDER;
    installSigstoreSpeedups();
    expect(ASN1Obj.prototype.toDER).toBe(before);
  });
});
