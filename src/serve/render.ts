/**
 * The project pages the proxy serves: PEP 691 JSON (API 1.1, with PEP 700
 * `versions`, `size` and `upload-time`) and PEP 503 HTML. Every file URL
 * points back at the proxy by digest, `/files/<sha256>/<filename>`.
 */
import type { ProjectFile } from "../pypi/simple-api.js";

/** A file the proxy lists, with the sha256 its verdict was reached for. */
export interface ListedFile {
  file: ProjectFile;
  sha256: string;
  /** The proxy holds the upstream's provenance for it (served at /provenance/<sha256>). */
  provenance?: boolean;
}

/** The sha256 of a file's PEP 658 metadata, when the upstream gives one (else none is offered). */
export function metadataSha256(file: ProjectFile): string | undefined {
  const sha = file.coreMetadata?.hashes.sha256;
  return sha !== undefined && /^[0-9a-f]{64}$/.test(sha) ? sha : undefined;
}

/** The proxy's URL path for a file's provenance object. */
export function proxyProvenancePath(sha256: string): string {
  return `/provenance/${sha256}`;
}

/** 1.1: PEP 700 keys; 1.3: PEP 740 `provenance`. */
export const API_VERSION = "1.3";

/** The proxy's own URL path for a file (relative to the server root). */
export function proxyFilePath(sha256: string, filename: string): string {
  return `/files/${sha256}/${encodeURIComponent(filename)}`;
}

export function renderJsonPage(
  name: string,
  files: ListedFile[],
  versions: string[] | null,
): string {
  const doc = {
    meta: { "api-version": API_VERSION },
    name,
    versions: versions ?? [],
    files: files.map(({ file, sha256, provenance }) => {
      const meta = metadataSha256(file);
      return {
        filename: file.filename,
        url: proxyFilePath(sha256, file.filename),
        hashes: { sha256 },
        "requires-python": file.requiresPython,
        yanked: file.yanked ? (file.yankedReason ?? true) : false,
        ...(file.size !== null ? { size: file.size } : {}),
        ...(file.uploadTime !== null ? { "upload-time": file.uploadTime } : {}),
        ...(meta !== undefined
          ? { "core-metadata": { sha256: meta }, "data-dist-info-metadata": { sha256: meta } }
          : {}),
        provenance: provenance === true ? proxyProvenancePath(sha256) : null,
      };
    }),
  };
  return JSON.stringify(doc);
}

export function renderHtmlPage(name: string, files: ListedFile[]): string {
  const links = files.map(({ file, sha256, provenance }) => {
    let attrs = ` href="${esc(`${proxyFilePath(sha256, file.filename)}#sha256=${sha256}`)}"`;
    if (file.requiresPython !== null) {
      attrs += ` data-requires-python="${esc(file.requiresPython)}"`;
    }
    if (file.yanked) attrs += ` data-yanked="${esc(file.yankedReason ?? "")}"`;
    const meta = metadataSha256(file);
    if (meta !== undefined) {
      attrs += ` data-core-metadata="sha256=${meta}" data-dist-info-metadata="sha256=${meta}"`;
    }
    if (provenance === true) attrs += ` data-provenance="${proxyProvenancePath(sha256)}"`;
    return `    <a${attrs}>${esc(file.filename)}</a><br />`;
  });
  return [
    "<!DOCTYPE html>",
    "<html>",
    "  <head>",
    `    <meta name="pypi:repository-version" content="${API_VERSION}">`,
    `    <title>Links for ${esc(name)}</title>`,
    "  </head>",
    "  <body>",
    `    <h1>Links for ${esc(name)}</h1>`,
    ...links,
    "  </body>",
    "</html>",
    "",
  ].join("\n");
}

function esc(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** The PEP 691 / PEP 503 root page: the projects this proxy has served pages for. */
export function renderJsonRoot(names: string[]): string {
  return JSON.stringify({
    meta: { "api-version": API_VERSION },
    projects: names.map((name) => ({ name })),
  });
}

export function renderHtmlRoot(names: string[]): string {
  return [
    "<!DOCTYPE html>",
    "<html>",
    "  <head>",
    `    <meta name="pypi:repository-version" content="${API_VERSION}">`,
    "    <title>Simple index</title>",
    "  </head>",
    "  <body>",
    ...names.map((n) => `    <a href="/simple/${encodeURIComponent(n)}/">${esc(n)}</a><br />`),
    "  </body>",
    "</html>",
    "",
  ].join("\n");
}
