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
}

export const API_VERSION = "1.1";

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
    files: files.map(({ file, sha256 }) => ({
      filename: file.filename,
      url: proxyFilePath(sha256, file.filename),
      hashes: { sha256 },
      "requires-python": file.requiresPython,
      yanked: file.yanked ? (file.yankedReason ?? true) : false,
      ...(file.size !== null ? { size: file.size } : {}),
      ...(file.uploadTime !== null ? { "upload-time": file.uploadTime } : {}),
    })),
  };
  return JSON.stringify(doc);
}

export function renderHtmlPage(name: string, files: ListedFile[]): string {
  const links = files.map(({ file, sha256 }) => {
    let attrs = ` href="${esc(`${proxyFilePath(sha256, file.filename)}#sha256=${sha256}`)}"`;
    if (file.requiresPython !== null) {
      attrs += ` data-requires-python="${esc(file.requiresPython)}"`;
    }
    if (file.yanked) attrs += ` data-yanked="${esc(file.yankedReason ?? "")}"`;
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
