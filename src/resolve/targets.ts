/**
 * Resolve what the user asked to verify into distribution files, each known
 * by name and sha256: local files, `NAME==VERSION`, `NAME` (latest release),
 * `pypi:FILENAME`, a file URL, requirements files and lockfiles.
 *
 * Requirements and lock entries are verified by the digests pip will enforce
 * (their hashes), never by what the index says now.
 */
import { existsSync } from "node:fs";
import { PyprovError, type FailureCode } from "../errors.js";
import type { AttestationIdentity } from "../inputs/types.js";
import { parseDistributionFilename, type DistributionFilename } from "../pypi/filename.js";
import { canonicalizeName, isValidProjectName } from "../pypi/names.js";
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
  /** The index the file was resolved on (its provenance is looked up there); default: the run's. */
  index?: string;
  /** From the index page: URL; null = the index says none; undefined = not known yet. */
  provenanceUrl?: string | null;
  /** The line in a requirements file or lockfile this came from. */
  origin?: { file: string; line: number };
  /** PEP 751 attestation-identities for this package. */
  expectedIdentities?: AttestationIdentity[];
  /** Warnings found while resolving (e.g. "unpinned"). */
  warnings: string[];
}

/** A uv workspace's own package (the code being locked, not a dependency): reported, not verified. */
export interface SkippedTarget {
  name: string;
  reason: string;
  origin?: { file: string; line: number };
}

/**
 * An entry resolution itself fails, before any provenance is fetched: a
 * direct URL, VCS, path or editable requirement (NOT_FROM_INDEX, reported as
 * missing provenance that only a policy exception can excuse), an unpinned
 * requirement with more than one index (INDEX_AMBIGUOUS), or a locked or
 * pinned file of another project or version (ENTRY_MISMATCH).
 */
export interface RejectedTarget {
  /** The file name, or the entry as written when it names no file. */
  display: string;
  origin: { file: string; line: number };
  /** The package the entry installs, as written. */
  project: string;
  version?: string;
  url?: string;
  sha256?: string;
  code: Extract<FailureCode, "NOT_FROM_INDEX" | "INDEX_AMBIGUOUS" | "ENTRY_MISMATCH">;
  message: string;
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

export function fileVersion(f: ProjectFile): DistributionFilename | undefined {
  try {
    return parseDistributionFilename(f.filename);
  } catch {
    return undefined; // Not a distribution we can verify (e.g. an .egg or .exe).
  }
}

export function wanted(dist: DistributionFilename, only: OnlyKind): boolean {
  return only === undefined || dist.kind === only;
}

export function toResolved(
  page: ProjectPage,
  f: ProjectFile,
  dist: DistributionFilename,
): ResolvedFile {
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
