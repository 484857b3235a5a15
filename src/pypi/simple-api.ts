/**
 * Simple repository API project pages: PEP 691 JSON and PEP 503 HTML, both
 * parsed into one {@link ProjectPage}. Pure: bytes and URLs in, data out.
 *
 * Provenance (PEP 740) has three states per file:
 * - a URL: the index says provenance exists there;
 * - null: the index says there is none (JSON `"provenance": null`, or an HTML
 *   page declaring repository version >= 1.3 without `data-provenance`);
 * - undefined: the index does not say (JSON key missing; older HTML page).
 *
 * A file's name is the one pip downloads it under: its URL's last path
 * segment, percent-decoded. A page that lists a file under another name (the
 * JSON `filename`, the HTML anchor text) is INPUT_MALFORMED, never read under
 * the listed name.
 */
import * as z from "zod/mini";
import { PyprovError } from "../errors.js";
import { parseJsonBytes } from "../util/read-input.js";
import { describeZodError, ENGLISH } from "../util/zod.js";
import { decodeEntities, scanHtml } from "./html-scan.js";
import { redactUrl } from "./http-exchange.js";

export interface ProjectFile {
  filename: string;
  /** Absolute http(s) URL of the file, without fragment. */
  url: string;
  /** Hash algorithm (lower case) -> lower-case hex digest. */
  hashes: Record<string, string>;
  requiresPython: string | null;
  yanked: boolean;
  yankedReason: string | null;
  /** Absolute provenance URL; null = none; undefined = the index does not say. */
  provenanceUrl: string | null | undefined;
  uploadTime: string | null;
  size: number | null;
  /**
   * PEP 658/714 core metadata at `<url>.metadata`: its hashes (empty when the
   * index gives none), or null/undefined when the index serves none.
   */
  coreMetadata?: { hashes: Record<string, string> } | null;
}

export interface ProjectPage {
  /** The name the JSON page gives, else the name that was asked for. */
  name: string;
  /** The URL the page was fetched from (after redirects); relative URLs resolve against it. */
  url: string;
  format: "json" | "html";
  /** `meta.api-version` (JSON) or `pypi:repository-version` (HTML); null if the page gives none. */
  apiVersion: string | null;
  files: ProjectFile[];
  /** PEP 700 `versions` (JSON API >= 1.1), else null. */
  versions: string[] | null;
}

/** Which parser a Content-Type calls for, or undefined for anything else. */
export function pageFormat(contentType: string | undefined): "json" | "html" | undefined {
  const mime = (contentType ?? "").split(";")[0]?.trim().toLowerCase();
  switch (mime) {
    case "application/vnd.pypi.simple.v1+json":
    case "application/vnd.pypi.simple.latest+json":
    case "application/json":
      return "json";
    case "application/vnd.pypi.simple.v1+html":
    case "application/vnd.pypi.simple.latest+html":
    case "text/html":
      return "html";
    default:
      return undefined;
  }
}

/** Parse a project page by its Content-Type (INPUT_MALFORMED for an unexpected one). */
export function parseProjectPage(
  body: Buffer,
  contentType: string | undefined,
  pageUrl: string,
  name: string,
): ProjectPage {
  const format = pageFormat(contentType);
  if (format === "json") return parseJsonProjectPage(body, pageUrl);
  if (format === "html") return parseHtmlProjectPage(body, pageUrl, name);
  throw malformed(pageUrl, `unexpected content type ${JSON.stringify(contentType ?? "")}`);
}

// --- JSON (PEP 691) --------------------------------------------------------

const HexDigest = z.string().check(z.regex(/^[0-9a-fA-F]{1,512}$/, "not a hex digest"));

const JsonFileSchema = z.object({
  filename: z.string().check(z.minLength(1)),
  url: z.string().check(z.minLength(1)),
  hashes: z.record(z.string(), HexDigest),
  "requires-python": z.optional(z.nullable(z.string())),
  yanked: z.optional(z.union([z.boolean(), z.string()])),
  provenance: z.optional(z.nullable(z.string().check(z.minLength(1)))),
  "upload-time": z.optional(z.nullable(z.string())),
  size: z.optional(z.number().check(z.int(), z.nonnegative())),
  "core-metadata": z.optional(z.union([z.boolean(), z.record(z.string(), HexDigest)])),
  "dist-info-metadata": z.optional(z.union([z.boolean(), z.record(z.string(), HexDigest)])),
  "data-dist-info-metadata": z.optional(z.union([z.boolean(), z.record(z.string(), HexDigest)])),
});

const JsonPageSchema = z.object({
  meta: z.object({ "api-version": z.string().check(z.regex(/^\d{1,4}\.\d{1,4}$/)) }),
  name: z.string().check(z.minLength(1)),
  files: z.array(JsonFileSchema),
  versions: z.optional(z.array(z.string())),
});

export function parseJsonProjectPage(body: Buffer, pageUrl: string): ProjectPage {
  const value = parseJsonBytes(body, redactUrl(pageUrl));
  const parsed = JsonPageSchema.safeParse(value, ENGLISH);
  if (!parsed.success)
    throw malformed(pageUrl, `not a PEP 691 project page: ${describeZodError(parsed.error)}`);
  const page = parsed.data;
  const apiVersion = page.meta["api-version"];
  checkMajor(apiVersion, pageUrl);
  const files = page.files.map((f, i): ProjectFile => {
    const where = `files[${i}]`;
    const yanked = f.yanked ?? false;
    const url = withoutFragment(resolveHttpUrl(f.url, pageUrl, pageUrl, `${where}.url`));
    checkListedName(f.filename, new URL(url), pageUrl, where);
    return {
      filename: f.filename,
      url,
      hashes: normaliseHashes(f.hashes, pageUrl, where),
      requiresPython: f["requires-python"] ?? null,
      yanked: yanked !== false,
      yankedReason: typeof yanked === "string" && yanked !== "" ? yanked : null,
      provenanceUrl:
        f.provenance === undefined || f.provenance === null
          ? f.provenance
          : resolveHttpUrl(f.provenance, pageUrl, pageUrl, `${where}.provenance`).href,
      uploadTime: f["upload-time"] ?? null,
      size: f.size ?? null,
      coreMetadata: jsonCoreMetadata(
        f["core-metadata"] ?? f["dist-info-metadata"] ?? f["data-dist-info-metadata"],
        pageUrl,
        where,
      ),
    };
  });
  return {
    name: page.name,
    url: pageUrl,
    format: "json",
    apiVersion,
    files,
    versions: page.versions ?? null,
  };
}

// --- HTML (PEP 503, PEP 592, PEP 629, PEP 740) ------------------------------

const HTML_TAGS: ReadonlySet<string> = new Set(["a", "base", "meta"]);

export function parseHtmlProjectPage(body: Buffer, pageUrl: string, name: string): ProjectPage {
  const html = new TextDecoder("utf-8").decode(body);
  let base = pageUrl;
  let apiVersion: string | null = null;
  const anchors: { attrs: Map<string, string>; text: string }[] = [];
  scanHtml(
    html,
    (tag, attrs, text) => {
      if (tag === "a") {
        if (attrs.has("href")) anchors.push({ attrs, text });
      } else if (tag === "base" && base === pageUrl) {
        const href = attrs.get("href");
        if (href !== undefined) base = resolveHttpUrl(href, pageUrl, pageUrl, "<base href>").href;
      } else if (tag === "meta" && apiVersion === null) {
        if (decodeEntities(attrs.get("name") ?? "").trim() === "pypi:repository-version") {
          const content = decodeEntities(attrs.get("content") ?? "").trim();
          if (!/^\d{1,4}\.\d{1,4}$/.test(content)) {
            throw malformed(
              pageUrl,
              `bad pypi:repository-version ${JSON.stringify(content.slice(0, 40))}`,
            );
          }
          apiVersion = content;
        }
      }
    },
    HTML_TAGS,
  );
  const declaresProvenance = apiVersion !== null && atLeast(apiVersion, 1, 3);
  if (apiVersion !== null) checkMajor(apiVersion, pageUrl);
  const files = anchors.map(({ attrs, text }, i): ProjectFile => {
    const where = `link ${i + 1}`;
    const href = decodeEntities(attrs.get("href") ?? "");
    const url = resolveHttpUrl(href, base, pageUrl, `${where} href`);
    const hashes: Record<string, string> = {};
    const frag = /^#([A-Za-z0-9_-]{1,32})=([0-9A-Fa-f]{1,512})$/.exec(url.hash);
    if (frag?.[1] && frag[2]) hashes[frag[1].toLowerCase()] = frag[2];
    url.hash = "";
    const filename = decodeEntities(text).trim() || lastSegment(url);
    if (!filename) throw malformed(pageUrl, `${where} has no filename`);
    checkListedName(filename, url, pageUrl, where);
    const yanked = attrs.get("data-yanked");
    const provenance = attrs.get("data-provenance");
    return {
      filename,
      url: url.href,
      hashes: normaliseHashes(hashes, pageUrl, where),
      requiresPython: optionalAttr(attrs, "data-requires-python"),
      yanked: yanked !== undefined,
      yankedReason: yanked === undefined ? null : decodeEntities(yanked).trim() || null,
      provenanceUrl:
        provenance !== undefined
          ? resolveHttpUrl(decodeEntities(provenance), base, pageUrl, `${where} data-provenance`)
              .href
          : declaresProvenance
            ? null
            : undefined,
      uploadTime: null,
      size: null,
      coreMetadata: htmlCoreMetadata(
        attrs.get("data-core-metadata") ?? attrs.get("data-dist-info-metadata"),
        pageUrl,
        where,
      ),
    };
  });
  return { name, url: pageUrl, format: "html", apiVersion, files, versions: null };
}

/** PEP 714 `core-metadata` (or PEP 658's older key): true, false or a hash dictionary. */
function jsonCoreMetadata(
  v: boolean | Record<string, string> | undefined,
  pageUrl: string,
  where: string,
): ProjectFile["coreMetadata"] {
  if (v === undefined || v === false) return null;
  if (v === true) return { hashes: {} };
  return { hashes: normaliseHashes(v, pageUrl, `${where}.core-metadata`) };
}

/** PEP 658 `data-core-metadata="sha256=<hex>"`, or `"true"` for metadata without a hash. */
function htmlCoreMetadata(
  raw: string | undefined,
  pageUrl: string,
  where: string,
): ProjectFile["coreMetadata"] {
  if (raw === undefined) return null;
  const v = decodeEntities(raw).trim();
  if (v.toLowerCase() === "true") return { hashes: {} };
  const m = /^([A-Za-z0-9_-]{1,32})=([0-9A-Fa-f]{1,512})$/.exec(v);
  if (!m?.[1] || !m[2]) {
    throw malformed(pageUrl, `${where}: bad data-core-metadata ${JSON.stringify(v.slice(0, 80))}`);
  }
  return { hashes: normaliseHashes({ [m[1].toLowerCase()]: m[2] }, pageUrl, where) };
}

function withoutFragment(u: URL): string {
  u.hash = "";
  return u.href;
}

function optionalAttr(attrs: Map<string, string>, key: string): string | null {
  const v = attrs.get(key);
  if (v === undefined) return null;
  return decodeEntities(v).trim() || null;
}

/**
 * The listed name must be the name pip gives the file: the URL's last path
 * segment, percent-decoded. Otherwise a page could list
 * `sampleproject-0.1.tar.gz` at a URL ending `sampleproject-99.0.tar.gz`, and
 * pyprov would verify one file while pip installs another.
 */
function checkListedName(listed: string, url: URL, pageUrl: string, where: string): void {
  const fromUrl = lastSegment(url);
  if (listed === fromUrl) return;
  throw malformed(
    pageUrl,
    `${where}: the page lists ${JSON.stringify(listed)} but its URL ${redactUrl(url)} names ${JSON.stringify(fromUrl)} (pip downloads it under the URL's name)`,
  );
}

function lastSegment(u: URL): string {
  const seg = u.pathname.slice(u.pathname.lastIndexOf("/") + 1);
  try {
    return decodeURIComponent(seg);
  } catch {
    return seg;
  }
}

// --- shared -----------------------------------------------------------------

function malformed(pageUrl: string, message: string): PyprovError {
  return new PyprovError("INPUT_MALFORMED", message, { source: redactUrl(pageUrl) });
}

function checkMajor(version: string, pageUrl: string): void {
  if (!version.startsWith("1.")) {
    throw malformed(pageUrl, `unsupported simple API version ${version} (pyprov speaks 1.x)`);
  }
}

function atLeast(version: string, major: number, minor: number): boolean {
  const [a = 0, b = 0] = version.split(".").map(Number);
  return a > major || (a === major && b >= minor);
}

function resolveHttpUrl(raw: string, base: string, pageUrl: string, what: string): URL {
  let u: URL;
  try {
    u = new URL(raw.trim(), base);
  } catch {
    throw malformed(pageUrl, `${what} is not a valid URL`);
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") {
    throw malformed(pageUrl, `${what} has unsupported scheme ${u.protocol}`);
  }
  return u;
}

function normaliseHashes(
  hashes: Record<string, string>,
  pageUrl: string,
  where: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [alg, hex] of Object.entries(hashes)) {
    const key = alg.toLowerCase();
    if (key !== "__proto__") out[key] = hex.toLowerCase();
  }
  const sha = out["sha256"];
  if (sha !== undefined && sha.length !== 64) {
    throw malformed(pageUrl, `${where}: sha256 hash is not 64 hex digits`);
  }
  return out;
}
