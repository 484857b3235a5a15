/**
 * Helpers for the tampering suite (test/verify/tamper-corpus.test.ts): load a
 * real corpus attestation or provenance as plain JSON, change exactly one
 * thing (usually inside a base64 field: decode, modify, re-encode), and verify
 * the result through the library or write it to a temporary file for the CLI.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { attestationsOnly, parseAttestation, parseProvenance } from "../../src/pep740/load.js";
import { loadTrustedRoot } from "../../src/sigstore/trust-root.js";
import { AttestationCryptoVerifier } from "../../src/sigstore/verifier.js";
import { verifyTarget } from "../../src/verify/target.js";
import type { TargetReport } from "../../src/verify/types.js";
import { casePath, getCase, readCaseFile, trustedRootPath } from "./corpus.js";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };
export type Instance = "production" | "staging";

/** One real corpus file to tamper with, and the distribution it attests. */
export interface Subject {
  label: string;
  caseName: string;
  file: string;
  format: "provenance" | "attestation";
  instance: Instance;
  filename: string;
  sha256: string;
  /** Path of the real distribution file (every subject here has one). */
  dist: string;
  /** Rekor v1 (integratedTime + SET) or v2 (RFC 3161 only). */
  rekor: "v1" | "v2";
}

function subject(
  label: string,
  caseName: string,
  file: string,
  format: Subject["format"],
  rekor: Subject["rekor"],
): Subject {
  const c = getCase(caseName);
  if (!c.artifact_present || !c.artifact_filename || !c.artifact_sha256) {
    throw new Error(`${caseName}: the tampering suite needs the artifact`);
  }
  return {
    label,
    caseName,
    file,
    format,
    instance: c.sigstore_instance as Instance,
    filename: c.artifact_filename,
    sha256: c.artifact_sha256,
    dist: casePath(caseName, c.artifact_filename),
    rekor,
  };
}

export const SUBJECTS = {
  /** Production, Rekor v1 dsse 0.0.1, the Integrity API body with a GitHub publisher. */
  provenance: subject(
    "v1 provenance",
    "tob-pypi_attestations-0.0.19-sdist-pypi-provenance",
    "pypi_attestations-0.0.19.tar.gz.provenance",
    "provenance",
    "v1",
  ),
  /** Production, Rekor v1 dsse 0.0.1, a bare attestation file. */
  attestation: subject(
    "v1 attestation",
    "tob-pypi_attestations-0.0.19-sdist",
    "pypi_attestations-0.0.19.tar.gz.publish.attestation",
    "attestation",
    "v1",
  ),
  /** Staging, Rekor v2 dsse 0.0.2, time from an RFC 3161 timestamp only. */
  rekorV2: subject(
    "v2 staging",
    "pypi-pypi_attestations-0.0.19-sdist-tsa-staging-rekor-v2",
    "pypi_attestations-0.0.19.tar.gz.publish.attestation.with_rekor2_timestamp",
    "attestation",
    "v2",
  ),
  /** Production, Rekor v1 dsse 0.0.1, GitLab CI identity. */
  gitlab: subject(
    "gitlab",
    "tob-gitlab_oidc_project-0.0.3-sdist",
    "gitlab_oidc_project-0.0.3.tar.gz.publish.attestation",
    "attestation",
    "v1",
  ),
} as const;

export const ALL_SUBJECTS: Subject[] = Object.values(SUBJECTS);

/** A fresh, mutable copy of the subject's JSON. */
export function loadDoc(s: Subject): JsonObject {
  return obj(JSON.parse(readCaseFile(s.caseName, s.file).toString("utf8")) as Json);
}

/** A fresh copy of the first attestation of any corpus file. */
export function loadAttestationJson(caseName: string, file: string): JsonObject {
  const doc = obj(JSON.parse(readCaseFile(caseName, file).toString("utf8")) as Json);
  return "attestation_bundles" in doc ? attestationIn(doc) : doc;
}

export function obj(v: Json | undefined): JsonObject {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("not an object");
  return v;
}

export function arr(v: Json | undefined): Json[] {
  if (!Array.isArray(v)) throw new Error("not an array");
  return v;
}

export function str(v: Json | undefined): string {
  if (typeof v !== "string") throw new Error("not a string");
  return v;
}

/** The (first) attestation inside a provenance object or attestation file. */
export function attestationIn(doc: JsonObject): JsonObject {
  if (!("attestation_bundles" in doc)) return doc;
  return obj(arr(obj(arr(doc.attestation_bundles)[0]).attestations)[0]);
}

/** A provenance object holding one attestation under `publisher`. */
export function provenanceOf(doc: JsonObject, publisher: JsonObject): JsonObject {
  const bundle = { publisher: structuredClone(publisher), attestations: [attestationIn(doc)] };
  return { version: 1, attestation_bundles: [bundle] };
}

export function publisherIn(doc: JsonObject): JsonObject {
  return obj(obj(arr(doc.attestation_bundles)[0]).publisher);
}

export function material(doc: JsonObject): JsonObject {
  return obj(attestationIn(doc).verification_material);
}

export function envelope(doc: JsonObject): JsonObject {
  return obj(attestationIn(doc).envelope);
}

export function entries(doc: JsonObject): Json[] {
  return arr(material(doc).transparency_entries);
}

export function entry(doc: JsonObject, i = 0): JsonObject {
  return obj(entries(doc)[i]);
}

export function proof(doc: JsonObject): JsonObject {
  return obj(entry(doc).inclusionProof);
}

/** Decode o[key] (base64), transform the bytes, re-encode; the bytes must change. */
export function mapB64(
  o: JsonObject | Json[],
  key: string | number,
  fn: (b: Buffer) => Buffer,
): void {
  const slot = o as Record<string | number, Json>;
  const before = Buffer.from(str(slot[key]), "base64");
  const after = fn(Buffer.from(before));
  if (after.equals(before)) throw new Error(`tampering ${key} changed nothing`);
  slot[key] = after.toString("base64");
}

/** Flip the low bit of one byte (default: the last; negative counts from the end). */
export function flipByte(b: Buffer, index = -1): Buffer {
  const i = index < 0 ? b.length + index : index;
  const out = Buffer.from(b);
  out[i] = out[i]! ^ 0x01;
  return out;
}

/** Replace exactly one occurrence of `from` in `text`. */
export function replaceOnce(text: string, from: string, to: string): string {
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0) {
    throw new Error(`expected exactly one ${JSON.stringify(from)}`);
  }
  return text.slice(0, at) + to + text.slice(at + from.length);
}

/** Edit the decoded text of a base64 field. */
export function mapB64Text(o: JsonObject, key: string, fn: (t: string) => string): void {
  mapB64(o, key, (b) => Buffer.from(fn(b.toString("utf8")), "utf8"));
}

export function editStatement(doc: JsonObject, fn: (t: string) => string): void {
  mapB64Text(envelope(doc), "statement", fn);
}

export function editBody(doc: JsonObject, fn: (t: string) => string): void {
  mapB64Text(entry(doc), "canonicalizedBody", fn);
}

export function decodedBody(doc: JsonObject): JsonObject {
  return obj(
    JSON.parse(Buffer.from(str(entry(doc).canonicalizedBody), "base64").toString()) as Json,
  );
}

const verifiers = new Map<Instance, AttestationCryptoVerifier>();
export function cryptoFor(instance: Instance): AttestationCryptoVerifier {
  let v = verifiers.get(instance);
  if (!v) {
    v = new AttestationCryptoVerifier(loadTrustedRoot(trustedRootPath(instance)));
    verifiers.set(instance, v);
  }
  return v;
}

export interface VerifyOpts {
  root?: Instance;
  filename?: string;
  sha256?: string;
}

/** Verify (tampered) JSON as the subject's provenance through verifyTarget. */
export function verifyDoc(s: Subject, doc: JsonObject, opts: VerifyOpts = {}): TargetReport {
  const raw = Buffer.from(JSON.stringify(doc), "utf8");
  const source = `tampered:${s.file}`;
  const provenance =
    "attestation_bundles" in doc
      ? parseProvenance(raw, source)
      : attestationsOnly([{ attestation: parseAttestation(raw, source), source }]);
  return verifyTarget(
    { filename: opts.filename ?? s.filename, sha256: opts.sha256 ?? s.sha256 },
    provenance,
    { crypto: cryptoFor(opts.root ?? s.instance), expectations: {} },
  );
}

/** Every failed check of every attestation, as "id:CODE". */
export function failedChecks(r: TargetReport): string[] {
  return r.attestations.flatMap((a) =>
    a.checks.filter((c) => !c.ok).map((c) => `${c.id}:${c.code ?? "?"}`),
  );
}

/** A temporary directory for CLI inputs; call cleanup() when done. */
export function tempDir(): { write(name: string, doc: JsonObject): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), "pyprov-tamper-"));
  return {
    write(name, doc) {
      const path = join(dir, name);
      writeFileSync(path, JSON.stringify(doc));
      return path;
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** CLI arguments for a subject whose tampered JSON was written to `file`. */
export function cliArgs(s: Subject, file: string, root: Instance = s.instance): string[] {
  return [
    "verify",
    s.dist,
    s.format === "provenance" ? "--provenance" : "--attestation",
    file,
    "--trusted-root",
    trustedRootPath(root),
    "--format",
    "lines",
  ];
}

// ------------------------------------------------------------ the tamperings

export type Tamper = (doc: JsonObject, s: Subject) => void;

/** Increment a protobuf-JSON integer string field. */
function bump(o: JsonObject, key: string, by = 1n): void {
  o[key] = String(BigInt(str(o[key])) + by);
}

/** Flip the last byte of a base64 text (re-encoded). */
export function flipB64Text(b64: string): string {
  return flipByte(Buffer.from(b64, "base64")).toString("base64");
}

export function bumpVersion(filename: string): string {
  return filename.replace(
    /(\d+)(\.tar\.gz)$/,
    (_m, n: string, ext: string) => `${Number(n) + 1}${ext}`,
  );
}

function editCheckpoint(d: JsonObject, fn: (line: string, i: number) => string): void {
  const cp = obj(proof(d).checkpoint);
  const before = str(cp.envelope);
  cp.envelope = before.split("\n").map(fn).join("\n");
  if (cp.envelope === before) throw new Error("checkpoint unchanged");
}

/** The certificate a log entry body records (b64 PEM for dsse 0.0.1, b64 DER for 0.0.2). */
export function bodyVerifier(body: JsonObject): string {
  const spec = obj(body.spec);
  if ("dsseV002" in spec) {
    const sig = obj(arr(obj(spec.dsseV002).signatures)[0]);
    return str(obj(obj(sig.verifier).x509Certificate).rawBytes);
  }
  return str(obj(arr(spec.signatures)[0]).verifier);
}

export function certificateOf(doc: JsonObject): string {
  return str(material(doc).certificate);
}

/** A well-formed entry whose body is garbage (a copy of the first, body replaced). */
export function garbageEntry(d: JsonObject): JsonObject {
  const e = structuredClone(entry(d));
  e.canonicalizedBody = Buffer.from("garbage").toString("base64");
  return e;
}

const tamper = (f: Tamper): Tamper => f;

/** The tamperings: each changes exactly one thing in the subject's JSON. */
export const T = {
  signature: tamper((d) => mapB64(envelope(d), "signature", (b) => flipByte(b, 20))),
  /** Still parses and passes C6: `"predicate":null` → `"predicate":{  }` (same length). */
  statementByte: tamper((d) =>
    editStatement(d, (x) => replaceOnce(x, '"predicate":null', '"predicate":{  }')),
  ),
  subjectDigest: tamper((d, s) =>
    editStatement(d, (x) => replaceOnce(x, s.sha256, s.sha256.slice(0, -1) + "0")),
  ),
  subjectName: tamper((d, s) =>
    editStatement(d, (x) => replaceOnce(x, `"${s.filename}"`, `"${bumpVersion(s.filename)}"`)),
  ),
  predicateType: tamper((d) =>
    editStatement(d, (x) => replaceOnce(x, "attestations/publish/v1", "attestations/publish/v2")),
  ),
  certificate: (b64: string) => tamper((d) => void (material(d).certificate = b64)),
  logIndex: tamper((d) => bump(entry(d), "logIndex")),
  proofHash: tamper((d) => mapB64(arr(proof(d).hashes), 0, (b) => flipByte(b, 0))),
  rootHash: tamper((d) => mapB64(proof(d), "rootHash", (b) => flipByte(b, 0))),
  treeSize: tamper((d) => bump(proof(d), "treeSize")),
  /** "— <name> <b64(keyhint‖sig)>": flip the signature's last byte. */
  checkpointSignature: tamper((d) =>
    editCheckpoint(d, (line) => {
      const m = /^(\u2014 \S+ )(\S+)$/.exec(line);
      return m ? m[1]! + flipB64Text(m[2]!) : line;
    }),
  ),
  checkpointRoot: tamper((d) => editCheckpoint(d, (l, i) => (i === 2 ? flipB64Text(l) : l))),
  set: tamper((d) =>
    mapB64(obj(entry(d).inclusionPromise), "signedEntryTimestamp", (b) => flipByte(b, 10)),
  ),
  /** Another hash (hex on v1, base64 on v2): its first character changed. */
  bodyPayloadHash: tamper((d) => {
    const spec = obj(decodedBody(d).spec);
    const hash =
      "dsseV002" in spec
        ? str(obj(obj(spec.dsseV002).payloadHash).digest)
        : str(obj(spec.payloadHash).value);
    editBody(d, (x) => replaceOnce(x, hash, (hash[0] === "0" ? "1" : "0") + hash.slice(1)));
  }),
  bodyVerifier: (other: string) =>
    tamper((d) => editBody(d, (x) => replaceOnce(x, bodyVerifier(decodedBody(d)), other))),
  integratedTime: (seconds: bigint) => tamper((d) => bump(entry(d), "integratedTime", seconds)),
  kindVersion: (kind: string, version: string) =>
    tamper((d) => void (entry(d).kindVersion = { kind, version })),
  timestampByte: tamper((d) => mapB64(arr(material(d).timestamps), 0, (b) => flipByte(b))),
  timestampsRemoved: tamper((d) => void delete material(d).timestamps),
  garbageFirst: tamper((d) => void entries(d).unshift(garbageEntry(d))),
  garbageAppended: tamper((d) => void entries(d).push(garbageEntry(d))),
};
