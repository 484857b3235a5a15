import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AttestationSchema, decodeBase64Strict, isStrictBase64 } from "../../src/pep740/models.js";

/** The rule as a regular expression: what isStrictBase64 must accept, exactly. */
const RULE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

describe("isStrictBase64", () => {
  it.each([
    ["", true],
    ["QQ", true],
    ["QQ==", true],
    ["QUI", true],
    ["QUI=", true],
    ["QUJD", true],
    ["QUJDRA==", true],
    ["Q", false],
    ["Q===", false],
    ["QQ=", false],
    ["QUI==", false],
    ["QUJD=", false],
    ["==", false],
    ["=", false],
    ["QU=I", false],
    ["QUJD\n", false],
    ["QUJ-", false], // base64url is not standard base64
    ["QUJ_", false],
    ["QUJ\u00e9", false],
  ])("%j -> %s", (s, ok) => {
    expect(isStrictBase64(s)).toBe(ok);
    expect(RULE.test(s)).toBe(ok);
  });

  it("accepts exactly what the rule's regular expression accepts", () => {
    const chars = fc.constantFrom(..."AZaz09+/=-_ \n.é".split(""));
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 14 }), (cs) => {
        const s = cs.join("");
        expect(isStrictBase64(s)).toBe(RULE.test(s));
      }),
      { numRuns: 20_000 },
    );
  });

  it("round-trips every encoding Node produces, with and without padding", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const b64 = Buffer.from(bytes).toString("base64");
        for (const s of [b64, b64.replace(/=+$/, "")]) {
          expect(decodeBase64Strict(s)?.equals(Buffer.from(bytes))).toBe(true);
        }
      }),
    );
  });

  it("is what the attestation model applies to its byte fields", () => {
    const withCertificate = (certificate: string) => ({
      version: 1,
      verification_material: {
        certificate,
        transparency_entries: [{}],
      },
      envelope: { statement: "QQ==", signature: "QQ==" },
    });
    const issues = (v: unknown) =>
      AttestationSchema.safeParse(v).error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    expect(issues(withCertificate("QQ="))).toContain(
      "verification_material.certificate: not valid base64",
    );
    expect(issues(withCertificate("QQ=="))).not.toContain(
      "verification_material.certificate: not valid base64",
    );
  });
});
