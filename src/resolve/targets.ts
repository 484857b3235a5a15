/**
 * Resolve what the user asked to verify into distribution files, each known
 * by name and sha256: local files, `NAME==VERSION`, `NAME` (latest release),
 * `pypi:FILENAME`, a file URL, requirements files and lockfiles.
 *
 * Requirements and lock entries are verified by the digests pip will enforce
 * (their hashes), never by what the index says now.
 */
import { existsSync } from "node:fs";
import { PyprovError } from "../errors.js";
import type { AttestationIdentity, TargetSpec } from "../inputs/types.js";
import { parseDistributionFilename, type DistributionFilename } from "../pypi/filename.js";
import { canonicalizeName, isValidProjectName } from "../pypi/names.js";
import type { CachedFile } from "../pypi/cache.js";
import type { ProjectFile, ProjectPage } from "../pypi/simple-api.js";
import { compareVersions, tryParseVersion, versionsEqual } from "../pypi/version.js";

/** A command-line target before resolution. */
export type TargetArg =
  | { kind: "path"; path: string }
  | { kind: "digest"; filename: string; sha256: string }
  | { kind: "release"; name: string; version: string | undefined }
  | { kind: "pypi-file"; filename: string }
  | { kind: "url"; url: string; filename: string };

export type OnlyKind = "wheel" | "sdist" | undefined;

/** A distribution file to verify. */
export interface ResolvedFile {
  filename: string;
  /** The digest to verify, lowercase hex; for local files computed from the bytes. */
  sha256: string | undefined;
  /** A local file to hash and look beside for sidecars. */
  path?: string;
  project?: string;
  version?: string;
  /** Where the index serves the file. */
  url?: string;
  /** From the index page: URL; null = the index says none; undefined = not known yet. */
  provenanceUrl?: string | null;
  /** The line in a requirements file or lockfile this came from. */
  origin?: { file: string; line: number };
  /** PEP 751 attestation-identities for this package. */
  expectedIdentities?: AttestationIdentity[];
  /** Warnings found while resolving (e.g. "unpinned"). */
  warnings: string[];
}

/** An entry with no index provenance by nature (editable, VCS, path, URL): reported, not verified. */
export interface SkippedTarget {
  name: string;
  reason: string;
  origin?: { file: string; line: number };
}

/** A target that could not be resolved: reported as "error" for that target only. */
export interface UnresolvedTarget {
  display: string;
  origin?: { file: string; line: number };
  error: PyprovError;
}

const DIST_SUFFIX = /\.(whl|tar\.gz|zip)$/;

/** Classify one positional argument. A path that exists is always a path. */
export function parseTargetArg(arg: string): TargetArg {
  if (existsSync(arg)) return { kind: "path", path: arg };
  if (arg.startsWith("pypi:")) {
    const filename = arg.slice(5);
    return { kind: "pypi-file", filename };
  }
  if (/^https?:\/\//i.test(arg)) {
    let filename: string | undefined;
    try {
      filename = decodeURIComponent(new URL(arg).pathname.split("/").at(-1) ?? "");
    } catch {
      throw new PyprovError("USAGE", `not a valid URL: ${JSON.stringify(arg)}`);
    }
    if (!filename) throw new PyprovError("USAGE", `the URL names no file: ${JSON.stringify(arg)}`);
    return { kind: "url", url: arg, filename };
  }
  if (arg.includes("/") || arg.includes("\\") || DIST_SUFFIX.test(arg))
    return { kind: "path", path: arg };
  const eq = arg.indexOf("==");
  if (eq >= 0) {
    const name = arg.slice(0, eq).trim();
    const version = arg.slice(eq + 2).trim();
    if (
      !isValidProjectName(name) ||
      tryParseVersion(version) === undefined ||
      version.startsWith("=")
    ) {
      throw new PyprovError("USAGE", `not a NAME==VERSION target: ${JSON.stringify(arg)}`);
    }
    return { kind: "release", name, version };
  }
  if (isValidProjectName(arg)) return { kind: "release", name: arg, version: undefined };
  throw new PyprovError(
    "USAGE",
    `not a file, NAME, NAME==VERSION, pypi:FILENAME or URL: ${JSON.stringify(arg)}`,
  );
}

function fileVersion(f: ProjectFile): DistributionFilename | undefined {
  try {
    return parseDistributionFilename(f.filename);
  } catch {
    return undefined; // Not a distribution we can verify (e.g. an .egg or .exe).
  }
}

function wanted(dist: DistributionFilename, only: OnlyKind): boolean {
  return only === undefined || dist.kind === only;
}

function toResolved(page: ProjectPage, f: ProjectFile, dist: DistributionFilename): ResolvedFile {
  const sha256 = f.hashes.sha256;
  return {
    filename: f.filename,
    sha256,
    project: page.name,
    version: dist.version,
    url: f.url,
    provenanceUrl: f.provenanceUrl,
    warnings: sha256 ? [] : ["the index lists no sha256 for this file"],
  };
}

/** The newest version among non-yanked files: final releases first, else any. */
export function latestVersion(page: ProjectPage, only: OnlyKind): string | undefined {
  const versions = new Map<string, boolean>();
  for (const f of page.files) {
    if (f.yanked) continue;
    const d = fileVersion(f);
    if (!d || !wanted(d, only)) continue;
    const p = tryParseVersion(d.version);
    if (p) versions.set(d.version, p.pre === undefined && p.dev === undefined);
  }
  const pick = (final: boolean) =>
    [...versions].filter(([, isFinal]) => isFinal || !final).map(([v]) => v);
  const candidates = pick(true).length > 0 ? pick(true) : pick(false);
  return candidates.sort(compareVersions).at(-1);
}

/** Every file of NAME==VERSION (or the latest release), as the index lists them. */
export function releaseFiles(
  page: ProjectPage,
  version: string | undefined,
  only: OnlyKind,
): ResolvedFile[] {
  const v = version ?? latestVersion(page, only);
  if (v === undefined) {
    throw new PyprovError(
      "INPUT_UNREADABLE",
      `${page.name} has no release${only ? ` with a ${only}` : ""} to verify`,
    );
  }
  const files: ResolvedFile[] = [];
  for (const f of page.files) {
    const d = fileVersion(f);
    if (!d || !wanted(d, only) || !versionsEqual(d.version, v)) continue;
    // PEP 592: a yanked file is only chosen when its version is pinned with ==.
    if (f.yanked && version === undefined) continue;
    if (canonicalizeName(d.name) !== canonicalizeName(page.name)) continue;
    files.push(toResolved(page, f, d));
  }
  if (files.length === 0) {
    throw new PyprovError(
      "INPUT_UNREADABLE",
      `${page.name}==${v} has no ${only ?? "distribution"} files on the index`,
    );
  }
  return files;
}

/** One file by its name, as `pypi:FILENAME` or a file URL names it. */
export function fileByName(page: ProjectPage, filename: string): ResolvedFile {
  const f = page.files.find((x) => x.filename === filename);
  const d = f ? fileVersion(f) : undefined;
  if (!f || !d) {
    throw new PyprovError(
      "INPUT_UNREADABLE",
      `${filename} is not listed on the index for ${page.name}`,
    );
  }
  return toResolved(page, f, d);
}

/** The project a distribution filename belongs to. */
export function projectOfFilename(filename: string): string {
  try {
    return parseDistributionFilename(filename).name;
  } catch (err) {
    throw new PyprovError("USAGE", err instanceof Error ? err.message : String(err));
  }
}

/**
 * Files for one requirements-file or lockfile entry. Lockfiles name their
 * files; requirements give hashes, which select the index's files. Entries
 * without hashes are resolved by version (or to the latest release) and
 * flagged as unpinned.
 */
export async function resolveSpec(
  spec: TargetSpec,
  only: OnlyKind,
  getPage: (name: string) => Promise<ProjectPage>,
  /** What an earlier run learned from the index about the file with this digest. */
  cached: (sha256: string) => Promise<CachedFile | undefined> = () => Promise.resolve(undefined),
): Promise<{ files: ResolvedFile[]; unresolved: UnresolvedTarget[]; skipped?: SkippedTarget }> {
  const origin = spec.source;
  const base = {
    origin,
    project: spec.name,
    ...(spec.version !== undefined ? { version: spec.version } : {}),
    ...(spec.expectedIdentities ? { expectedIdentities: spec.expectedIdentities } : {}),
  };
  if (spec.nonIndex) {
    return {
      files: [],
      unresolved: [],
      skipped: {
        name: spec.name,
        reason: `${spec.nonIndex.kind} source, not a package index: no index provenance to verify`,
        origin,
      },
    };
  }
  // A lockfile: exactly its files, by its digests.
  if (spec.files.length > 0) {
    const out: ResolvedFile[] = [];
    for (const f of spec.files) {
      const filename = f.filename ?? f.url?.split("/").at(-1);
      if (!filename)
        throw new PyprovError("INPUT_MALFORMED", `${spec.name}: a locked file has no name`);
      let dist: DistributionFilename;
      try {
        dist = parseDistributionFilename(filename);
      } catch (err) {
        throw new PyprovError(
          "INPUT_MALFORMED",
          `${spec.name}: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
      if (!wanted(dist, only)) continue;
      out.push({
        ...base,
        filename,
        sha256: f.sha256,
        ...(f.url ? { url: f.url } : {}),
        warnings: f.sha256 ? [] : ["unpinned: the lock records no sha256 for this file"],
      });
    }
    return { files: out, unresolved: [] };
  }
  // A requirement with hashes whose files an earlier run already listed:
  // no need to ask the index again (a digest's file name never changes).
  if (spec.hashes.length > 0) {
    const known = await Promise.all(spec.hashes.map((h) => cached(h)));
    if (
      known.every(
        (k) => k !== undefined && canonicalizeName(k.project) === canonicalizeName(spec.name),
      )
    ) {
      const files: ResolvedFile[] = [];
      known.forEach((k, i) => {
        let dist: DistributionFilename;
        try {
          dist = parseDistributionFilename(k!.filename);
        } catch {
          return;
        }
        if (!wanted(dist, only)) return;
        if (spec.version !== undefined && !versionsEqual(dist.version, spec.version)) return;
        files.push({
          filename: k!.filename,
          sha256: spec.hashes[i]!,
          project: k!.project,
          version: dist.version,
          ...(k!.url !== undefined ? { url: k!.url } : {}),
          origin,
          ...(spec.expectedIdentities ? { expectedIdentities: spec.expectedIdentities } : {}),
          warnings: spec.pinned ? [] : ["unpinned: no exact == version pin"],
        });
      });
      if (files.length > 0 || only !== undefined) return { files, unresolved: [] };
    }
  }
  const page = await getPage(spec.name);
  // A requirement with hashes: exactly the files pip would accept.
  if (spec.hashes.length > 0) {
    const allowed = new Set(spec.hashes);
    const files = page.files
      .map((f) => ({ f, d: fileVersion(f) }))
      .filter(
        (x): x is { f: ProjectFile; d: DistributionFilename } =>
          x.d !== undefined && x.f.hashes.sha256 !== undefined && allowed.has(x.f.hashes.sha256),
      )
      .filter((x) => wanted(x.d, only))
      .filter((x) => spec.version === undefined || versionsEqual(x.d.version, spec.version));
    const out = files.map(({ f, d }) => ({
      ...toResolved(page, f, d),
      origin,
      ...(spec.expectedIdentities ? { expectedIdentities: spec.expectedIdentities } : {}),
    }));
    const found = new Set(out.map((r) => r.sha256));
    const unresolved: UnresolvedTarget[] = [];
    if (only === undefined) {
      for (const h of spec.hashes.filter((x) => !found.has(x))) {
        unresolved.push({
          display: `${spec.name}${spec.version ? `==${spec.version}` : ""}`,
          origin,
          error: new PyprovError(
            "INPUT_UNREADABLE",
            `${spec.name}: no file on the index has the required sha256 ${h}`,
          ),
        });
      }
    }
    if (!spec.pinned) for (const r of out) r.warnings.push("unpinned: no exact == version pin");
    return { files: out, unresolved };
  }
  // No hashes: resolve by version, and say so.
  const out = releaseFiles(page, spec.version, only).map((r) => ({ ...r, origin }));
  for (const r of out) {
    r.warnings.push(
      "unpinned: no --hash in the requirements file; verified by the digest the index lists today",
    );
    if (spec.expectedIdentities) r.expectedIdentities = spec.expectedIdentities;
  }
  return { files: out, unresolved: [] };
}
