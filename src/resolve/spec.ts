/**
 * One requirements-file or lockfile entry → exactly the files the installer
 * would accept for it, each bound to the entry:
 *
 * - a lock names its files: each must be a file of the entry's project and
 *   version (ENTRY_MISMATCH otherwise), verified by the lock's digest;
 * - a requirement with hash pins selects the index files with those digests,
 *   whatever the algorithm (sha256, sha384, sha512: a file the index lists
 *   without that algorithm is downloaded and hashed), again bound to the
 *   entry's project and version;
 * - a requirement without hashes is resolved by version and flagged as
 *   unpinned; with more than one place pip may take it from (an extra
 *   index, find-links) it fails as INDEX_AMBIGUOUS (dependency confusion);
 * - direct URL, VCS, path and editable entries fail as NOT_FROM_INDEX.
 *
 * Files are looked up on the index the entry names (a lock's `index`, a
 * requirements file's `--index-url`), unless the user's `--index-url`
 * overrides it, which a warning then says.
 */
import { PyprovError } from "../errors.js";
import type { OtherHash, TargetSpec } from "../inputs/types.js";
import type { CachedFile } from "../pypi/cache.js";
import { parseDistributionFilename, type DistributionFilename } from "../pypi/filename.js";
import { redactUrl } from "../pypi/http-light.js";
import { canonicalizeName } from "../pypi/names.js";
import type { ProjectFile, ProjectPage } from "../pypi/simple-api.js";
import { versionsEqual } from "../pypi/version.js";
import {
  fileVersion,
  releaseFiles,
  toResolved,
  wanted,
  type OnlyKind,
  type RejectedTarget,
  type ResolvedFile,
  type UnresolvedTarget,
} from "./targets.js";

/** A project's page on an index (undefined: the run's default index). */
export type GetPage = (name: string, index?: string) => Promise<ProjectPage>;

export interface SpecContext {
  getPage: GetPage;
  /** What an earlier run learned from the index about the file with this digest. */
  cached?: (sha256: string) => Promise<CachedFile | undefined>;
  /** The user's own --index-url: it replaces the index an entry names (said in a warning). */
  overrideIndex?: string | undefined;
  /** Download a file and return its digests by algorithm (sha256 and the ones asked for). */
  hashUrl?: (
    url: string,
    algorithms: OtherHash["algorithm"][],
    index: string | undefined,
  ) => Promise<Record<string, string>>;
}

export interface SpecResolution {
  files: ResolvedFile[];
  unresolved: UnresolvedTarget[];
  rejected: RejectedTarget[];
}

export async function resolveSpec(
  spec: TargetSpec,
  only: OnlyKind,
  ctx: SpecContext,
): Promise<SpecResolution> {
  const out: SpecResolution = { files: [], unresolved: [], rejected: [] };
  const origin = spec.source;
  const reject = (r: Omit<RejectedTarget, "origin" | "project">) =>
    out.rejected.push({ origin, project: spec.name, ...r });
  if (spec.nonIndex) {
    const where = spec.nonIndex.url ?? spec.nonIndex.path ?? spec.url;
    reject({
      display: where ?? spec.name,
      ...(where !== undefined ? { url: where } : {}),
      code: "NOT_FROM_INDEX",
      message:
        `${spec.nonIndex.kind} requirement${where !== undefined ? ` ${JSON.stringify(redactUrl(where))}` : ""}: ` +
        `not from a package index, so no index provenance can vouch for it ` +
        `(only a policy exception for ${spec.name} can allow it)`,
    });
    return out;
  }
  const { index, warnings } = chooseIndex(spec, ctx.overrideIndex);
  /** The file as this entry's: its line, its lock identities, the index it was found on. */
  const bind = (r: ResolvedFile, on: string | undefined = index): ResolvedFile => ({
    ...r,
    origin,
    ...(on !== undefined ? { index: on } : {}),
    ...(spec.expectedIdentities ? { expectedIdentities: spec.expectedIdentities } : {}),
    warnings: [...warnings, ...r.warnings],
  });
  /** ENTRY_MISMATCH unless `dist` is a file of the entry's project and version. */
  const belongs = (dist: DistributionFilename, filename: string, sha256?: string): boolean => {
    const nameOk = canonicalizeName(dist.name) === canonicalizeName(spec.name);
    const versionOk = spec.version === undefined || versionsEqual(dist.version, spec.version);
    if (nameOk && versionOk) return true;
    reject({
      display: filename,
      ...(spec.version !== undefined ? { version: spec.version } : {}),
      ...(sha256 !== undefined ? { sha256 } : {}),
      code: "ENTRY_MISMATCH",
      message:
        `the entry ${spec.name}${spec.version !== undefined ? `==${spec.version}` : ""} points at ` +
        `${filename}, a file of ${dist.name} ${dist.version}: the installer would install ` +
        `${spec.name}, so its provenance cannot vouch for this file`,
    });
    return false;
  };

  // A lockfile: exactly its files, by its digests.
  if (spec.files.length > 0) {
    for (const f of spec.files) {
      const filename = f.filename ?? f.url?.split("/").at(-1);
      if (!filename)
        throw new PyprovError("INPUT_MALFORMED", `${spec.name}: a locked file has no name`);
      const fromUrl = f.url !== undefined ? urlFilename(f.url) : undefined;
      if (fromUrl !== undefined && fromUrl !== filename) {
        // The installer saves (and judges) the file by its URL's name.
        throw new PyprovError(
          "INPUT_MALFORMED",
          `${spec.name}: the lock names ${JSON.stringify(filename)}, but its URL names ${JSON.stringify(fromUrl)}`,
        );
      }
      const dist = parseDist(spec.name, filename);
      if (!belongs(dist, filename, f.sha256) || !wanted(dist, only)) continue;
      out.files.push(
        bind({
          filename,
          sha256: f.sha256,
          project: spec.name,
          version: dist.version,
          ...(f.url ? { url: f.url } : {}),
          warnings: f.sha256 ? [] : ["unpinned: the lock records no sha256 for this file"],
        }),
      );
    }
    return out;
  }

  const other = spec.otherHashes ?? [];
  if (spec.hashes.length === 0 && other.length === 0) {
    const elsewhere = [
      ...(spec.extraIndexes ?? []).map((u) => `--extra-index-url ${redactUrl(u)}`),
      ...(spec.findLinks ?? []).map((u) => `--find-links ${redactUrl(u)}`),
    ];
    if (spec.noIndex || elsewhere.length > 0) {
      reject({
        display: spec.name,
        ...(spec.version !== undefined ? { version: spec.version } : {}),
        code: spec.noIndex ? "NOT_FROM_INDEX" : "INDEX_AMBIGUOUS",
        message: spec.noIndex
          ? `${spec.name} has no --hash pin and the requirements file says --no-index: pip takes it from ${elsewhere.join(", ") || "no index"}, which no index provenance vouches for`
          : `${spec.name} has no --hash pin, and pip may take it from ${elsewhere.join(", ")} as well as the index (dependency confusion): pin it with --hash`,
      });
      return out;
    }
    // No hashes: resolve by version, and say so.
    for (const r of releaseFiles(await ctx.getPage(spec.name, index), spec.version, only)) {
      r.warnings.push(
        "unpinned: no --hash in the requirements file; verified by the digest the index lists today",
      );
      out.files.push(bind(r));
    }
    return out;
  }
  if (spec.noIndex) {
    warnings.push(
      "the requirements file says --no-index: pip reads only its --find-links; verified by the pinned digests on the index",
    );
  }
  if (other.length === 0 && (await fromCache(spec, only, ctx, out, bind))) return out;

  // Pinned by hashes: exactly the files pip would accept, on the index and
  // then on each extra index for the digests the index did not have.
  const sources = [index, ...(spec.extraIndexes ?? [])];
  const pins = new Map<string, Set<string>>([["sha256", new Set(spec.hashes)]]);
  for (const h of other) addDigest(pins, h.algorithm, h.digest);
  const matched = new Map<string, Set<string>>(); // algorithm -> pinned digests seen
  const seen = new Set<string>(); // sha256 of files taken
  const missingFrom: PyprovError[] = [];
  for (const [i, source] of sources.entries()) {
    if (i > 0 && allMatched(pins, matched)) break;
    let page: ProjectPage;
    try {
      page = await ctx.getPage(spec.name, source);
    } catch (err) {
      // With extra indexes, one without the project is no error: pip looks
      // in all of them. The digests none of them has are reported below.
      const notFound = err instanceof PyprovError && err.code === "INPUT_UNREADABLE";
      if (!notFound || sources.length === 1) throw err;
      missingFrom.push(err);
      continue;
    }
    for (const f of page.files) {
      const d = fileVersion(f);
      if (!d) continue;
      const digests = await pinnedDigests(f, d, spec, pins, ctx, source);
      if (digests === undefined) continue;
      for (const [alg, hex] of digests.matches) addDigest(matched, alg, hex);
      const sha256 = digests.sha256;
      if (sha256 === undefined || seen.has(sha256)) continue;
      if (!belongs(d, f.filename, sha256)) continue;
      seen.add(sha256);
      if (!wanted(d, only)) continue;
      const r = toResolved(page, f, d);
      r.sha256 = sha256;
      r.project = spec.name;
      if (!spec.pinned) r.warnings.push("unpinned: no exact == version pin");
      out.files.push(bind(r, source));
    }
  }
  if (missingFrom.length === sources.length) throw missingFrom[0]!;
  if (only === undefined) {
    for (const [alg, set] of pins) {
      for (const hex of set) {
        if (matched.get(alg)?.has(hex)) continue;
        out.unresolved.push({
          display: `${spec.name}${spec.version ? `==${spec.version}` : ""}`,
          origin,
          error: new PyprovError(
            "INPUT_UNREADABLE",
            `${spec.name}: no file on the index has the required ${alg} ${hex}`,
          ),
        });
      }
    }
  }
  return out;
}

function addDigest(map: Map<string, Set<string>>, algorithm: string, hex: string): void {
  const set = map.get(algorithm);
  if (set) set.add(hex);
  else map.set(algorithm, new Set([hex]));
}

function allMatched(pins: Map<string, Set<string>>, matched: Map<string, Set<string>>): boolean {
  for (const [alg, set] of pins) for (const h of set) if (!matched.get(alg)?.has(h)) return false;
  return true;
}

/**
 * Which of a file's digests match the entry's pins, and its sha256 (what its
 * provenance is checked against). A file the index lists without an algorithm
 * some pin uses is downloaded and hashed, but only when it is of the pinned
 * version; a pin that cannot be checked is an error naming the line.
 */
async function pinnedDigests(
  f: ProjectFile,
  d: DistributionFilename,
  spec: TargetSpec,
  pins: Map<string, Set<string>>,
  ctx: SpecContext,
  index: string | undefined,
): Promise<{ sha256: string | undefined; matches: [string, string][] } | undefined> {
  const hashes: Record<string, string> = { ...f.hashes };
  const absent = [...pins.keys()].filter(
    (alg) => (pins.get(alg)?.size ?? 0) > 0 && hashes[alg] === undefined,
  );
  // A download always yields sha256; these are the algorithms asked for beside it.
  const others = absent.filter((a): a is OtherHash["algorithm"] => a !== "sha256");
  const sameRelease =
    canonicalizeName(d.name) === canonicalizeName(spec.name) &&
    spec.version !== undefined &&
    versionsEqual(d.version, spec.version);
  if (absent.length > 0 && sameRelease) {
    if (!ctx.hashUrl) {
      throw new PyprovError(
        "INPUT_UNREADABLE",
        `line ${spec.source.line}: the index lists no ${absent.join("/")} for ${f.filename}, and this run cannot download it to check the pin`,
        { source: spec.source.file },
      );
    }
    const got = await ctx.hashUrl(f.url, others, index);
    if (hashes.sha256 !== undefined && got.sha256 !== hashes.sha256) {
      throw new PyprovError(
        "INPUT_MALFORMED",
        `${f.filename}: the index lists sha256 ${hashes.sha256}, but the file it serves hashes to ${got.sha256}`,
        { source: redactUrl(f.url) },
      );
    }
    Object.assign(hashes, got);
  } else if (spec.version === undefined && others.length > 0) {
    throw new PyprovError(
      "INPUT_UNREADABLE",
      `line ${spec.source.line}: ${others.join("/")} pins of ${spec.name} can only be checked with an exact == version (pip requires one with --hash)`,
      { source: spec.source.file },
    );
  }
  const matches: [string, string][] = [];
  for (const [alg, set] of pins) {
    const hex = hashes[alg];
    if (hex !== undefined && set.has(hex)) matches.push([alg, hex]);
  }
  return matches.length > 0 ? { sha256: hashes.sha256, matches } : undefined;
}

/**
 * A requirement pinned by sha256 whose files an earlier run already listed:
 * no need to ask the index again (a digest's file name never changes). Only
 * when every pin is known and belongs to the entry; anything else goes to
 * the index, where mismatches are reported.
 */
async function fromCache(
  spec: TargetSpec,
  only: OnlyKind,
  ctx: SpecContext,
  out: SpecResolution,
  bind: (r: ResolvedFile) => ResolvedFile,
): Promise<boolean> {
  if (!ctx.cached || (spec.extraIndexes?.length ?? 0) > 0) return false;
  const cached = ctx.cached;
  const known = await Promise.all(spec.hashes.map((h) => cached(h)));
  const files: ResolvedFile[] = [];
  for (const [i, k] of known.entries()) {
    if (k === undefined || canonicalizeName(k.project) !== canonicalizeName(spec.name))
      return false;
    let dist: DistributionFilename;
    try {
      dist = parseDistributionFilename(k.filename);
    } catch {
      return false;
    }
    if (canonicalizeName(dist.name) !== canonicalizeName(spec.name)) return false;
    if (spec.version !== undefined && !versionsEqual(dist.version, spec.version)) return false;
    if (!wanted(dist, only)) continue;
    files.push(
      bind({
        filename: k.filename,
        sha256: spec.hashes[i]!,
        project: spec.name,
        version: dist.version,
        ...(k.url !== undefined ? { url: k.url } : {}),
        warnings: spec.pinned ? [] : ["unpinned: no exact == version pin"],
      }),
    );
  }
  if (files.length === 0 && only === undefined) return false;
  out.files.push(...files);
  return true;
}

/** The index to look the entry up on, and a warning when the user's --index-url replaces it. */
function chooseIndex(
  spec: TargetSpec,
  override: string | undefined,
): { index: string | undefined; warnings: string[] } {
  if (override === undefined) return { index: spec.index, warnings: [] };
  const warnings: string[] = [];
  if (spec.index !== undefined && normaliseIndex(spec.index) !== normaliseIndex(override)) {
    warnings.push(
      `looked up on --index-url ${redactUrl(override)}, not on the index the entry names (${redactUrl(spec.index)})`,
    );
  }
  return { index: undefined, warnings };
}

function normaliseIndex(url: string): string {
  try {
    const u = new URL(url.trim());
    u.hash = "";
    if (!u.pathname.endsWith("/")) u.pathname += "/";
    return u.href;
  } catch {
    return url;
  }
}

/** The last path segment of a URL, percent-decoded (undefined when it cannot be read). */
function urlFilename(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).pathname.split("/").at(-1) ?? "") || undefined;
  } catch {
    return undefined;
  }
}

function parseDist(name: string, filename: string): DistributionFilename {
  try {
    return parseDistributionFilename(filename);
  } catch (err) {
    throw new PyprovError(
      "INPUT_MALFORMED",
      `${name}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}
