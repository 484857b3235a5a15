/**
 * Verifying any Sigstore bundle against an artifact and a policy
 * (`pyprov verify-bundle`).
 *
 * @sigstore/verify checks time (SET or RFC 3161), the --key key, the log
 * entries (SET, inclusion proof, checkpoint, body against the signature) and
 * the signature; pyprov's own code the Fulcio chain and SCT, by the library's
 * rules (src/sigstore/entity-verifier.ts). pyprov adds: accepted
 * entry kinds (C3), the entry records this certificate or key (C2),
 * proof/checkpoint consistency (C11), leaf usage (C4), the artifact binding
 * (message digest, or an in-toto subject for DSSE) and the identity policy,
 * compared exactly on the decoded certificate.
 *
 * Every step runs and is reported; the first failed step is the reason.
 * Nothing here throws except a PyprovError when no verdict is possible
 * (e.g. a digest-only artifact for an Ed25519 message signature).
 */
import { toSignedEntity, type SignedEntity, type TrustMaterial } from "@sigstore/verify";
import { HashAlgorithm } from "@sigstore/protobuf-specs";
import { CheckFailure, PyprovError, type FailureCode } from "../errors.js";
import {
  checkLeafUsage,
  decodeCertificate,
  primaryIdentity,
  sanValues,
} from "../identity/certificate.js";
import type { TransparencyLogEntry } from "../pep740/models.js";
import { SignedEntityVerifier } from "../sigstore/entity-verifier.js";
import {
  bundleEntryKind,
  checkBodyVerifier,
  checkProofConsistency,
  normalizeSpki,
  signedLogFields,
  type BodyVerifier,
} from "../sigstore/tlog-entry.js";
import type { LoadedTrustRoot } from "../sigstore/trust-root.js";
import {
  collectVerifiedTimes,
  translateSigstoreError,
  type VerifiedTime,
} from "../sigstore/verifier.js";
import type { ResolvedArtifact } from "./artifact.js";
import type { LoadedBundle } from "./load.js";
import { checkIdentity, checkIssuer, type BundlePolicy } from "./policy.js";
import { verifyPrehashed, type DigestAlgorithm } from "./prehashed.js";
import { matchStatementSubject, type MatchedStatement } from "./statement.js";

export type BundleStepId =
  | "signer-type"
  | "tlog-kind"
  | "artifact"
  | "sigstore"
  | "tlog-signer"
  | "tlog-proof-consistency"
  | "certificate-usage"
  | "identity"
  | "issuer";

export interface BundleStep {
  id: BundleStepId;
  ok: boolean;
  code?: FailureCode;
  message: string;
}

export type BundleSigner =
  | {
      type: "certificate";
      identity: string | undefined;
      sans: string[];
      issuer: string | undefined;
    }
  | { type: "publicKey"; fingerprint: string };

export interface BundleLogEntry {
  kind: string;
  logIndex: string;
  logId: string;
  integratedTime: Date | undefined;
  checkpointOrigin: string | undefined;
}

export interface BundleVerification {
  verified: boolean;
  failure: { code: FailureCode; message: string } | undefined;
  steps: BundleStep[];
  signer: BundleSigner | undefined;
  verifiedTimes: VerifiedTime[];
  logEntries: BundleLogEntry[];
  statement: MatchedStatement | undefined;
  /** How the message signature was checked: over the bytes, or over the digest. */
  signatureOver: "artifact" | "digest" | "dsse-envelope";
}

const DIGEST_ALGORITHMS: Partial<Record<HashAlgorithm, DigestAlgorithm>> = {
  [HashAlgorithm.HASH_ALGORITHM_UNSPECIFIED]: "sha256",
  [HashAlgorithm.SHA2_256]: "sha256",
  [HashAlgorithm.SHA2_384]: "sha384",
  [HashAlgorithm.SHA2_512]: "sha512",
};

/** The digest algorithm a message-signature bundle signs (PyprovError when pyprov cannot hash it). */
export function messageDigestAlgorithm(loaded: LoadedBundle): DigestAlgorithm | undefined {
  const content = loaded.bundle.content;
  if (content.$case !== "messageSignature") return undefined;
  const algorithm = content.messageSignature.messageDigest?.algorithm;
  const alg = algorithm === undefined ? "sha256" : DIGEST_ALGORITHMS[algorithm];
  if (!alg) {
    throw new PyprovError(
      "INPUT_MALFORMED",
      `bundle signs a ${HashAlgorithm[algorithm!] ?? "unknown"} digest, which pyprov does not support (SHA2-256/384/512 only)`,
      { source: loaded.source },
    );
  }
  return alg;
}

function step(id: BundleStepId, run: () => string): BundleStep {
  try {
    return { id, ok: true, message: run() };
  } catch (err) {
    if (err instanceof PyprovError) throw err;
    const f = err instanceof CheckFailure ? err : translateSigstoreError(err);
    return { id, ok: false, code: f.code, message: f.message };
  }
}

export class BundleVerifier {
  private readonly verifier: SignedEntityVerifier;

  constructor(
    readonly trustRoot: LoadedTrustRoot,
    readonly policy: BundlePolicy,
  ) {
    let material: TrustMaterial = trustRoot.material;
    if (policy.kind === "key") {
      // The bundle's key hint is unauthenticated: whatever it says, the
      // signature must verify with the key the user gave.
      material = {
        ...material,
        publicKey: () => ({ publicKey: policy.key, validFor: () => true }),
      };
    }
    this.verifier = new SignedEntityVerifier(material);
  }

  verify(loaded: LoadedBundle, artifact: ResolvedArtifact): BundleVerification {
    const steps: BundleStep[] = [];
    const policy = this.policy;
    const bundle = loaded.bundle;
    let statement: MatchedStatement | undefined;
    let signatureOver: BundleVerification["signatureOver"] = "dsse-envelope";

    steps.push(
      step("signer-type", () => {
        if (policy.kind === "key" && loaded.key.type === "certificate") {
          throw new CheckFailure(
            "VERIFICATION",
            "the bundle is signed with a certificate, not a public key: verify it with --certificate-identity and --certificate-oidc-issuer",
          );
        }
        if (policy.kind === "certificate" && loaded.key.type === "publicKey") {
          throw new CheckFailure(
            "VERIFICATION",
            "the bundle is signed by a public key, not a certificate: verify it with --key",
          );
        }
        return loaded.key.type === "certificate"
          ? "signed with a certificate"
          : "signed with a public key";
      }),
    );

    steps.push(
      step("tlog-kind", () => {
        const kinds = loaded.entries.map((e) => bundleEntryKind(e));
        return kinds.length ? `log entry kind ${kinds.join(", ")}` : "no transparency log entries";
      }),
    );

    // The artifact binding, and the entity the library verifies.
    let entity: SignedEntity | undefined;
    let unsupportedKey: string | undefined;
    const content = bundle.content;
    if (content.$case === "messageSignature") {
      const alg = messageDigestAlgorithm(loaded)!;
      const digest = artifact.digests[alg];
      if (!digest) {
        throw new PyprovError(
          "USAGE",
          `the bundle signs the artifact's ${alg} digest: give the artifact file, not sha256:`,
        );
      }
      steps.push(
        step("artifact", () => {
          const signed = Buffer.from(
            content.messageSignature.messageDigest?.digest ?? Buffer.alloc(0),
          );
          if (!signed.equals(digest)) {
            throw new CheckFailure(
              "SUBJECT_DIGEST",
              `the artifact's ${alg} (${digest.toString("hex")}) is not the digest the bundle signs (${signed.toString("hex")})`,
            );
          }
          return `the bundle signs the artifact's ${alg} digest`;
        }),
      );
      if (artifact.bytes) {
        signatureOver = "artifact";
        entity = toSignedEntity(bundle, artifact.bytes);
      } else {
        signatureOver = "digest";
        entity = toSignedEntity(bundle, Buffer.alloc(0));
        const original = entity.signature;
        entity.signature = {
          signature: original.signature,
          compareSignature: (s) => original.compareSignature(s),
          compareDigest: (d) => original.compareDigest(d),
          compareSignedDigest: (d) => original.compareSignedDigest(d),
          verifySignature: (key) => {
            const ok = verifyPrehashed(key, digest, alg, original.signature);
            if (ok === "unsupported") {
              unsupportedKey = key.asymmetricKeyType ?? "unknown";
              return false;
            }
            return ok;
          },
        };
      }
    } else {
      const env = content.dsseEnvelope;
      steps.push(
        step("artifact", () => {
          statement = matchStatementSubject(env.payloadType, env.payload, artifact.sha256);
          return `in-toto statement (${statement.predicateType}) has a subject with the artifact's sha256`;
        }),
      );
      entity = toSignedEntity(bundle);
    }

    let signerKey: BundleVerification["signer"];
    const sigstore = step("sigstore", () => {
      if (!steps[0]!.ok)
        throw new CheckFailure("VERIFICATION", "not checked: wrong kind of signer");
      try {
        this.verifier.verify(entity);
      } catch (err) {
        if (unsupportedKey !== undefined) {
          throw new PyprovError(
            "USAGE",
            `cannot verify a ${unsupportedKey} message signature from a digest alone: give the artifact file`,
          );
        }
        const f = translateSigstoreError(err);
        if (f.code === "SIGNATURE" && content.$case === "messageSignature") {
          throw new CheckFailure("SIGNATURE", "signature does not verify over the artifact", {
            cause: err,
          });
        }
        throw f;
      }
      return loaded.key.type === "certificate"
        ? "certificate chains to a trusted Fulcio CA at the verified time, SCT valid, log entry proven, signature valid"
        : "signature valid with the given key, log entry proven";
    });
    steps.push(sigstore);

    let expected: BodyVerifier | undefined;
    if (loaded.key.type === "certificate") expected = { type: "certificate", der: loaded.key.der };
    else if (policy.kind === "key") {
      const spki = normalizeSpki(policy.spki);
      if (spki) expected = { type: "publicKey", der: spki };
    }
    steps.push(
      step("tlog-signer", () => {
        if (!expected)
          throw new CheckFailure("TLOG_CERTIFICATE", "not checked: no signer to compare");
        for (const e of loaded.entries) checkBodyVerifier(e, bundleEntryKind(e), expected);
        return `every log entry records this ${expected.type === "certificate" ? "certificate" : "public key"}`;
      }),
    );

    const origins: (string | undefined)[] = [];
    steps.push(
      step("tlog-proof-consistency", () => {
        for (const e of loaded.entries) origins.push(checkProofConsistency(e)?.origin);
        return "inclusion proofs agree with their signed checkpoints";
      }),
    );

    if (loaded.key.type === "certificate") {
      const der = loaded.key.der;
      let decoded: ReturnType<typeof decodeCertificate> | undefined;
      steps.push(
        step("certificate-usage", () => {
          try {
            decoded = decodeCertificate(der);
          } catch (err) {
            throw new CheckFailure(
              "VERIFICATION",
              `certificate cannot be decoded: ${err instanceof Error ? err.message : String(err)}`,
            );
          }
          const problem = checkLeafUsage(decoded);
          if (problem) throw new CheckFailure("CERTIFICATE_USAGE", problem);
          return "leaf certificate is for code signing";
        }),
      );
      if (decoded) {
        const cert = decoded;
        signerKey = {
          type: "certificate",
          identity: primaryIdentity(cert),
          sans: sanValues(cert),
          issuer: cert.claims.issuer,
        };
        if (policy.kind === "certificate") {
          steps.push(step("identity", () => `identity "${checkIdentity(cert, policy.identity)}"`));
          steps.push(step("issuer", () => `OIDC issuer "${checkIssuer(cert, policy.issuer)}"`));
        }
      }
    } else if (policy.kind === "key") {
      signerKey = { type: "publicKey", fingerprint: policy.fingerprint };
    }

    const failed = steps.find((s) => !s.ok);
    return {
      verified: failed === undefined,
      failure: failed
        ? { code: failed.code ?? "VERIFICATION", message: failed.message }
        : undefined,
      steps,
      signer: signerKey,
      verifiedTimes: sigstore.ok ? collectVerifiedTimes(entity) : [],
      logEntries: loaded.entries.map((e, i) => summarize(e, origins[i])),
      statement,
      signatureOver,
    };
  }
}

/** Only signed fields: the top-level index and time are covered by a SET, else the proof's index. */
function summarize(
  tle: TransparencyLogEntry,
  checkpointOrigin: string | undefined,
): BundleLogEntry {
  return {
    kind: `${tle.kindVersion.kind} ${tle.kindVersion.version}`,
    ...signedLogFields(tle),
    checkpointOrigin,
  };
}
