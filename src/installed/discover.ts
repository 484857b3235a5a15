/**
 * Where installed distributions are: the site-packages folders of a path,
 * and the distributions in each.
 *
 * A PATH is, in this order:
 * - a virtual environment (it has `pyvenv.cfg`): its `lib/python3.*` and
 *   `lib64/python3.*` `site-packages`, and `Lib/site-packages` (Windows);
 * - a site-packages folder: a folder named `site-packages` or `dist-packages`,
 *   or any folder holding a `*.dist-info`;
 * - a root filesystem (a mounted or exported container image): every
 *   `site-packages` and `dist-packages` under the usual prefixes `/usr`,
 *   `/usr/local`, `/opt/A` and `/opt/A/B` (in `lib/python3.X/`, and Debian's
 *   `lib/python3/dist-packages`), and the virtual environments found there
 *   (`/opt/A`, `/opt/A/B`, `/app/.venv`, `/venv`, `/.venv`).
 * Symbolic links are not followed out of the PATH: a folder that resolves
 * elsewhere (an image's absolute link) is skipped, never read from the host.
 */
import { existsSync, lstatSync, readdirSync, realpathSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { PyprovError } from "../errors.js";

export interface Distributions {
  sitePackages: string;
  /** `*.dist-info` folder names, sorted. */
  distInfos: string[];
  /** Legacy `*.egg-info` folders and files: no RECORD of a wheel, so never verifiable. */
  eggInfos: string[];
}

const PREFIXES = ["usr", "usr/local", "opt/*", "opt/*/*"];
const VENVS = ["opt/*", "opt/*/*", "app/.venv", "venv", ".venv"];

/** The site-packages folders of one PATH (see the module comment); an error when there are none. */
export function sitePackagesOf(path: string): string[] {
  const top = resolve(path);
  let st;
  try {
    st = lstatSync(top);
  } catch {
    throw new PyprovError("INPUT_UNREADABLE", "no such folder", { source: path });
  }
  if (!st.isDirectory()) {
    throw new PyprovError(
      "USAGE",
      "--installed takes a folder: a site-packages folder, a virtual environment or a root filesystem",
      { source: path },
    );
  }
  const found = existsSync(join(top, "pyvenv.cfg"))
    ? venvSitePackages(top, top)
    : isSitePackages(top)
      ? [top]
      : rootSitePackages(top);
  if (found.length === 0) {
    throw new PyprovError(
      "INPUT_UNREADABLE",
      "no site-packages folder found (give a site-packages folder, a virtual environment or a root filesystem)",
      { source: path },
    );
  }
  // One folder reached twice (a venv's lib64 is often a link to lib) is one folder.
  const byReal = new Map<string, string>();
  for (const f of found.sort()) {
    const real = realpathSync(f);
    if (!byReal.has(real)) byReal.set(real, f);
  }
  return [...byReal.values()];
}

function isSitePackages(dir: string): boolean {
  const base = dir.split(sep).at(-1) ?? "";
  return (
    base === "site-packages" ||
    base === "dist-packages" ||
    list(dir).some((n) => n.endsWith(".dist-info"))
  );
}

function venvSitePackages(venv: string, top: string): string[] {
  const out: string[] = [];
  for (const lib of ["lib", "lib64"]) {
    for (const py of list(join(venv, lib)).filter((n) => /^python3(\.\d+)?t?$/.test(n))) {
      const sp = join(venv, lib, py, "site-packages");
      if (inside(sp, top)) out.push(sp);
    }
  }
  const win = join(venv, "Lib", "site-packages");
  if (inside(win, top)) out.push(win);
  return out;
}

function rootSitePackages(top: string): string[] {
  const out: string[] = [];
  for (const prefix of expand(top, PREFIXES)) {
    for (const py of list(join(prefix, "lib")).filter((n) => /^python3(\.\d+)?t?$/.test(n))) {
      for (const leaf of ["site-packages", "dist-packages"]) {
        const sp = join(prefix, "lib", py, leaf);
        if (inside(sp, top)) out.push(sp);
      }
    }
  }
  for (const venv of expand(top, VENVS)) {
    if (existsSync(join(venv, "pyvenv.cfg"))) out.push(...venvSitePackages(venv, top));
  }
  return out;
}

/** Each pattern's folders under top ("*" is one path segment). */
function expand(top: string, patterns: string[]): string[] {
  const out = new Set<string>();
  for (const pattern of patterns) {
    let dirs = [top];
    for (const seg of pattern.split("/")) {
      dirs = dirs.flatMap((d) => (seg === "*" ? list(d).map((n) => join(d, n)) : [join(d, seg)]));
    }
    for (const d of dirs) if (inside(d, top)) out.add(d);
  }
  return [...out];
}

/** A folder that exists and, links resolved, is still inside top. */
function inside(dir: string, top: string): boolean {
  try {
    const real = realpathSync(dir);
    const rel = relative(realpathSync(top), real);
    return !rel.startsWith("..") && lstatSync(real).isDirectory();
  } catch {
    return false;
  }
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

export function distributionsIn(sitePackages: string): Distributions {
  const names = list(sitePackages).sort();
  return {
    sitePackages,
    distInfos: names.filter((n) => n.endsWith(".dist-info")),
    eggInfos: names.filter((n) => n.endsWith(".egg-info")),
  };
}
