/**
 * HTTP(S) GET for the package-index APIs, on node:http / node:https.
 *
 * - Shared keep-alive agents (16 sockets per origin), proxy from HTTPS_PROXY /
 *   HTTP_PROXY / NO_PROXY via Node's built-in `proxyEnv` agent option.
 * - A deadline per attempt covering connect, headers and the whole body
 *   (downloads: plus 4 s per MiB received), so a server that trickles bytes
 *   is a timeout, retried like any fault; and an optional `signal` (the run's
 *   deadline, {@link runDeadlineSignal}) that abandons every request.
 * - A size cap, checked against Content-Length and again while streaming.
 * - Retries (429, 500, 502, 503, 504, resets, timeouts, truncated bodies) with
 *   full-jitter exponential backoff, honouring Retry-After (capped).
 * - At most 5 redirects, each to an https URL or to the trusted origin (the
 *   index's own origin); a redirect to any other plain-http URL is refused.
 *
 * Errors are PyprovErrors whose `source` is the requested URL (credentials
 * redacted), so `oneLine()` reads "<url>: <what happened> after N attempts".
 */
import http from "node:http";
import type { IncomingHttpHeaders } from "node:http";
import https from "node:https";
import { setTimeout as sleep } from "node:timers/promises";
import { PyprovError } from "../errors.js";
import {
  REDIRECT_STATUSES,
  RETRY_STATUSES,
  Transient,
  attempt,
  header,
  redactUrl,
  type DownloadSink,
  type HttpAgents,
  type Mode,
  type Outcome,
  type Settings,
} from "./http-exchange.js";

export type { DownloadSink, HttpAgents } from "./http-exchange.js";
export { redactUrl } from "./http-exchange.js";

/** pyprov's version, as in package.json (a test keeps them equal). */
export const PYPROV_VERSION = "0.1.0";
export const USER_AGENT = `pyprov/${PYPROV_VERSION} (+https://github.com/pyprov/pyprov) node/${process.versions.node}`;

// In a module of their own, so that the CLI's option parsing does not load
// node:http, node:https, node:net, node:tls and node:zlib (~10 ms) for a run
// that never goes to the network.
export { DEFAULT_TIMEOUT_MS, runDeadlineSignal } from "./http-light.js";
import { DEFAULT_TIMEOUT_MS } from "./http-light.js";
export const DEFAULT_MAX_ATTEMPTS = 4;
export const DEFAULT_RETRY_BASE_MS = 500;
export const DEFAULT_RETRY_MAX_MS = 10_000;
export const DEFAULT_RETRY_AFTER_MAX_MS = 60_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 20 * 1024 * 1024;
export const DEFAULT_MAX_DOWNLOAD_BYTES = 2 * 1024 * 1024 * 1024;
export const MAX_REDIRECTS = 5;
export const DEFAULT_MAX_SOCKETS = 16;

export interface RetryOptions {
  /** Total tries per request, redirects not counted (default 4). */
  maxAttempts?: number;
  /** Backoff before retry n is uniform in [0, min(retryMaxMs, retryBaseMs * 2^(n-1))]. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Upper bound on a server's Retry-After (default 60 s). */
  retryAfterMaxMs?: number;
}

export interface RequestOptions extends RetryOptions {
  /** Extra request headers (lower-case names), e.g. `accept`. */
  headers?: Record<string, string>;
  /** Deadline per attempt, connect to last byte (default 30 s; downloads: plus 4 s per MiB). */
  timeoutMs?: number;
  /** Size cap (default 20 MiB for httpGet, 2 GiB for downloadSha256). */
  maxBytes?: number;
  userAgent?: string;
  /** Origin that plain-http redirects may go to (default: the requested URL's origin). */
  trustedOrigin?: string;
  /** Ask for gzip and decode it (httpGet only; the cap applies to decoded bytes too). */
  decompress?: boolean;
  agents?: HttpAgents;
  /** Abandons the request (NETWORK error, with the abort reason's message), e.g. the run's deadline. */
  signal?: AbortSignal;
  /** downloadSha256: algorithms to compute beside sha256 (returned in `digests`). */
  extraDigests?: readonly ("sha384" | "sha512")[];
  /** downloadSha256: where the bytes go besides the hash (restarted on every attempt). */
  sink?: DownloadSink;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The final URL, after redirects. */
  url: string;
  attempts: number;
}

export interface DownloadResult {
  url: string;
  /** Lower-case hex SHA-256 of the bytes received. */
  sha256: string;
  /** Every digest computed, by algorithm: sha256 and `extraDigests`. */
  digests: Record<string, string>;
  size: number;
  attempts: number;
}

let sharedAgents: HttpAgents | undefined;

/** The process-wide keep-alive agents (created on first use, proxy from process.env). */
export function defaultAgents(): HttpAgents {
  sharedAgents ??= createAgents();
  return sharedAgents;
}

/**
 * Keep-alive agents. Proxy settings are read from `proxyEnv` (default
 * process.env; null = never proxy) through Node's built-in proxy support.
 */
export function createAgents(
  opts: { maxSockets?: number; proxyEnv?: NodeJS.ProcessEnv | null } = {},
): HttpAgents {
  const env = opts.proxyEnv === undefined ? process.env : opts.proxyEnv;
  const base = {
    keepAlive: true,
    maxSockets: opts.maxSockets ?? DEFAULT_MAX_SOCKETS,
    maxFreeSockets: opts.maxSockets ?? DEFAULT_MAX_SOCKETS,
    scheduling: "lifo" as const,
  };
  const proxied = env !== null && PROXY_VARS.some((k) => env[k]);
  if (proxied && !builtinProxySupported()) {
    throw new PyprovError(
      "USAGE",
      "a proxy is configured (HTTPS_PROXY/HTTP_PROXY) but this Node.js has no built-in proxy support; use Node.js >= 22.21 or >= 24.5",
    );
  }
  const extra = proxied ? { proxyEnv: env } : {};
  return {
    http: new http.Agent({ ...base, ...extra }),
    https: new https.Agent({ ...base, ...extra }),
  };
}

const PROXY_VARS = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"];

let proxySupport: boolean | undefined;
function builtinProxySupported(): boolean {
  if (proxySupport === undefined) {
    const probe = new http.Agent({ proxyEnv: { HTTP_PROXY: "http://127.0.0.1:9" } });
    proxySupport = Object.getOwnPropertySymbols(probe).some(
      (s) => s.description === "kProxyConfig",
    );
  }
  return proxySupport;
}

/** GET a URL into memory. Returns every status that is not retried or redirected. */
export async function httpGet(url: string, opts: RequestOptions = {}): Promise<HttpResponse> {
  const r = await run(url, opts, "buffer");
  return {
    status: r.status,
    headers: r.headers,
    body: r.body ?? Buffer.alloc(0),
    url: r.url,
    attempts: r.attempts,
  };
}

/**
 * Stream a URL through SHA-256 in constant memory. Only 200 is success; any
 * other final status is a NETWORK error. Content-Encoding is never decoded.
 */
export async function downloadSha256(
  url: string,
  opts: RequestOptions = {},
): Promise<DownloadResult> {
  const r = await run(url, { ...opts, decompress: false }, "hash");
  if (r.status !== 200 || r.sha256 === undefined) {
    throw new PyprovError("NETWORK", `HTTP ${r.status}`, { source: redactUrl(url) });
  }
  return {
    url: r.url,
    sha256: r.sha256,
    digests: { ...r.digests, sha256: r.sha256 },
    size: r.size,
    attempts: r.attempts,
  };
}

/** Backoff before retry `n` (1-based): full jitter. */
export function backoffDelay(
  n: number,
  baseMs: number,
  maxMs: number,
  random = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(n - 1, 30));
  return Math.floor(random() * ceiling);
}

/** Retry-After in ms (delta-seconds or HTTP date), or undefined when absent/unparseable. */
export function parseRetryAfter(value: string | undefined, nowMs = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d{1,10}$/.test(v)) return Number(v) * 1000;
  if (v.length > 64) return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - nowMs);
}

// ---------------------------------------------------------------------------

async function run(
  url: string,
  opts: RequestOptions,
  mode: Mode,
): Promise<Outcome & { url: string; attempts: number }> {
  const source = redactUrl(url);
  let current = parseHttpUrl(url, source);
  const trusted = opts.trustedOrigin ?? current.origin;
  const maxAttempts = Math.max(1, opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
  const baseMs = opts.retryBaseMs ?? DEFAULT_RETRY_BASE_MS;
  const maxMs = opts.retryMaxMs ?? DEFAULT_RETRY_MAX_MS;
  const decompress = mode === "buffer" && opts.decompress === true;
  const s: Settings = {
    headers: {
      ...opts.headers,
      "user-agent": opts.userAgent ?? USER_AGENT,
      "accept-encoding": decompress ? "gzip" : "identity",
    },
    timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxBytes:
      opts.maxBytes ?? (mode === "hash" ? DEFAULT_MAX_DOWNLOAD_BYTES : DEFAULT_MAX_RESPONSE_BYTES),
    decompress,
    agents: opts.agents ?? defaultAgents(),
    signal: opts.signal,
    source,
    ...(opts.extraDigests ? { extraDigests: opts.extraDigests } : {}),
    ...(opts.sink ? { sink: opts.sink } : {}),
  };
  let attempts = 0;
  let redirects = 0;
  let lastWhat = "no attempt made";
  let failed = false; // lastWhat says why an attempt failed
  const abandoned = (err: unknown): unknown =>
    s.signal?.aborted ? aborted(s.signal, source, attempts, failed ? lastWhat : undefined) : err;
  const pause = (ms: number): Promise<void> =>
    sleep(ms, undefined, { signal: s.signal }).catch((err: unknown) => {
      throw abandoned(err);
    });
  while (attempts < maxAttempts) {
    if (s.signal?.aborted) throw abandoned(s.signal.reason);
    attempts++;
    let out: Outcome;
    try {
      out = await attempt(current, s, mode);
    } catch (err) {
      if (!(err instanceof Transient)) throw abandoned(err);
      lastWhat = err.what;
      failed = true;
      if (attempts < maxAttempts) await pause(backoffDelay(attempts, baseMs, maxMs));
      continue;
    }
    const location = out.headers.location;
    if (REDIRECT_STATUSES.has(out.status) && location) {
      if (++redirects > MAX_REDIRECTS) {
        throw new PyprovError("NETWORK", `more than ${MAX_REDIRECTS} redirects`, { source });
      }
      current = checkRedirect(location, current, trusted, source);
      attempts--; // a redirect is not a failed attempt
      continue;
    }
    if (RETRY_STATUSES.has(out.status)) {
      lastWhat = `HTTP ${out.status}`;
      failed = true;
      const hinted = parseRetryAfter(header(out.headers, "retry-after"));
      const delay =
        hinted === undefined
          ? backoffDelay(attempts, baseMs, maxMs)
          : Math.min(hinted, opts.retryAfterMaxMs ?? DEFAULT_RETRY_AFTER_MAX_MS);
      if (attempts < maxAttempts) await pause(delay);
      continue;
    }
    return { ...out, url: current.href, attempts };
  }
  const last = redactUrl(current);
  const at = last === source ? "" : ` (at ${last})`;
  throw new PyprovError("NETWORK", `${lastWhat} after ${attempts} attempts${at}`, { source });
}

function aborted(
  signal: AbortSignal,
  source: string,
  attempts: number,
  last: string | undefined,
): PyprovError {
  const reason: unknown = signal.reason;
  const why = reason instanceof Error ? reason.message : "the request was aborted";
  const n = attempts === 1 ? "1 attempt" : `${attempts} attempts`;
  const before = last !== undefined ? ` (before: ${last})` : "";
  return new PyprovError("NETWORK", `${why}; request abandoned after ${n}${before}`, {
    source,
    cause: reason,
  });
}

function parseHttpUrl(url: string, source: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new PyprovError("INPUT_MALFORMED", "not a valid URL", { source });
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") {
    throw new PyprovError("INPUT_MALFORMED", `unsupported URL scheme ${u.protocol}`, { source });
  }
  return u;
}

function checkRedirect(location: string, from: URL, trustedOrigin: string, source: string): URL {
  let next: URL;
  try {
    next = new URL(location, from);
  } catch {
    throw new PyprovError("NETWORK", "redirect to an invalid URL", { source });
  }
  const ok =
    next.protocol === "https:" || (next.protocol === "http:" && next.origin === trustedOrigin);
  if (!ok) {
    throw new PyprovError(
      "NETWORK",
      `refused redirect to ${redactUrl(next)}: only https URLs or ${trustedOrigin} are followed`,
      { source },
    );
  }
  return next;
}
