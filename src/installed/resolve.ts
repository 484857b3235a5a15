/**
 * `verify --installed`: each installed distribution → the wheel on the index
 * it was installed from, with the comparison of its files on disk.
 *
 * 1. The dist-info's recorded archive sha256 (direct_url.json archive_info,
 *    PEP 710 provenance_url.json) selects the index file exactly; otherwise
 *    the release's wheels whose tags are the WHEEL file's tags are the
 *    candidates, tried in index order.
 * 2. Each candidate's contents (RECORD, entry points, script tails) are read
 *    from its bytes, downloaded and checked against the index's sha256, and
 *    cached by that digest; the first candidate the installed files match is
 *    the one verified. When none matches, the first is verified and fails
 *    INSTALLED_MODIFIED naming the files.
 * 3. A direct URL, VCS or local directory install, a dist-info without
 *    RECORD, a legacy egg-info, a project not on the index and a version
 *    with no matching wheel (built locally from an sdist) are NOT_FROM_INDEX:
 *    a failure unless a policy exception names the project.
 */
import { spawnSync } from "node:child_process";
import { realpathSync } from "node:fs";
import { join } from "node:path";
import { PyprovError } from "../errors.js";
import { parseDistributionFilename } from "../pypi/filename.js";
import type { GetPage } from "../resolve/spec.js";
import { releaseFiles, type RejectedTarget, type ResolvedFile } from "../resolve/targets.js";
import { unresolved, type Slot } from "../resolve/jobs.js";
import { compareInstalled, expectedFiles, ownDirectories, type Finding } from "./compare.js";
import { distributionsIn, sitePackagesOf } from "./discover.js";
import { readDistInfo, type DistInfo } from "./dist-info.js";
import { observeFiles, unlistedFiles } from "./disk.js";
import type { WheelContentsStore } from "./contents.js";

export interface InstalledCheck {
  distInfoPath: string;
  findings: Finding[];
}

export interface InstalledContext {
  getPage: GetPage;
  contents: WheelContentsStore;
}

/** One job per installed distribution (and per legacy egg-info) of the given PATHs. */
export function installedJobs(
  paths: readonly string[],
  ctx: InstalledContext,
): (() => Promise<Slot[]>)[] {
  const roots = paths.length > 0 ? paths.flatMap(sitePackagesOf) : interpreterSitePackages();
  const jobs: (() => Promise<Slot[]>)[] = [];
  const seen = new Set<string>();
  for (const sp of roots) {
    const real = realpathSync(sp);
    if (seen.has(real)) continue;
    seen.add(real);
    const dists = distributionsIn(sp);
    const infos = dists.distInfos.map((name) => {
      try {
        return { name, info: readDistInfo(sp, name) };
      } catch (err) {
        return { name, error: err };
      }
    });
    // Every path some installed RECORD claims: an unlisted file is nobody's.
    const listed = new Set<string>();
    for (const i of infos) for (const r of i.info?.record ?? []) listed.add(r.path);
    for (const i of infos) {
      const origin = { file: join(sp, i.name), line: 1 };
      if (i.info === undefined) {
        jobs.push(() => Promise.resolve([unresolved(i.name, origin, i.error)]));
      } else {
        const info = i.info;
        jobs.push(() => resolveInstalled(info, sp, listed, ctx));
      }
    }
    for (const egg of dists.eggInfos) {
      const project = egg.split("-")[0] ?? egg;
      jobs.push(() =>
        Promise.resolve([
          rejected(
            { project, display: egg, origin: { file: join(sp, egg), line: 1 } },
            "a legacy egg-info install records no wheel and no file hashes, so nothing ties it to a published file",
          ),
        ]),
      );
    }
  }
  return jobs;
}

export async function resolveInstalled(
  info: DistInfo,
  sitePackages: string,
  listed: ReadonlySet<string>,
  ctx: InstalledContext,
): Promise<Slot[]> {
  const origin = { file: info.path, line: 1 };
  const who = { project: info.project, version: info.version, display: info.name, origin };
  if (info.direct) {
    const what = info.direct.editable ? "an editable" : `a direct ${info.direct.kind}`;
    return [
      rejected(
        who,
        `installed as ${what} install from ${info.direct.url}: not from a package index`,
      ),
    ];
  }
  if (info.record === undefined) {
    return [
      rejected(
        who,
        `no RECORD: ${info.installer ?? "the installer"} recorded no files, so nothing ties them to a wheel`,
      ),
    ];
  }
  let files: ResolvedFile[];
  try {
    const page = await ctx.getPage(info.project);
    files = releaseFiles(page, info.version, "wheel");
  } catch (err) {
    if (err instanceof PyprovError && err.code === "INPUT_UNREADABLE") {
      return [rejected(who, `not on the index (${err.message})`)];
    }
    return [unresolved(info.name, origin, err)];
  }
  const wanted = new Set(info.tags.map((t) => t.toLowerCase()));
  const candidates = files.filter((f) => {
    if (info.origin?.sha256 !== undefined) return f.sha256 === info.origin.sha256;
    try {
      const d = parseDistributionFilename(f.filename);
      if (d.kind !== "wheel") return false;
      return d.tags.size === wanted.size && [...d.tags].every((t) => wanted.has(t));
    } catch {
      return false;
    }
  });
  if (candidates.length === 0) {
    return [
      rejected(
        who,
        info.origin?.sha256 !== undefined
          ? `the archive ${info.origin.from} records (sha256 ${info.origin.sha256}) is not a wheel of ${info.project} ${info.version} on the index`
          : `no wheel of ${info.project} ${info.version} on the index has the tags ${[...wanted].join(", ") || "(none)"}: built locally (from an sdist?) or from elsewhere`,
      ),
    ];
  }
  const installed = info.record;
  let first: { file: ResolvedFile; findings: Finding[] } | undefined;
  for (const file of candidates) {
    let findings: Finding[];
    try {
      const wheel = await ctx.contents.get(file);
      const paths = [
        ...expectedFiles(wheel, installed).expected.map((e) => e.path),
        ...installed.map((r) => r.path),
      ];
      const observed = await observeFiles(sitePackages, paths);
      const unlisted = unlistedFiles(sitePackages, ownDirectories(wheel, installed), listed);
      findings = compareInstalled(wheel, installed, observed, unlisted);
    } catch (err) {
      return [unresolved(info.name, origin, err)];
    }
    const slot = { file: { ...file, origin }, findings };
    if (findings.length === 0) return [indexSlot(slot, info)];
    first ??= slot;
  }
  return first ? [indexSlot(first, info)] : [];
}

function indexSlot(s: { file: ResolvedFile; findings: Finding[] }, info: DistInfo): Slot {
  return {
    kind: "index",
    file: s.file,
    installed: { distInfoPath: info.path, findings: s.findings },
  };
}

function rejected(
  who: Pick<RejectedTarget, "project" | "display" | "origin"> & { version?: string },
  message: string,
): Slot {
  return { kind: "rejected", target: { ...who, code: "NOT_FROM_INDEX", message } };
}

/** One line per finding, for reports. */
export function describeFinding(f: Finding): string {
  switch (f.kind) {
    case "changed":
      return `changed: ${f.path} differs from the wheel's ${f.wheelPath}`;
    case "missing":
      return `missing: ${f.path} (the wheel's ${f.wheelPath}) is not installed`;
    case "extra":
      return `extra: ${f.path} is not in the wheel`;
    case "unhashed":
      return `unhashed: the wheel's RECORD gives no hash for ${f.wheelPath}`;
  }
}

/** The purelib and platlib folders of `python3` on PATH. */
function interpreterSitePackages(): string[] {
  const r = spawnSync(
    "python3",
    [
      "-c",
      "import json, sysconfig; print(json.dumps([sysconfig.get_path('purelib'), sysconfig.get_path('platlib')]))",
    ],
    { encoding: "utf8", timeout: 30_000 },
  );
  if (r.status !== 0) {
    throw new PyprovError(
      "USAGE",
      "--installed without a PATH asks python3 on PATH for its site-packages, and that failed: give --installed PATH",
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.stdout);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || !parsed.every((p) => typeof p === "string")) {
    throw new PyprovError("USAGE", "python3 did not name its site-packages: give --installed PATH");
  }
  return [...new Set(parsed)].flatMap((p) => {
    try {
      return sitePackagesOf(p);
    } catch {
      return [];
    }
  });
}
