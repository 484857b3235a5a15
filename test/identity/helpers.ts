/**
 * Test helpers for src/identity: every leaf certificate in the shared corpus,
 * and synthetic Fulcio-like certificates for the cases real data lacks.
 */
import "reflect-metadata";
import {
  BasicConstraintsExtension,
  ExtendedKeyUsageExtension,
  Extension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectAlternativeNameExtension,
  X509CertificateGenerator,
} from "@peculiar/x509";
import * as asn1js from "asn1js";
import { webcrypto } from "node:crypto";
import { certificateDerFromPem } from "../../src/identity/certificate.js";
import { fulcioOid } from "../../src/identity/oids.js";
import { getCase, loadManifest, readCaseFile } from "../support/corpus.js";

export interface CorpusCertificate {
  caseName: string;
  file: string;
  der: Uint8Array;
}

type Json = Record<string, unknown>;

function obj(v: unknown, what: string): Json {
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw new Error(`${what} is not an object`);
  return v as Json;
}

function arr(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new Error(`${what} is not an array`);
  return v;
}

function b64(v: unknown, what: string): Uint8Array {
  if (typeof v !== "string") throw new Error(`${what} is not a string`);
  return new Uint8Array(Buffer.from(v, "base64"));
}

function fromAttestation(a: unknown, what: string): Uint8Array {
  return b64(obj(obj(a, what).verification_material, what).certificate, `${what} certificate`);
}

function fromSigstoreBundle(b: Json, what: string): Uint8Array {
  const vm = obj(b.verificationMaterial, what);
  if (vm.certificate !== undefined) return b64(obj(vm.certificate, what).rawBytes, what);
  const chain = arr(obj(vm.x509CertificateChain, what).certificates, what);
  return b64(obj(chain[0], what).rawBytes, what);
}

/** Every leaf certificate in one corpus case, from every file that carries one. */
export function caseCertificates(caseName: string): CorpusCertificate[] {
  const out: CorpusCertificate[] = [];
  for (const f of getCase(caseName).files) {
    const raw = () => readCaseFile(caseName, f.file);
    const push = (der: Uint8Array, suffix = "") =>
      out.push({ caseName, file: f.file + suffix, der });
    switch (f.kind) {
      case "certificate-pem":
        push(certificateDerFromPem(raw().toString("utf8")));
        break;
      case "attestation":
      case "slsa-attestation":
        push(fromAttestation(JSON.parse(raw().toString("utf8")), f.file));
        break;
      case "sigstore-bundle":
        push(fromSigstoreBundle(obj(JSON.parse(raw().toString("utf8")), f.file), f.file));
        break;
      case "provenance": {
        const prov = obj(JSON.parse(raw().toString("utf8")), f.file);
        arr(prov.attestation_bundles, f.file).forEach((bundle, i) =>
          arr(obj(bundle, f.file).attestations, f.file).forEach((a, j) =>
            push(fromAttestation(a, f.file), `#bundle${i}/att${j}`),
          ),
        );
        break;
      }
      default:
        break;
    }
  }
  return out;
}

export function allCorpusCertificates(): CorpusCertificate[] {
  return loadManifest().flatMap((c) => caseCertificates(c.case));
}

/** Provenance bundles of a case: the raw publisher object next to each attestation's certificate. */
export function provenanceBundles(
  caseName: string,
): { publisher: unknown; certificates: Uint8Array[] }[] {
  const out: { publisher: unknown; certificates: Uint8Array[] }[] = [];
  for (const f of getCase(caseName).files.filter((x) => x.kind === "provenance")) {
    const prov = obj(JSON.parse(readCaseFile(caseName, f.file).toString("utf8")), f.file);
    for (const bundle of arr(prov.attestation_bundles, f.file)) {
      const b = obj(bundle, f.file);
      out.push({
        publisher: b.publisher,
        certificates: arr(b.attestations, f.file).map((a) => fromAttestation(a, f.file)),
      });
    }
  }
  return out;
}

/** DER UTF8String, the encoding of Fulcio extensions .8 and up. */
export function derUtf8(value: string): Uint8Array {
  return new Uint8Array(new asn1js.Utf8String({ value }).toBER());
}

/** A Fulcio extension .n whose extnValue is `value` (raw bytes, or a string encoded as the OID requires). */
export function fulcioExt(n: number, value: string | Uint8Array): Extension {
  const bytes =
    typeof value !== "string" ? value : n <= 6 ? new TextEncoder().encode(value) : derUtf8(value);
  return new Extension(fulcioOid(n), false, bytes);
}

/** A SAN holding one otherName (by default of type .7, Fulcio's username) and, optionally, a URI. */
export function usernameSan(username: string, uri?: string, typeId = fulcioOid(7)): Extension {
  const other = new asn1js.Constructed({
    idBlock: { tagClass: 3, tagNumber: 0 },
    value: [
      new asn1js.ObjectIdentifier({ value: typeId }),
      new asn1js.Constructed({
        idBlock: { tagClass: 3, tagNumber: 0 },
        value: [new asn1js.Utf8String({ value: username })],
      }),
    ],
  });
  const names: asn1js.AsnType[] = [other];
  if (uri !== undefined) {
    names.push(
      new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 6 }, valueHex: Buffer.from(uri) }),
    );
  }
  return new Extension("2.5.29.17", true, new asn1js.Sequence({ value: names }).toBER());
}

export interface SyntheticOptions {
  san?: Extension | { uri?: string; email?: string };
  /** Replace the default leaf usage extensions. */
  usage?: Extension[];
  extensions?: Extension[];
  /** Hex (default 0a1b2c). */
  serialNumber?: string;
}

let keys: webcrypto.CryptoKeyPair | undefined;

/** A self-signed certificate shaped like a Fulcio leaf (KU digitalSignature, EKU codeSigning, not a CA). */
export async function makeCertificate(opts: SyntheticOptions = {}): Promise<Uint8Array> {
  keys ??= await webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ]);
  const sanOpt = opts.san ?? { email: "someone@example.com" };
  const san =
    sanOpt instanceof Extension
      ? sanOpt
      : new SubjectAlternativeNameExtension(
          [
            ...(sanOpt.uri === undefined ? [] : [{ type: "url" as const, value: sanOpt.uri }]),
            ...(sanOpt.email === undefined
              ? []
              : [{ type: "email" as const, value: sanOpt.email }]),
          ],
          true,
        );
  const usage = opts.usage ?? [
    new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
    new ExtendedKeyUsageExtension(["1.3.6.1.5.5.7.3.3"]),
  ];
  const cert = await X509CertificateGenerator.createSelfSigned({
    serialNumber: opts.serialNumber ?? "0a1b2c",
    name: "CN=pyprov test",
    notBefore: new Date("2025-01-01T00:00:00Z"),
    notAfter: new Date("2025-01-01T00:10:00Z"),
    signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
    keys,
    extensions: [...usage, san, ...(opts.extensions ?? [])],
  });
  return new Uint8Array(cert.rawData);
}

export const CA_USAGE = (): Extension[] => [
  new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
  new BasicConstraintsExtension(true, 0, true),
];

/** GitHub Actions claims for a given repository/workflow/ref, as real certificates carry them. */
export function githubExtensions(opts: {
  repository: string;
  workflow: string;
  ref?: string;
  sha?: string;
  environment?: string;
}): Extension[] {
  const base = `https://github.com/${opts.repository}`;
  const s = opts.ref ?? opts.sha ?? "refs/heads/main";
  const exts = [
    fulcioExt(1, "https://token.actions.githubusercontent.com"),
    fulcioExt(8, "https://token.actions.githubusercontent.com"),
    fulcioExt(12, base),
    fulcioExt(18, `${base}/.github/workflows/${opts.workflow}@${s}`),
  ];
  if (opts.sha !== undefined) exts.push(fulcioExt(13, opts.sha));
  if (opts.ref !== undefined) exts.push(fulcioExt(14, opts.ref));
  if (opts.environment !== undefined) exts.push(fulcioExt(23, opts.environment));
  return exts;
}
