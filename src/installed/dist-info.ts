/**
 * One installed distribution's `*.dist-info` folder (the installed project
 * format spec; PEP 376, 610, 710): METADATA (name, version), WHEEL (tags),
 * RECORD, INSTALLER, entry_points.txt (console and GUI scripts),
 * direct_url.json and provenance_url.json.
 *
 * Everything read here came from the machine being checked, not from a
 * publisher: it only says where to look. The files it names are checked
 * against the wheel's own RECORD (compare.ts), and METADATA and WHEEL are
 * themselves files that RECORD lists.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as z from "zod/mini";
import { PyprovError } from "../errors.js";
import { PROJECT_NAME, SHA256_HEX } from "../inputs/parse-common.js";
import { parseJsonBytes } from "../util/read-input.js";
import { ENGLISH } from "../util/zod.js";
import { parseRecord, type RecordEntry } from "./record.js";

export interface DistInfo {
  /** The dist-info folder's name, e.g. `sampleproject-4.0.0.dist-info`. */
  name: string;
  /** Its path. */
  path: string;
  project: string;
  version: string;
  /** WHEEL `Tag` lines (expanded tags, e.g. `py3-none-any`); empty when there is no WHEEL. */
  tags: string[];
  /** The installed RECORD; undefined when the installer wrote none. */
  record: RecordEntry[] | undefined;
  installer: string | undefined;
  entryPointScripts: string[];
  /** Where the installer says the archive came from, and its sha256, when it recorded them. */
  origin:
    { from: "direct_url.json" | "provenance_url.json"; url: string; sha256?: string } | undefined;
  /** direct_url.json says this was a direct URL, VCS or local directory install. */
  direct: { kind: "archive" | "vcs" | "dir"; url: string; editable: boolean } | undefined;
}

const MAX_FILE = 16 * 1024 * 1024;

const Hashes = z.optional(
  z.looseObject({
    hash: z.optional(z.string()),
    hashes: z.optional(z.record(z.string(), z.string())),
  }),
);
const DirectUrl = z.looseObject({
  url: z.string().check(z.minLength(1)),
  archive_info: Hashes,
  vcs_info: z.optional(z.looseObject({ vcs: z.string() })),
  dir_info: z.optional(z.looseObject({ editable: z.optional(z.boolean()) })),
});
const ProvenanceUrl = z.looseObject({
  url: z.string().check(z.minLength(1)),
  archive_info: Hashes,
});

export function readDistInfo(path: string, name: string): DistInfo {
  const where = join(path, name);
  const metadataText = readText(where, "METADATA");
  if (metadataText === undefined) throw bad(where, "has no METADATA");
  const headers = parseHeaders(metadataText);
  const project = headers.get("name")?.[0];
  const version = headers.get("version")?.[0];
  if (project === undefined || !PROJECT_NAME.test(project)) {
    throw bad(where, "METADATA has no valid Name");
  }
  if (version === undefined || version === "") throw bad(where, "METADATA has no Version");
  const wheel = readText(where, "WHEEL");
  const recordText = readText(where, "RECORD");
  const installer = readText(where, "INSTALLER")?.trim();
  const entryPoints = readText(where, "entry_points.txt");
  const directText = readRaw(where, "direct_url.json");
  const provText = readRaw(where, "provenance_url.json");
  const direct = directText
    ? parse(DirectUrl, directText, join(where, "direct_url.json"))
    : undefined;
  const prov = provText
    ? parse(ProvenanceUrl, provText, join(where, "provenance_url.json"))
    : undefined;
  let origin: DistInfo["origin"];
  if (prov)
    origin = { from: "provenance_url.json", url: prov.url, ...sha256Of(prov.archive_info, where) };
  else if (direct?.archive_info) {
    origin = { from: "direct_url.json", url: direct.url, ...sha256Of(direct.archive_info, where) };
  }
  return {
    name,
    path: where,
    project,
    version,
    tags: wheel ? (parseHeaders(wheel).get("tag") ?? []) : [],
    record: recordText === undefined ? undefined : parseRecord(recordText, join(where, "RECORD")),
    installer: installer === "" ? undefined : installer,
    entryPointScripts: entryPoints ? scriptNames(entryPoints) : [],
    origin,
    direct: direct
      ? {
          kind: direct.vcs_info ? "vcs" : direct.dir_info ? "dir" : "archive",
          url: direct.url,
          editable: direct.dir_info?.editable === true,
        }
      : undefined,
  };
}

/** RFC 822-style headers up to the first blank line, by lowercase name (repeats kept in order). */
export function parseHeaders(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split(/\r?\n/)) {
    if (line === "") break;
    if (/^[ \t]/.test(line)) continue; // a continuation of the previous header
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const list = out.get(key) ?? [];
    list.push(line.slice(colon + 1).trim());
    out.set(key, list);
  }
  return out;
}

/** The names in entry_points.txt's [console_scripts] and [gui_scripts] sections. */
export function scriptNames(text: string): string[] {
  const names: string[] = [];
  let inScripts = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      inScripts = section[1] === "console_scripts" || section[1] === "gui_scripts";
      continue;
    }
    const eq = line.indexOf("=");
    if (inScripts && eq > 0) names.push(line.slice(0, eq).trim());
  }
  return names;
}

function sha256Of(info: z.output<typeof Hashes>, where: string): { sha256?: string } {
  const fromHashes = info?.hashes?.sha256;
  const legacy = info?.hash?.startsWith("sha256=") ? info.hash.slice(7) : undefined;
  const sha = fromHashes ?? legacy;
  if (sha === undefined) return {};
  if (!SHA256_HEX.test(sha)) throw bad(where, `records a sha256 that is not 64 hex digits`);
  return { sha256: sha.toLowerCase() };
}

function readRaw(dir: string, file: string): Buffer | undefined {
  try {
    const b = readFileSync(join(dir, file));
    if (b.length > MAX_FILE) throw bad(dir, `${file} is larger than ${MAX_FILE} bytes`);
    return b;
  } catch (err) {
    if (err instanceof PyprovError) throw err;
    if (err && typeof err === "object" && "code" in err && err.code === "ENOENT") return undefined;
    throw new PyprovError("INPUT_UNREADABLE", `cannot read ${file}`, { source: dir, cause: err });
  }
}

function readText(dir: string, file: string): string | undefined {
  const raw = readRaw(dir, file);
  if (raw === undefined) return undefined;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(raw);
  } catch {
    throw bad(dir, `${file} is not valid UTF-8`);
  }
}

function parse<T extends z.ZodMiniType>(schema: T, raw: Buffer, source: string): z.output<T> {
  const r = schema.safeParse(parseJsonBytes(raw, source), ENGLISH);
  if (!r.success)
    throw new PyprovError("INPUT_MALFORMED", "not a valid record of the archive's origin", {
      source,
    });
  return r.data;
}

function bad(source: string, message: string): PyprovError {
  return new PyprovError("INPUT_MALFORMED", message, { source });
}
