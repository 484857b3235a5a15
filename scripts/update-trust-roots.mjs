#!/usr/bin/env node
/**
 * Produce trust-roots/trusted_root.json reproducibly from the TUF seed that the
 * installed @sigstore/tuf package embeds (seeds.json), and write its
 * provenance beside it in trust-roots/trusted_root.provenance.json.
 *
 *   node scripts/update-trust-roots.mjs          write both files
 *   node scripts/update-trust-roots.mjs --check  exit 1 if the committed files differ
 *
 * The output depends only on the installed @sigstore/tuf version: no clock, no
 * network. The "date" recorded is the newest validFor.start in the root, i.e.
 * the last key rotation the root knows about.
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const TUF_MIRROR = "https://tuf-repo-cdn.sigstore.dev";

export function buildTrustRoots() {
  const pkgDir = dirname(require.resolve("@sigstore/tuf/package.json"));
  const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
  const seeds = JSON.parse(readFileSync(join(pkgDir, "seeds.json"), "utf8"));
  const seed = seeds[TUF_MIRROR];
  if (!seed?.targets?.["trusted_root.json"]) {
    throw new Error(
      `@sigstore/tuf ${pkg.version} has no embedded trusted_root.json for ${TUF_MIRROR}`,
    );
  }
  const rootBytes = Buffer.from(seed.targets["trusted_root.json"], "base64");
  const root = JSON.parse(rootBytes.toString("utf8"));
  const starts = [
    ...root.tlogs.map((t) => t.publicKey?.validFor?.start),
    ...root.ctlogs.map((t) => t.publicKey?.validFor?.start),
    ...root.certificateAuthorities.map((c) => c.validFor?.start),
    ...(root.timestampAuthorities ?? []).map((c) => c.validFor?.start),
  ].filter(Boolean);
  const newestStart = starts.sort().at(-1);
  const tufRoot = JSON.parse(Buffer.from(seed["root.json"], "base64").toString("utf8"));
  const provenance = {
    file: "trusted_root.json",
    sha256: createHash("sha256").update(rootBytes).digest("hex"),
    source: `npm package @sigstore/tuf@${pkg.version}, seeds.json["${TUF_MIRROR}"].targets["trusted_root.json"] (base64-decoded, byte for byte)`,
    tufMirror: TUF_MIRROR,
    tufRootVersion: tufRoot.signed?.version ?? null,
    tufRootExpires: tufRoot.signed?.expires ?? null,
    instance: "Sigstore public-good (production)",
    newestValidForStart: newestStart,
    producedBy: "scripts/update-trust-roots.mjs",
  };
  return { rootBytes, provenanceText: JSON.stringify(provenance, null, 2) + "\n" };
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const { rootBytes, provenanceText } = buildTrustRoots();
  const rootPath = join(REPO, "trust-roots", "trusted_root.json");
  const provPath = join(REPO, "trust-roots", "trusted_root.provenance.json");
  if (process.argv.includes("--check")) {
    const same =
      readFileSync(rootPath).equals(rootBytes) && readFileSync(provPath, "utf8") === provenanceText;
    console.log(
      same
        ? "trust-roots are up to date"
        : "trust-roots differ from the installed @sigstore/tuf seed",
    );
    process.exit(same ? 0 : 1);
  }
  writeFileSync(rootPath, rootBytes);
  writeFileSync(provPath, provenanceText);
  console.log(`wrote ${rootPath} (${rootBytes.length} bytes) and ${provPath}`);
}
