/**
 * BundleVerifier on real corpus bundles (v0.1, v0.2, v0.3; message
 * signatures and DSSE; hashedrekord 0.0.1/0.0.2 and dsse 0.0.1; Rekor v1 and
 * v2; RFC 3161) and on synthetic ones: public-key bundles, intoto 0.0.2 and
 * the log entry recording another certificate or key.
 */
import { createHash } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { parseArtifactArgument, resolveArtifact } from "../../src/bundle/artifact.js";
import { loadBundleFile, parseBundle } from "../../src/bundle/load.js";
import { buildPolicy, loadPublicKey, type BundlePolicy } from "../../src/bundle/policy.js";
import { BundleVerifier, type BundleVerification } from "../../src/bundle/verify.js";
import type { LoadedBundle } from "../../src/bundle/load.js";
import { PyprovError } from "../../src/errors.js";
import { loadTrustedRoot, parseTrustedRoot } from "../../src/sigstore/trust-root.js";
import { trustedRootPath } from "../support/corpus.js";
import { GITHUB_ISSUER, TestSigstore, attestationToBundleJSON } from "../support/sigstore/index.js";
import { ACME_SAN, Workspace } from "../support/synthetic.js";
import { corpusBundleCases, ecKey, keyBundle, type CorpusBundleCase } from "./helpers.js";

const roots = {
  production: loadTrustedRoot(trustedRootPath("production")),
  staging: loadTrustedRoot(trustedRootPath("staging")),
};

async function run(
  loaded: LoadedBundle,
  artifactArg: string,
  policy: BundlePolicy,
  root = roots.production,
): Promise<BundleVerification> {
  const artifact = await resolveArtifact(parseArtifactArgument(artifactArg), {
    wantBytes: loaded.content === "messageSignature",
  });
  return new BundleVerifier(root, policy).verify(loaded, artifact);
}

const exact = (c: CorpusBundleCase): BundlePolicy =>
  buildPolicy({ certificateIdentity: c.identity, certificateOidcIssuer: c.issuer });

describe("corpus Sigstore bundles", () => {
  const cases = corpusBundleCases();
  it("finds the five sigstore-bundle files of the manifest", () => {
    expect(cases.map((c) => c.bundlePath.split("/").pop()).sort()).toEqual([
      "Python-3.12.5.tgz.sigstore",
      "bundle_v3_github.whl.sigstore",
      "pypi_attestation_models-0.0.4a2.tar.gz.sigstore",
      "rfc8785-0.1.2-py3-none-any.whl.sigstore",
      "staging-rekor-v2.txt.sigstore.json",
    ]);
  });

  for (const c of cases) {
    describe(c.bundlePath.split("/").pop()!, () => {
      const loaded = loadBundleFile(c.bundlePath);
      const root = roots[c.instance];

      it("verifies with the manifest identity and issuer", async () => {
        const r = await run(loaded, c.artifactArg, exact(c), root);
        expect(r.failure).toBeUndefined();
        expect(r.verified).toBe(true);
        expect(r.signer).toMatchObject({ type: "certificate", issuer: c.issuer });
        expect(r.steps.every((s) => s.ok)).toBe(true);
        expect(r.verifiedTimes.length).toBeGreaterThan(0);
      });

      it("also verifies from sha256:HEX alone", async () => {
        const r = await run(loaded, `sha256:${c.sha256.toUpperCase()}`, exact(c), root);
        expect(r.failure).toBeUndefined();
        if (loaded.content === "messageSignature") expect(r.signatureOver).toBe("digest");
      });

      it("fails with another identity, issuer, or a pattern that matches only unanchored", async () => {
        const wrongId = buildPolicy({
          certificateIdentity: c.identity + "x",
          certificateOidcIssuer: c.issuer,
        });
        const wrongIss = buildPolicy({
          certificateIdentity: c.identity,
          certificateOidcIssuer: c.issuer + "/",
        });
        const partial = buildPolicy({
          certificateIdentityRegexp: c.identity.slice(1, -1).replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
          certificateOidcIssuer: c.issuer,
        });
        for (const policy of [wrongId, wrongIss, partial]) {
          const r = await run(loaded, c.artifactArg, policy, root);
          expect(r.verified).toBe(false);
          expect(r.failure?.code).toBe("EXPECTATION_MISMATCH");
        }
        const anchored = buildPolicy({
          certificateIdentityRegexp: `.${c.identity.slice(1, -1).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}.`,
          certificateOidcIssuer: c.issuer,
        });
        expect((await run(loaded, c.artifactArg, anchored, root)).verified).toBe(true);
      });

      it("fails for another artifact digest", async () => {
        const other = createHash("sha256").update("other").digest("hex");
        const r = await run(loaded, `sha256:${other}`, exact(c), root);
        expect(r.verified).toBe(false);
        expect(r.failure?.code).toBe("SUBJECT_DIGEST");
      });

      it("fails against the other instance's trusted root", async () => {
        const other = c.instance === "production" ? roots.staging : roots.production;
        const r = await run(loaded, c.artifactArg, exact(c), other);
        expect(r.verified).toBe(false);
        expect(r.steps.find((s) => s.id === "sigstore")?.ok).toBe(false);
      });
    });
  }

  it("drops a v0.1 inclusion proof that has no checkpoint, and says so", () => {
    const py = cases.find((c) => c.caseName === "sigstore-python-Python-3.12.5-tgz")!;
    const loaded = loadBundleFile(py.bundlePath);
    expect(loaded.version).toBe("0.1");
    expect(loaded.notes.join(" ")).toMatch(/without a signed checkpoint ignored/);
    expect(loaded.bundle.verificationMaterial.tlogEntries[0]!.inclusionProof).toBeUndefined();
  });

  it("the staging Rekor v2 entry verifies although its log's validity has since ended", async () => {
    const c = cases.find((x) => x.caseName === "sigstore-python-staging-rekor-v2-hashedrekord")!;
    const r = await run(loadBundleFile(c.bundlePath), c.artifactArg, exact(c), roots.staging);
    expect(r.verified).toBe(true);
    expect(r.logEntries[0]).toMatchObject({
      kind: "hashedrekord 0.0.2",
      integratedTime: undefined,
    });
    expect(r.verifiedTimes.map((t) => t.source)).toEqual(["rfc3161"]);
  });
});

describe("public-key bundles (--key)", () => {
  const ws = new Workspace();
  afterAll(() => ws.cleanup());
  const ss = ws.ss;
  const root = parseTrustedRoot(Buffer.from(JSON.stringify(ss.trustedRoot())), "synthetic");
  const artifact = Buffer.from("an artifact signed by a key\n");
  const sha = createHash("sha256").update(artifact).digest("hex");
  const key = ecKey();
  const policyFor = (pem: string): BundlePolicy => loadPublicKey(ws.file("key.pem", pem));
  const load = (b: Record<string, unknown>): LoadedBundle =>
    parseBundle(Buffer.from(JSON.stringify(b)), "bundle.json");
  const verify = async (b: Record<string, unknown>, policy: BundlePolicy, arg?: string) => {
    const path = ws.file("artifact.bin", artifact);
    return run(load(b), arg ?? path, policy, root);
  };

  for (const content of ["messageSignature", "dsseEnvelope"] as const) {
    for (const rekor of ["v1", "v2"] as const) {
      it(`${content}, Rekor ${rekor}: verifies with the key, fails with another`, async () => {
        const b = keyBundle(ss, { content, rekor, artifact, key });
        const ok = await verify(b, policyFor(key.pem));
        expect(ok.failure).toBeUndefined();
        expect(ok.signer).toEqual({
          type: "publicKey",
          fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
        });
        const fromDigest = await verify(b, policyFor(key.pem), `sha256:${sha}`);
        expect(fromDigest.failure).toBeUndefined();
        const wrong = await verify(b, policyFor(ecKey().pem));
        expect(wrong.verified).toBe(false);
        expect(wrong.failure?.code).toMatch(/SIGNATURE|TLOG_CERTIFICATE/);
      });
    }
  }

  it("fails when the log entry records another key (C2)", async () => {
    const other = ecKey();
    const b = keyBundle(ss, {
      content: "messageSignature",
      rekor: "v1",
      artifact,
      key,
      loggedKey: other,
    });
    const r = await verify(b, policyFor(key.pem));
    expect(r.failure).toEqual({
      code: "TLOG_CERTIFICATE",
      message: "Rekor entry does not record this public key",
    });
  });

  it("a DSSE statement whose subject is another digest fails", async () => {
    const b = keyBundle(ss, {
      content: "dsseEnvelope",
      rekor: "v1",
      artifact,
      key,
      subjectSha256: "ab".repeat(32),
    });
    expect((await verify(b, policyFor(key.pem))).failure?.code).toBe("SUBJECT_DIGEST");
  });

  it("a key bundle with an identity policy, and a certificate bundle with --key, fail", async () => {
    const b = keyBundle(ss, { content: "messageSignature", rekor: "v1", artifact, key });
    const r = await verify(
      b,
      buildPolicy({ certificateIdentity: "x", certificateOidcIssuer: "y" }),
    );
    expect(r.failure?.message).toMatch(/signed by a public key.*--key/);
    const att = ss.attest({ sha256: sha });
    const certBundle = attestationToBundleJSON(att);
    const r2 = await verify(certBundle, policyFor(key.pem));
    expect(r2.failure?.message).toMatch(/signed with a certificate/);
  });
});

describe("synthetic certificate bundles", () => {
  const ws = new Workspace();
  afterAll(() => ws.cleanup());
  const ss = TestSigstore.shared();
  const root = parseTrustedRoot(Buffer.from(JSON.stringify(ss.trustedRoot())), "synthetic");
  const sha = createHash("sha256").update("artifact").digest("hex");
  const policy = buildPolicy({
    certificateIdentity: ACME_SAN,
    certificateOidcIssuer: GITHUB_ISSUER,
  });
  const verifyAtt = (att: ReturnType<TestSigstore["attest"]>) =>
    run(
      parseBundle(Buffer.from(JSON.stringify(attestationToBundleJSON(att))), "b.json"),
      `sha256:${sha}`,
      policy,
      root,
    );

  it("accepts intoto 0.0.2 entries and checks the key they record (C2)", async () => {
    const intoto = { kind: "intoto", version: "0.0.2" };
    const r = await verifyAtt(ss.attest({ sha256: sha, faults: { kindVersion: intoto } }));
    expect(r.failure).toBeUndefined();
    expect(r.logEntries[0]!.kind).toBe("intoto 0.0.2");
  });

  it("verifies Rekor v2 dsse 0.0.2 and hashedrekord 0.0.2 entries over a DSSE envelope", async () => {
    for (const rekor of ["v2-dsse", "v2-hashedrekord"] as const) {
      const r = await verifyAtt(ss.attest({ sha256: sha, rekor }));
      expect(r.failure, rekor).toBeUndefined();
      expect(r.verifiedTimes.map((t) => t.source)).toEqual(["rfc3161"]);
    }
  });

  it("fails when a dsse or hashedrekord v2 entry records another certificate", async () => {
    for (const rekor of ["v1", "v2-dsse", "v2-hashedrekord"] as const) {
      const r = await verifyAtt(
        ss.attest({ sha256: sha, rekor, faults: { bodyCertificate: "other-key" } }),
      );
      expect(r.verified).toBe(false);
      expect(r.steps.find((s) => s.id === "tlog-signer")?.code).toBe("TLOG_CERTIFICATE");
    }
  });

  it("rejects kinds it does not accept (C3) and leaf certificates not for code signing (C4)", async () => {
    const rekord = await verifyAtt(
      ss.attest({ sha256: sha, faults: { kindVersion: { kind: "rekord", version: "0.0.1" } } }),
    );
    expect(rekord.failure?.code).toBe("TLOG_KIND");
    const ca = await verifyAtt(ss.attest({ sha256: sha, faults: { leafCa: true } }));
    expect(ca.steps.find((s) => s.id === "certificate-usage")?.code).toBe("CERTIFICATE_USAGE");
  });

  it("an inclusion proof that disagrees with its checkpoint fails (C11)", async () => {
    const r = await verifyAtt(ss.attest({ sha256: sha, faults: { proofTamper: "treeSize" } }));
    expect(r.steps.find((s) => s.id === "tlog-proof-consistency")?.code).toBe(
      "TLOG_PROOF_INCONSISTENT",
    );
  });

  it("an Ed25519-signed message signature cannot be checked from a digest alone", async () => {
    const b = parseBundle(
      Buffer.from(
        JSON.stringify({
          ...keyBundle(ss, {
            content: "messageSignature",
            rekor: "v1",
            artifact: Buffer.from("x"),
            key: ecKey(),
          }),
        }),
      ),
      "b.json",
    );
    expect(b.content).toBe("messageSignature");
    const { generateKeyPairSync } = await import("node:crypto");
    const ed = generateKeyPairSync("ed25519").publicKey.export({ type: "spki", format: "pem" });
    const p = loadPublicKey(ws.file("ed.pem", ed));
    const digest = createHash("sha256").update("x").digest("hex");
    await expect(run(b, `sha256:${digest}`, p, root)).rejects.toThrow(PyprovError);
    await expect(run(b, `sha256:${digest}`, p, root)).rejects.toThrow(/from a digest alone/);
  });
});
