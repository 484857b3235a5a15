/**
 * Turning the inputs of a run into units of work ("slots"): command-line
 * targets, and every entry of requirements files and lockfiles, each
 * resolved to the distribution files it names, in input order.
 */
import { isAbsolute, normalize } from "node:path";
import { PyprovError, describeError } from "../errors.js";
import type { InstalledCheck } from "../installed/resolve.js";
import type { TargetSpec } from "../inputs/types.js";
import type { ProvenanceCache } from "../pypi/cache.js";
import { resolveSpec, type GetPage, type SpecContext } from "./spec.js";
import {
  fileByName,
  projectOfFilename,
  releaseFiles,
  type OnlyKind,
  type RejectedTarget,
  type ResolvedFile,
  type SkippedTarget,
  type TargetArg,
  type UnresolvedTarget,
} from "./targets.js";

/** One unit of work, in the order results are reported. */
export type Slot =
  | { kind: "local"; arg: Extract<TargetArg, { kind: "path" | "digest" }> }
  | {
      kind: "index";
      file: ResolvedFile;
      /** verify --installed: the installed files compared with this wheel's RECORD. */
      installed?: InstalledCheck;
    }
  | { kind: "rejected"; target: RejectedTarget }
  | { kind: "unresolved"; target: UnresolvedTarget };

/** A command-line target → the files it names. */
export async function resolveArg(
  arg: TargetArg,
  only: OnlyKind,
  getPage: GetPage,
): Promise<Slot[]> {
  if (arg.kind === "path" || arg.kind === "digest") return [{ kind: "local", arg }];
  try {
    if (arg.kind === "release") {
      const files = releaseFiles(await getPage(arg.name), arg.version, only);
      if (arg.version === undefined) {
        for (const f of files) {
          f.warnings.push(
            `unpinned: no version given; verified the latest release (${f.version ?? "?"}) the index lists today`,
          );
        }
      }
      return files.map((file) => ({ kind: "index", file }));
    }
    const filename = arg.filename;
    const file = fileByName(await getPage(projectOfFilename(filename)), filename);
    if (arg.kind === "url" && file.url !== arg.url.split("#")[0]) {
      file.warnings.push(`the index serves this file from ${file.url}, not the URL given`);
    }
    return [{ kind: "index", file }];
  } catch (err) {
    return [unresolved(displayArg(arg), undefined, err)];
  }
}

/** One requirements-file or lockfile entry → the files it pins. */
export async function resolveSpecSlots(
  spec: TargetSpec,
  only: OnlyKind,
  ctx: Omit<SpecContext, "cached">,
  getCache: () => Promise<ProvenanceCache | undefined>,
): Promise<Slot[]> {
  const cached = async (sha256: string) => {
    const hit = (await getCache())?.get(sha256);
    return hit && hit.kind !== "miss" ? hit.file : undefined;
  };
  try {
    const r = await resolveSpec(spec, only, { ...ctx, cached });
    return [
      ...r.files.map((file): Slot => ({ kind: "index", file })),
      ...r.rejected.map((target): Slot => ({ kind: "rejected", target })),
      ...r.unresolved.map((target): Slot => ({ kind: "unresolved", target })),
    ];
  } catch (err) {
    return [unresolved(spec.name, spec.source, err)];
  }
}

/** Every entry of the requirements files, lockfiles and pip installation reports, in order. */
export async function loadSpecs(
  inputs: {
    requirements?: string[] | undefined;
    locks?: string[] | undefined;
    pipReports?: string[] | undefined;
  },
  skipped: SkippedTarget[],
  onWarning: ((message: string) => void) | undefined,
): Promise<TargetSpec[]> {
  const specs: TargetSpec[] = [];
  if (inputs.requirements?.length) {
    const { loadRequirementsFile } = await import("../inputs/requirements.js");
    for (const path of inputs.requirements) specs.push(...loadRequirementsFile(path).targets);
  }
  for (const path of inputs.locks ?? []) specs.push(...(await loadLock(path, skipped, onWarning)));
  if (inputs.pipReports?.length) {
    const { loadPipReportFile } = await import("../inputs/pip-report.js");
    for (const path of inputs.pipReports) specs.push(...loadPipReportFile(path).targets);
  }
  return specs;
}

async function loadLock(
  path: string,
  skipped: SkippedTarget[],
  onWarning: ((message: string) => void) | undefined,
): Promise<TargetSpec[]> {
  const base = path.split(/[\\/]/).at(-1) ?? path;
  if (base === "uv.lock") {
    const lock = (await import("../inputs/uvlock.js")).loadUvLockFile(path);
    const targets = [...lock.targets];
    for (const s of lock.skipped) {
      const origin = { file: path, line: s.source.line };
      if (s.reason !== "editable" || insideLock(s.path)) {
        skipped.push({ name: s.name, reason: ownPackage(s.reason), origin });
      } else {
        targets.push({
          name: s.name,
          files: [],
          hashes: [],
          pinned: false,
          source: s.source,
          nonIndex: { kind: "editable", path: s.path },
        });
      }
    }
    return targets;
  }
  if (/^pylock\.([^.]+\.)?toml$/.test(base)) {
    const lock = (await import("../inputs/pylock.js")).loadPylockFile(path);
    for (const w of lock.warnings) onWarning?.(`${path}: ${w}`);
    return lock.targets.filter((t) => {
      const own = t.nonIndex?.kind === "editable" && insideLock(t.nonIndex.path);
      if (own) skipped.push({ name: t.name, reason: ownPackage("editable"), origin: t.source });
      return !own;
    });
  }
  throw new PyprovError(
    "USAGE",
    `--lock takes a pylock.toml (pylock.*.toml) or a uv.lock, not "${base}"`,
  );
}

/**
 * A lock's own project: an editable (or virtual, or workspace member) package
 * at a path inside the lock's folder is the code being locked, not a
 * dependency, and is reported as skipped. An editable package from anywhere
 * else is a dependency no index vouches for (NOT_FROM_INDEX).
 */
function insideLock(path: string | undefined): boolean {
  if (path === undefined || isAbsolute(path)) return false;
  const n = normalize(path.replace(/\\/g, "/"));
  return n !== ".." && !n.startsWith("../");
}

function ownPackage(reason: string): string {
  return `${reason} package of this project: the code being locked, not a dependency`;
}

export function unresolved(
  display: string,
  origin: { file: string; line: number } | undefined,
  err: unknown,
): Slot {
  const error =
    err instanceof PyprovError
      ? err
      : new PyprovError("INTERNAL", describeError(err), { cause: err });
  return { kind: "unresolved", target: { display, ...(origin ? { origin } : {}), error } };
}

function displayArg(arg: TargetArg): string {
  switch (arg.kind) {
    case "path":
      return arg.path;
    case "digest":
    case "pypi-file":
      return arg.filename;
    case "release":
      return arg.version === undefined ? arg.name : `${arg.name}==${arg.version}`;
    case "url":
      return arg.url;
  }
}
