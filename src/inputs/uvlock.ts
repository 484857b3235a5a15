/**
 * uv lock files (`uv.lock`, TOML, `version = 1`).
 *
 * - `version` must be 1 (another version is an error); `revision` is kept.
 * - Each `[[package]]` has exactly one `source` kind:
 *   - `registry`: an index package; its `sdist` and `wheels` are the files to
 *     verify (file name: `filename`, else the last segment of `url`, URL-decoded,
 *     else of `path`). `hash = "sha256:HEX"` gives the sha256; a file with no
 *     hash or another algorithm has no sha256 and leaves the target unpinned.
 *   - `editable`, `virtual`: skipped (reported in `skipped` with the reason),
 *     as are `directory`/`path` sources of workspace members (`[manifest] members`).
 *   - `git`, `url`, `path`, `directory`: targets with `nonIndex` set and no
 *     files (sha256 hashes of their sdist/wheels, if any, kept in `hashes`).
 * - Unknown keys are ignored.
 */
import * as z from "zod/mini";
import type { LockedFile, NonIndexSource, TargetSpec } from "./types.js";
import {
  arrayTableHeaderLines,
  dateText,
  filenameFromPath,
  filenameFromUrl,
  headerLine,
  malformed,
  parseTomlDocument,
  PROJECT_NAME,
  pushUnique,
  readInputText,
  validate,
} from "./parse-common.js";
import { ENGLISH } from "../util/zod.js";

export interface SkippedPackage {
  name: string;
  version?: string;
  reason: "editable" | "virtual" | "workspace-member";
  /** The path of the editable/virtual/member source, as written. */
  path: string;
  source: { file: string; line: number };
}

export interface UvLockResult {
  targets: TargetSpec[];
  skipped: SkippedPackage[];
  version: number;
  revision?: number;
}

const Text = z.string().check(z.minLength(1));

const FileSchema = z.looseObject({
  url: z.optional(Text),
  path: z.optional(Text),
  filename: z.optional(Text),
  hash: z.optional(Text),
  size: z.optional(z.number().check(z.int(), z.nonnegative())),
  "upload-time": z.optional(z.union([z.string(), z.date()])),
});
type UvFile = z.output<typeof FileSchema>;

const SOURCE_KINDS = [
  "registry",
  "editable",
  "virtual",
  "git",
  "path",
  "url",
  "directory",
] as const;

const SourceSchema = z
  .looseObject({
    registry: z.optional(Text),
    editable: z.optional(Text),
    virtual: z.optional(Text),
    git: z.optional(Text),
    path: z.optional(Text),
    url: z.optional(Text),
    directory: z.optional(Text),
    subdirectory: z.optional(Text),
  })
  .check(
    z.refine(
      (s) => SOURCE_KINDS.filter((k) => s[k] !== undefined).length === 1,
      `must have exactly one of ${SOURCE_KINDS.join(", ")}`,
    ),
  );

const PackageSchema = z.looseObject({
  name: z.string().check(z.regex(PROJECT_NAME, "not a valid project name")),
  version: z.optional(Text),
  source: SourceSchema,
  sdist: z.optional(FileSchema),
  wheels: z.optional(z.array(FileSchema)),
});
type Package = z.output<typeof PackageSchema>;

const TopSchema = z.looseObject({
  version: z.number().check(z.int()),
  revision: z.optional(z.number().check(z.int(), z.nonnegative())),
  manifest: z.optional(z.looseObject({ members: z.optional(z.array(z.string())) })),
  package: z.optional(z.array(z.unknown())),
});

const NameOnly = z.looseObject({ name: z.string() });
const HASH_RE = /^(sha256|sha384|sha512|md5):([0-9a-fA-F]+)$/;
const HEX_LENGTH: Readonly<Record<string, number>> = {
  sha256: 64,
  sha384: 96,
  sha512: 128,
  md5: 32,
};

/** Parse the text of a uv.lock file. */
export function parseUvLock(text: string, file: string): UvLockResult {
  const doc = parseTomlDocument(text, file);
  const { version } = validate(z.looseObject({ version: z.number() }), doc, file, "version");
  if (version !== 1) {
    throw malformed(file, `unsupported uv.lock version ${version}: only version 1 can be read`);
  }
  const top = validate(TopSchema, doc, file, "uv.lock");
  const members = new Set(top.manifest?.members ?? []);
  const packages = top.package ?? [];
  const lines = arrayTableHeaderLines(text, "package");
  const result: UvLockResult = { targets: [], skipped: [], version };
  if (top.revision !== undefined) result.revision = top.revision;
  packages.forEach((raw, i) => {
    const line = headerLine(lines, packages.length, i);
    const named = NameOnly.safeParse(raw, ENGLISH);
    const what = named.success ? `package ${JSON.stringify(named.data.name)}` : `package[${i}]`;
    const pkg = validate(PackageSchema, raw, file, what, line);
    const skipped = skipReason(pkg, members);
    if (skipped) {
      const entry: SkippedPackage = { name: pkg.name, ...skipped, source: { file, line } };
      if (pkg.version !== undefined) entry.version = pkg.version;
      result.skipped.push(entry);
    } else result.targets.push(packageTarget(pkg, file, line));
  });
  return result;
}

/** Read and parse a uv.lock file from disk. */
export function loadUvLockFile(path: string): UvLockResult {
  return parseUvLock(readInputText(path), path);
}

function skipReason(
  pkg: Package,
  members: ReadonlySet<string>,
): Pick<SkippedPackage, "reason" | "path"> | undefined {
  const { source } = pkg;
  if (source.editable !== undefined) return { reason: "editable", path: source.editable };
  if (source.virtual !== undefined) return { reason: "virtual", path: source.virtual };
  const local = source.directory ?? source.path;
  if (local !== undefined && members.has(pkg.name))
    return { reason: "workspace-member", path: local };
  return undefined;
}

function packageTarget(pkg: Package, file: string, line: number): TargetSpec {
  const what = `package ${JSON.stringify(pkg.name)}`;
  const target: TargetSpec = {
    name: pkg.name,
    files: [],
    hashes: [],
    pinned: false,
    source: { file, line },
  };
  if (pkg.version !== undefined) target.version = pkg.version;
  const dists = [
    ...(pkg.sdist ? [{ dist: pkg.sdist, where: "sdist" }] : []),
    ...(pkg.wheels ?? []).map((dist, i) => ({ dist, where: `wheels[${i}]` })),
  ];
  const { source } = pkg;
  if (source.registry === undefined) {
    const nonIndex = nonIndexSource(source);
    target.nonIndex = nonIndex;
    const url = nonIndex.url ?? nonIndex.path;
    if (url !== undefined) target.url = url;
    for (const { dist, where } of dists) {
      const sha256 = sha256Of(dist, `${what}: ${where}`, file, line);
      if (sha256 !== undefined) pushUnique(target.hashes, sha256);
    }
    return target;
  }
  target.index = source.registry;
  for (const { dist, where } of dists) {
    const sha256 = sha256Of(dist, `${what}: ${where}`, file, line);
    const filename =
      dist.filename ??
      (dist.url !== undefined ? filenameFromUrl(dist.url) : undefined) ??
      (dist.path !== undefined ? filenameFromPath(dist.path) : undefined);
    if (filename === undefined) {
      throw malformed(file, `${what}: ${where} has no file name, url or path`, line);
    }
    const locked: LockedFile = { filename };
    if (dist.url !== undefined) locked.url = dist.url;
    if (dist.path !== undefined) locked.path = dist.path;
    if (sha256 !== undefined) {
      locked.sha256 = sha256;
      pushUnique(target.hashes, sha256);
    }
    if (dist.size !== undefined) locked.size = dist.size;
    if (dist["upload-time"] !== undefined) locked.uploadTime = dateText(dist["upload-time"]);
    target.files.push(locked);
  }
  target.pinned =
    target.version !== undefined &&
    target.files.length > 0 &&
    target.files.every((f) => f.sha256 !== undefined);
  return target;
}

function nonIndexSource(source: Package["source"]): NonIndexSource {
  const sub = source.subdirectory === undefined ? {} : { subdirectory: source.subdirectory };
  if (source.git !== undefined) {
    const nonIndex: NonIndexSource = { kind: "vcs", url: source.git, ...sub };
    const commit = /#([0-9a-f]{40}|[0-9a-f]{64})$/.exec(source.git)?.[1];
    if (commit !== undefined) nonIndex.commit = commit;
    return nonIndex;
  }
  if (source.url !== undefined) return { kind: "url", url: source.url, ...sub };
  if (source.path !== undefined) return { kind: "path", path: source.path, ...sub };
  return { kind: "directory", path: source.directory ?? "", ...sub };
}

/** The lowercase sha256 of a `hash = "ALG:HEX"`, undefined for no hash or another algorithm. */
function sha256Of(dist: UvFile, what: string, file: string, line: number): string | undefined {
  if (dist.hash === undefined) return undefined;
  const m = HASH_RE.exec(dist.hash);
  const algorithm = m?.[1];
  const hex = m?.[2];
  if (algorithm === undefined || hex === undefined || hex.length !== HEX_LENGTH[algorithm]) {
    throw malformed(file, `${what}: invalid hash ${JSON.stringify(dist.hash)}`, line);
  }
  return algorithm === "sha256" ? hex.toLowerCase() : undefined;
}
