import "reflect-metadata";
import {
  ExtendedKeyUsageExtension,
  Extension,
  KeyUsageFlags,
  KeyUsagesExtension,
} from "@peculiar/x509";
import { ASN1Obj } from "@sigstore/core";
import { X509Certificate as NodeX509Certificate } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import {
  CertificateDecodeError,
  certificateDerFromPem,
  checkLeafUsage,
  decodeCertificate,
  decodeDerUtf8String,
  decodeFulcioExtension,
  primaryIdentity,
  serialHex,
  type DecodedCertificate,
  type FulcioClaims,
} from "../../src/identity/certificate.js";
import { fulcioOid, fulcioOidInfo } from "../../src/identity/oids.js";
import { loadManifest, readCaseFile } from "../support/corpus.js";
import {
  CA_USAGE,
  caseCertificates,
  derUtf8,
  fulcioExt,
  makeCertificate,
  usernameSan,
} from "./helpers.js";

const NO_REF_CASE = "tob-cert-no-source-repository-ref-extension";
const GOOGLE_CASE = "pypi-gcb_attestation_test-0.0.0-sdist-pypi-provenance";

function decodeError(fn: () => unknown): CertificateDecodeError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CertificateDecodeError) return err;
    throw new Error(`expected a CertificateDecodeError, got ${String(err)}`, { cause: err });
  }
  throw new Error("expected a CertificateDecodeError, nothing was thrown");
}

describe("decodeCertificate on every real certificate in the corpus", () => {
  const cases = loadManifest();

  it("finds a certificate in every case", () => {
    expect(cases.length).toBeGreaterThanOrEqual(18);
    for (const c of cases) expect(caseCertificates(c.case).length, c.case).toBeGreaterThan(0);
  });

  describe.each(cases.map((c) => [c.case, c] as const))("%s", (caseName, manifestCase) => {
    const certs = caseCertificates(caseName);

    it("decodes exactly the Fulcio extensions MANIFEST.json lists, with the same values", () => {
      for (const { file, der } of certs) {
        const decoded = decodeCertificate(der);
        expect(decoded.fulcioExtensions, file).toStrictEqual(manifestCase.certificate_extensions);
      }
    });

    it("maps every extension to its named claim, and the issuer and SAN to the manifest's", () => {
      for (const { file, der } of certs) {
        const decoded = decodeCertificate(der);
        const expectedClaims: FulcioClaims = {};
        for (const [oid, value] of Object.entries(manifestCase.certificate_extensions)) {
          const key = fulcioOidInfo(oid)?.key;
          expect(key, `${file} ${oid}`).toBeDefined();
          if (key) expectedClaims[key] = value;
        }
        expect({ ...decoded.claims, issuer: undefined }, file).toStrictEqual({
          ...expectedClaims,
          issuer: undefined,
        });
        expect(decoded.claims.issuer, file).toBe(manifestCase.oidc_issuer);
        expect(primaryIdentity(decoded), file).toBe(manifestCase.identity);
      }
    });

    it("is a code-signing leaf (C4) from the Sigstore intermediate", () => {
      for (const { file, der } of certs) {
        const decoded = decodeCertificate(der);
        expect(checkLeafUsage(decoded), file).toBeUndefined();
        expect(decoded.keyUsageDigitalSignature).toBe(true);
        expect(decoded.extendedKeyUsages).toStrictEqual(["1.3.6.1.5.5.7.3.3"]);
        expect(decoded.isCA).toBe(false);
        expect(decoded.issuer).toBe("O=sigstore.dev, CN=sigstore-intermediate");
        expect(decoded.subject).toBe("");
        expect(decoded.notAfter.getTime() - decoded.notBefore.getTime()).toBe(10 * 60 * 1000);
        expect(decoded.der).toStrictEqual(new Uint8Array(der));
      }
    });
  });

  it("reads serial number and validity of the no-source-repository-ref certificate", () => {
    const [cert] = caseCertificates(NO_REF_CASE);
    const d = decodeCertificate(cert!.der);
    expect(d.serialNumber).toBe("26b35bd7bef2e1349fa35b7cfe688ca2c29ac69c");
    expect(d.notBefore.toISOString()).toBe("2025-04-03T15:13:04.000Z");
    expect(d.notAfter.toISOString()).toBe("2025-04-03T15:23:04.000Z");
    expect(d.claims.sourceRepositoryRef).toBeUndefined();
    expect(d.fulcioExtensions).not.toHaveProperty(fulcioOid(14));
    expect(d.claims.sourceRepositoryDigest).toBe("a26eb006d04dd0c41a6e38dc15ddaf7b46143505");
  });

  it("reads a Google service-account SAN as an e-mail, not a URI", () => {
    const d = decodeCertificate(caseCertificates(GOOGLE_CASE)[0]!.der);
    expect(d.san).toStrictEqual({
      uris: [],
      emails: ["919436158236-compute@developer.gserviceaccount.com"],
      otherNames: [],
      dns: [],
    });
  });

  it("keeps GitLab's double slash in the SAN and build config URI", () => {
    const d = decodeCertificate(caseCertificates("tob-gitlab_oidc_project-0.0.3-sdist")[0]!.der);
    expect(d.san.uris).toStrictEqual([
      "https://gitlab.com/facutuesca/gitlab-oidc-project//.gitlab-ci.yml@refs/heads/main",
    ]);
    expect(d.claims.buildConfigUri).toBe(d.san.uris[0]);
    expect(d.claims.githubWorkflowRepository).toBeUndefined();
  });

  it("decodes the PEM with text before it like the base64 DER of the same case", () => {
    const pem = readCaseFile(GOOGLE_CASE, "200170367.pem").toString("utf8");
    const [fromPem, fromProvenance] = caseCertificates(GOOGLE_CASE);
    expect(certificateDerFromPem(pem)).toStrictEqual(fromPem!.der);
    expect(fromPem!.der).toStrictEqual(fromProvenance!.der);
  });
});

describe("decodeCertificate on synthetic certificates", () => {
  let plain: DecodedCertificate;
  beforeAll(async () => {
    plain = decodeCertificate(await makeCertificate({ san: { email: "a@example.com" } }));
  });

  it("reads the .7 username otherName that @peculiar/x509 drops, next to a URI", async () => {
    const d = decodeCertificate(
      await makeCertificate({ san: usernameSan("alice", "https://example.com/x") }),
    );
    expect(d.san).toStrictEqual({
      uris: ["https://example.com/x"],
      emails: [],
      otherNames: ["alice"],
      dns: [],
    });
    const only = decodeCertificate(await makeCertificate({ san: usernameSan("bob") }));
    expect(only.san.otherNames).toStrictEqual(["bob"]);
    expect(primaryIdentity(only)).toBe("bob");
  });

  it("ignores an otherName of another type (a UPN)", async () => {
    const d = decodeCertificate(
      await makeCertificate({
        san: usernameSan("carol@corp", "https://example.com/y", "1.3.6.1.4.1.311.20.2.3"),
      }),
    );
    expect(d.san).toStrictEqual({
      uris: ["https://example.com/y"],
      emails: [],
      otherNames: [],
      dns: [],
    });
  });

  it("chooses the decoder by OID: a DER-looking .1 value stays raw text", async () => {
    const d = decodeCertificate(
      await makeCertificate({ extensions: [fulcioExt(1, derUtf8("https://issuer.example"))] }),
    );
    expect(d.claims.issuerV1).toBe("\x0c\x16https://issuer.example");
    expect(d.claims.issuer).toBe(d.claims.issuerV1);
  });

  it("prefers .8 over .1 for the issuer", async () => {
    const d = decodeCertificate(
      await makeCertificate({
        extensions: [fulcioExt(1, "https://one"), fulcioExt(8, "https://eight")],
      }),
    );
    expect(d.claims).toMatchObject({
      issuer: "https://eight",
      issuerV1: "https://one",
      issuerV2: "https://eight",
    });
  });

  it("decodes .23 (deployment environment) and .24 (token subject)", async () => {
    const d = decodeCertificate(
      await makeCertificate({
        extensions: [fulcioExt(23, "pypi"), fulcioExt(24, "repo:o/n:environment:pypi")],
      }),
    );
    expect(d.claims.deploymentEnvironment).toBe("pypi");
    expect(d.claims.tokenSubject).toBe("repo:o/n:environment:pypi");
    expect(d.fulcioExtensions[fulcioOid(23)]).toBe("pypi");
  });

  it("rejects a raw (non-DER) .8 value and names the OID", async () => {
    const der = await makeCertificate({
      extensions: [
        fulcioExt(8, new TextEncoder().encode("https://token.actions.githubusercontent.com")),
      ],
    });
    const err = decodeError(() => decodeCertificate(der));
    expect(err.oid).toBe("1.3.6.1.4.1.57264.1.8");
    expect(err.message).toContain("1.3.6.1.4.1.57264.1.8 (Issuer (V2))");
    expect(err.message).toContain("not a DER UTF8String");
  });

  it("rejects a DER .12 with a trailing byte", async () => {
    const bytes = new Uint8Array([...derUtf8("https://github.com/a/b"), 0]);
    const der = await makeCertificate({ extensions: [fulcioExt(12, bytes)] });
    const err = decodeError(() => decodeCertificate(der));
    expect(err.oid).toBe(fulcioOid(12));
    expect(err.message).toContain("1 trailing byte(s)");
  });

  it("rejects invalid UTF-8 in a raw .1 and in a .9 UTF8String", async () => {
    const raw = await makeCertificate({ extensions: [fulcioExt(1, new Uint8Array([0x68, 0xff]))] });
    expect(decodeError(() => decodeCertificate(raw)).oid).toBe(fulcioOid(1));
    const der = await makeCertificate({
      extensions: [fulcioExt(9, new Uint8Array([0x0c, 0x02, 0xc3, 0x28]))],
    });
    const err = decodeError(() => decodeCertificate(der));
    expect(err.oid).toBe(fulcioOid(9));
    expect(err.message).toContain("not valid UTF-8");
  });

  it("keeps unknown arcs above .24: UTF8String as text, anything else as hex", async () => {
    const d = decodeCertificate(
      await makeCertificate({
        extensions: [
          fulcioExt(25, derUtf8("future claim")),
          fulcioExt(26, new Uint8Array([0x04, 0x01, 0xab])),
        ],
      }),
    );
    expect(d.fulcioExtensions[fulcioOid(25)]).toBe("future claim");
    expect(d.fulcioExtensions[fulcioOid(26)]).toBe("0401ab");
    expect(Object.values(d.claims)).not.toContain("future claim");
  });

  it("ignores extensions outside the Fulcio arc", async () => {
    const d = decodeCertificate(
      await makeCertificate({
        extensions: [new Extension("1.3.6.1.4.1.57264.2", false, derUtf8("x"))],
      }),
    );
    expect(d.fulcioExtensions).toStrictEqual({});
  });

  it("rejects a repeated Fulcio extension", async () => {
    const der = await makeCertificate({
      extensions: [fulcioExt(12, "https://a"), fulcioExt(12, "https://b")],
    });
    const err = decodeError(() => decodeCertificate(der));
    expect(err.message).toContain("appears more than once");
    expect(err.oid).toBe(fulcioOid(12));
  });

  it("rejects bytes after the certificate and non-certificates", () => {
    const der = plain.der;
    expect(decodeError(() => decodeCertificate(new Uint8Array([...der, 0]))).message).toContain(
      "trailing",
    );
    expect(() => decodeCertificate(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]))).toThrow(
      CertificateDecodeError,
    );
    expect(() => decodeCertificate(new Uint8Array([]))).toThrow(CertificateDecodeError);
  });
});

describe("serial numbers and names", () => {
  it("serialHex prints a serial as OpenSSL does: whole bytes, no sign padding, - when negative", () => {
    const hex = (h: string) => serialHex(Buffer.from(h, "hex"));
    expect(hex("01")).toBe("01");
    expect(hex("0a1b2c")).toBe("0a1b2c");
    expect(hex("00f1e2")).toBe("f1e2"); // the 00 only keeps a positive value positive
    expect(hex("0000f1")).toBe("f1");
    expect(hex("7f")).toBe("7f");
    expect(hex("ff")).toBe("-01");
    expect(hex("80")).toBe("-80");
    expect(hex("ff00")).toBe("-0100");
    expect(() => serialHex(new Uint8Array())).toThrow();
  });

  it("agrees with OpenSSL's own rendering of synthetic serials, issuer and subject", async () => {
    for (const serialNumber of [
      "01",
      "7f",
      "00f1e2d3c4",
      "26b35bd7bef2e1349fa35b7cfe688ca2c29ac69c",
    ]) {
      const der = await makeCertificate({ serialNumber });
      const openssl = new NodeX509Certificate(der);
      const d = decodeCertificate(der);
      expect(d.serialNumber, serialNumber).toBe(openssl.serialNumber.toLowerCase());
      expect(d.issuer).toBe(openssl.issuer.split("\n").join(", "));
      expect(d.subject).toBe(openssl.subject.split("\n").join(", "));
    }
  });

  it("renders names only when read: a certificate OpenSSL refuses fails there, not before", async () => {
    const der = Buffer.from(await makeCertificate());
    // Signature BIT STRING with 8 unused bits: @sigstore/core does not look, OpenSSL refuses.
    const signature = ASN1Obj.parseBuffer(Buffer.from(der)).subs[2]!;
    const at = der.length - signature.value.length;
    expect(der[at]).toBe(0);
    der[at] = 8;
    expect(() => new NodeX509Certificate(der)).toThrow();
    const d = decodeCertificate(der);
    expect(d.san.emails).toEqual(["someone@example.com"]);
    expect(() => d.issuer).toThrow(CertificateDecodeError);
    expect(() => d.subject).toThrow(/certificate names cannot be rendered/);
  });
});

describe("decodeDerUtf8String and decodeFulcioExtension", () => {
  const bytes = (...b: number[]) => new Uint8Array(b);
  const ascii = (s: string) => [...new TextEncoder().encode(s)];

  it("accepts exactly one DER UTF8String", () => {
    expect(decodeDerUtf8String(bytes(0x0c, 0x04, ...ascii("pypi")))).toStrictEqual({
      ok: true,
      value: "pypi",
    });
    expect(decodeDerUtf8String(bytes(0x0c, 0x00))).toStrictEqual({ ok: true, value: "" });
  });

  it.each([
    ["a non-minimal length", bytes(0x0c, 0x81, 0x04, ...ascii("pypi")), "not DER"],
    ["a PrintableString", bytes(0x13, 0x04, ...ascii("pypi")), "not a UTF8String"],
    [
      "an ASN.1 DATE (an asn1js Utf8String subclass)",
      bytes(0x1f, 0x1f, 0x0a, ...ascii("2025-01-01")),
      "not a UTF8String",
    ],
    [
      "a constructed UTF8String",
      bytes(0x2c, 0x06, 0x0c, 0x04, ...ascii("pypi")),
      "not a UTF8String",
    ],
    ["a truncated value", bytes(0x0c, 0x05, ...ascii("pypi")), "value is truncated"],
    ["trailing bytes", bytes(0x0c, 0x01, 0x61, 0x00, 0x00), "2 trailing byte(s)"],
  ])("rejects %s", (_label, input, reason) => {
    const r = decodeDerUtf8String(input);
    expect(r.ok).toBe(false);
    expect(r.ok ? "" : r.reason).toContain(reason);
  });

  it("decodes .2 as raw UTF-8 including non-ASCII and rejects DER for .20", () => {
    expect(decodeFulcioExtension(fulcioOid(2), new TextEncoder().encode("relé"))).toBe("relé");
    expect(() => decodeFulcioExtension(fulcioOid(20), new TextEncoder().encode("push"))).toThrow(
      /1\.3\.6\.1\.4\.1\.57264\.1\.20 \(Build Trigger\) is not a DER UTF8String/,
    );
  });
});

describe("checkLeafUsage (C4)", () => {
  it("names every missing usage of a CA certificate", async () => {
    const d = decodeCertificate(await makeCertificate({ usage: CA_USAGE() }));
    expect(d.isCA).toBe(true);
    const reason = checkLeafUsage(d);
    expect(reason).toContain("digitalSignature");
    expect(reason).toContain("codeSigning (1.3.6.1.5.5.7.3.3); found: none");
    expect(reason).toContain("CA");
    expect(reason).not.toContain("\n");
  });

  it("fails a leaf whose EKU is serverAuth only", async () => {
    const d = decodeCertificate(
      await makeCertificate({
        usage: [
          new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
          new ExtendedKeyUsageExtension(["1.3.6.1.5.5.7.3.1"]),
        ],
      }),
    );
    expect(checkLeafUsage(d)).toBe(
      "leaf certificate: extended key usage does not include codeSigning (1.3.6.1.5.5.7.3.3); found: 1.3.6.1.5.5.7.3.1",
    );
  });

  it("fails a leaf whose key usage lacks digitalSignature", async () => {
    const d = decodeCertificate(
      await makeCertificate({
        usage: [
          new KeyUsagesExtension(KeyUsageFlags.keyEncipherment, true),
          new ExtendedKeyUsageExtension(["1.3.6.1.5.5.7.3.3"]),
        ],
      }),
    );
    expect(d.keyUsageDigitalSignature).toBe(false);
    expect(checkLeafUsage(d)).toMatch(
      /^leaf certificate: key usage does not include digitalSignature/,
    );
  });

  it("passes a synthetic Fulcio-shaped leaf", async () => {
    expect(checkLeafUsage(decodeCertificate(await makeCertificate()))).toBeUndefined();
  });
});

describe("certificateDerFromPem", () => {
  it("rejects zero or two blocks and bad base64", () => {
    const block = "-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n";
    expect(certificateDerFromPem(`junk\n${block}`)).toStrictEqual(
      new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]),
    );
    expect(() => certificateDerFromPem("no pem here")).toThrow(/found 0/);
    expect(() => certificateDerFromPem(block + block)).toThrow(/found 2/);
    expect(() => certificateDerFromPem(block.replace("MAMCAQE=", "MAMCAQE"))).toThrow(/base64/);
  });
});
