#!/usr/bin/env node
/**
 * Produce trust-roots/trusted_root.json reproducibly from the TUF seed that the
 * installed @sigstore/tuf package embeds (seeds.json), and write its
 * provenance beside it in trust-roots/trusted_root.provenance.json.
 *
 *   node scripts/update-trust-roots.mjs          write both files
 *   node scripts/update-trust-roots.mjs --check  exit 1 if the committed files differ
 *
 * The root depends only on the installed @sigstore/tuf version: no network.
 * Two dates are recorded: `newestValidForStart` (the last key rotation the
 * root knows about) and `recordedAt` (the day the root was last produced from
 * the seed, i.e. known to be current; pyprov's 180-day staleness warning
 * counts from the newer of the two). `recordedAt` is kept as it is when the
 * root's bytes have not changed, so re-running the script is reproducible;
 * `--check` compares everything else.
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const TUF_MIRROR = "https://tuf-repo-cdn.sigstore.dev";

export function buildTrustRoots(recordedAt) {
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
    recordedAt,
    producedBy: "scripts/update-trust-roots.mjs",
  };
  return { rootBytes, provenanceText: JSON.stringify(provenance, null, 2) + "\n" };
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const rootPath = join(REPO, "trust-roots", "trusted_root.json");
  const provPath = join(REPO, "trust-roots", "trusted_root.provenance.json");
  let previous;
  try {
    previous = { root: readFileSync(rootPath), prov: JSON.parse(readFileSync(provPath, "utf8")) };
  } catch {
    previous = undefined;
  }
  const today = new Date().toISOString().slice(0, 10) + "T00:00:00Z";
  const { rootBytes } = buildTrustRoots(today);
  const unchanged = previous !== undefined && previous.root.equals(rootBytes);
  const recordedAt = unchanged && previous.prov.recordedAt ? previous.prov.recordedAt : today;
  const { provenanceText } = buildTrustRoots(recordedAt);
  if (process.argv.includes("--check")) {
    const same = unchanged && readFileSync(provPath, "utf8") === provenanceText;
    console.log(
      same
        ? "trust-roots are up to date"
        : "trust-roots differ from the installed @sigstore/tuf seed",
    );
    process.exit(same ? 0 : 1);
  }
  writeFileSync(rootPath, rootBytes);
  writeFileSync(provPath, provenanceText);
  console.log(
    `wrote ${rootPath} (${rootBytes.length} bytes) and ${provPath} (recorded ${recordedAt})`,
  );
}
