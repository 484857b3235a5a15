/**
 * Releases from an index page: grouping by PEP 440 version, ordering by
 * upload time with PEP 440 for ties (or alone when times are missing), the
 * window before a release, and which files of a history release are examined.
 */
import { describe, expect, it } from "vitest";
import {
  MAX_FILES_PER_RELEASE,
  filesToExamine,
  firstUpload,
  pageReleases,
  previousReleases,
  releaseIndex,
} from "../../src/history/releases.js";
import type { ProjectFile, ProjectPage } from "../../src/pypi/simple-api.js";

function file(filename: string, uploadTime: string | null, yanked = false): ProjectFile {
  return {
    filename,
    url: `https://files.example/${filename}`,
    hashes: { sha256: "0".repeat(64) },
    requiresPython: null,
    yanked,
    yankedReason: null,
    provenanceUrl: null,
    uploadTime,
    size: 1,
  };
}

function page(files: ProjectFile[], name = "demo"): ProjectPage {
  return {
    name,
    url: "https://index.example/simple/demo/",
    format: "json",
    apiVersion: "1.4",
    files,
    versions: null,
  };
}

const versions = (p: ProjectPage) => pageReleases(p).releases.map((r) => r.version);

describe("pageReleases", () => {
  it("orders by upload time, not by version (a backport published last comes last)", () => {
    const p = page([
      file("demo-2.0.tar.gz", "2024-03-01T00:00:00Z"),
      file("demo-1.9.1.tar.gz", "2024-04-01T00:00:00Z"),
      file("demo-1.0.tar.gz", "2023-01-01T00:00:00Z"),
    ]);
    expect(pageReleases(p).order).toBe("upload-time");
    expect(versions(p)).toEqual(["1.0", "2.0", "1.9.1"]);
  });

  it("a release's time is its earliest file's; equal times fall back to PEP 440", () => {
    const p = page([
      file("demo-1.10-py3-none-any.whl", "2024-01-01T00:00:00Z"),
      file("demo-1.10.tar.gz", "2025-01-01T00:00:00Z"),
      file("demo-1.9.tar.gz", "2024-01-01T00:00:00Z"),
      file("demo-1.2.tar.gz", "2023-06-01T00:00:00Z"),
    ]);
    const { releases } = pageReleases(p);
    expect(releases.map((r) => r.version)).toEqual(["1.2", "1.9", "1.10"]);
    expect(releases[2]!.uploadTime).toBe("2024-01-01T00:00:00Z");
    expect(releases[2]!.files).toHaveLength(2);
  });

  it("without upload times (or with any missing) orders every release by PEP 440", () => {
    const p = page([
      file("demo-1.10.tar.gz", null),
      file("demo-1.9.tar.gz", "2025-01-01T00:00:00Z"),
      file("demo-1.0rc1.tar.gz", "2020-01-01T00:00:00Z"),
      file("demo-1.0.tar.gz", "2021-01-01T00:00:00Z"),
    ]);
    expect(pageReleases(p).order).toBe("pep440");
    expect(versions(p)).toEqual(["1.0rc1", "1.0", "1.9", "1.10"]);
  });

  it("groups equal versions, ignores other projects' and unparseable files, marks yanked releases", () => {
    const p = page([
      file("demo-1.0.tar.gz", "2024-01-01T00:00:00Z", true),
      file("demo-1.0.0-py3-none-any.whl", "2024-01-01T00:00:00Z", true),
      file("demo-2.0.tar.gz", "2024-02-01T00:00:00Z", true),
      file("demo-2.0-py3-none-any.whl", "2024-02-01T00:00:00Z"),
      file("other-3.0.tar.gz", "2024-03-01T00:00:00Z"),
      file("demo-4.0.exe", "2024-03-01T00:00:00Z"),
    ]);
    const { releases } = pageReleases(p);
    expect(releases.map((r) => [r.version, r.files.length, r.yanked])).toEqual([
      ["1.0", 2, true],
      ["2.0", 2, false],
    ]);
  });
});

describe("windows", () => {
  const p = page(
    ["1.0", "1.1", "1.2", "1.3", "1.4"].map((v, i) =>
      file(`demo-${v}.tar.gz`, `2024-0${i + 1}-01T00:00:00Z`),
    ),
  );
  const { releases } = pageReleases(p);

  it("previousReleases gives the N releases published before, oldest first", () => {
    const at = releaseIndex(releases, "1.3.0");
    expect(at).toBe(3);
    expect(previousReleases(releases, at, 2).map((r) => r.version)).toEqual(["1.1", "1.2"]);
    expect(previousReleases(releases, at, 10).map((r) => r.version)).toEqual(["1.0", "1.1", "1.2"]);
    expect(previousReleases(releases, at, 0)).toEqual([]);
    expect(releaseIndex(releases, "9.9")).toBe(-1);
  });

  it("firstUpload is the earliest time on the page", () => {
    expect(firstUpload(p)?.toISOString()).toBe("2024-01-01T00:00:00.000Z");
    expect(firstUpload(page([file("demo-1.0.tar.gz", null)]))).toBeUndefined();
  });
});

describe("filesToExamine", () => {
  it("takes the sdist first, then wheels by name, at most MAX_FILES_PER_RELEASE", () => {
    const wheels = Array.from({ length: 12 }, (_, i) =>
      file(`demo-1.0-cp3${10 + i}-none-any.whl`, "2024-01-01T00:00:00Z"),
    );
    const p = page([...wheels, file("demo-1.0.tar.gz", "2024-01-01T00:00:00Z")]);
    const { chosen, skipped } = filesToExamine(pageReleases(p).releases[0]!);
    expect(chosen).toHaveLength(MAX_FILES_PER_RELEASE);
    expect(chosen[0]!.file.filename).toBe("demo-1.0.tar.gz");
    expect(chosen[1]!.file.filename).toBe("demo-1.0-cp310-none-any.whl");
    expect(skipped).toBe(13 - MAX_FILES_PER_RELEASE);
  });
});
