/**
 * The synthetic Sigstore's pieces, checked with @sigstore/core's parsers and
 * independent re-implementations: certificate contents, identities, Merkle
 * proofs, log entries, SETs, checkpoints, RFC 3161 tokens and output shapes.
 */
import { verify as cryptoVerify } from "node:crypto";
import { RFC3161Timestamp, X509Certificate } from "@sigstore/core";
import { describe, expect, it } from "vitest";
import {
  MerkleTree,
  TestSigstore,
  canonicalJson,
  customIdentity,
  fulcioOid,
  githubIdentity,
  githubReusableIdentity,
  githubSelfHostedIdentity,
  gitlabIdentity,
  googleIdentity,
  leafHash,
  noteKeyId,
  nodeHash,
  pae,
  provenance,
  sha256,
  withExtensions,
} from "./index.js";
import type { Identity, Pep740Attestation } from "./index.js";

const ss = TestSigstore.shared();
const cert = (att: Pep740Attestation): X509Certificate =>
  X509Certificate.parse(Buffer.from(att.verification_material.certificate, "base64"));
const ext = (c: X509Certificate, n: number): Buffer | undefined => c.extension(fulcioOid(n))?.value;
const utf8Ext = (c: X509Certificate, n: number): string | undefined =>
  c.extension(fulcioOid(n))?.valueObj.subs[0]?.value.toString("utf8");
const entryOf = (att: Pep740Attestation) => {
  const e = att.verification_material.transparency_entries[0];
  if (!e) throw new Error("no entry");
  return e;
};
const bodyOf = (att: Pep740Attestation): unknown =>
  JSON.parse(Buffer.from(entryOf(att).canonicalizedBody, "base64").toString("utf8"));

describe("leaf certificates", () => {
  it("carry Fulcio's key usages, SAN, extensions and an SCT", () => {
    const c = cert(ss.attest({}));
    expect(c.extKeyUsage?.digitalSignature).toBe(true);
    expect(c.extKeyUsage?.critical).toBe(true);
    expect(c.extension("2.5.29.37")?.valueObj.subs[0]?.subs[0]?.toOID()).toBe("1.3.6.1.5.5.7.3.3");
    expect(c.extBasicConstraints?.isCA).toBe(false);
    expect(c.isCA).toBe(false);
    expect(c.extSubjectAltName?.critical).toBe(true);
    expect(c.extSCT?.signedCertificateTimestamps).toHaveLength(1);
    expect(c.notAfter.getTime() - c.notBefore.getTime()).toBe(10 * 60_000);
    // .1–.6 are raw UTF-8, .8 and up a DER UTF8String.
    expect(ext(c, 1)?.toString("utf8")).toBe("https://token.actions.githubusercontent.com");
    expect(ext(c, 5)?.toString("utf8")).toBe("acme/pkg");
    expect(ext(c, 8)?.[0]).toBe(0x0c);
    expect(utf8Ext(c, 8)).toBe("https://token.actions.githubusercontent.com");
  });

  it("can be made faulty one property at a time", () => {
    const noDs = cert(ss.attest({ faults: { leafKeyUsage: "no-digital-signature" } }));
    expect(noDs.extKeyUsage?.digitalSignature).toBe(false);
    expect(cert(ss.attest({ faults: { leafKeyUsage: "omit" } })).extKeyUsage).toBeUndefined();
    const noCs = cert(ss.attest({ faults: { leafEku: "no-code-signing" } }));
    expect(noCs.extension("2.5.29.37")?.valueObj.subs[0]?.subs[0]?.toOID()).toBe(
      "1.3.6.1.5.5.7.3.2",
    );
    expect(cert(ss.attest({ faults: { leafEku: "omit" } })).extension("2.5.29.37")).toBeUndefined();
    expect(cert(ss.attest({ faults: { leafCa: true } })).extBasicConstraints?.isCA).toBe(true);
    expect(cert(ss.attest({ faults: { sct: "none" } })).extSCT).toBeUndefined();
    const r = ss.attestDetailed({ faults: { leafValidity: "expired" } });
    expect(cert(r.attestation).notAfter < r.time).toBe(true);
  });
});

describe("identities", () => {
  const gh = githubIdentity({
    repository: "acme/pkg",
    workflow: "release.yml",
    ref: "refs/tags/v1.0",
    environment: "pypi",
    runner: "github-hosted",
    repositoryId: "123",
    ownerId: "456",
  });
  const val = (id: Identity, n: number) => id.extensions[fulcioOid(n)];

  it("GitHub", () => {
    const uri = "https://github.com/acme/pkg/.github/workflows/release.yml@refs/tags/v1.0";
    expect(gh.san).toEqual({ uri });
    expect([val(gh, 8), val(gh, 9), val(gh, 18)]).toEqual([
      "https://token.actions.githubusercontent.com",
      uri,
      uri,
    ]);
    expect([val(gh, 12), val(gh, 14), val(gh, 15), val(gh, 16), val(gh, 17), val(gh, 23)]).toEqual([
      "https://github.com/acme/pkg",
      "refs/tags/v1.0",
      "123",
      "https://github.com/acme",
      "456",
      "pypi",
    ]);
    expect(gh.publisher).toEqual({
      kind: "GitHub",
      repository: "acme/pkg",
      workflow: "release.yml",
      environment: "pypi",
    });
    const c = cert(ss.attest({ identity: gh }));
    expect(c.subjectAltName).toBe(uri);
    expect(utf8Ext(c, 23)).toBe("pypi");
    expect(ext(c, 6)?.toString("utf8")).toBe("refs/tags/v1.0");
  });

  it("GitHub reusable workflow and self-hosted runner", () => {
    const reusable = githubReusableIdentity({
      repository: "acme/pkg",
      workflow: "release.yml",
      ref: "refs/tags/v1.0",
      reusable: { repository: "org/shared", workflow: "publish.yml", ref: "refs/heads/main" },
    });
    const signer = "https://github.com/org/shared/.github/workflows/publish.yml@refs/heads/main";
    expect(reusable.san).toEqual({ uri: signer });
    expect(val(reusable, 9)).toBe(signer);
    expect(val(reusable, 18)).toBe(
      "https://github.com/acme/pkg/.github/workflows/release.yml@refs/tags/v1.0",
    );
    const selfHosted = githubSelfHostedIdentity({ repository: "a/b", workflow: "w.yml", ref: "r" });
    expect(val(selfHosted, 11)).toBe("self-hosted");
  });

  it("GitLab", () => {
    const gl = gitlabIdentity({ project: "grp/proj", ref: "refs/tags/v2", environment: "release" });
    const cfg = "https://gitlab.com/grp/proj//.gitlab-ci.yml@refs/tags/v2";
    expect(gl.san).toEqual({ uri: cfg });
    expect([val(gl, 8), val(gl, 12), val(gl, 14), val(gl, 18)]).toEqual([
      "https://gitlab.com",
      "https://gitlab.com/grp/proj",
      "refs/tags/v2",
      cfg,
    ]);
    expect(val(gl, 13)).toBeDefined();
    expect(gl.publisher).toMatchObject({ kind: "GitLab", workflow_filepath: ".gitlab-ci.yml" });
  });

  it("Google, and overrides", () => {
    const both = googleIdentity({ email: "a@b.iam.gserviceaccount.com" });
    expect(both.san).toEqual({ email: "a@b.iam.gserviceaccount.com" });
    expect(Object.keys(both.extensions)).toEqual([fulcioOid(1), fulcioOid(8)]);
    expect(Object.keys(googleIdentity({ email: "x", issuerExtensions: "v2" }).extensions)).toEqual([
      fulcioOid(8),
    ]);
    const changed = withExtensions(gh, { 23: null, 12: "https://github.com/evil/pkg" });
    expect(val(changed, 23)).toBeUndefined();
    expect(val(changed, 12)).toBe("https://github.com/evil/pkg");
    const raw = customIdentity({ san: null, extensions: { "1.2.3.4": Buffer.from([1, 2]) } });
    const c = cert(ss.attest({ identity: raw }));
    expect(c.subjectAltName).toBeUndefined();
    expect(c.extension("1.2.3.4")?.value).toEqual(Buffer.from([1, 2]));
  });
});

describe("Merkle tree", () => {
  const naive = (leaves: Buffer[]): Buffer => {
    if (leaves.length === 1) return leaves[0] as Buffer;
    let k = 1;
    while (k * 2 < leaves.length) k *= 2;
    return nodeHash(naive(leaves.slice(0, k)), naive(leaves.slice(k)));
  };
  // RFC 9162 §2.1.3.2, written independently of the tree.
  const rootFromProof = (index: number, size: number, leaf: Buffer, proof: Buffer[]): Buffer => {
    let fn = index;
    let sn = size - 1;
    let r = leaf;
    for (const p of proof) {
      if (sn === 0) throw new Error("proof too long");
      if (fn % 2 === 1 || fn === sn) {
        r = nodeHash(p, r);
        if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) [fn, sn] = [fn >> 1, sn >> 1];
      } else r = nodeHash(r, p);
      [fn, sn] = [fn >> 1, sn >> 1];
    }
    if (sn !== 0) throw new Error("proof too short");
    return r;
  };

  it("matches a naive implementation, and every proof verifies", () => {
    const tree = new MerkleTree();
    const data: Buffer[] = [];
    for (let n = 1; n <= 40; n++) {
      data.push(Buffer.from(`leaf ${n}`));
      tree.append(data[n - 1] as Buffer);
      const hashes = data.map(leafHash);
      expect(tree.root()).toEqual(naive(hashes));
      for (let i = 0; i < n; i++) {
        const proof = tree.inclusionProof(i);
        expect(rootFromProof(i, n, hashes[i] as Buffer, proof)).toEqual(tree.root());
      }
    }
  });
});

describe("transparency log entries", () => {
  it("v1: dsse 0.0.1 body, SET, sharded index and a signed checkpoint", () => {
    const r = ss.attestDetailed({});
    const e = r.tlogEntry;
    expect(Object.keys(e)).toEqual([
      "logIndex",
      "logId",
      "kindVersion",
      "integratedTime",
      "inclusionPromise",
      "inclusionProof",
      "canonicalizedBody",
    ]);
    expect(e.logId.keyId).toBe(sha256(ss.rekorV1.key.spki).toString("base64"));
    expect(BigInt(e.logIndex)).toBe(BigInt(e.inclusionProof?.logIndex ?? "x") + 1_000_000n);
    const body = bodyOf(r.attestation) as {
      spec: {
        payloadHash: { value: string };
        signatures: { signature: string; verifier: string }[];
      };
    };
    expect(Object.keys(body)).toEqual(["apiVersion", "kind", "spec"]);
    expect(body.spec.payloadHash.value).toBe(sha256(r.statement).toString("hex"));
    expect(body.spec.signatures[0]?.signature).toBe(r.signature.toString("base64"));
    const pem = Buffer.from(body.spec.signatures[0]?.verifier ?? "", "base64").toString("utf8");
    expect(pem).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    const setPayload = canonicalJson({
      body: e.canonicalizedBody,
      integratedTime: Number(e.integratedTime),
      logID: sha256(ss.rekorV1.key.spki).toString("hex"),
      logIndex: Number(e.logIndex),
    });
    const set = Buffer.from(e.inclusionPromise?.signedEntryTimestamp ?? "", "base64");
    expect(cryptoVerify("sha256", Buffer.from(setPayload), ss.rekorV1.key.publicKey, set)).toBe(
      true,
    );
    const cp = e.inclusionProof?.checkpoint.envelope ?? "";
    expect(cp).toMatch(
      /^rekor\.sigstore\.test - \d+\n\d+\n[A-Za-z0-9+/=]+\n\n\u2014 rekor\.sigstore\.test [A-Za-z0-9+/=]+\n$/,
    );
    expect(cp.split("\n")[1]).toBe(e.inclusionProof?.treeSize);
    expect(cp.split("\n")[2]).toBe(e.inclusionProof?.rootHash);
  });

  it("v2: note key ID, integratedTime 0, dsse 0.0.2 and hashedrekord 0.0.2 bodies", () => {
    const d = ss.attestDetailed({ rekor: "v2-dsse" });
    expect(d.tlogEntry.logId.keyId).toBe(
      noteKeyId("log2025-1.rekor.sigstore.test", ss.rekorV2.key).toString("base64"),
    );
    expect(d.tlogEntry.integratedTime).toBe("0");
    expect(d.tlogEntry.inclusionPromise).toBeUndefined();
    expect(d.tlogEntry.logIndex).toBe(d.tlogEntry.inclusionProof?.logIndex);
    const cp = d.tlogEntry.inclusionProof?.checkpoint.envelope ?? "";
    const note = cp.slice(0, cp.indexOf("\n\n") + 1);
    const sig = Buffer.from(cp.trim().split(" ").pop() ?? "", "base64");
    expect(sig.subarray(0, 4)).toEqual(
      Buffer.from(d.tlogEntry.logId.keyId, "base64").subarray(0, 4),
    );
    expect(cryptoVerify(null, Buffer.from(note), ss.rekorV2.key.publicKey, sig.subarray(4))).toBe(
      true,
    );
    expect(bodyOf(d.attestation)).toMatchObject({
      apiVersion: "0.0.2",
      kind: "dsse",
      spec: { dsseV002: { payloadHash: { digest: sha256(d.statement).toString("base64") } } },
    });
    const h = ss.attestDetailed({ rekor: "v2-hashedrekord" });
    const digest = sha256(pae("application/vnd.in-toto+json", h.statement)).toString("base64");
    expect(bodyOf(h.attestation)).toMatchObject({
      kind: "hashedrekord",
      spec: { hashedRekordV002: { data: { algorithm: "SHA2_256", digest } } },
    });
    const omitted = ss.attest({ rekor: "v2-dsse", faults: { omitIntegratedTime: true } });
    expect("integratedTime" in entryOf(omitted)).toBe(false);
  });
});

describe("RFC 3161 tokens", () => {
  it("parse with @sigstore/core and verify against the signature bytes", () => {
    const r = ss.attestDetailed({ rekor: "v2-dsse" });
    const ts = RFC3161Timestamp.parse(r.timestamps[0] ?? Buffer.alloc(0));
    expect(ts.status).toBe(0n);
    expect(ts.signingTime).toEqual(r.time);
    const key = ss.tsa.leaf.key.publicKey;
    expect(() => ts.verify(r.signature, key)).not.toThrow();
    expect(ts.signerSerialNumber).toEqual(X509Certificate.parse(ss.tsa.leaf.der).serialNumber);
  });

  it("a token over other bytes fails on the message imprint", () => {
    const r = ss.attestDetailed({ rekor: "v2-dsse", faults: { tsaOverDifferentBytes: true } });
    const ts = RFC3161Timestamp.parse(r.timestamps[0] ?? Buffer.alloc(0));
    expect(() => ts.verify(r.signature, ss.tsa.leaf.key.publicKey)).toThrow(/imprint/);
  });
});

describe("output shapes", () => {
  it("attestation, statement and provenance", () => {
    const att = ss.attest({ filename: "pkg-1.0.tar.gz", sha256: "cd".repeat(32), tsa: true });
    expect(Object.keys(att)).toEqual(["version", "verification_material", "envelope"]);
    expect(Object.keys(att.verification_material)).toEqual([
      "certificate",
      "transparency_entries",
      "timestamps",
    ]);
    expect(Object.keys(att.envelope)).toEqual(["statement", "signature"]);
    expect(Buffer.from(att.envelope.statement, "base64").toString("utf8")).toBe(
      '{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"pkg-1.0.tar.gz",' +
        `"digest":{"sha256":"${"cd".repeat(32)}"}}],` +
        '"predicateType":"https://docs.pypi.org/attestations/publish/v1","predicate":null}',
    );
    expect("timestamps" in ss.attest({}).verification_material).toBe(false);
    const custom = ss.attest({ statement: Buffer.from("not json") });
    expect(Buffer.from(custom.envelope.statement, "base64").toString()).toBe("not json");
    const publisher = githubIdentity({ repository: "a/b", workflow: "w.yml", ref: "r" }).publisher;
    const prov = provenance([{ publisher: publisher ?? {}, attestations: [att] }]);
    expect(prov).toEqual({ version: 1, attestation_bundles: [{ publisher, attestations: [att] }] });
  });
});
