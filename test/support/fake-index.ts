/**
 * A fake package index for tests and benchmarks: a real HTTP server on
 * 127.0.0.1 (ephemeral port) speaking the simple API (PEP 691 JSON or PEP 503
 * HTML), PyPI's Integrity API and file downloads, configured from data, with
 * fault injection per path or globally.
 *
 * Paths: /simple/, /simple/<name>/ (non-canonical names get a 301 to the
 * canonical one), /files/<project>/<filename>,
 * /integrity/<project>/<version>/<filename>/provenance.
 */
import http from "node:http";
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { canonicalizeName as canonical } from "../../src/pypi/names.js";
import {
  JSON_TYPE,
  esc,
  ok,
  safeDecode,
  send,
  sendLarge,
  sendTrickle,
  sha256Hex,
  text,
  type Reply,
} from "./fake-index-replies.js";

export interface FakeFile {
  filename: string;
  /** File contents served at /files/...; without it the download is a 404. */
  body?: Buffer;
  /** Hash listed on the page (default: the SHA-256 of body). */
  sha256?: string;
  /** Provenance JSON bytes; null/undefined = none (404); "withheld" = 403. */
  provenance?: Buffer | null | "withheld";
  uploadTime?: string;
  yanked?: boolean | string;
  requiresPython?: string;
  /** Release version for the Integrity API path (default: taken from the filename). */
  version?: string;
  /**
   * The name in the file's URL, when it is not `filename` (a page listing one
   * name at a URL that names another: pip downloads the URL's). The file is
   * served under both names.
   */
  urlFilename?: string;
  /** PEP 658 core metadata served at the file's URL + ".metadata". */
  metadata?: Buffer;
  /** The metadata hash the page lists (default: the SHA-256 of metadata). */
  metadataSha256?: string;
}

export interface FakeProject {
  files: FakeFile[];
  versions?: string[];
}

/** One injected fault. Applied to the next `times` matching requests (default: all). */
export interface Fault {
  times?: number;
  /** Answer with this status (e.g. 500, 429, 503), optionally with Retry-After and a body. */
  status?: number;
  retryAfter?: number | string;
  body?: string;
  /** Destroy the socket without answering. */
  reset?: boolean;
  /** Wait this long before answering (combined with any other fault). */
  delayMs?: number;
  /** Declare a Content-Length larger than the body sent, then close. */
  truncate?: boolean;
  /** Send a body of this many bytes (with Content-Length unless `chunked`). */
  oversize?: number;
  chunked?: boolean;
  /** Serve a JSON body that does not parse. */
  invalidJson?: boolean;
  /** Override the Content-Type of the normal answer. */
  contentType?: string;
  /** Redirect (302 unless redirectStatus) to this URL. */
  redirectTo?: string;
  redirectStatus?: number;
  /** Send the normal answer's headers, then its body `bytes` (default 1) bytes every `everyMs`. */
  trickle?: { everyMs: number; bytes?: number };
}

export interface FakeIndexOptions {
  projects: Record<string, FakeProject>;
  format?: "json" | "html";
  /** Behave like an index that predates PEP 740: no provenance key / attribute. */
  omitProvenanceKey?: boolean;
  /** Latency added to every request (ms), e.g. 30 for benchmarks. */
  latencyMs?: number;
  /** gzip pages when the client accepts it. */
  gzip?: boolean;
}

interface FileEntry {
  project: string;
  file: FakeFile;
  sha256: string;
  version: string;
}

const HTML_TYPE = "text/html; charset=utf-8";
const INTEGRITY_TYPE = "application/vnd.pypi.integrity.v1+json";

/** The version part of a wheel or sdist filename (good enough for fixtures). */
export function versionFromFilename(filename: string): string {
  if (filename.endsWith(".whl")) return filename.split("-")[1] ?? "";
  const stem = filename.replace(/\.(tar\.gz|zip|tar\.bz2|tgz)$/, "");
  return stem.slice(stem.lastIndexOf("-") + 1);
}

export class FakeIndex {
  format: "json" | "html";
  omitProvenanceKey: boolean;
  latencyMs: number;
  gzip: boolean;
  private projects = new Map<string, FakeProject>();
  private files = new Map<string, FileEntry>(); // "<project>/<filename>"
  private pages = new Map<string, Buffer>();
  private faults = new Map<string, Fault[]>();
  private counts = new Map<string, number>();
  private headersSeen = new Map<string, IncomingHttpHeaders>();
  private server: http.Server | undefined;
  private base = "";
  total = 0;

  constructor(opts: FakeIndexOptions) {
    this.format = opts.format ?? "json";
    this.omitProvenanceKey = opts.omitProvenanceKey ?? false;
    this.latencyMs = opts.latencyMs ?? 0;
    this.gzip = opts.gzip ?? false;
    for (const [name, project] of Object.entries(opts.projects)) this.setProject(name, project);
  }

  setProject(name: string, project: FakeProject): void {
    const key = canonical(name);
    this.projects.set(key, project);
    for (const k of this.files.keys()) if (k.startsWith(`${key}/`)) this.files.delete(k);
    for (const file of project.files) {
      const sha256 = file.sha256 ?? sha256Hex(file.body ?? Buffer.alloc(0));
      const version = file.version ?? versionFromFilename(file.filename);
      const entry = { project: key, file, sha256, version };
      this.files.set(`${key}/${file.filename}`, entry);
      if (file.urlFilename !== undefined) this.files.set(`${key}/${file.urlFilename}`, entry);
    }
    this.pages.clear();
  }

  /** Start listening; resolves to the base URL, e.g. "http://127.0.0.1:40123/". */
  async start(): Promise<string> {
    const server = http.createServer({ keepAlive: true }, (req, res) => this.handle(req, res));
    server.keepAliveTimeout = 10_000;
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    return this.base;
  }

  get baseUrl(): string {
    return this.base;
  }
  get indexUrl(): string {
    return `${this.base}simple/`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Inject a fault for a path (exact pathname, e.g. "/simple/demo/") or "*" for all. */
  fault(path: string, fault: Fault): this {
    const list = this.faults.get(path) ?? [];
    list.push({ ...fault });
    this.faults.set(path, list);
    return this;
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** Requests seen for a pathname since the last resetCounts(). */
  /** Requests to a path since the last resetCounts(); "*" counts every path. */
  count(path: string): number {
    if (path === "*") return [...this.counts.values()].reduce((a, b) => a + b, 0);
    return this.counts.get(path) ?? 0;
  }

  lastHeaders(path: string): IncomingHttpHeaders | undefined {
    return this.headersSeen.get(path);
  }

  resetCounts(): void {
    this.counts.clear();
    this.headersSeen.clear();
    this.total = 0;
  }

  filePath(project: string, filename: string): string {
    return `/files/${canonical(project)}/${encodeURIComponent(filename)}`;
  }

  integrityPath(project: string, version: string, filename: string): string {
    const parts = [canonical(project), version, filename].map(encodeURIComponent);
    return `/integrity/${parts.join("/")}/provenance`;
  }

  // --- serving ---------------------------------------------------------------

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    this.total++;
    this.counts.set(path, (this.counts.get(path) ?? 0) + 1);
    this.headersSeen.set(path, req.headers);
    const fault = this.takeFault(path) ?? {};
    const delay = this.latencyMs + (fault.delayMs ?? 0);
    if (delay <= 0) return this.respond(req, res, path, fault);
    const timer = setTimeout(() => this.respond(req, res, path, fault), delay);
    res.on("close", () => clearTimeout(timer));
  }

  private takeFault(path: string): Fault | undefined {
    for (const key of [path, "*"]) {
      const list = this.faults.get(key);
      const f = list?.find((x) => x.times === undefined || x.times > 0);
      if (f) {
        if (f.times !== undefined) f.times--;
        return f;
      }
    }
    return undefined;
  }

  private respond(req: IncomingMessage, res: ServerResponse, path: string, f: Fault): void {
    if (res.destroyed) return;
    if (f.reset) {
      req.socket.destroy();
      return;
    }
    if (f.status !== undefined) {
      const headers: Record<string, string> = { "content-type": "text/plain" };
      if (f.retryAfter !== undefined) headers["retry-after"] = String(f.retryAfter);
      return send(res, { status: f.status, headers, body: Buffer.from(f.body ?? "fault") });
    }
    if (f.redirectTo !== undefined) {
      const headers = { location: f.redirectTo, "content-type": "text/plain" };
      return send(res, { status: f.redirectStatus ?? 302, headers, body: Buffer.from("moved") });
    }
    if (f.oversize !== undefined) return sendLarge(res, f.oversize, f.chunked ?? false);
    const reply = this.route(path);
    if (f.invalidJson) reply.body = Buffer.from('{"meta": {"api-version": "1.4"}, "name": ');
    if (f.contentType !== undefined) reply.headers["content-type"] = f.contentType;
    if (f.trickle) return sendTrickle(res, reply, f.trickle);
    if (f.truncate) {
      res.writeHead(reply.status, {
        ...reply.headers,
        "content-length": String(reply.body.length + 100),
      });
      res.write(reply.body, () => res.socket?.destroy());
      return;
    }
    const isPage = path.startsWith("/simple/") && reply.status === 200;
    if (this.gzip && isPage && /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""))) {
      reply.body = gzipSync(reply.body);
      reply.headers["content-encoding"] = "gzip";
    }
    send(res, reply);
  }

  private route(path: string): Reply {
    const parts = path.split("/").map(safeDecode);
    if (path === "/simple/") return this.rootPage();
    if (parts[1] === "simple" && parts.length === 4 && parts[3] === "") {
      const name = parts[2] ?? "";
      const key = canonical(name);
      if (!this.projects.has(key)) return text(404, "Not Found");
      if (key !== name) {
        return { status: 301, headers: { location: `/simple/${key}/` }, body: Buffer.from("") };
      }
      return this.projectPage(key);
    }
    if (parts[1] === "files" && parts.length === 4 && (parts[3] ?? "").endsWith(".metadata")) {
      const entry = this.files.get(`${parts[2]}/${(parts[3] ?? "").slice(0, -".metadata".length)}`);
      if (!entry?.file.metadata) return text(404, "Not Found");
      return ok("application/octet-stream", entry.file.metadata);
    }
    if (parts[1] === "files" && parts.length === 4) {
      const entry = this.files.get(`${parts[2]}/${parts[3]}`);
      if (!entry?.file.body) return text(404, "Not Found");
      return ok("application/octet-stream", entry.file.body);
    }
    if (parts[1] === "integrity" && parts.length === 6 && parts[5] === "provenance") {
      const entry = this.files.get(`${parts[2]}/${parts[4]}`);
      if (!entry || entry.version !== parts[3]) return text(404, "Not Found");
      const prov = entry.file.provenance;
      if (prov === "withheld") return text(403, "Attestations temporarily disabled");
      if (!prov) return text(404, `No provenance available for ${entry.file.filename}`);
      return ok(INTEGRITY_TYPE, prov);
    }
    return text(404, "Not Found");
  }

  private rootPage(): Reply {
    const names = [...this.projects.keys()].sort();
    if (this.format === "json") {
      const body = { meta: { "api-version": "1.4" }, projects: names.map((name) => ({ name })) };
      return ok(JSON_TYPE, Buffer.from(JSON.stringify(body)));
    }
    const links = names.map((n) => `<a href="/simple/${n}/">${n}</a>`).join("\n");
    return ok(HTML_TYPE, Buffer.from(links));
  }

  private projectPage(key: string): Reply {
    const cacheKey = `${this.format}|${this.omitProvenanceKey}|${key}`;
    let body = this.pages.get(cacheKey);
    if (!body) {
      body = Buffer.from(this.format === "json" ? this.renderJson(key) : this.renderHtml(key));
      this.pages.set(cacheKey, body);
    }
    return ok(this.format === "json" ? JSON_TYPE : HTML_TYPE, body);
  }

  private entries(key: string): FileEntry[] {
    const project = this.projects.get(key);
    return (project?.files ?? []).flatMap((f) => this.files.get(`${key}/${f.filename}`) ?? []);
  }

  /** The file's URL as the page lists it (relative to /simple/<key>/). */
  private fileHref(e: FileEntry): string {
    return `../..${this.filePath(e.project, e.file.urlFilename ?? e.file.filename)}`;
  }

  /** Relative to /simple/<key>/, as a real index may write them. */
  private provenanceHref(e: FileEntry): string | null {
    if (e.file.provenance === undefined || e.file.provenance === null) return null;
    return `../..${this.integrityPath(e.project, e.version, e.file.filename)}`;
  }

  private renderJson(key: string): string {
    const entries = this.entries(key);
    const files = entries.map((e) => {
      const f: Record<string, unknown> = {
        filename: e.file.filename,
        url: this.fileHref(e),
        hashes: { sha256: e.sha256 },
        "requires-python": e.file.requiresPython ?? null,
        size: e.file.body?.length ?? 0,
        "upload-time": e.file.uploadTime ?? "2024-01-01T00:00:00.000000Z",
        yanked: e.file.yanked ?? false,
      };
      if (!this.omitProvenanceKey) f.provenance = this.provenanceHref(e);
      const meta = metadataHash(e.file);
      if (meta !== undefined) f["core-metadata"] = { sha256: meta };
      return f;
    });
    const versions = this.projects.get(key)?.versions ?? [
      ...new Set(entries.map((e) => e.version)),
    ];
    const meta = { "_last-serial": 1, "api-version": this.omitProvenanceKey ? "1.1" : "1.4" };
    return JSON.stringify({ meta, name: key, files, versions });
  }

  private renderHtml(key: string): string {
    const version = this.omitProvenanceKey ? "1.0" : "1.4";
    const links = this.entries(key).map((e) => {
      let attrs = ` href="${esc(`${this.fileHref(e)}#sha256=${e.sha256}`)}"`;
      if (e.file.requiresPython) attrs += ` data-requires-python="${esc(e.file.requiresPython)}"`;
      if (e.file.yanked) {
        attrs += ` data-yanked="${typeof e.file.yanked === "string" ? esc(e.file.yanked) : ""}"`;
      }
      const prov = this.provenanceHref(e);
      if (prov !== null && !this.omitProvenanceKey) attrs += ` data-provenance="${esc(prov)}"`;
      const meta = metadataHash(e.file);
      if (meta !== undefined) attrs += ` data-core-metadata="sha256=${meta}"`;
      return `    <a${attrs}>${esc(e.file.filename)}</a><br />`;
    });
    return [
      "<!DOCTYPE html>",
      "<html>",
      `  <head><meta name="pypi:repository-version" content="${version}"><title>Links for ${key}</title></head>`,
      "  <body>",
      `    <h1>Links for ${key}</h1>`,
      ...links,
      "  </body>",
      "</html>",
      "",
    ].join("\n");
  }
}

function metadataHash(f: FakeFile): string | undefined {
  if (f.metadata === undefined) return undefined;
  return f.metadataSha256 ?? sha256Hex(f.metadata);
}
