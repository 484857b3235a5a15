/**
 * Run in a fresh `node` process by test/cli/isolation-dist.test.ts: snapshot
 * pyprov's runtime dependencies, import the built library (dist/index.js),
 * verify a real attestation with it, snapshot again, and print what changed
 * and which @sigstore/core did the work. Usage: node isolation-probe.mjs
 * DIST_INDEX TRUSTED_ROOT PROVENANCE
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import {
  diffSnapshots,
  requireInstalled,
  resolvedPath,
  runtimeDependencies,
  snapshotDependencies,
} from "./library-snapshot.mjs";

const [distIndex, trustedRoot, provenance] = process.argv.slice(2);
const deps = runtimeDependencies();
const before = await snapshotDependencies(deps);
const pyprov = await import(pathToFileURL(distIndex).href);
const root = pyprov.loadTrustedRoot(trustedRoot);
const attestation = pyprov.loadProvenanceFile(provenance).groups[0].attestations[0].attestation;
const result = new pyprov.AttestationCryptoVerifier(root).verify(attestation);
const after = await snapshotDependencies(deps);
const core = requireInstalled("@sigstore/core");
const cache = createRequire(import.meta.url).cache;
console.log(
  JSON.stringify({
    verified: result.ok,
    leafFromInstalledCore: result.leaf instanceof core.X509Certificate,
    installedCore: resolvedPath("@sigstore/core"),
    loadedCoreEntries: Object.keys(cache).filter((k) =>
      /@sigstore\/core\/dist\/index\.js$/.test(k),
    ),
    functionsCompared: before.size,
    changed: diffSnapshots(before, after),
  }),
);
