import "reflect-metadata";
import {
  BasicConstraintsExtension,
  ExtendedKeyUsageExtension,
  Extension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectAlternativeNameExtension,
  X509Certificate as PeculiarCertificate,
} from "@peculiar/x509";
import { describe, expect, it } from "vitest";
import { CertificateDecodeError, decodeCertificate } from "../../src/identity/certificate.js";
import {
  decodeBasicConstraintsCA,
  decodeExtendedKeyUsage,
  decodeKeyUsageDigitalSignature,
  decodeSubjectAltName,
  ExtensionDecodeError,
} from "../../src/identity/extensions.js";
import { allCorpusCertificates, CA_USAGE, makeCertificate, usernameSan } from "./helpers.js";

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ""), "hex"));

/** What @peculiar/x509 (the reference decoder) reads from the same certificate. */
function reference(der: Uint8Array) {
  const cert = new PeculiarCertificate(der);
  const san = cert.getExtension(SubjectAlternativeNameExtension);
  const ku = cert.getExtension(KeyUsagesExtension);
  const eku = cert.getExtension(ExtendedKeyUsageExtension);
  const bc = cert.getExtension(BasicConstraintsExtension);
  const names = san?.names.items ?? [];
  return {
    uris: names.filter((n) => n.type === "url").map((n) => n.value),
    emails: names.filter((n) => n.type === "email").map((n) => n.value),
    dns: names.filter((n) => n.type === "dns").map((n) => n.value),
    digitalSignature: ku ? (ku.usages & KeyUsageFlags.digitalSignature) !== 0 : false,
    eku: (eku?.usages ?? []).map(String),
    ca: bc?.ca ?? false,
    serial: cert.serialNumber.toLowerCase(),
  };
}

function ours(der: Uint8Array) {
  const d = decodeCertificate(der);
  return {
    uris: d.san.uris,
    emails: d.san.emails,
    dns: d.san.dns,
    digitalSignature: d.keyUsageDigitalSignature,
    eku: d.extendedKeyUsages,
    ca: d.isCA,
    serial: d.serialNumber,
  };
}

describe("the extension decoders agree with @peculiar/x509", () => {
  it("on every leaf certificate in the corpus", () => {
    const certs = allCorpusCertificates();
    expect(certs.length).toBeGreaterThan(20);
    for (const { file, der } of certs)
      expect(JSON.stringify(ours(der)), file).toBe(JSON.stringify(reference(der)));
  });

  it("on synthetic leaves and CAs: URIs, e-mails, DNS names, usages, constraints", async () => {
    const variants = [
      await makeCertificate(),
      await makeCertificate({ san: { uri: "https://github.com/o/r/.github/workflows/x.yml@r" } }),
      await makeCertificate({
        san: new SubjectAlternativeNameExtension([
          { type: "dns", value: "example.com" },
          { type: "url", value: "https://a.example/1" },
          { type: "url", value: "https://a.example/2" },
          { type: "email", value: "a@example.com" },
          { type: "ip", value: "192.0.2.1" },
        ]),
      }),
      await makeCertificate({ usage: CA_USAGE() }),
      await makeCertificate({
        usage: [
          new KeyUsagesExtension(KeyUsageFlags.keyEncipherment | KeyUsageFlags.dataEncipherment),
          new ExtendedKeyUsageExtension(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.3"]),
          new BasicConstraintsExtension(false),
        ],
      }),
      await makeCertificate({ usage: [new BasicConstraintsExtension(true, 3)] }),
    ];
    for (const der of variants)
      expect(JSON.stringify(ours(der))).toBe(JSON.stringify(reference(der)));
  });
});

describe("decodeSubjectAltName", () => {
  it("reads URIs, e-mails, DNS names and the .7 username; skips other name forms", async () => {
    const der = await makeCertificate({ san: usernameSan("octocat", "https://x.example/") });
    expect(decodeCertificate(der).san).toStrictEqual({
      uris: ["https://x.example/"],
      emails: [],
      otherNames: ["octocat"],
      dns: [],
    });
    // SEQUENCE { [7] IP 192.0.2.1, [2] "a.b" }
    expect(decodeSubjectAltName(hex("300b 8704c0000201 8203612e62"))).toStrictEqual({
      uris: [],
      emails: [],
      otherNames: [],
      dns: ["a.b"],
    });
  });

  it.each([
    ["an empty SEQUENCE", "3000", /needs 1/],
    ["a SET instead of a SEQUENCE", "3103820161", /expected tag 0x30/],
    ["a trailing byte after the SEQUENCE", "3003820161 00", /not DER/],
    ["a non-minimal length", "30820003820161", /not DER/],
    ["a universal (untagged) name", "3003160161", /not context-tagged/],
    ["a constructed URI", "3005a603160161", /constructed/],
    ["a primitive otherName", "3003800161", /not constructed/],
    ["a non-ASCII byte in a URI", "3003860180", /not an IA5String/],
    ["an otherName without its value", "3007a005060300aa01", /malformed otherName/],
  ])("rejects %s", (_what, der, message) => {
    expect(() => decodeSubjectAltName(hex(der))).toThrow(ExtensionDecodeError);
    expect(() => decodeSubjectAltName(hex(der))).toThrow(message);
  });

  it("rejects a .7 username that is not a UTF8String, or not UTF-8", () => {
    // otherName { OID 1.3.6.1.4.1.57264.1.7, [0] { IA5String "a" } }
    const ia5 = "3016 a014 060a2b0601040183bf300107 a006 1604 61626364";
    expect(() => decodeSubjectAltName(hex(ia5))).toThrow(/is not a UTF8String/);
    const badUtf8 = "3014 a012 060a2b0601040183bf300107 a004 0c02 c328";
    expect(() => decodeSubjectAltName(hex(badUtf8))).toThrow(/not valid UTF-8/);
  });

  it("surfaces as a CertificateDecodeError naming the SAN extension", async () => {
    const bad = new Extension("2.5.29.17", false, hex("3003860180"));
    const der = await makeCertificate({ san: bad });
    expect(() => decodeCertificate(der)).toThrow(CertificateDecodeError);
    expect(() => decodeCertificate(der)).toThrow(/2\.5\.29\.17.*not an IA5String/);
  });
});

describe("decodeKeyUsageDigitalSignature", () => {
  it("reads bit 0", () => {
    expect(decodeKeyUsageDigitalSignature(hex("03020780"))).toBe(true);
    expect(decodeKeyUsageDigitalSignature(hex("03020204"))).toBe(false); // keyCertSign only
    expect(decodeKeyUsageDigitalSignature(hex("030100"))).toBe(false); // no bits at all
  });

  it.each([
    ["an OCTET STRING", "04020780"],
    ["8 unused bits", "03020880"],
    ["unused bits with no content", "030107"],
    ["an empty BIT STRING", "0300"],
  ])("rejects %s", (_what, der) => {
    expect(() => decodeKeyUsageDigitalSignature(hex(der))).toThrow(ExtensionDecodeError);
  });
});

describe("decodeExtendedKeyUsage", () => {
  it("reads every purpose in order", () => {
    // SEQUENCE { serverAuth, codeSigning }
    expect(decodeExtendedKeyUsage(hex("3014 06082b06010505070301 06082b06010505070303"))).toEqual([
      "1.3.6.1.5.5.7.3.1",
      "1.3.6.1.5.5.7.3.3",
    ]);
  });

  it("rejects an empty list and a purpose that is not an OID", () => {
    expect(() => decodeExtendedKeyUsage(hex("3000"))).toThrow(/needs 1/);
    expect(() => decodeExtendedKeyUsage(hex("30030c0161"))).toThrow(/KeyPurposeId/);
  });
});

describe("decodeBasicConstraintsCA", () => {
  it("reads cA, defaulting to false", () => {
    expect(decodeBasicConstraintsCA(hex("3000"))).toBe(false);
    expect(decodeBasicConstraintsCA(hex("30030101ff"))).toBe(true);
    expect(decodeBasicConstraintsCA(hex("30060101ff020100"))).toBe(true);
    expect(decodeBasicConstraintsCA(hex("3003020100"))).toBe(false);
  });

  it.each([
    ["a BOOLEAN that is not 00 or ff", "3003010101", /DER BOOLEAN/],
    ["fields out of order", "3006020100010100", /out of order/],
    ["three fields", "30090101ff020100020100", /more than two/],
    ["a pathLen that is not an INTEGER", "30060101ff040100", /pathLenConstraint/],
  ])("rejects %s", (_what, der, message) => {
    expect(() => decodeBasicConstraintsCA(hex(der))).toThrow(message);
  });
});
