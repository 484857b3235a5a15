/**
 * An installed distribution against the wheel it came from: every file the
 * wheel's RECORD lists must be installed with that digest, and the installed
 * RECORD may list nothing else but what installers legitimately write.
 *
 * Pure logic: the caller reads both RECORDs and hashes the files on disk
 * (`observed`); this decides. Paths are relative to the site-packages folder
 * the distribution is installed in, as the installed RECORD writes them.
 *
 * Where a wheel file goes (the binary distribution format spec):
 * - `NAME-VER.data/purelib/X` and `.../platlib/X` → `X`;
 * - `NAME-VER.data/scripts/X`, `.../data/X`, `.../headers/X` → outside
 *   site-packages, at the installed RECORD row that leaves it (`../`) and
 *   ends in `/X`; a script's first line is an installer-rewritten `#!python`
 *   shebang, so a script whose wheel copy starts with `#!python` is compared
 *   after its first line (`scriptTails`);
 * - everything else → the same path.
 *
 * Allowed without being in the wheel (ALLOWANCES, named in the README):
 * - `DIST-INFO/INSTALLER`, `REQUESTED`, `direct_url.json`,
 *   `provenance_url.json` (PEP 710) and the installed `RECORD` itself;
 * - `__pycache__/STEM.*.pyc` next to a wheel's `STEM.py` (compiled by the
 *   installer; their content is not checked);
 * - console and GUI script wrappers generated from the wheel's
 *   `entry_points.txt` (`NAME`, `NAME.exe`, `NAME-script.py`, outside
 *   site-packages; generated, so their content is not checked).
 */
import type { RecordEntry } from "./record.js";

/** The wheel's side: its RECORD and what the installer derives from it. */
export interface WheelContents {
  /** `NAME-VER.dist-info`, as the wheel names it. */
  distInfo: string;
  record: RecordEntry[];
  /** Console and GUI script names from the wheel's entry_points.txt. */
  entryPointScripts: string[];
  /**
   * For `.data/scripts/` files whose wheel copy starts with `#!python`: the
   * sha256 (hex) of the bytes after its first line, by wheel path.
   */
  scriptTails: Map<string, string>;
}

/** A file on disk: its sha256, and that of the bytes after its first line; null when absent. */
export type Observed = { sha256: string; tailSha256: string } | null;

export type Finding =
  | { kind: "changed"; path: string; wheelPath: string }
  | { kind: "missing"; path: string; wheelPath: string }
  | { kind: "extra"; path: string }
  | { kind: "unhashed"; wheelPath: string };

export interface Expected {
  /** Where it is installed, relative to site-packages ("" when the installed RECORD has no row for it). */
  path: string;
  wheelPath: string;
  /** sha256 hex, or undefined for another algorithm (the caller hashes with it). */
  digest: { algorithm: string; hex: string };
  /** The digest applies to the bytes after the first line (a rewritten script). */
  tail: boolean;
}

/** Rows in the installed dist-info folder installers write themselves. */
export const DIST_INFO_ALLOWANCES = [
  "INSTALLER",
  "REQUESTED",
  "direct_url.json",
  "provenance_url.json",
  "RECORD",
] as const;

const WHEEL_UNHASHED = new Set(["RECORD", "RECORD.jws", "RECORD.p7s"]);

/** The files to check on disk, and the findings that need no disk (unhashed or unplaced rows). */
export function expectedFiles(
  wheel: WheelContents,
  installed: RecordEntry[],
): { expected: Expected[]; findings: Finding[] } {
  const dataDir = `${wheel.distInfo.replace(/\.dist-info$/, "")}.data/`;
  const outside = installed.filter((e) => e.path.startsWith("../") || e.path.startsWith("/"));
  const expected: Expected[] = [];
  const findings: Finding[] = [];
  for (const row of wheel.record) {
    const inDistInfo = row.path.startsWith(`${wheel.distInfo}/`);
    const base = row.path.slice(wheel.distInfo.length + 1);
    if (!row.hash) {
      if (!(inDistInfo && WHEEL_UNHASHED.has(base))) {
        findings.push({ kind: "unhashed", wheelPath: row.path });
      }
      continue;
    }
    let path = row.path;
    let tail = false;
    if (row.path.startsWith(dataDir)) {
      const rest = row.path.slice(dataDir.length);
      const slash = rest.indexOf("/");
      const key = rest.slice(0, slash);
      const sub = rest.slice(slash + 1);
      if (key === "purelib" || key === "platlib") path = sub;
      else {
        path = outside.find((e) => e.path.endsWith(`/${sub}`))?.path ?? "";
        if (key === "scripts" && wheel.scriptTails.has(row.path)) tail = true;
      }
    }
    const digest = tail
      ? { algorithm: "sha256", hex: wheel.scriptTails.get(row.path) ?? "" }
      : row.hash;
    expected.push({ path, wheelPath: row.path, digest, tail });
  }
  return { expected, findings };
}

/**
 * The verdict on one installed distribution: findings in a stable order
 * (changed, missing, extra, unhashed), none when it is what the wheel holds.
 */
export function compareInstalled(
  wheel: WheelContents,
  installed: RecordEntry[],
  observed: ReadonlyMap<string, Observed>,
  /** Files on disk under the distribution's own directories that no installed RECORD lists. */
  unlisted: readonly string[] = [],
): Finding[] {
  const { expected, findings } = expectedFiles(wheel, installed);
  const claimed = new Set<string>();
  for (const e of expected) {
    if (e.path === "") {
      findings.push({ kind: "missing", path: e.wheelPath, wheelPath: e.wheelPath });
      continue;
    }
    claimed.add(e.path);
    const got = observed.get(e.path);
    if (got === undefined || got === null) {
      findings.push({ kind: "missing", path: e.path, wheelPath: e.wheelPath });
      continue;
    }
    const have = e.tail ? got.tailSha256 : got.sha256;
    if (e.digest.algorithm !== "sha256" || have !== e.digest.hex) {
      findings.push({ kind: "changed", path: e.path, wheelPath: e.wheelPath });
    }
  }
  const pyStems = new Set(
    expected.filter((e) => e.path.endsWith(".py")).map((e) => e.path.slice(0, -3)),
  );
  const scripts = new Set(
    wheel.entryPointScripts.flatMap((n) => [n, `${n}.exe`, `${n}-script.py`, `${n}-script.pyw`]),
  );
  for (const path of [...installed.map((r) => r.path), ...unlisted]) {
    if (claimed.has(path)) continue;
    if (allowed(path, wheel.distInfo, pyStems, scripts)) continue;
    claimed.add(path);
    findings.push({ kind: "extra", path });
  }
  const order = { changed: 0, missing: 1, extra: 2, unhashed: 3 } as const;
  return findings.sort((a, b) => order[a.kind] - order[b.kind]);
}

/** An installed file that need not be in the wheel (see ALLOWANCES above). */
export function allowed(
  path: string,
  distInfo: string,
  pyStems: ReadonlySet<string>,
  scripts: ReadonlySet<string>,
): boolean {
  const slash = path.lastIndexOf("/");
  const dir = path.slice(0, slash + 1);
  const name = path.slice(slash + 1);
  if (dir === `${distInfo}/` && (DIST_INFO_ALLOWANCES as readonly string[]).includes(name)) {
    return true;
  }
  const pyc = /^(.*\/)?__pycache__\/([^/.]+)\.[^/]+\.pyc$/.exec(path);
  if (pyc && pyStems.has(`${pyc[1] ?? ""}${pyc[2] ?? ""}`)) return true;
  if (name.endsWith(".pyc") && pyStems.has(path.slice(0, -4))) return true;
  const leaves = path.startsWith("../") || path.startsWith("/");
  return leaves && scripts.has(name);
}

/**
 * The directories inside site-packages that are the distribution's own: the
 * first segment of every wheel file installed there in a folder, and its
 * dist-info. A file found in one of them that no RECORD lists is an extra.
 */
export function ownDirectories(wheel: WheelContents, installed: RecordEntry[]): string[] {
  const dirs = new Set<string>([wheel.distInfo]);
  for (const e of expectedFiles(wheel, installed).expected) {
    const slash = e.path.indexOf("/");
    if (slash > 0 && !e.path.startsWith("../") && !e.path.startsWith("/")) {
      dirs.add(e.path.slice(0, slash));
    }
  }
  return [...dirs].sort();
}
