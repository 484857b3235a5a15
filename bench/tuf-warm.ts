/**
 * Prepare sigstore-js's TUF cache for the benchmark: serve a TUF repository
 * publishing the given trusted root on 127.0.0.1, run bench/sigstore-js-package.mjs
 * once against it (which fills the cache), stop the server, and print the
 * cache, mirror and TUF root paths as JSON. Later runs with tufForceCache read
 * only the cache: the mirror no longer answers.
 *
 * Usage: node tuf-warm.mjs TRUSTED_ROOT DIR -- ARGS_FOR_SIGSTORE_JS_PACKAGE (BUNDLE ARTIFACT IDENTITY ISSUER)
 */
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { TufRepo } from "../test/support/tuf-repo.js";

const [trustedRoot, dir, sep, ...verifyArgs] = process.argv.slice(2);
if (!trustedRoot || !dir || sep !== "--" || verifyArgs.length !== 4) {
  console.error("usage: tuf-warm TRUSTED_ROOT DIR -- BUNDLE ARTIFACT IDENTITY ISSUER");
  process.exit(2);
}
mkdirSync(dir, { recursive: true });
const repo = new TufRepo(readFileSync(trustedRoot));
const root = join(dir, "tuf-root.json");
writeFileSync(root, repo.root());
const cache = join(dir, "tuf-cache");
await repo.start();
try {
  await promisify(execFile)(process.execPath, [
    "bench/sigstore-js-package.mjs",
    ...verifyArgs,
    cache,
    repo.url,
    root,
  ]);
} finally {
  await repo.stop();
}
console.log(JSON.stringify({ cache, mirror: repo.url, root }));
