/**
 * `verify --history N`: publisher continuity and look-alike names, per
 * package, after the run's own verification.
 *
 * A package is a canonical project name among the run's index targets
 * (NAME==VERSION, requirements, lockfiles; local files have no index page).
 * For each version of it being verified:
 *
 *   1. its window: the N releases published before it (index page, ordered
 *      by upload time) and itself;
 *   2. each history release's files (the sdist first, at most 8) are fetched
 *      through the cache and verified cryptographically, by the digest the
 *      index lists, exactly as the run's own files are (the caller's
 *      `verifyFile`); the release is summarised by who signed it;
 *   3. consecutive releases are compared (compare.ts), and the package's name
 *      is checked against popular projects, its age and its repository
 *      (names/check.ts);
 *   4. every report of that version gets `continuity`; a failing finding
 *      turns "verified" (and "missing") into "failed" with its code.
 */
import { PyprovError } from "../errors.js";
import { PopularIndex } from "../names/lookalike.js";
import { checkNames } from "../names/check.js";
import { loadPopularList } from "../names/popular.js";
import type { LoadedPolicy } from "../policy/load.js";
import { defaultCacheDir } from "../pypi/cache.js";
import { parseDistributionFilename } from "../pypi/filename.js";
import { canonicalizeName } from "../pypi/names.js";
import type { ProjectPage } from "../pypi/simple-api.js";
import type { ResolvedFile } from "../resolve/targets.js";
import { mapPool } from "../util/pool.js";
import { errorReport } from "../verify/reports.js";
import type { TargetReport } from "../verify/types.js";
import { attach, noHistory } from "./attach.js";
import { compareWindow, type WindowRelease } from "./compare.js";
import { fileStatus, identitiesOf, sameIdentity, type ObservedIdentity } from "./identity.js";
import {
  filesToExamine,
  firstUpload,
  pageReleases,
  previousReleases,
  releaseIndex,
  type PageRelease,
} from "./releases.js";
import { continuityRules } from "./rules.js";
import type { ContinuityReport, HistoryFile, HistoryRelease } from "./types.js";

export const DEFAULT_HISTORY = 5;
export const MAX_HISTORY = 50;

export interface ContinuityOptions {
  /** Previous releases to compare per package (0: none; the look-alike checks still run). */
  history: number;
  /** Look-alike name checks (default true). */
  lookalike?: boolean;
  /** Popular project names, most popular first; default: the list `pyprov names update` cached. */
  popular?: readonly string[];
}

export interface ContinuityContext {
  getPage: (name: string) => Promise<ProjectPage>;
  /** Fetch and verify one index file's provenance, as the run verifies its own files. */
  verifyFile: (file: ResolvedFile) => Promise<TargetReport>;
  policy: LoadedPolicy | undefined;
  now: Date;
  concurrency: number;
  /** Where `pyprov names update` keeps the popular-project list (default: the cache directory). */
  cacheDir?: string | undefined;
  onWarning?: (message: string) => void;
}

interface Package {
  name: string;
  /** The name to ask the index for. */
  project: string;
  /** Reports by version (as the index spells it). */
  versions: Map<string, TargetReport[]>;
}

function versionOf(r: TargetReport): string | undefined {
  if (r.target.version !== undefined) return r.target.version;
  try {
    return parseDistributionFilename(r.target.filename).version;
  } catch {
    return undefined;
  }
}

function packagesOf(results: TargetReport[]): Package[] {
  const byName = new Map<string, Package>();
  for (const r of results) {
    const project = r.target.project;
    const version = versionOf(r);
    if (project === undefined || version === undefined) continue;
    const name = canonicalizeName(project);
    let p = byName.get(name);
    if (!p) byName.set(name, (p = { name, project, versions: new Map() }));
    const list = p.versions.get(version) ?? [];
    list.push(r);
    p.versions.set(version, list);
  }
  return [...byName.values()];
}

export async function checkContinuity(
  results: TargetReport[],
  opts: ContinuityOptions,
  ctx: ContinuityContext,
): Promise<void> {
  const n = opts.history;
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_HISTORY) {
    throw new PyprovError("USAGE", `history must be a whole number from 0 to ${MAX_HISTORY}`);
  }
  const packages = packagesOf(results);
  const local = results.filter((r) => r.target.project === undefined && r.verdict !== "error");
  if (local.length > 0) {
    ctx.onWarning?.(
      `--history compares the releases of index packages only: ${local.length} local file(s) were not compared (name them as NAME==VERSION, or in a requirements file or lockfile)`,
    );
  }
  if (packages.length === 0) return;
  const popular = popularIndex(opts, ctx, packages);

  // 1. Every package's index page (one request each: the run has fetched most already).
  const pages = await mapPool(packages, ctx.concurrency, (p) => ctx.getPage(p.project), {
    settle: true,
  });

  // 2. Windows, and every history file to verify (once, whatever windows share it).
  interface Plan {
    pkg: Package;
    page: ProjectPage;
    version: string;
    reports: TargetReport[];
    order: ContinuityReport["order"];
    current: PageRelease | undefined;
    previous: { release: PageRelease; files: ResolvedFile[]; skipped: number }[];
  }
  const plans: Plan[] = [];
  const verified = new Map<string, TargetReport>();
  for (const r of results) verified.set(r.target.filename, r);
  const toVerify = new Map<string, ResolvedFile>();
  packages.forEach((pkg, i) => {
    const outcome = pages[i]!;
    if (outcome.status === "rejected") {
      for (const reports of pkg.versions.values()) noHistory(reports, outcome.reason);
      return;
    }
    const page = outcome.value;
    const { releases, order } = pageReleases(page);
    for (const [version, reports] of pkg.versions) {
      const at = releaseIndex(releases, version);
      const previous = (at < 0 ? [] : previousReleases(releases, at, n)).map((release) => {
        const { chosen, skipped } = filesToExamine(release);
        const files = chosen.map(({ file, dist }) => indexFile(page, file, dist.version));
        for (const f of files) if (!verified.has(f.filename)) toVerify.set(f.filename, f);
        return { release, files, skipped };
      });
      plans.push({ pkg, page, version, reports, order, current: releases[at], previous });
    }
  });
  await mapPool([...toVerify.values()], ctx.concurrency, async (file) => {
    verified.set(
      file.filename,
      await ctx.verifyFile(file).catch((err: unknown) => failedToVerify(file, err)),
    );
  });

  // 3–4. Compare, check names, attach.
  const checkingNames = opts.lookalike !== false;
  for (const plan of plans) {
    const rules = continuityRules(ctx.policy, plan.pkg.name);
    const window: WindowRelease[] = plan.previous.map((prev) =>
      summarise(
        prev.release,
        prev.files.map((f) => verified.get(f.filename)!),
        false,
        prev.skipped,
      ),
    );
    const current = summarise(
      plan.current ?? { version: plan.version, uploadTime: null, yanked: false },
      plan.reports,
      true,
      0,
    );
    window.push(current);
    const { findings, downgrade } = compareWindow(window, rules);
    if (!plan.current) {
      findings.unshift({
        kind: "incomplete",
        severity: "warn",
        to: plan.version,
        message: `history: ${plan.pkg.name} ${plan.version} is not listed on the index page; its previous releases were not compared`,
      });
    }
    const names = !checkingNames
      ? []
      : checkNames(
          {
            name: plan.pkg.name,
            firstUpload: firstUpload(plan.page),
            repositories: current.observed
              .map((o) => o.identity.repository)
              .filter((r): r is string => r !== undefined),
            popular,
            now: ctx.now,
          },
          rules,
        );
    const report: Omit<ContinuityReport, "results"> = {
      package: plan.pkg.name,
      history: n,
      order: plan.order,
      releases: window.map((w) => w.release),
      findings: [...findings, ...names],
    };
    const checked = checkingNames && rules.lookalike !== "off";
    for (const r of plan.reports) attach(r, report, { findings, names, downgrade, checked });
  }
}

function popularIndex(
  opts: ContinuityOptions,
  ctx: ContinuityContext,
  packages: Package[],
): PopularIndex | undefined {
  if (opts.lookalike === false) return undefined;
  if (opts.popular) return new PopularIndex(opts.popular);
  const everyOff = packages.every((p) => continuityRules(ctx.policy, p.name).lookalike === "off");
  if (everyOff) return undefined;
  const loaded = loadPopularList(ctx.cacheDir ?? defaultCacheDir());
  if (loaded.ok) return loaded.index;
  ctx.onWarning?.(loaded.note);
  return undefined;
}

function indexFile(
  page: ProjectPage,
  file: ProjectPage["files"][number],
  version: string,
): ResolvedFile {
  return {
    filename: file.filename,
    sha256: file.hashes.sha256,
    project: page.name,
    version,
    url: file.url,
    provenanceUrl: file.provenanceUrl,
    warnings: [],
  };
}

function failedToVerify(file: ResolvedFile, err: unknown): TargetReport {
  return errorReport({ filename: file.filename, sha256: file.sha256 ?? "" }, err);
}

/** A release of the window from its files' reports. */
function summarise(
  release: Pick<PageRelease, "version" | "uploadTime" | "yanked">,
  reports: TargetReport[],
  current: boolean,
  skipped: number,
): WindowRelease {
  const files: HistoryFile[] = [];
  const observed: ObservedIdentity[] = [];
  for (const r of reports) {
    const s = fileStatus(r);
    files.push({
      filename: r.target.filename,
      sha256: r.target.sha256 || undefined,
      status: s.status,
      ...(s.message !== undefined ? { message: s.message } : {}),
    });
    if (s.status !== "attested") continue;
    for (const o of identitiesOf(r)) {
      if (!observed.some((x) => sameIdentity(x.identity, o.identity))) observed.push(o);
    }
  }
  const attested = files.filter((f) => f.status === "attested").length;
  const absent = files.filter((f) => f.status === "absent").length;
  const status: HistoryRelease["status"] =
    attested > 0 && absent === 0 && attested === files.length
      ? "attested"
      : attested > 0 && absent > 0
        ? "partial"
        : attested > 0
          ? "attested"
          : absent > 0
            ? "unattested"
            : "unknown";
  return {
    release: {
      version: release.version,
      uploadTime: release.uploadTime,
      yanked: release.yanked,
      current,
      status,
      identities: observed.map((o) => o.identity),
      files,
      ...(skipped > 0 ? { skippedFiles: skipped } : {}),
    },
    observed,
  };
}
