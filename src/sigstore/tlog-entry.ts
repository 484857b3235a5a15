/**
 * What pyprov checks in a transparency-log entry beyond @sigstore/verify:
 * the accepted kinds (C3), that the logged body records the attestation's own
 * certificate (C2), and that the inclusion proof agrees with its signed
 * checkpoint (C11).
 */
import { pem } from "@sigstore/core";
import { createPublicKey } from "node:crypto";
import * as z from "zod/mini";
import { CheckFailure } from "../errors.js";
import type { TransparencyLogEntry } from "../pep740/models.js";
import { decodeBase64Strict } from "../pep740/models.js";
import { ENGLISH } from "../util/zod.js"; // English issue messages

/** The log-entry kinds pyprov accepts, each binding the DSSE envelope. */
export const ACCEPTED_ENTRY_KINDS = ["dsse 0.0.1", "dsse 0.0.2", "hashedrekord 0.0.2"] as const;
export type EntryKind = (typeof ACCEPTED_ENTRY_KINDS)[number];

export function entryKind(tle: TransparencyLogEntry): EntryKind {
  const kv = `${tle.kindVersion.kind} ${tle.kindVersion.version}`;
  const found = ACCEPTED_ENTRY_KINDS.find((k) => k === kv);
  if (!found) {
    throw new CheckFailure(
      "TLOG_KIND",
      `unsupported transparency log entry kind "${kv}" (accepted: ${ACCEPTED_ENTRY_KINDS.join(", ")})`,
    );
  }
  return found;
}

const b64 = z.string();
const DsseV001Body = z.looseObject({
  kind: z.literal("dsse"),
  apiVersion: z.literal("0.0.1"),
  spec: z.looseObject({
    signatures: z.array(z.looseObject({ signature: b64, verifier: b64 })).check(z.minLength(1)),
  }),
});
const X509Verifier = z.looseObject({
  x509Certificate: z.looseObject({ rawBytes: b64 }),
});
const DsseV002Body = z.looseObject({
  kind: z.literal("dsse"),
  apiVersion: z.literal("0.0.2"),
  spec: z.looseObject({
    dsseV002: z.looseObject({
      signatures: z
        .array(z.looseObject({ content: b64, verifier: X509Verifier }))
        .check(z.minLength(1)),
    }),
  }),
});
const HashedRekordV002Body = z.looseObject({
  kind: z.literal("hashedrekord"),
  apiVersion: z.literal("0.0.2"),
  spec: z.looseObject({
    hashedRekordV002: z.looseObject({
      signature: z.looseObject({ content: b64, verifier: X509Verifier }),
    }),
  }),
});

function parseBody(tle: TransparencyLogEntry): unknown {
  try {
    return JSON.parse(Buffer.from(tle.canonicalizedBody).toString("utf8")) as unknown;
  } catch {
    throw new CheckFailure("TLOG_BODY", "Rekor entry body is not valid JSON");
  }
}

/** The DER certificate(s) a log entry body records as the verifier. */
export function bodyCertificates(tle: TransparencyLogEntry, kind: EntryKind): Buffer[] {
  const body = parseBody(tle);
  const bad = (what: string): never => {
    throw new CheckFailure("TLOG_BODY", `Rekor entry body is not a valid ${kind} body: ${what}`);
  };
  const fromB64 = (s: string): Buffer => decodeBase64Strict(s) ?? bad("bad base64 in verifier");
  switch (kind) {
    case "dsse 0.0.1": {
      const parsed = DsseV001Body.safeParse(body, ENGLISH);
      if (!parsed.success) return bad(parsed.error.issues[0]?.message ?? "invalid");
      return parsed.data.spec.signatures.map((s) => {
        const pemText = fromB64(s.verifier).toString("utf8");
        if (!pemText.includes("-----BEGIN CERTIFICATE-----"))
          bad("verifier is not a PEM certificate");
        try {
          return pem.toDER(pemText);
        } catch {
          return bad("verifier PEM does not decode");
        }
      });
    }
    case "dsse 0.0.2": {
      const parsed = DsseV002Body.safeParse(body, ENGLISH);
      if (!parsed.success) return bad(parsed.error.issues[0]?.message ?? "invalid");
      return parsed.data.spec.dsseV002.signatures.map((s) =>
        fromB64(s.verifier.x509Certificate.rawBytes),
      );
    }
    case "hashedrekord 0.0.2": {
      const parsed = HashedRekordV002Body.safeParse(body, ENGLISH);
      if (!parsed.success) return bad(parsed.error.issues[0]?.message ?? "invalid");
      return [
        fromB64(parsed.data.spec.hashedRekordV002.signature.verifier.x509Certificate.rawBytes),
      ];
    }
  }
}

/** C2: the log entry must record exactly this certificate, and only it. */
export function checkBodyCertificate(
  tle: TransparencyLogEntry,
  kind: EntryKind,
  certDer: Uint8Array,
): void {
  const certs = bodyCertificates(tle, kind);
  if (certs.length !== 1) {
    throw new CheckFailure(
      "TLOG_CERTIFICATE",
      `Rekor entry records ${certs.length} signatures; expected exactly one`,
    );
  }
  if (!certs[0]!.equals(Buffer.from(certDer))) {
    throw new CheckFailure("TLOG_CERTIFICATE", "Rekor entry does not record this certificate");
  }
}

export interface CheckpointHeader {
  origin: string;
  treeSize: bigint;
  rootHash: Buffer;
}

/** Parse the note header of a signed checkpoint (origin, size, root hash). */
export function parseCheckpointHeader(envelope: string): CheckpointHeader {
  const sep = envelope.indexOf("\n\n");
  if (sep < 0) throw new CheckFailure("TLOG_INCLUSION", "checkpoint has no signature separator");
  const lines = envelope.slice(0, sep).split("\n");
  const [origin, size, root] = lines;
  if (!origin || !size || !root || !/^(0|[1-9][0-9]{0,19})$/.test(size)) {
    throw new CheckFailure("TLOG_INCLUSION", "checkpoint header is malformed");
  }
  const rootHash = decodeBase64Strict(root);
  if (!rootHash || rootHash.length !== 32) {
    throw new CheckFailure("TLOG_INCLUSION", "checkpoint root hash is malformed");
  }
  return { origin, treeSize: BigInt(size), rootHash };
}

/** C11: inclusionProof.rootHash and treeSize must equal the signed checkpoint's. */
export function checkProofConsistency(tle: TransparencyLogEntry): CheckpointHeader | undefined {
  const proof = tle.inclusionProof;
  if (!proof) return undefined;
  const cp = parseCheckpointHeader(proof.checkpoint.envelope);
  if (!cp.rootHash.equals(Buffer.from(proof.rootHash))) {
    throw new CheckFailure(
      "TLOG_PROOF_INCONSISTENT",
      "inclusion proof root hash differs from the signed checkpoint's root hash",
    );
  }
  if (cp.treeSize !== proof.treeSize) {
    throw new CheckFailure(
      "TLOG_PROOF_INCONSISTENT",
      `inclusion proof tree size ${proof.treeSize} differs from the signed checkpoint's size ${cp.treeSize}`,
    );
  }
  return cp;
}

// --- Any Sigstore bundle (pyprov verify-bundle) ------------------------------
// The PEP 740 path above accepts only kinds that bind a DSSE envelope to a
// certificate. A plain Sigstore bundle may also be a message signature
// (hashedrekord 0.0.1), an old-style DSSE entry (intoto 0.0.2), and may be
// signed by a bare public key instead of a certificate.

/** The log-entry kinds `pyprov verify-bundle` accepts (C3 for any bundle). */
export const BUNDLE_ENTRY_KINDS = [
  "dsse 0.0.1",
  "dsse 0.0.2",
  "hashedrekord 0.0.1",
  "hashedrekord 0.0.2",
  "intoto 0.0.2",
] as const;
export type BundleEntryKind = (typeof BUNDLE_ENTRY_KINDS)[number];

/** C3 for any bundle: the entry's kind must be one of {@link BUNDLE_ENTRY_KINDS}. */
export function bundleEntryKind(tle: TransparencyLogEntry): BundleEntryKind {
  const kv = `${tle.kindVersion.kind} ${tle.kindVersion.version}`;
  const found = BUNDLE_ENTRY_KINDS.find((k) => k === kv);
  if (!found) {
    throw new CheckFailure(
      "TLOG_KIND",
      `unsupported transparency log entry kind "${kv}" (accepted: ${BUNDLE_ENTRY_KINDS.join(", ")})`,
    );
  }
  return found;
}

/** What a log entry body names as the signer: a certificate or a bare public key (both DER). */
export type BodyVerifier =
  { type: "certificate"; der: Buffer } | { type: "publicKey"; der: Buffer };

const V2Verifier = z.looseObject({
  x509Certificate: z.optional(z.looseObject({ rawBytes: b64 })),
  publicKey: z.optional(z.looseObject({ rawBytes: b64 })),
});
const AnyDsseV002Body = z.looseObject({
  spec: z.looseObject({
    dsseV002: z.looseObject({
      signatures: z.array(z.looseObject({ verifier: V2Verifier })).check(z.minLength(1)),
    }),
  }),
});
const AnyHashedRekordV002Body = z.looseObject({
  spec: z.looseObject({
    hashedRekordV002: z.looseObject({ signature: z.looseObject({ verifier: V2Verifier }) }),
  }),
});
const HashedRekordV001Body = z.looseObject({
  spec: z.looseObject({
    signature: z.looseObject({ publicKey: z.looseObject({ content: b64 }) }),
  }),
});
const IntotoV002Body = z.looseObject({
  spec: z.looseObject({
    content: z.looseObject({
      envelope: z.looseObject({
        signatures: z.array(z.looseObject({ publicKey: b64 })).check(z.minLength(1)),
      }),
    }),
  }),
});
const AnyDsseV001Body = z.looseObject({
  spec: z.looseObject({
    signatures: z.array(z.looseObject({ verifier: b64 })).check(z.minLength(1)),
  }),
});

/**
 * The signer(s) a log entry body records, for every kind in
 * {@link BUNDLE_ENTRY_KINDS}. Rekor v1 bodies hold a base64 PEM (a
 * CERTIFICATE or a PUBLIC KEY); Rekor v2 bodies hold DER. Throws
 * CheckFailure TLOG_BODY when the body does not have the kind's shape.
 */
export function bodyVerifiers(tle: TransparencyLogEntry, kind: BundleEntryKind): BodyVerifier[] {
  const body = parseBody(tle);
  const bad = (what: string): never => {
    throw new CheckFailure("TLOG_BODY", `Rekor entry body is not a valid ${kind} body: ${what}`);
  };
  const fromB64 = (s: string): Buffer => decodeBase64Strict(s) ?? bad("bad base64 in verifier");
  const fromPem = (s: string): BodyVerifier => {
    const text = fromB64(s).toString("utf8");
    const label = /^\s*-----BEGIN (CERTIFICATE|PUBLIC KEY)-----/.exec(text)?.[1];
    if (!label) return bad("verifier is neither a PEM certificate nor a PEM public key");
    let der: Buffer;
    try {
      der = pem.toDER(text);
    } catch {
      return bad("verifier PEM does not decode");
    }
    return label === "CERTIFICATE" ? { type: "certificate", der } : publicKeyVerifier(der);
  };
  const publicKeyVerifier = (der: Buffer): BodyVerifier => {
    const spki = normalizeSpki(der);
    return spki ? { type: "publicKey", der: spki } : bad("verifier public key does not decode");
  };
  const fromV2 = (v: z.infer<typeof V2Verifier>): BodyVerifier => {
    if (v.x509Certificate) return { type: "certificate", der: fromB64(v.x509Certificate.rawBytes) };
    if (v.publicKey) return publicKeyVerifier(fromB64(v.publicKey.rawBytes));
    return bad("verifier has neither x509Certificate nor publicKey");
  };
  const first = <T>(
    r: { success: true; data: T } | { success: false; error: z.core.$ZodError },
  ): T => (r.success ? r.data : bad(r.error.issues[0]?.message ?? "invalid"));
  switch (kind) {
    case "dsse 0.0.1":
      return first(AnyDsseV001Body.safeParse(body, ENGLISH)).spec.signatures.map((s) =>
        fromPem(s.verifier),
      );
    case "dsse 0.0.2":
      return first(AnyDsseV002Body.safeParse(body, ENGLISH)).spec.dsseV002.signatures.map((s) =>
        fromV2(s.verifier),
      );
    case "hashedrekord 0.0.1":
      return [
        fromPem(
          first(HashedRekordV001Body.safeParse(body, ENGLISH)).spec.signature.publicKey.content,
        ),
      ];
    case "hashedrekord 0.0.2":
      return [
        fromV2(
          first(AnyHashedRekordV002Body.safeParse(body, ENGLISH)).spec.hashedRekordV002.signature
            .verifier,
        ),
      ];
    case "intoto 0.0.2":
      return first(IntotoV002Body.safeParse(body, ENGLISH)).spec.content.envelope.signatures.map(
        (s) => fromPem(s.publicKey),
      );
  }
}

/**
 * C2 for any bundle: the entry records exactly one signer, and it is this
 * certificate (DER-equal) or this public key (SubjectPublicKeyInfo DER-equal).
 */
export function checkBodyVerifier(
  tle: TransparencyLogEntry,
  kind: BundleEntryKind,
  expected: BodyVerifier,
): void {
  const found = bodyVerifiers(tle, kind);
  if (found.length !== 1) {
    throw new CheckFailure(
      "TLOG_CERTIFICATE",
      `Rekor entry records ${found.length} signatures; expected exactly one`,
    );
  }
  const got = found[0]!;
  const what = expected.type === "certificate" ? "certificate" : "public key";
  if (got.type !== expected.type) {
    throw new CheckFailure(
      "TLOG_CERTIFICATE",
      `Rekor entry records a ${got.type === "certificate" ? "certificate" : "public key"}, not this ${what}`,
    );
  }
  if (!got.der.equals(expected.der)) {
    throw new CheckFailure("TLOG_CERTIFICATE", `Rekor entry does not record this ${what}`);
  }
}

/** SubjectPublicKeyInfo DER re-encoded by node:crypto (one encoding per key), or undefined. */
export function normalizeSpki(der: Uint8Array): Buffer | undefined {
  try {
    return createPublicKey({ key: Buffer.from(der), format: "der", type: "spki" }).export({
      type: "spki",
      format: "der",
    });
  } catch {
    return undefined;
  }
}

/**
 * The log fields a report may state: only what is signed. The top-level
 * logIndex and integratedTime are covered by a SET (Rekor v1); without one,
 * the index comes from the inclusion proof and there is no integrated time.
 */
export function signedLogFields(tle: TransparencyLogEntry): {
  logIndex: string;
  logId: string;
  integratedTime: Date | undefined;
} {
  const hasSet = tle.inclusionPromise !== undefined;
  return {
    logIndex: hasSet
      ? tle.logIndex.toString()
      : (tle.inclusionProof?.logIndex.toString() ?? tle.logIndex.toString()),
    logId: Buffer.from(tle.logId.keyId).toString("hex"),
    integratedTime:
      hasSet && tle.integratedTime && tle.integratedTime > 0n
        ? new Date(Number(tle.integratedTime) * 1000)
        : undefined,
  };
}
