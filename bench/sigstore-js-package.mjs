/**
 * The reference for `pyprov verify-bundle`: sigstore-js itself (the
 * `sigstore` package's verify(), run from node_modules as its users run it),
 * verifying one bundle with an exact identity and issuer. Its trusted root
 * comes through TUF as always; bench/tuf-warm.ts fills the TUF cache first
 * from a repository on 127.0.0.1 and then stops it, so with tufForceCache
 * every timed run is offline.
 *
 * Usage: node sigstore-js-package.mjs BUNDLE ARTIFACT IDENTITY ISSUER TUF_CACHE TUF_MIRROR TUF_ROOT
 */
import { readFileSync } from "node:fs";
import { verify } from "sigstore";

const [bundle, artifact, identity, issuer, cache, mirror, root] = process.argv.slice(2);
if (!bundle || !artifact || !identity || !issuer || !cache || !mirror || !root) {
  console.error(
    "usage: sigstore-js-package BUNDLE ARTIFACT IDENTITY ISSUER TUF_CACHE TUF_MIRROR TUF_ROOT",
  );
  process.exit(2);
}
await verify(JSON.parse(readFileSync(bundle, "utf8")), readFileSync(artifact), {
  certificateIdentityURI: identity,
  certificateIssuer: issuer,
  tufCachePath: cache,
  tufMirrorURL: mirror,
  tufRootPath: root,
  tufForceCache: true,
});
console.log("OK");
