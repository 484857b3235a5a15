/**
 * Delivering a listed file (or its PEP 658 metadata) by digest: from the
 * content-addressed cache when it is there, else fetched from the upstream
 * into it first (hashed on the way; kept only when it hashes to the digest).
 * Every byte leaves through FileStore.read, block-checked, so a response
 * never completes with bytes other than the verified ones. GET with one
 * Range is answered 206; HEAD never downloads.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { describeError } from "../errors.js";
import type { DownloadSink } from "../pypi/http.js";
import type { FileStore } from "./files.js";
import { Tampered, parseRange, type ByteRange } from "./files.js";
import type { ServeMetrics } from "./metrics.js";

export interface Deliverable {
  sha256: string;
  /** For messages. */
  filename: string;
  /** Size the page gave (HEAD of an uncached file). */
  size: number | null;
  contentType: string;
  /** Fetch it from the upstream into the sink; rejects on failure. */
  download: (sink: DownloadSink) => Promise<unknown>;
}

export interface DeliverContext {
  files: FileStore;
  metrics: ServeMetrics;
  offline: boolean;
  log: (line: string) => void;
  /** Called once the whole body was sent (GET, 200 or 206). */
  onDelivered?: (d: Deliverable, bytes: number, full: boolean) => void;
  /** Called when bytes did not match (the file is dropped). */
  onTampered?: (d: Deliverable, err: Tampered) => void;
}

export async function deliver(
  ctx: DeliverContext,
  req: IncomingMessage,
  res: ServerResponse,
  d: Deliverable,
): Promise<void> {
  const head = req.method === "HEAD";
  let size: number | undefined;
  try {
    size = await ctx.files.check(d.sha256);
  } catch (err) {
    if (!(err instanceof Tampered)) throw err;
    tampered(ctx, d, err);
    size = undefined; // dropped: fetched again below
  }
  ctx.metrics.cache.inc({ cache: "file", result: size === undefined ? "miss" : "hit" });
  if (size === undefined && head) {
    // HEAD never downloads: the page's size, when it gave one.
    res.writeHead(200, {
      "content-type": d.contentType,
      "accept-ranges": "bytes",
      ...(d.size !== null ? { "content-length": String(d.size) } : {}),
      etag: `"${d.sha256}"`,
    });
    res.end();
    return;
  }
  if (size === undefined) {
    if (ctx.offline) {
      return plain(
        res,
        503,
        `${d.filename} is not in the cache, and --offline forbids the network\n`,
      );
    }
    try {
      await ctx.metrics.time("file", () => ctx.files.fill(d.sha256, d.download));
      size = await ctx.files.check(d.sha256);
    } catch (err) {
      if (err instanceof Tampered) {
        tampered(ctx, d, err);
        return plain(res, 502, "the upstream file does not match its verified digest\n");
      }
      ctx.log(`upstream error for ${d.filename}: ${describeError(err)}`);
      return plain(
        res,
        502,
        `the file could not be fetched from upstream: ${describeError(err)}\n`,
      );
    }
    if (size === undefined) return plain(res, 502, "the file vanished from the cache\n");
  }
  const range = parseRange(headerOf(req, "range"), size);
  if (range === "unsatisfiable") {
    res.writeHead(416, { "content-range": `bytes */${size}` });
    res.end();
    return;
  }
  const span: ByteRange = range ?? { start: 0, end: size - 1 };
  const length = size === 0 ? 0 : span.end - span.start + 1;
  const headers: Record<string, string> = {
    "content-type": d.contentType,
    "content-length": String(length),
    "accept-ranges": "bytes",
    etag: `"${d.sha256}"`,
    "cache-control": "max-age=31536000, immutable",
    ...(range ? { "content-range": `bytes ${span.start}-${span.end}/${size}` } : {}),
  };
  const status = range ? 206 : 200;
  if (head || length === 0) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  let started = false;
  const write = (chunk: Buffer): Promise<void> => {
    if (!started) {
      res.writeHead(status, headers);
      started = true;
    }
    ctx.metrics.bytes.inc(chunk.length);
    // Resolves once the socket has taken the bytes (or the client went away).
    return new Promise<void>((resolve) => {
      const done = (): void => {
        res.off("close", done);
        resolve();
      };
      res.once("close", done);
      res.write(chunk, done);
    });
  };
  let sent: number;
  try {
    sent = await ctx.files.read(d.sha256, span, write, () => res.destroyed);
  } catch (err) {
    if (!(err instanceof Tampered)) throw err;
    tampered(ctx, d, err);
    // Cut short: what was sent is a strict prefix of the verified bytes.
    if (!started) return plain(res, 502, "the cached file does not match its verified digest\n");
    res.destroy();
    return;
  }
  if (res.destroyed) return;
  res.end();
  if (sent === length) ctx.onDelivered?.(d, sent, range === undefined);
}

function tampered(ctx: DeliverContext, d: Deliverable, err: Tampered): void {
  ctx.metrics.tampering.inc({ where: err.where });
  ctx.log(`tampered ${d.filename}: ${err.message}; not delivered`);
  ctx.onTampered?.(d, err);
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function plain(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
  res.end(body);
}
