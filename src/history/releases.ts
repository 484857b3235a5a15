/**
 * A project's releases from its index page, in publication order, and the
 * window of releases a continuity check looks at.
 *
 * Order: by each release's earliest upload time, PEP 440 order for equal
 * times. When any release lacks an upload time (PEP 503 HTML pages give none)
 * every release is ordered by PEP 440 alone: a partial time order would not
 * be a total one.
 */
import { parseDistributionFilename, type DistributionFilename } from "../pypi/filename.js";
import { canonicalizeName } from "../pypi/names.js";
import type { ProjectFile, ProjectPage } from "../pypi/simple-api.js";
import { compareParsedVersions, tryParseVersion, type ParsedVersion } from "../pypi/version.js";

/** At most this many files of one history release are fetched and verified. */
export const MAX_FILES_PER_RELEASE = 8;

export interface PageRelease {
  /** The version as the first file of the release spells it. */
  version: string;
  parsed: ParsedVersion;
  /** Earliest upload time of its files (ISO 8601), or null when the index gives none. */
  uploadTime: string | null;
  /** Every file is yanked. */
  yanked: boolean;
  files: { file: ProjectFile; dist: DistributionFilename }[];
}

export interface OrderedReleases {
  releases: PageRelease[];
  order: "upload-time" | "pep440";
}

function timeOf(s: string | null): number | undefined {
  if (s === null) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

/** Group the page's distribution files by release (files of other projects are ignored). */
export function pageReleases(page: ProjectPage): OrderedReleases {
  const project = canonicalizeName(page.name);
  const releases: PageRelease[] = [];
  for (const file of page.files) {
    let dist: DistributionFilename;
    try {
      dist = parseDistributionFilename(file.filename);
    } catch {
      continue; // not a wheel or sdist (.egg, .exe, ...)
    }
    if (dist.name !== project) continue;
    const parsed = tryParseVersion(dist.version);
    if (!parsed) continue;
    let release = releases.find((r) => compareParsedVersions(r.parsed, parsed) === 0);
    if (!release) {
      release = { version: dist.version, parsed, uploadTime: null, yanked: true, files: [] };
      releases.push(release);
    }
    release.files.push({ file, dist });
    if (!file.yanked) release.yanked = false;
    const t = timeOf(file.uploadTime);
    if (t !== undefined && (release.uploadTime === null || t < (timeOf(release.uploadTime) ?? t))) {
      release.uploadTime = file.uploadTime;
    }
  }
  // A release with a file whose time is missing is as undated as one with none.
  const dated = releases.every(
    (r) => r.uploadTime !== null && r.files.every((f) => timeOf(f.file.uploadTime) !== undefined),
  );
  releases.sort((a, b) => {
    if (dated) {
      const d = timeOf(a.uploadTime)! - timeOf(b.uploadTime)!;
      if (d !== 0) return d;
    }
    return compareParsedVersions(a.parsed, b.parsed);
  });
  return { releases, order: dated ? "upload-time" : "pep440" };
}

/** The index of the release with this version, or -1. */
export function releaseIndex(releases: PageRelease[], version: string): number {
  const parsed = tryParseVersion(version);
  if (!parsed) return -1;
  return releases.findIndex((r) => compareParsedVersions(r.parsed, parsed) === 0);
}

/** The `n` releases published before the one at `index` (oldest first). */
export function previousReleases(releases: PageRelease[], index: number, n: number): PageRelease[] {
  return releases.slice(Math.max(0, index - n), index);
}

/** The files of a history release to examine: the sdist first, then wheels, at most `max`. */
export function filesToExamine(
  release: PageRelease,
  max = MAX_FILES_PER_RELEASE,
): { chosen: PageRelease["files"]; skipped: number } {
  const sorted = [...release.files].sort(
    (a, b) =>
      (a.dist.kind === "sdist" ? 0 : 1) - (b.dist.kind === "sdist" ? 0 : 1) ||
      (a.file.filename < b.file.filename ? -1 : a.file.filename > b.file.filename ? 1 : 0),
  );
  return { chosen: sorted.slice(0, max), skipped: Math.max(0, sorted.length - max) };
}

/** The earliest upload time of any file on the page (the project's first release), if known. */
export function firstUpload(page: ProjectPage): Date | undefined {
  let min: number | undefined;
  for (const f of page.files) {
    const t = timeOf(f.uploadTime);
    if (t !== undefined && (min === undefined || t < min)) min = t;
  }
  return min === undefined ? undefined : new Date(min);
}
