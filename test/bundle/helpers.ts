/**
 * Shared by the verify-bundle tests: the corpus's Sigstore bundles with the
 * identity the manifest gives them, and synthetic bundles signed by a bare
 * public key (made with node:crypto and logged in the synthetic Sigstore's
 * Rekor v1 or v2 logs).
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { casePath, loadManifest, trustedRootPath } from "../support/corpus.js";
import { canonicalJson, pae } from "../support/sigstore/index.js";
import type { TestSigstore, TransparencyLogEntryJSON } from "../support/sigstore/index.js";

export interface CorpusBundleCase {
  caseName: string;
  bundlePath: string;
  /** The artifact path, or `sha256:HEX` when the corpus does not have it. */
  artifactArg: string;
  sha256: string;
  identity: string;
  issuer: string;
  instance: "production" | "staging";
  /** The trusted root file to pass (staging has no bundled root). */
  trustedRoot: string | undefined;
}

/** Every manifest file of kind "sigstore-bundle". */
export function corpusBundleCases(): CorpusBundleCase[] {
  const out: CorpusBundleCase[] = [];
  for (const c of loadManifest()) {
    for (const f of c.files) {
      if (f.kind !== "sigstore-bundle") continue;
      const artifact = c.artifact_filename ? casePath(c.case, c.artifact_filename) : undefined;
      const instance = c.sigstore_instance === "staging" ? "staging" : "production";
      out.push({
        caseName: c.case,
        bundlePath: casePath(c.case, f.file),
        artifactArg:
          c.artifact_present && artifact && existsSync(artifact)
            ? artifact
            : `sha256:${c.artifact_sha256!}`,
        sha256: c.artifact_sha256!,
        identity: c.identity!,
        issuer: c.oidc_issuer!,
        instance,
        trustedRoot: instance === "staging" ? trustedRootPath("staging") : undefined,
      });
    }
  }
  return out;
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function readJson(path: string): { [key: string]: Json } {
  return JSON.parse(readFileSync(path, "utf8")) as { [key: string]: Json };
}

/** Flip one bit of a base64 field's decoded bytes (byte `at` from the end). */
export function flipBase64(value: string, at = 8): string {
  const b = Buffer.from(value, "base64");
  const i = Math.max(0, b.length - at);
  b[i] = b[i]! ^ 0x01;
  return b.toString("base64");
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString("base64");
const sha256 = (b: Uint8Array): Buffer => createHash("sha256").update(b).digest();

export interface KeyPairPem {
  privateKey: KeyObject;
  publicKey: KeyObject;
  pem: string;
  spki: Buffer;
}

export function ecKey(curve: "P-256" | "P-384" = "P-256"): KeyPairPem {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: curve });
  return {
    privateKey,
    publicKey,
    pem: publicKey.export({ type: "spki", format: "pem" }),
    spki: publicKey.export({ type: "spki", format: "der" }),
  };
}

export interface KeyBundleOptions {
  content: "messageSignature" | "dsseEnvelope";
  rekor: "v1" | "v2";
  artifact: Buffer;
  key: KeyPairPem;
  /** The key the log entry records (default: the signing key). */
  loggedKey?: KeyPairPem;
  /** DSSE: the statement's subject digest (default: the artifact's). */
  subjectSha256?: string;
}

/**
 * A v0.3 bundle signed by a bare public key (verificationMaterial.publicKey),
 * with a hashedrekord (message signature) or dsse (DSSE) entry in the
 * synthetic Rekor v1 (SET + proof) or v2 (proof + RFC 3161 timestamp).
 */
export function keyBundle(ss: TestSigstore, o: KeyBundleOptions): Record<string, unknown> {
  const logged = o.loggedKey ?? o.key;
  const digest = sha256(o.artifact);
  const time = new Date(Math.floor(Date.now() / 1000) * 1000);
  let signature: Buffer;
  let content: Record<string, unknown>;
  let body: Record<string, unknown>;
  const v2Verifier = {
    keyDetails: "PKIX_ECDSA_P256_SHA_256",
    publicKey: { rawBytes: b64(logged.spki) },
  };
  if (o.content === "messageSignature") {
    signature = sign("sha256", o.artifact, o.key.privateKey);
    content = {
      messageSignature: {
        messageDigest: { algorithm: "SHA2_256", digest: b64(digest) },
        signature: b64(signature),
      },
    };
    body =
      o.rekor === "v1"
        ? {
            apiVersion: "0.0.1",
            kind: "hashedrekord",
            spec: {
              data: { hash: { algorithm: "sha256", value: digest.toString("hex") } },
              signature: {
                content: b64(signature),
                publicKey: { content: b64(Buffer.from(logged.pem)) },
              },
            },
          }
        : {
            apiVersion: "0.0.2",
            kind: "hashedrekord",
            spec: {
              hashedRekordV002: {
                data: { algorithm: "SHA2_256", digest: b64(digest) },
                signature: { content: b64(signature), verifier: v2Verifier },
              },
            },
          };
  } else {
    const payloadType = "application/vnd.in-toto+json";
    const payload = Buffer.from(
      JSON.stringify({
        _type: "https://in-toto.io/Statement/v1",
        subject: [
          { name: "artifact.bin", digest: { sha256: o.subjectSha256 ?? digest.toString("hex") } },
        ],
        predicateType: "https://example.com/predicate/v1",
        predicate: {},
      }),
    );
    signature = sign("sha256", pae(payloadType, payload), o.key.privateKey);
    content = {
      dsseEnvelope: {
        payload: b64(payload),
        payloadType,
        signatures: [{ sig: b64(signature), keyid: "" }],
      },
    };
    body =
      o.rekor === "v1"
        ? {
            apiVersion: "0.0.1",
            kind: "dsse",
            spec: {
              payloadHash: { algorithm: "sha256", value: sha256(payload).toString("hex") },
              signatures: [{ signature: b64(signature), verifier: b64(Buffer.from(logged.pem)) }],
            },
          }
        : {
            apiVersion: "0.0.2",
            kind: "dsse",
            spec: {
              dsseV002: {
                payloadHash: { algorithm: "SHA2_256", digest: b64(sha256(payload)) },
                signatures: [{ content: b64(signature), verifier: v2Verifier }],
              },
            },
          };
  }
  const canonical = Buffer.from(canonicalJson(body), "utf8");
  const kindVersion = { kind: String(body.kind), version: String(body.apiVersion) };
  let entry: TransparencyLogEntryJSON;
  const timestamps: string[] = [];
  if (o.rekor === "v1") {
    entry = ss.rekorV1.append(canonical, Math.floor(time.getTime() / 1000), { kindVersion });
  } else {
    entry = ss.rekorV2.append(canonical, { kindVersion });
    timestamps.push(b64(ss.tsa.timestamp(signature, time)));
  }
  return {
    mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
    verificationMaterial: {
      publicKey: { hint: "some-key-hint" },
      tlogEntries: [entry],
      timestampVerificationData: {
        rfc3161Timestamps: timestamps.map((t) => ({ signedTimestamp: t })),
      },
    },
    ...content,
  };
}
