/**
 * The identity policy and signature-over-a-digest checks.
 */
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { buildPolicy, compileAnchoredRegexp } from "../../src/bundle/policy.js";
import { parseDerEcdsaSignature, verifyPrehashed } from "../../src/bundle/prehashed.js";
import { PyprovError } from "../../src/errors.js";
import { Workspace } from "../support/synthetic.js";

const ws = new Workspace();
afterAll(() => ws.cleanup());

describe("--certificate-identity-regexp", () => {
  it("is anchored: the whole value must match", () => {
    const re = compileAnchoredRegexp("https://github\\.com/acme/.*");
    expect(re.test("https://github.com/acme/pkg/.github/workflows/r.yml@refs/tags/v1")).toBe(true);
    expect(re.test("evil https://github.com/acme/x")).toBe(false);
    expect(compileAnchoredRegexp("a|b").test("ab")).toBe(false);
    expect(compileAnchoredRegexp("a|b").test("b")).toBe(true);
  });

  it("cannot escape its anchors, and an invalid pattern is a usage error", () => {
    for (const p of ["a)|(.*", "(", "[a-", "x\\"]) {
      expect(() => compileAnchoredRegexp(p)).toThrow(PyprovError);
    }
  });
});

describe("flags", () => {
  const usage = (o: Parameters<typeof buildPolicy>[0], match: RegExp) =>
    expect(() => buildPolicy(o)).toThrow(
      expect.objectContaining({ code: "USAGE", message: expect.stringMatching(match) }),
    );

  it("need an identity with an issuer, or a key, and never both kinds", () => {
    usage({}, /say who must have signed/);
    usage({ certificateIdentity: "a" }, /--certificate-oidc-issuer is required/);
    usage(
      { certificateIdentity: "a", certificateIdentityRegexp: "b", certificateOidcIssuer: "c" },
      /not both/,
    );
    usage({ key: "k.pem", certificateOidcIssuer: "c" }, /does not combine/);
    usage({ certificateIdentity: " ", certificateOidcIssuer: "c" }, /must not be empty/);
    expect(buildPolicy({ certificateIdentity: "a", certificateOidcIssuer: "c" })).toEqual({
      kind: "certificate",
      identity: { kind: "exact", value: "a" },
      issuer: "c",
    });
  });

  it("--key must be a PEM public key", () => {
    const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const pub = ws.file("pub.pem", publicKey.export({ type: "spki", format: "pem" }));
    expect(buildPolicy({ key: pub })).toMatchObject({
      kind: "key",
      fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const priv = ws.file("priv.pem", privateKey.export({ type: "pkcs8", format: "pem" }));
    usage({ key: priv }, /must be a PEM public key/);
    usage(
      { key: ws.file("bad.pem", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n") },
      /not a usable public key/,
    );
    expect(() => buildPolicy({ key: "/nonexistent.pem" })).toThrow(
      expect.objectContaining({ code: "INPUT_UNREADABLE" }),
    );
  });
});

describe("signatures over a digest", () => {
  const data = Buffer.from("the artifact");
  for (const curve of ["P-256", "P-384", "P-521"] as const) {
    for (const alg of ["sha256", "sha384", "sha512"] as const) {
      it(`ECDSA ${curve} / ${alg}`, () => {
        const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: curve });
        const sig = sign(alg, data, privateKey);
        const digest = createHash(alg).update(data).digest();
        expect(verifyPrehashed(publicKey, digest, alg, sig)).toBe(true);
        const other = createHash(alg).update("other").digest();
        expect(verifyPrehashed(publicKey, other, alg, sig)).toBe(false);
        const flipped = Buffer.from(sig);
        flipped[flipped.length - 1]! ^= 1;
        expect(verifyPrehashed(publicKey, digest, alg, flipped)).toBe(false);
        const otherKey = generateKeyPairSync("ec", { namedCurve: curve }).publicKey;
        expect(verifyPrehashed(otherKey, digest, alg, sig)).toBe(false);
        expect(verifyPrehashed(publicKey, digest.subarray(1), alg, sig)).toBe(false);
      });
    }
  }

  it("RSA PKCS#1 v1.5; Ed25519 and RSA-PSS are unsupported", () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const sig = sign("sha256", data, rsa.privateKey);
    const digest = createHash("sha256").update(data).digest();
    expect(verifyPrehashed(rsa.publicKey, digest, "sha256", sig)).toBe(true);
    expect(
      verifyPrehashed(rsa.publicKey, createHash("sha256").update("x").digest(), "sha256", sig),
    ).toBe(false);
    expect(verifyPrehashed(rsa.publicKey, digest, "sha256", Buffer.alloc(256))).toBe(false);
    const ed = generateKeyPairSync("ed25519").publicKey;
    expect(verifyPrehashed(ed, digest, "sha256", Buffer.alloc(64))).toBe("unsupported");
    const pss = generateKeyPairSync("rsa-pss", { modulusLength: 2048 }).publicKey;
    expect(verifyPrehashed(pss, digest, "sha256", Buffer.alloc(256))).toBe("unsupported");
  });

  it("ECDSA signatures must be strict DER with r, s in range", () => {
    expect(parseDerEcdsaSignature(Buffer.from("3006020101020102", "hex"))).toEqual({
      r: 1n,
      s: 2n,
    });
    for (const hex of [
      "3006020101020102ff", // trailing byte
      "300602010102", // truncated
      "3007020200010201020", // odd
      "30060201ff020102", // negative r
      "300702020001020102", // non-minimal r
      "3080020101020102", // indefinite length
      "",
    ]) {
      expect(parseDerEcdsaSignature(Buffer.from(hex, "hex")), hex).toBeUndefined();
    }
    const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const digest = createHash("sha256").update(data).digest();
    // r = 0 and s = n are out of range.
    expect(
      verifyPrehashed(publicKey, digest, "sha256", Buffer.from("3006020100020101", "hex")),
    ).toBe(false);
  });
});
