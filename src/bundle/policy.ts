/**
 * Who must have signed a bundle: a Fulcio identity (exact SAN, or an anchored
 * regular expression, plus the exact OIDC issuer), or a public key (--key).
 *
 * Identities are compared against the decoded certificate
 * (src/identity/certificate.ts), never through @sigstore/verify's policy,
 * whose string SAN is an unanchored RegExp.
 */
import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import { CheckFailure, PyprovError } from "../errors.js";
import { sanValues, type DecodedCertificate } from "../identity/certificate.js";
import { readInputFile } from "../util/read-input.js";

export type IdentityMatcher =
  { kind: "exact"; value: string } | { kind: "regexp"; pattern: string; regexp: RegExp };

export type BundlePolicy =
  | { kind: "certificate"; identity: IdentityMatcher; issuer: string }
  | { kind: "key"; key: KeyObject; spki: Buffer; fingerprint: string; source: string };

export interface PolicyOptions {
  certificateIdentity?: string | undefined;
  certificateIdentityRegexp?: string | undefined;
  certificateOidcIssuer?: string | undefined;
  key?: string | undefined;
}

const MAX_KEY_FILE_BYTES = 64 * 1024;

/**
 * Compile a user's pattern so that it must match a whole value:
 * `^(?:PATTERN)$`. The pattern is first compiled on its own, so that it
 * cannot close the group and escape the anchors (e.g. `a)|(.*`).
 */
export function compileAnchoredRegexp(pattern: string): RegExp {
  try {
    new RegExp(pattern);
    return new RegExp(`^(?:${pattern})$`);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new PyprovError(
      "USAGE",
      `--certificate-identity-regexp is not a valid regular expression: ${reason}`,
    );
  }
}

/** sha256 of the SubjectPublicKeyInfo DER, hex: how keys are named in output. */
export function keyFingerprint(spki: Buffer): string {
  return createHash("sha256").update(spki).digest("hex");
}

export function loadPublicKey(path: string): BundlePolicy & { kind: "key" } {
  const text = readInputFile(path, MAX_KEY_FILE_BYTES).toString("utf8");
  if (!/-----BEGIN PUBLIC KEY-----/.test(text)) {
    throw new PyprovError("USAGE", "--key must be a PEM public key (-----BEGIN PUBLIC KEY-----)", {
      source: path,
    });
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: text, format: "pem" });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new PyprovError("USAGE", `--key is not a usable public key: ${reason}`, {
      source: path,
    });
  }
  const spki = key.export({ type: "spki", format: "der" });
  return { kind: "key", key, spki, fingerprint: keyFingerprint(spki), source: path };
}

/** Turn the flags into a policy; every misuse is a USAGE error (exit 2). */
export function buildPolicy(o: PolicyOptions): BundlePolicy {
  const given = (v: string | undefined, flag: string): string | undefined => {
    if (v === undefined) return undefined;
    if (v.trim() === "") throw new PyprovError("USAGE", `${flag} must not be empty`);
    return v;
  };
  const identity = given(o.certificateIdentity, "--certificate-identity");
  const regexp = given(o.certificateIdentityRegexp, "--certificate-identity-regexp");
  const issuer = given(o.certificateOidcIssuer, "--certificate-oidc-issuer");
  const key = given(o.key, "--key");
  if (key !== undefined) {
    if (identity !== undefined || regexp !== undefined || issuer !== undefined) {
      throw new PyprovError(
        "USAGE",
        "--key verifies a public-key bundle; it does not combine with --certificate-identity[-regexp] or --certificate-oidc-issuer",
      );
    }
    return loadPublicKey(key);
  }
  if (identity !== undefined && regexp !== undefined) {
    throw new PyprovError(
      "USAGE",
      "give --certificate-identity or --certificate-identity-regexp, not both",
    );
  }
  if (identity === undefined && regexp === undefined) {
    throw new PyprovError(
      "USAGE",
      "say who must have signed: --certificate-identity (or --certificate-identity-regexp) with --certificate-oidc-issuer, or --key",
    );
  }
  if (issuer === undefined) {
    throw new PyprovError(
      "USAGE",
      "--certificate-oidc-issuer is required with a certificate identity",
    );
  }
  const matcher: IdentityMatcher =
    identity !== undefined
      ? { kind: "exact", value: identity }
      : { kind: "regexp", pattern: regexp!, regexp: compileAnchoredRegexp(regexp!) };
  return { kind: "certificate", identity: matcher, issuer };
}

/** Identity check on a decoded certificate: any SAN value matching; the issuer (.8, else .1) exactly equal. */
export function checkIdentity(cert: DecodedCertificate, matcher: IdentityMatcher): string {
  const values = sanValues(cert);
  const match =
    matcher.kind === "exact"
      ? values.find((v) => v === matcher.value)
      : values.find((v) => matcher.regexp.test(v));
  if (match === undefined) {
    const expected =
      matcher.kind === "exact" ? `"${matcher.value}"` : `a match for /^(?:${matcher.pattern})$/`;
    const got = values.length ? values.map((v) => `"${v}"`).join(", ") : "no identity";
    throw new CheckFailure(
      "EXPECTATION_MISMATCH",
      `certificate identity does not match: expected ${expected}, certificate has ${got}`,
    );
  }
  return match;
}

export function checkIssuer(cert: DecodedCertificate, issuer: string): string {
  const got = cert.claims.issuer;
  if (got !== issuer) {
    throw new CheckFailure(
      "EXPECTATION_MISMATCH",
      `certificate OIDC issuer does not match: expected "${issuer}", certificate has ${got === undefined ? "none" : `"${got}"`}`,
    );
  }
  return got;
}
