/**
 * TestSigstore: a complete, cryptographically genuine Sigstore instance
 * (Fulcio-like CA, CT log, Rekor v1 and v2 logs, TSA) that mints PEP 740
 * attestations for any identity, with single, targeted faults on demand.
 */
import { INTOTO_PAYLOAD_TYPE, canonicalBody, pae } from "./bodies.js";
import type { KindVersion } from "./bodies.js";
import { CertificateAuthority } from "./ca.js";
import type { LeafOptions } from "./ca.js";
import { CTLog } from "./ctlog.js";
import { githubIdentity } from "./identity.js";
import type { Identity } from "./identity.js";
import { generateKey, sha256, signWith } from "./keys.js";
import type { Bytes, KeyPair } from "./keys.js";
import { RekorV1Log, RekorV2Log } from "./rekor.js";
import type { ProofTamper, TransparencyLogEntryJSON } from "./rekor.js";
import { trustedRootFor } from "./trusted-root.js";
import type { TrustComponents, TrustedRootJSON, TrustedRootOptions } from "./trusted-root.js";
import { TimestampAuthority } from "./tsa.js";

export const PUBLISH_V1 = "https://docs.pypi.org/attestations/publish/v1";
export const STATEMENT_V1 = "https://in-toto.io/Statement/v1";

/** Which log records the entry, and in which body shape. */
export type RekorFlavor = "v1" | "v2-dsse" | "v2-hashedrekord";

/** A PEP 740 attestation object (all bytes standard base64). */
export interface Pep740Attestation {
  version: 1;
  verification_material: {
    certificate: string;
    transparency_entries: TransparencyLogEntryJSON[];
    timestamps?: string[];
  };
  envelope: { statement: string; signature: string };
}

/** Each fault makes exactly one thing wrong. */
export interface Faults {
  /** Leaf validity window entirely before ("expired") or after the log/TSA time. */
  leafValidity?: "expired" | "not-yet-valid";
  /** KeyUsage without digitalSignature (keyAgreement only), or no KeyUsage at all. */
  leafKeyUsage?: "no-digital-signature" | "omit";
  /** ExtendedKeyUsage without codeSigning (clientAuth only), or no EKU at all. */
  leafEku?: "no-code-signing" | "omit";
  /** Leaf has basicConstraints CA:TRUE. */
  leafCa?: boolean;
  /** Leaf (and its SCT) issued by a foreign CA whose names match the trusted one. */
  untrustedCa?: boolean;
  /** No embedded SCT, or an SCT claiming the trusted CT log but signed by a foreign key. */
  sct?: "none" | "foreign-key";
  /** SET and checkpoint signed by a foreign key, still claiming the trusted logId. */
  rekorForeignKey?: boolean;
  /** The SET signs a different body than the entry carries (v1). */
  setOverDifferentBody?: boolean;
  /** The tlog body names another certificate: a second leaf for the same key, or for another key. */
  bodyCertificate?: "same-key" | "other-key";
  /** Entry kind/version (body built in that shape when known, e.g. intoto 0.0.2). */
  kindVersion?: KindVersion;
  /** Only the entry's kindVersion field differs from the body. */
  tleKindVersion?: KindVersion;
  /** The body's payload hash (hashedrekord: signed digest) is of different bytes. */
  payloadHashMismatch?: boolean;
  /** Inclusion proof fields disagree with the (correctly signed) checkpoint. */
  proofTamper?: ProofTamper;
  /** The DSSE signature is over other statement bytes (the tlog body records it faithfully). */
  dsseSignatureOverDifferentBytes?: boolean;
  /** The RFC 3161 token's message imprint is of different bytes. */
  tsaOverDifferentBytes?: boolean;
  /** The RFC 3161 token comes from a foreign TSA. */
  tsaUntrusted?: boolean;
  omitInclusionPromise?: boolean;
  omitInclusionProof?: boolean;
  /** v2 entries: no integratedTime field instead of "0". */
  omitIntegratedTime?: boolean;
}

export interface AttestOptions {
  /** Subject name (default "sampleproject-1.0.0.tar.gz"). */
  filename?: string;
  /** Subject sha256 hex (default: sha256 of the filename). */
  sha256?: string;
  identity?: Identity;
  predicateType?: string;
  predicate?: unknown;
  /** Replace the whole statement: bytes, a string, or an object to JSON-encode. */
  statement?: Bytes | string | Record<string, unknown>;
  rekor?: RekorFlavor;
  /** Add an RFC 3161 timestamp (default: only for Rekor v2 entries). */
  tsa?: boolean;
  /** Log / TSA time (default now); truncated to whole seconds. */
  time?: Date;
  faults?: Faults;
}

export interface AttestResult {
  attestation: Pep740Attestation;
  certificate: Bytes;
  leafKey: KeyPair;
  statement: Bytes;
  signature: Bytes;
  tlogEntry: TransparencyLogEntryJSON;
  timestamps: Bytes[];
  /** The log (integratedTime) / TSA time. */
  time: Date;
}

export interface TestSigstoreOptions {
  /** Rekor v1 shard offset added to tree indices (default 1,000,000). */
  shardOffset?: number;
}

const DEFAULT_IDENTITY = githubIdentity({
  repository: "acme/pkg",
  workflow: "release.yml",
  ref: "refs/tags/v1.0.0",
});
const MINUTE = 60_000;

/** The default statement bytes for a subject (compact JSON, PyPI key order). */
export function statementFor(o: AttestOptions): Bytes {
  if (o.statement !== undefined) {
    if (Buffer.isBuffer(o.statement)) return o.statement;
    return Buffer.from(
      typeof o.statement === "string" ? o.statement : JSON.stringify(o.statement),
      "utf8",
    );
  }
  const name = o.filename ?? "sampleproject-1.0.0.tar.gz";
  const digest = o.sha256 ?? sha256(Buffer.from(name, "utf8")).toString("hex");
  return Buffer.from(
    JSON.stringify({
      _type: STATEMENT_V1,
      subject: [{ name, digest: { sha256: digest } }],
      predicateType: o.predicateType ?? PUBLISH_V1,
      predicate: o.predicate === undefined ? null : o.predicate,
    }),
    "utf8",
  );
}

export class TestSigstore implements TrustComponents {
  readonly fulcio = new CertificateAuthority();
  readonly foreignFulcio = new CertificateAuthority();
  readonly ctlog = new CTLog();
  readonly foreignCtlog = new CTLog({ baseUrl: "https://ctfe.foreign.test/log" });
  readonly rekorV1: RekorV1Log;
  readonly foreignRekorV1Key = generateKey("P-256");
  readonly rekorV2 = new RekorV2Log();
  readonly foreignRekorV2Key = generateKey("Ed25519");
  readonly tsa = new TimestampAuthority();
  readonly foreignTsa = new TimestampAuthority();

  private static sharedInstance: TestSigstore | undefined;

  private constructor(o: TestSigstoreOptions) {
    this.rekorV1 = new RekorV1Log(
      o.shardOffset === undefined ? {} : { shardOffset: o.shardOffset },
    );
  }

  /** A fresh instance (new keys, empty logs). Synchronous; the async form is for symmetry. */
  static createSync(o: TestSigstoreOptions = {}): TestSigstore {
    return new TestSigstore(o);
  }

  static async create(o: TestSigstoreOptions = {}): Promise<TestSigstore> {
    return new TestSigstore(o);
  }

  /** One instance per process (per test file under vitest's fork pool). */
  static shared(): TestSigstore {
    TestSigstore.sharedInstance ??= new TestSigstore({});
    return TestSigstore.sharedInstance;
  }

  trustedRoot(o: TrustedRootOptions = {}): TrustedRootJSON {
    return trustedRootFor(this, o);
  }

  attest(o: AttestOptions = {}): Pep740Attestation {
    return this.attestDetailed(o).attestation;
  }

  attestDetailed(o: AttestOptions = {}): AttestResult {
    const f = o.faults ?? {};
    const flavor = o.rekor ?? "v1";
    const time = new Date(Math.floor((o.time ?? new Date()).getTime() / 1000) * 1000);
    const t = time.getTime();
    const ca = f.untrustedCa ? this.foreignFulcio : this.fulcio;

    let notBefore = t - 30_000;
    let notAfter = notBefore + 10 * MINUTE;
    if (f.leafValidity === "expired") [notBefore, notAfter] = [t - 20 * MINUTE, t - 10 * MINUTE];
    if (f.leafValidity === "not-yet-valid") [notBefore, notAfter] = [t + MINUTE, t + 11 * MINUTE];
    const leafKey = generateKey("P-256");
    const leafOpts: LeafOptions = {
      spki: leafKey.spki,
      identity: o.identity ?? DEFAULT_IDENTITY,
      notBefore: new Date(notBefore),
      notAfter: new Date(notAfter),
      sct:
        f.sct === "none"
          ? null
          : {
              log: this.ctlog,
              ...(f.sct === "foreign-key" ? { signer: this.foreignCtlog.key } : {}),
            },
    };
    if (f.leafKeyUsage) leafOpts.keyUsage = f.leafKeyUsage === "omit" ? null : [4];
    if (f.leafEku) leafOpts.extKeyUsage = f.leafEku === "omit" ? null : ["1.3.6.1.5.5.7.3.2"];
    if (f.leafCa) leafOpts.basicConstraints = "ca-true";
    const certificate = ca.issueLeaf(leafOpts).der;

    const statement = statementFor(o);
    const signed = f.dsseSignatureOverDifferentBytes
      ? Buffer.concat([statement, Buffer.from(" ")])
      : statement;
    const signature = signWith(leafKey, pae(INTOTO_PAYLOAD_TYPE, signed));

    let bodyCert = certificate;
    if (f.bodyCertificate === "same-key") bodyCert = ca.issueLeaf(leafOpts).der;
    if (f.bodyCertificate === "other-key")
      bodyCert = ca.issueLeaf({ ...leafOpts, spki: generateKey("P-256").spki }).der;

    const kv: KindVersion =
      f.kindVersion ??
      (flavor === "v1"
        ? { kind: "dsse", version: "0.0.1" }
        : flavor === "v2-dsse"
          ? { kind: "dsse", version: "0.0.2" }
          : { kind: "hashedrekord", version: "0.0.2" });
    const bodyInput = { payload: statement, payloadType: INTOTO_PAYLOAD_TYPE, signature };
    const body = canonicalBody(kv, {
      ...bodyInput,
      certificate: bodyCert,
      ...(f.payloadHashMismatch ? { payloadHash: sha256(Buffer.from("other payload")) } : {}),
    });
    const append = {
      kindVersion: f.tleKindVersion ?? kv,
      ...(f.proofTamper ? { proofTamper: f.proofTamper } : {}),
      omitInclusionPromise: f.omitInclusionPromise ?? false,
      omitInclusionProof: f.omitInclusionProof ?? false,
      omitIntegratedTime: f.omitIntegratedTime ?? false,
    };
    let tlogEntry: TransparencyLogEntryJSON;
    if (flavor === "v1") {
      const setBody = f.setOverDifferentBody
        ? canonicalBody(kv, { ...bodyInput, certificate, payloadHash: sha256(Buffer.from("x")) })
        : undefined;
      tlogEntry = this.rekorV1.append(body, Math.floor(t / 1000), {
        ...append,
        ...(f.rekorForeignKey ? { signer: this.foreignRekorV1Key } : {}),
        ...(setBody ? { setBody } : {}),
      });
    } else {
      tlogEntry = this.rekorV2.append(body, {
        ...append,
        ...(f.rekorForeignKey ? { signer: this.foreignRekorV2Key } : {}),
      });
    }

    const timestamps: Bytes[] = [];
    if (o.tsa ?? flavor !== "v1") {
      const tsa = f.tsaUntrusted ? this.foreignTsa : this.tsa;
      const imprint = f.tsaOverDifferentBytes ? sha256(Buffer.from("other bytes")) : undefined;
      timestamps.push(tsa.timestamp(signature, time, imprint ? { imprint } : {}));
    }

    const attestation: Pep740Attestation = {
      version: 1,
      verification_material: {
        certificate: certificate.toString("base64"),
        transparency_entries: [tlogEntry],
        ...(timestamps.length > 0
          ? { timestamps: timestamps.map((b) => b.toString("base64")) }
          : {}),
      },
      envelope: {
        statement: statement.toString("base64"),
        signature: signature.toString("base64"),
      },
    };
    return { attestation, certificate, leafKey, statement, signature, tlogEntry, timestamps, time };
  }
}

export interface ProvenanceJSON {
  version: 1;
  attestation_bundles: { publisher: Record<string, unknown>; attestations: Pep740Attestation[] }[];
}

/** A PEP 740 provenance object grouping attestations by publisher. */
export function provenance(
  bundles: { publisher: Record<string, unknown>; attestations: Pep740Attestation[] }[],
): ProvenanceJSON {
  return { version: 1, attestation_bundles: bundles };
}
