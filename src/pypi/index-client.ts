/**
 * A client for a Python package index: the simple API (PEP 691 JSON, PEP 503
 * HTML) for project pages, and PEP 740 provenance through the URL the simple
 * API gives or, when an older index does not say, PyPI's Integrity API.
 *
 * Provenance outcomes are kept apart (verification-rules.md §9): 200 is
 * "found", 404 is "absent", 403 is "withheld" (an index switch, never
 * "absent"); anything else is a NETWORK error, never a result.
 */
import { PyprovError } from "../errors.js";
import {
  DEFAULT_MAX_DOWNLOAD_BYTES,
  DEFAULT_MAX_RESPONSE_BYTES,
  downloadSha256,
  httpGet,
  redactUrl,
} from "./http.js";
import type {
  DownloadResult,
  DownloadSink,
  HttpAgents,
  HttpResponse,
  RequestOptions,
} from "./http.js";
import { canonicalizeName, isValidProjectName } from "./names.js";
import { parseProjectPage } from "./simple-api.js";
import type { ProjectPage } from "./simple-api.js";

export const DEFAULT_INDEX_URL = "https://pypi.org/simple/";
export const SIMPLE_ACCEPT = "application/vnd.pypi.simple.v1+json, text/html;q=0.1";
export const INTEGRITY_ACCEPT = "application/vnd.pypi.integrity.v1+json";

export interface IndexClientOptions {
  /** Default: resolveIndexUrl() (PIP_INDEX_URL, UV_INDEX_URL, then PyPI). */
  indexUrl?: string;
  /**
   * Deadline per request attempt, from connect to the last byte of the body
   * (default 30 s; downloads get 4 s more per MiB received). Hitting it is a
   * network fault: retried, then a NETWORK error.
   */
  timeoutMs?: number;
  maxAttempts?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  retryAfterMaxMs?: number;
  /** Cap for API bodies (default 20 MiB). */
  maxResponseBytes?: number;
  /** Cap for {@link IndexClient.download} (default 2 GiB). */
  maxDownloadBytes?: number;
  userAgent?: string;
  /** Agents to use instead of the shared keep-alive ones. */
  agents?: HttpAgents;
  /** The run's deadline (see runDeadlineSignal): every request is abandoned when it aborts. */
  signal?: AbortSignal;
}

export type ProvenanceResult =
  | { status: "found"; url: string; body: Buffer }
  | { status: "absent"; url?: string; reason: string }
  | { status: "withheld"; url: string; reason: string };

export interface ProvenanceQuery {
  filename: string;
  /** From the project page: URL, null (index says none), undefined (index does not say). */
  provenanceUrl?: string | null;
  /** Needed for the Integrity API fallback (provenanceUrl undefined). */
  project?: string;
  version?: string;
}

/**
 * The index URL to use: `explicit`, else PIP_INDEX_URL, else UV_INDEX_URL,
 * else PyPI. Always ends in "/"; only http(s) URLs are accepted (USAGE error).
 */
export function resolveIndexUrl(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  const candidates: [string, string | undefined][] = [
    ["--index-url", explicit],
    ["PIP_INDEX_URL", env.PIP_INDEX_URL],
    ["UV_INDEX_URL", env.UV_INDEX_URL],
  ];
  const [from, raw] = candidates.find(([, v]) => v !== undefined && v.trim() !== "") ?? [
    "default",
    DEFAULT_INDEX_URL,
  ];
  let u: URL;
  try {
    u = new URL((raw ?? DEFAULT_INDEX_URL).trim());
  } catch {
    throw new PyprovError("USAGE", `${from}: not a valid index URL`);
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") {
    throw new PyprovError("USAGE", `${from}: index URL must be http(s), not ${u.protocol}`);
  }
  u.hash = "";
  if (!u.pathname.endsWith("/")) u.pathname += "/";
  return u.href;
}

/**
 * Where the Integrity API lives for an index: the index URL with a final
 * `simple/` path segment removed (https://pypi.org/simple/ -> https://pypi.org/,
 * https://host/prefix/simple/ -> https://host/prefix/); for an index URL that
 * does not end in `/simple/`, the root of its origin. Query strings are dropped.
 */
export function integrityBaseUrl(indexUrl: string): string {
  const u = new URL(indexUrl);
  u.search = "";
  u.hash = "";
  u.pathname = u.pathname.endsWith("/simple/") ? u.pathname.slice(0, -"simple/".length) : "/";
  return u.href;
}

export class IndexClient {
  readonly indexUrl: string;
  /** Origin of the index: plain-http URLs are only followed/fetched there. */
  readonly origin: string;
  private readonly http: RequestOptions;
  private readonly maxDownloadBytes: number;

  constructor(opts: IndexClientOptions = {}) {
    this.indexUrl = resolveIndexUrl(opts.indexUrl);
    this.origin = new URL(this.indexUrl).origin;
    this.http = {
      timeoutMs: opts.timeoutMs,
      maxAttempts: opts.maxAttempts,
      retryBaseMs: opts.retryBaseMs,
      retryMaxMs: opts.retryMaxMs,
      retryAfterMaxMs: opts.retryAfterMaxMs,
      maxBytes: opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
      userAgent: opts.userAgent,
      agents: opts.agents,
      signal: opts.signal,
      trustedOrigin: this.origin,
    };
    this.maxDownloadBytes = opts.maxDownloadBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES;
  }

  /** `<index>/<canonical-name>/`. USAGE error for a name that is not a valid project name. */
  projectUrl(name: string): string {
    if (!isValidProjectName(name)) {
      throw new PyprovError("USAGE", `not a valid project name: ${JSON.stringify(name)}`);
    }
    return new URL(`${encodeURIComponent(canonicalizeName(name))}/`, this.indexUrl).href;
  }

  /** `<integrity base>/integrity/<project>/<version>/<filename>/provenance`. */
  integrityUrl(project: string, version: string, filename: string): string {
    const path = [canonicalizeName(project), version, filename].map(encodeURIComponent).join("/");
    return new URL(`integrity/${path}/provenance`, integrityBaseUrl(this.indexUrl)).href;
  }

  /** The project's simple-API page. INPUT_UNREADABLE when the index has no such project. */
  async getProject(name: string): Promise<ProjectPage> {
    const url = this.projectUrl(name);
    const canonical = canonicalizeName(name);
    const res = await httpGet(url, {
      ...this.http,
      headers: { accept: SIMPLE_ACCEPT },
      decompress: true,
    });
    if (res.status === 404) {
      throw new PyprovError(
        "INPUT_UNREADABLE",
        `project "${name}" not found on ${redactUrl(this.indexUrl)}`,
      );
    }
    if (res.status !== 200) throw unexpectedStatus(url, res);
    const page = parseProjectPage(res.body, headerValue(res, "content-type"), res.url, canonical);
    if (canonicalizeName(page.name) !== canonical) {
      throw new PyprovError(
        "INPUT_MALFORMED",
        `the page is for project "${page.name}", not "${name}"`,
        { source: redactUrl(res.url) },
      );
    }
    return page;
  }

  /**
   * Provenance for one file: from the URL the project page gave; "absent"
   * without a request when the page said null; through the Integrity API when
   * the page did not say (needs project and version).
   */
  async getProvenance(file: ProvenanceQuery): Promise<ProvenanceResult> {
    if (file.provenanceUrl === null) {
      return { status: "absent", reason: `the index lists no provenance for ${file.filename}` };
    }
    if (file.provenanceUrl !== undefined)
      return this.fetchProvenance(file.provenanceUrl, file.filename);
    if (!file.project || !file.version) {
      throw new PyprovError(
        "INTERNAL",
        `the index does not report provenance for ${file.filename}, and the Integrity API needs its project and version`,
      );
    }
    return this.getIntegrityProvenance(file.project, file.version, file.filename);
  }

  /** Ask the Integrity API directly. */
  async getIntegrityProvenance(
    project: string,
    version: string,
    filename: string,
  ): Promise<ProvenanceResult> {
    return this.fetchProvenance(this.integrityUrl(project, version, filename), filename);
  }

  /** Stream a file through SHA-256 (constant memory), with the index's retry/redirect rules. */
  async download(
    url: string,
    opts: {
      signal?: AbortSignal;
      extraDigests?: readonly ("sha384" | "sha512")[];
      /** Also receives the bytes (e.g. a cache file); restarted on every retry. */
      sink?: DownloadSink;
      /** Deadline per attempt (default: the client's). */
      timeoutMs?: number;
    } = {},
  ): Promise<DownloadResult> {
    this.checkUrl(url, "file URL");
    return downloadSha256(url, {
      ...this.http,
      maxBytes: this.maxDownloadBytes,
      signal: anySignal(opts.signal, this.http.signal),
      ...(opts.extraDigests ? { extraDigests: opts.extraDigests } : {}),
      ...(opts.sink ? { sink: opts.sink } : {}),
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    });
  }

  private async fetchProvenance(url: string, filename: string): Promise<ProvenanceResult> {
    this.checkUrl(url, "provenance URL");
    const res = await httpGet(url, { ...this.http, headers: { accept: INTEGRITY_ACCEPT } });
    switch (res.status) {
      case 200:
        return { status: "found", url: res.url, body: res.body };
      case 404:
        return {
          status: "absent",
          url: res.url,
          reason: `no provenance for ${filename} (HTTP 404)`,
        };
      case 403:
        return {
          status: "withheld",
          url: res.url,
          reason: `the index withholds provenance for ${filename} (HTTP 403${snippet(res.body)})`,
        };
      default:
        throw unexpectedStatus(url, res);
    }
  }

  /** URLs taken from index pages must be https or on the index's own origin. */
  private checkUrl(url: string, what: string): void {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new PyprovError("INPUT_MALFORMED", `${what} is not a valid URL`, { source: url });
    }
    if (u.protocol !== "https:" && !(u.protocol === "http:" && u.origin === this.origin)) {
      throw new PyprovError(
        "INPUT_MALFORMED",
        `${what} is neither https nor on the index's origin ${this.origin}`,
        { source: redactUrl(u) },
      );
    }
  }
}

function anySignal(a?: AbortSignal, b?: AbortSignal): AbortSignal | undefined {
  return a && b ? AbortSignal.any([a, b]) : (a ?? b);
}

function headerValue(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function unexpectedStatus(url: string, res: HttpResponse): PyprovError {
  return new PyprovError("NETWORK", `HTTP ${res.status}${snippet(res.body)}`, {
    source: redactUrl(url),
  });
}

/** ": <start of the body>" as one printable line, or "" for an empty body. */
function snippet(body: Buffer): string {
  const text = body
    .subarray(0, 200)
    .toString("utf8")
    .replace(/[^\x20-\x7e]+/g, " ")
    .trim();
  return text ? `: ${text}` : "";
}
