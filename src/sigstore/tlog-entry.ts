/**
 * What pyprov checks in a transparency-log entry beyond @sigstore/verify:
 * the accepted kinds (C3), that the logged body records the attestation's own
 * certificate (C2), and that the inclusion proof agrees with its signed
 * checkpoint (C11).
 */
import { pem } from "@sigstore/core";
import { z } from "zod";
import { CheckFailure } from "../errors.js";
import type { TransparencyLogEntry } from "../pep740/models.js";
import { decodeBase64Strict } from "../pep740/models.js";

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
    signatures: z.array(z.looseObject({ signature: b64, verifier: b64 })).min(1),
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
      signatures: z.array(z.looseObject({ content: b64, verifier: X509Verifier })).min(1),
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
      const parsed = DsseV001Body.safeParse(body);
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
      const parsed = DsseV002Body.safeParse(body);
      if (!parsed.success) return bad(parsed.error.issues[0]?.message ?? "invalid");
      return parsed.data.spec.dsseV002.signatures.map((s) =>
        fromB64(s.verifier.x509Certificate.rawBytes),
      );
    }
    case "hashedrekord 0.0.2": {
      const parsed = HashedRekordV002Body.safeParse(body);
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
