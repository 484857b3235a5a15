/**
 * One HTTP exchange (request, response, body) for http.ts: classifies what
 * went wrong as Transient (worth a retry) or PyprovError (final).
 */
import { createHash } from "node:crypto";
import http from "node:http";
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import https from "node:https";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { PyprovError } from "../errors.js";

export const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);
export const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const RETRY_ERROR_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
]);
/** Bodies of redirects and retried responses up to this size are drained (socket reused). */
const DRAIN_LIMIT = 64 * 1024;
export interface HttpAgents {
  http: http.Agent;
  https: https.Agent;
}

export type Mode = "buffer" | "hash";

export interface Outcome {
  status: number;
  headers: IncomingHttpHeaders;
  body?: Buffer;
  sha256?: string;
  /** Hash mode: the digests of `Settings.extraDigests`, by algorithm. */
  digests?: Record<string, string>;
  size: number;
}

/** A failure worth retrying; `what` says what happened. */
export class Transient extends Error {
  constructor(readonly what: string) {
    super(what);
  }
}

export interface Settings {
  headers: Record<string, string>;
  /** Deadline per attempt, from socket to last byte (see {@link attempt}). */
  timeoutMs: number;
  maxBytes: number;
  decompress: boolean;
  agents: HttpAgents;
  signal: AbortSignal | undefined;
  source: string;
  /** Hash mode: algorithms to compute beside sha256 (sha384/sha512 pins). */
  extraDigests?: readonly string[];
  /** Hash mode: also receives the body's bytes (see {@link DownloadSink}). */
  sink?: DownloadSink;
}

/**
 * Where a download's bytes go besides the hash (e.g. a file in a cache).
 * `restart` is called before each attempt's body, so a retried download
 * never appends to a half-written one.
 */
export interface DownloadSink {
  restart(): void;
  write(chunk: Buffer): void;
}

export function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Downloads (hash mode) may take longer than the request deadline: each MiB
 * received moves the deadline on by this much, i.e. after the first
 * `timeoutMs` a download must average 256 KiB/s. A trickle never does.
 */
export const DOWNLOAD_GRACE_MS_PER_MIB = 4_000;
const MIB = 1024 * 1024;

/** "0.3 s", "30 s": a duration in ms, for messages. */
export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/**
 * One request/response exchange. Rejects with Transient, PyprovError or an AbortError.
 *
 * The deadline (`timeoutMs`) runs from the moment the request has a socket
 * (connect included, time queued for a free socket not) to the last byte of
 * the body: a server that trickles bytes cannot hold an attempt open longer.
 */
export function attempt(target: URL, s: Settings, mode: Mode): Promise<Outcome> {
  return new Promise<Outcome>((resolve, reject) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let started = 0;
    let received = 0;
    const grace = mode === "hash" ? DOWNLOAD_GRACE_MS_PER_MIB : 0;
    const isHttps = target.protocol === "https:";
    const req = (isHttps ? https : http).request(target, {
      method: "GET",
      agent: isHttps ? s.agents.https : s.agents.http,
      headers: s.headers,
      signal: s.signal,
    });
    const clear = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    };
    const fail = (err: Error): void => {
      clear();
      if (settled) return;
      settled = true;
      req.destroy();
      reject(err);
    };
    const finish = (out: Outcome): void => {
      if (settled) return;
      settled = true;
      resolve(out);
    };
    // Fires only while the exchange is live: every end of it clears the timer.
    const onDeadline = (): void => {
      const left = s.timeoutMs + (received / MIB) * grace - (performance.now() - started);
      if (left >= 1) {
        timer = setTimeout(onDeadline, left);
        return;
      }
      timer = undefined;
      // Settled already (a retried or redirect answer being drained): just stop it.
      if (settled) req.destroy();
      else fail(new Transient(deadlineMessage(s.timeoutMs, grace)));
    };
    req.once("socket", () => {
      started = performance.now();
      timer = setTimeout(onDeadline, s.timeoutMs);
    });
    req.on("close", clear);
    req.on("error", (err) => fail(classify(err, s.source, target)));
    req.on("response", (res: IncomingMessage) => {
      res.on("error", (err) => fail(classify(err, s.source, target)));
      res.on("end", clear);
      res.on("close", clear);
      const status = res.statusCode ?? 0;
      const interim =
        RETRY_STATUSES.has(status) || (REDIRECT_STATUSES.has(status) && !!res.headers.location);
      if (interim || (mode === "hash" && status !== 200)) {
        discard(res);
        finish({ status, headers: res.headers, size: 0 });
        return;
      }
      if (grace > 0) res.on("data", (c: Buffer) => (received += c.length));
      if (mode === "hash") {
        try {
          s.sink?.restart();
        } catch (err) {
          fail(err instanceof Error ? err : new Error(String(err)));
          return;
        }
      }
      readBody(res, s, mode, status).then(
        (out) => {
          clear();
          finish(out);
        },
        (err: unknown) =>
          fail(err instanceof Error ? classify(err, s.source, target) : new Error(String(err))),
      );
    });
    req.end();
  });
}

function deadlineMessage(timeoutMs: number, grace: number): string {
  const plus = grace > 0 ? ` plus ${seconds(grace)} per MiB received` : "";
  return `request deadline of ${seconds(timeoutMs)}${plus} hit (timeout) before the response was complete`;
}

function classify(err: unknown, source: string, target: URL): Error {
  if (err instanceof Transient || err instanceof PyprovError) return err;
  if (err instanceof Error && err.name === "AbortError") return err;
  const code =
    err && typeof err === "object" && "code" in err ? String((err as { code: unknown }).code) : "";
  const msg = err instanceof Error ? err.message : String(err);
  if (RETRY_ERROR_CODES.has(code)) {
    return new Transient(
      msg === "aborted"
        ? "connection closed before the body was complete"
        : cleanMessage(msg, code),
    );
  }
  const where = redactUrl(target);
  const at = where === source ? "" : ` (at ${where})`;
  return new PyprovError("NETWORK", cleanMessage(msg, code) + at, { source, cause: err });
}

/** One short line: OpenSSL's error stack reduced to its reason, the code appended once. */
function cleanMessage(msg: string, code: string): string {
  const first = (msg.split("\n")[0] ?? "").slice(0, 500);
  const ssl = /:error:[0-9A-Fa-f]+:[^:]*:[^:]*:([^:]*):/.exec(first);
  const text = ssl?.[1] ? `TLS error: ${ssl[1]}` : first.slice(0, 200);
  return code && !text.includes(code) ? `${text} (${code})` : text;
}

// In a module of its own, so that code naming a URL does not load the HTTP stack.
import { redactUrl } from "./http-light.js";
export { redactUrl };

function discard(res: IncomingMessage): void {
  const len = Number(header(res.headers, "content-length"));
  if (Number.isFinite(len) && len <= DRAIN_LIMIT) res.resume();
  else res.destroy();
}

function tooLarge(s: Settings): PyprovError {
  return new PyprovError(
    "INPUT_TOO_LARGE",
    `response is larger than the limit of ${s.maxBytes} bytes`,
    {
      source: s.source,
    },
  );
}

function readBody(res: IncomingMessage, s: Settings, mode: Mode, status: number): Promise<Outcome> {
  return new Promise<Outcome>((resolve, reject) => {
    let done = false;
    const stop = (err: Error): void => {
      if (done) return;
      done = true;
      reject(err);
    };
    const declared = header(res.headers, "content-length");
    if (declared !== undefined && /^\d+$/.test(declared.trim()) && Number(declared) > s.maxBytes) {
      return stop(tooLarge(s));
    }
    const encoding = (header(res.headers, "content-encoding") ?? "identity").trim().toLowerCase();
    let stream: Readable = res;
    if (mode === "buffer" && encoding !== "identity" && encoding !== "") {
      if (!(s.decompress && (encoding === "gzip" || encoding === "x-gzip"))) {
        return stop(
          new PyprovError("INPUT_MALFORMED", `unexpected Content-Encoding ${encoding}`, {
            source: s.source,
          }),
        );
      }
      const gunzip = createGunzip();
      gunzip.on("error", (err) =>
        stop(
          new PyprovError("INPUT_MALFORMED", `bad gzip body: ${err.message}`, { source: s.source }),
        ),
      );
      res.pipe(gunzip);
      stream = gunzip;
    }
    const hash = mode === "hash" ? createHash("sha256") : undefined;
    const extra = hash ? (s.extraDigests ?? []).map((alg) => [alg, createHash(alg)] as const) : [];
    const chunks: Buffer[] = [];
    let raw = 0;
    let size = 0;
    if (stream !== res) {
      res.on("data", (c: Buffer) => {
        raw += c.length;
        if (raw > s.maxBytes) stop(tooLarge(s));
      });
    }
    stream.on("data", (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > s.maxBytes) return stop(tooLarge(s));
      if (hash) {
        hash.update(c);
        for (const [, h] of extra) h.update(c);
        if (s.sink) {
          try {
            s.sink.write(c);
          } catch (err) {
            return stop(err instanceof Error ? err : new Error(String(err)));
          }
        }
      } else chunks.push(c);
    });
    const truncated = (): void =>
      stop(new Transient("connection closed before the body was complete"));
    res.on("close", () => {
      if (!res.complete) truncated();
    });
    stream.on("end", () => {
      if (!res.complete) return truncated();
      if (done) return;
      done = true;
      resolve({
        status,
        headers: res.headers,
        size,
        ...(hash ? { sha256: hash.digest("hex") } : { body: Buffer.concat(chunks, size) }),
        ...(extra.length > 0
          ? { digests: Object.fromEntries(extra.map(([alg, h]) => [alg, h.digest("hex")])) }
          : {}),
      });
    });
  });
}
