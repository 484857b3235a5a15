/**
 * Importing pyprov and verifying with it leaves its dependencies as they are:
 * every function, getter and class member of @sigstore/core,
 * @sigstore/verify and every other runtime dependency is the same object
 * before pyprov is imported and after it has verified an attestation and a
 * bundle, and the @sigstore/core pyprov used is the one installed in
 * node_modules. (test/cli/isolation-dist.test.ts checks the same of the built
 * library, dist/index.js, in a fresh process.)
 */
import type * as SigstoreCore from "@sigstore/core";
import { describe, expect, it } from "vitest";
import { casePath, trustedRootPath } from "../support/corpus.js";
import {
  diffSnapshots,
  requireInstalled,
  resolvedPath,
  runtimeDependencies,
  snapshotDependencies,
} from "../support/library-snapshot.mjs";

describe("library isolation (src/)", () => {
  it("pyprov changes nothing in its dependencies, and uses the installed @sigstore/core", async () => {
    const deps = runtimeDependencies();
    expect(deps).toEqual(expect.arrayContaining(["@sigstore/core", "@sigstore/verify"]));
    const before = await snapshotDependencies(deps);
    // The snapshot sees the classes the issue is about.
    expect(before.get("@sigstore/core.X509Certificate.prototype.verify")).toBeTypeOf("function");
    expect(before.get("@sigstore/core.ASN1Obj.prototype.toDER")).toBeTypeOf("function");
    expect(before.get("@sigstore/verify.Verifier.prototype.verify")).toBeTypeOf("function");

    const pyprov = await import("../../src/index.js");
    const { BundleVerifier } = await import("../../src/bundle/verify.js");
    const { loadBundleFile } = await import("../../src/bundle/load.js");
    const { parseArtifactArgument, resolveArtifact } = await import("../../src/bundle/artifact.js");
    const { buildPolicy } = await import("../../src/bundle/policy.js");

    const root = pyprov.loadTrustedRoot(trustedRootPath("production"));
    const crypto = new pyprov.AttestationCryptoVerifier(root);
    const loaded = pyprov.loadProvenanceFile(
      casePath("tob-sigstore-3.6.1-sdist-pypi-provenance", "sigstore-3.6.1.tar.gz.provenance"),
    );
    const att = loaded.groups[0]!.attestations[0]!.attestation;
    const r = crypto.verify(att);
    expect(r.ok).toBe(true);

    const core = requireInstalled("@sigstore/core") as typeof SigstoreCore;
    expect(r.leaf).toBeInstanceOf(core.X509Certificate);
    expect(resolvedPath("@sigstore/core")).toMatch(/node_modules\/@sigstore\/core\//);

    const c = "sigstore-python-bundle_v3_github-whl";
    const bundle = loadBundleFile(casePath(c, "bundle_v3_github.whl.sigstore"));
    const artifact = await resolveArtifact(
      parseArtifactArgument(casePath(c, "bundle_v3_github.whl")),
    );
    const bv = new BundleVerifier(
      root,
      buildPolicy({
        certificateIdentity:
          "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2",
        certificateOidcIssuer: "https://token.actions.githubusercontent.com",
      }),
    );
    expect(bv.verify(bundle, artifact).verified).toBe(true);

    const after = await snapshotDependencies(deps);
    expect(diffSnapshots(before, after)).toEqual([]);
    expect(after.size).toBeGreaterThan(500);
  });
});
