/**
 * pip's installation report (`pip install --dry-run --report FILE`, pip 22.2+),
 * format version 1: https://pip.pypa.io/en/stable/reference/installation-report/
 *
 * - `version` must be "1"; a missing or other version is an error (exit 2).
 * - Each `install[]` item is one file pip chose: `download_info.url`, and for
 *   an archive its `archive_info.hashes` (pip 23+) or `archive_info.hash`
 *   ("sha256=HEX", older pips); `metadata.name` and `metadata.version` name
 *   the project and version it must belong to.
 * - An item with `is_direct: false` and an archive came from an index (or
 *   find-links): it is verified by its sha256 like a hashed requirement.
 *   A direct URL archive (`is_direct: true`), a VCS checkout (`vcs_info`) and
 *   a local directory (`dir_info`, editable or not) are `nonIndex` targets:
 *   no index provenance can vouch for them.
 * - Each target's source line is the line its `install[]` item starts on.
 * - Unknown keys are ignored (pip adds keys within version 1).
 */
import * as z from "zod/mini";
import { PyprovError } from "../errors.js";
import { parseJsonBytes, readInputFile } from "../util/read-input.js";
import { filenameFromUrl, PROJECT_NAME, SHA256_HEX, validate } from "./parse-common.js";
import type { NonIndexSource, OtherHash, TargetSpec } from "./types.js";

/** Report versions this parser reads. */
export const PIP_REPORT_VERSIONS = ["1"] as const;

const Text = z.string().check(z.minLength(1));

const ArchiveInfo = z.looseObject({
  hash: z.optional(z.string()),
  hashes: z.optional(z.record(z.string(), z.string())),
});

const Item = z.looseObject({
  download_info: z.looseObject({
    url: Text,
    archive_info: z.optional(ArchiveInfo),
    vcs_info: z.optional(z.looseObject({ vcs: Text, commit_id: z.optional(z.string()) })),
    dir_info: z.optional(z.looseObject({ editable: z.optional(z.boolean()) })),
    subdirectory: z.optional(z.string()),
  }),
  is_direct: z.boolean(),
  requested: z.optional(z.boolean()),
  requested_extras: z.optional(z.array(z.string())),
  metadata: z.looseObject({ name: Text, version: Text }),
});
type PipItem = z.output<typeof Item>;

const Report = z.looseObject({
  install: z.array(z.unknown()),
  pip_version: z.optional(z.string()),
});

export interface PipReportResult {
  targets: TargetSpec[];
  pipVersion?: string;
}

/** Read a report from a file, or from standard input for `-`. */
export function loadPipReportFile(path: string): PipReportResult {
  const source = path === "-" ? "<stdin>" : path;
  const raw = readInputFile(path);
  return parsePipReport(raw, source);
}

export function parsePipReport(raw: Buffer, file: string): PipReportResult {
  const doc = parseJsonBytes(raw, file);
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw malformedReport(file, "a pip installation report is a JSON object");
  }
  const version = (doc as Record<string, unknown>).version;
  if (version === undefined) {
    throw malformedReport(
      file,
      'no "version": not a pip installation report (write one with pip install --dry-run --report FILE)',
    );
  }
  if (
    typeof version !== "string" ||
    !(PIP_REPORT_VERSIONS as readonly string[]).includes(version)
  ) {
    throw new PyprovError(
      "INPUT_MALFORMED",
      `pip installation report version ${JSON.stringify(version)} is not supported (pyprov reads version ${PIP_REPORT_VERSIONS.join(", ")})`,
      { source: file },
    );
  }
  const report = validate(Report, doc, file, "pip installation report");
  const lines = arrayItemLines(raw.toString("utf8"), "install");
  const targets = report.install.map((value, i) => {
    const line = lines.length === report.install.length ? (lines[i] ?? 1) : 1;
    const item = validate(Item, value, file, `install[${i}]`, line);
    return itemTarget(item, { file, line });
  });
  return {
    targets,
    ...(report.pip_version !== undefined ? { pipVersion: report.pip_version } : {}),
  };
}

function itemTarget(item: PipItem, source: { file: string; line: number }): TargetSpec {
  const { name, version } = item.metadata;
  if (!PROJECT_NAME.test(name)) {
    throw malformedReport(source.file, `invalid project name ${JSON.stringify(name)}`, source.line);
  }
  const info = item.download_info;
  const url = info.url;
  const base = {
    name,
    version,
    source,
    ...(item.requested_extras?.length ? { extras: item.requested_extras } : {}),
  };
  const nonIndex = nonIndexSource(item);
  if (nonIndex) return { ...base, files: [], hashes: [], pinned: false, url, nonIndex };
  const archive = info.archive_info;
  if (!archive) {
    throw malformedReport(
      source.file,
      `${name} ${version}: download_info has neither archive_info, vcs_info nor dir_info`,
      source.line,
    );
  }
  const { sha256, others } = archiveHashes(archive, source);
  const filename = filenameFromUrl(url);
  if (filename === undefined) {
    throw malformedReport(
      source.file,
      `${name} ${version}: no file name in URL ${JSON.stringify(url)}`,
      source.line,
    );
  }
  return {
    ...base,
    files: [{ filename, url, ...(sha256 !== undefined ? { sha256 } : {}) }],
    hashes: sha256 !== undefined ? [sha256] : [],
    pinned: sha256 !== undefined || others.length > 0,
    ...(others.length > 0 ? { otherHashes: others } : {}),
  };
}

function nonIndexSource(item: PipItem): NonIndexSource | undefined {
  const info = item.download_info;
  const sub = info.subdirectory !== undefined ? { subdirectory: info.subdirectory } : {};
  if (info.vcs_info) {
    return {
      kind: "vcs",
      url: info.url,
      ...(info.vcs_info.commit_id !== undefined ? { commit: info.vcs_info.commit_id } : {}),
      ...sub,
    };
  }
  if (info.dir_info) {
    return {
      kind: info.dir_info.editable === true ? "editable" : "directory",
      url: info.url,
      ...sub,
    };
  }
  if (item.is_direct) return { kind: info.url.startsWith("file:") ? "path" : "url", url: info.url };
  return undefined;
}

/** sha256 (lowercase) and the other algorithms pip checks; "hashes" wins over the legacy "hash". */
function archiveHashes(
  archive: z.output<typeof ArchiveInfo>,
  source: { file: string; line: number },
): { sha256: string | undefined; others: OtherHash[] } {
  const all: Record<string, string> = {};
  if (archive.hash !== undefined) {
    const m = /^([a-z0-9]+)=([0-9a-fA-F]+)$/.exec(archive.hash);
    if (!m?.[1] || !m[2]) {
      throw malformedReport(
        source.file,
        `archive_info.hash ${JSON.stringify(archive.hash)} is not ALGORITHM=HEX`,
        source.line,
      );
    }
    all[m[1]] = m[2];
  }
  for (const [k, v] of Object.entries(archive.hashes ?? {})) {
    if (all[k] !== undefined && all[k].toLowerCase() !== v.toLowerCase()) {
      throw malformedReport(
        source.file,
        `archive_info.hash and archive_info.hashes disagree on ${k}`,
        source.line,
      );
    }
    all[k] = v;
  }
  const sha256 = all.sha256;
  if (sha256 !== undefined && !SHA256_HEX.test(sha256)) {
    throw malformedReport(
      source.file,
      `sha256 ${JSON.stringify(sha256)} is not 64 hex digits`,
      source.line,
    );
  }
  const others: OtherHash[] = [];
  for (const algorithm of ["sha384", "sha512"] as const) {
    const digest = all[algorithm];
    if (digest === undefined) continue;
    if (!/^[0-9a-fA-F]+$/.test(digest) || digest.length !== (algorithm === "sha384" ? 96 : 128)) {
      throw malformedReport(
        source.file,
        `${algorithm} ${JSON.stringify(digest)} is not a hex digest`,
        source.line,
      );
    }
    others.push({ algorithm, digest: digest.toLowerCase() });
  }
  return { sha256: sha256?.toLowerCase(), others };
}

function malformedReport(file: string, message: string, line?: number): PyprovError {
  return new PyprovError(
    "INPUT_MALFORMED",
    line === undefined ? message : `line ${line}: ${message}`,
    {
      source: file,
    },
  );
}

/**
 * The 1-based line on which each element of the top-level object's array
 * `key` starts (empty when the key is not found at the top level).
 */
export function arrayItemLines(text: string, key: string): number[] {
  const lines: number[] = [];
  let line = 1;
  let depth = 0;
  let inTarget = false;
  let expectItem = false;
  let lastString: string | undefined;
  let afterColon = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\n") {
      line++;
      continue;
    }
    if (c === " " || c === "\t" || c === "\r") continue;
    if (inTarget && depth === 2 && expectItem && c !== "]") {
      lines.push(line);
      expectItem = false;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      if (depth === 1) lastString = text.slice(i + 1, j);
      i = j;
      continue;
    }
    if (c === ":") {
      afterColon = depth === 1;
      continue;
    }
    if (c === "[" || c === "{") {
      if (depth === 1 && c === "[" && afterColon && lastString === key) {
        inTarget = true;
        expectItem = true;
      }
      depth++;
      afterColon = false;
      continue;
    }
    if (c === "]" || c === "}") {
      depth--;
      if (inTarget && depth === 1) return lines;
      continue;
    }
    if (c === ",") {
      if (inTarget && depth === 2) expectItem = true;
      if (depth === 1) lastString = undefined;
      afterColon = false;
      continue;
    }
    afterColon = false;
  }
  return lines;
}
