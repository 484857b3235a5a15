/**
 * The reference for `pyprov verify-bundle`'s per-process time: a minimal
 * sigstore-js program that verifies one bundle with @sigstore/verify
 * (trusted root from a file, exact identity and issuer), bundled the same way
 * as pyprov. Usage: node sigstore-js-verify.mjs ROOT BUNDLE ARTIFACT IDENTITY ISSUER
 */
import { bundleFromJSON } from "@sigstore/bundle";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import { Verifier, toSignedEntity, toTrustMaterial } from "@sigstore/verify";
import { readFileSync } from "node:fs";

const [root, bundle, artifact, identity, issuer] = process.argv.slice(2);
if (!root || !bundle || !artifact || !identity || !issuer) {
  console.error("usage: sigstore-js-verify ROOT BUNDLE ARTIFACT IDENTITY ISSUER");
  process.exit(2);
}
const verifier = new Verifier(
  toTrustMaterial(TrustedRoot.fromJSON(JSON.parse(readFileSync(root, "utf8")))),
);
const entity = toSignedEntity(
  bundleFromJSON(JSON.parse(readFileSync(bundle, "utf8"))),
  readFileSync(artifact),
);
const escaped = identity.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
verifier.verify(entity, {
  subjectAlternativeName: new RegExp(`^${escaped}$`),
  extensions: { issuer },
});
console.log("OK");
