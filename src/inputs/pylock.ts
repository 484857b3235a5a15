/**
 * PEP 751 lock files (`pylock.toml`, `pylock.<name>.toml`).
 *
 * - `lock-version` must be `1.<minor>`: another major version is an error
 *   (the PEP says tools MUST refuse it); a minor version other than 0 is read
 *   as 1.0 and reported in `warnings` (the PEP says tools SHOULD warn).
 * - A package with `sdist` and/or `wheels` is an index package: each file
 *   must have `hashes.sha256` (64 hex digits); its file name is `name`, else
 *   the last segment of `url` (URL-decoded), else of `path`.
 * - `vcs`, `directory` and `archive` packages are reported with `nonIndex`
 *   set and no files (an archive's sha256 is kept in `hashes`); these source
 *   kinds exclude each other and sdist/wheels.
 * - `attestation-identities` become `expectedIdentities`, other keys kept;
 *   a GitHub or GitLab identity's `repository` must be a repository of the
 *   platform its kind names (identity/platform.ts) and is kept as its bare path.
 * - Unknown keys are ignored (forward compatibility with 1.x minor versions).
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
  SHA256_HEX,
  validate,
} from "./parse-common.js";
import { checkMarker, SpecifierError } from "./req-spec.js";
import { lockIdentity } from "../identity/platform.js";
import { ENGLISH } from "../util/zod.js";

export interface PylockResult {
  targets: TargetSpec[];
  lockVersion: string;
  createdBy?: string;
  /** Non-fatal remarks, e.g. an unknown minor lock-version. */
  warnings: string[];
}

const DateLike = z.union([z.string(), z.date()]);
const Hashes = z
  .record(z.string(), z.string())
  .check(z.refine((h) => Object.keys(h).length > 0, "at least one hash is required"));
const Size = z.number().check(z.int(), z.nonnegative());
const Text = z.string().check(z.minLength(1));

const FileSchema = z
  .looseObject({
    name: z.optional(Text),
    url: z.optional(Text),
    path: z.optional(Text),
    "upload-time": z.optional(DateLike),
    size: z.optional(Size),
    hashes: Hashes,
  })
  .check(z.refine((f) => f.url !== undefined || f.path !== undefined, "url or path is required"));

const VcsSchema = z.looseObject({
  type: Text,
  url: z.optional(Text),
  path: z.optional(Text),
  "requested-revision": z.optional(Text),
  "commit-id": Text,
  subdirectory: z.optional(Text),
});

const DirectorySchema = z.looseObject({
  path: Text,
  editable: z.optional(z.boolean()),
  subdirectory: z.optional(Text),
});

const ArchiveSchema = z
  .looseObject({
    url: z.optional(Text),
    path: z.optional(Text),
    size: z.optional(Size),
    "upload-time": z.optional(DateLike),
    hashes: Hashes,
    subdirectory: z.optional(Text),
  })
  .check(z.refine((f) => f.url !== undefined || f.path !== undefined, "url or path is required"));

const IdentitySchema = z.looseObject({ kind: Text });

const PackageSchema = z.looseObject({
  name: z.string().check(z.regex(PROJECT_NAME, "not a valid project name")),
  version: z.optional(Text),
  marker: z.optional(Text),
  index: z.optional(Text),
  vcs: z.optional(VcsSchema),
  directory: z.optional(DirectorySchema),
  archive: z.optional(ArchiveSchema),
  sdist: z.optional(FileSchema),
  wheels: z.optional(z.array(FileSchema)),
  "attestation-identities": z.optional(z.array(IdentitySchema)),
});
type Package = z.output<typeof PackageSchema>;

const TopSchema = z.looseObject({
  "lock-version": z.string(),
  "created-by": z.optional(z.string()),
  packages: z.array(z.unknown()),
});

const NameOnly = z.looseObject({ name: z.string() });

/** Parse the text of a pylock.toml file. */
export function parsePylock(text: string, file: string): PylockResult {
  const doc = parseTomlDocument(text, file);
  const version = validate(
    z.looseObject({ "lock-version": z.string() }),
    doc,
    file,
    "lock-version",
  );
  const lockVersion = version["lock-version"];
  const warnings: string[] = [];
  const m = /^([0-9]+)\.([0-9]+)$/.exec(lockVersion);
  if (m === null) throw malformed(file, `invalid lock-version ${JSON.stringify(lockVersion)}`);
  if (m[1] !== "1") {
    throw malformed(
      file,
      `unsupported lock-version ${JSON.stringify(lockVersion)}: only 1.x lock files can be read`,
    );
  }
  if (m[2] !== "0") {
    warnings.push(`lock-version ${lockVersion} is newer than 1.0; reading it as 1.0`);
  }
  const top = validate(TopSchema, doc, file, "pylock");
  const lines = arrayTableHeaderLines(text, "packages");
  const targets = top.packages.map((raw, i) => {
    const line = headerLine(lines, top.packages.length, i);
    const named = NameOnly.safeParse(raw, ENGLISH);
    const what = named.success ? `package ${JSON.stringify(named.data.name)}` : `packages[${i}]`;
    return packageTarget(validate(PackageSchema, raw, file, what, line), file, line);
  });
  const result: PylockResult = { targets, lockVersion, warnings };
  if (top["created-by"] !== undefined) result.createdBy = top["created-by"];
  return result;
}

/** Read and parse a pylock.toml file from disk. */
export function loadPylockFile(path: string): PylockResult {
  return parsePylock(readInputText(path), path);
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
  if (pkg.marker !== undefined) {
    try {
      checkMarker(pkg.marker);
    } catch (err) {
      if (err instanceof SpecifierError) throw malformed(file, `${what}: ${err.message}`, line);
      throw err;
    }
    target.markers = pkg.marker;
  }
  if (pkg.index !== undefined) target.index = pkg.index;
  if (pkg["attestation-identities"] !== undefined) {
    target.expectedIdentities = pkg["attestation-identities"].map((identity, i) => {
      const checked = lockIdentity(identity);
      if (typeof checked === "string")
        throw malformed(file, `${what}: attestation-identities[${i}]: ${checked}`, line);
      return checked;
    });
  }

  const kinds = [
    pkg.vcs && "vcs",
    pkg.directory && "directory",
    pkg.archive && "archive",
    (pkg.sdist || pkg.wheels) && "sdist/wheels",
  ].filter((k) => typeof k === "string");
  if (kinds.length === 0) {
    throw malformed(file, `${what}: no source (sdist, wheels, vcs, directory or archive)`, line);
  }
  if (kinds.length > 1) {
    throw malformed(file, `${what}: ${kinds.join(" and ")} exclude each other`, line);
  }

  if (pkg.vcs) {
    const { vcs } = pkg;
    const nonIndex: NonIndexSource = { kind: "vcs", commit: vcs["commit-id"] };
    if (vcs.url !== undefined) nonIndex.url = vcs.url;
    if (vcs.path !== undefined) nonIndex.path = vcs.path;
    if (vcs.subdirectory !== undefined) nonIndex.subdirectory = vcs.subdirectory;
    return withNonIndex(target, nonIndex);
  }
  if (pkg.directory) {
    const { directory } = pkg;
    const nonIndex: NonIndexSource = {
      kind: directory.editable === true ? "editable" : "directory",
      path: directory.path,
    };
    if (directory.subdirectory !== undefined) nonIndex.subdirectory = directory.subdirectory;
    return withNonIndex(target, nonIndex);
  }
  if (pkg.archive) {
    const { archive } = pkg;
    const nonIndex: NonIndexSource = { kind: "archive" };
    if (archive.url !== undefined) nonIndex.url = archive.url;
    if (archive.path !== undefined) nonIndex.path = archive.path;
    if (archive.subdirectory !== undefined) nonIndex.subdirectory = archive.subdirectory;
    const sha256 = archive.hashes.sha256;
    if (sha256 !== undefined) {
      if (!SHA256_HEX.test(sha256)) {
        throw malformed(file, `${what}: archive sha256 is not 64 hex digits`, line);
      }
      target.hashes.push(sha256.toLowerCase());
    }
    return withNonIndex(target, nonIndex);
  }

  const dists = [
    ...(pkg.sdist ? [{ dist: pkg.sdist, where: "sdist" }] : []),
    ...(pkg.wheels ?? []).map((dist, i) => ({ dist, where: `wheels[${i}]` })),
  ];
  if (dists.length === 0)
    throw malformed(file, `${what}: wheels is empty and there is no sdist`, line);
  for (const { dist, where } of dists) {
    const sha256 = dist.hashes.sha256;
    if (sha256 === undefined) throw malformed(file, `${what}: ${where} has no sha256 hash`, line);
    if (!SHA256_HEX.test(sha256)) {
      throw malformed(file, `${what}: ${where} sha256 is not 64 hex digits`, line);
    }
    const filename =
      dist.name ??
      (dist.url !== undefined ? filenameFromUrl(dist.url) : undefined) ??
      (dist.path !== undefined ? filenameFromPath(dist.path) : undefined);
    if (filename === undefined) {
      throw malformed(
        file,
        `${what}: ${where} has no name and none can be taken from its url or path`,
        line,
      );
    }
    const digest = sha256.toLowerCase();
    const locked: LockedFile = { filename, sha256: digest };
    if (dist.url !== undefined) locked.url = dist.url;
    if (dist.path !== undefined) locked.path = dist.path;
    if (dist.size !== undefined) locked.size = dist.size;
    if (dist["upload-time"] !== undefined) locked.uploadTime = dateText(dist["upload-time"]);
    target.files.push(locked);
    pushUnique(target.hashes, digest);
  }
  target.pinned = target.version !== undefined;
  return target;
}

function withNonIndex(target: TargetSpec, nonIndex: NonIndexSource): TargetSpec {
  target.nonIndex = nonIndex;
  const url = nonIndex.url ?? nonIndex.path;
  if (url !== undefined) target.url = url;
  return target;
}
