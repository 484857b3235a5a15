/**
 * How a {@link FakeIndex} writes its answers: whole replies, large bodies and
 * bodies trickled a few bytes at a time (a hostile or broken server).
 */
import { createHash } from "node:crypto";
import type { ServerResponse } from "node:http";

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export const JSON_TYPE = "application/vnd.pypi.simple.v1+json";

export function sha256Hex(b: Buffer): string {
  return createHash("sha256").update(b).digest("hex");
}

export function esc(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

export function safeDecode(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    return p;
  }
}

export function ok(type: string, body: Buffer): Reply {
  return { status: 200, headers: { "content-type": type }, body };
}

export function text(status: number, message: string): Reply {
  return { status, headers: { "content-type": "text/plain" }, body: Buffer.from(message) };
}

export function send(res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, { ...reply.headers, "content-length": String(reply.body.length) });
  res.end(reply.body);
}

export function sendLarge(res: ServerResponse, bytes: number, chunked: boolean): void {
  const headers: Record<string, string> = { "content-type": JSON_TYPE };
  if (!chunked) headers["content-length"] = String(bytes);
  res.writeHead(200, headers);
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  let left = bytes;
  res.on("close", () => {
    left = 0;
  });
  const pump = (): void => {
    while (left > 0) {
      const c = left >= chunk.length ? chunk : chunk.subarray(0, left);
      left -= c.length;
      if (!res.write(c)) {
        res.once("drain", pump);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  pump();
}

/**
 * The reply's headers (with its true Content-Length), then its body `bytes`
 * bytes every `everyMs` ms. Stops by itself when the body is sent or the
 * client goes away.
 */
export function sendTrickle(
  res: ServerResponse,
  reply: Reply,
  trickle: { everyMs: number; bytes?: number },
): void {
  res.writeHead(reply.status, { ...reply.headers, "content-length": String(reply.body.length) });
  res.flushHeaders();
  const step = Math.max(1, trickle.bytes ?? 1);
  let sent = 0;
  const timer = setInterval(() => {
    if (res.destroyed || sent >= reply.body.length) {
      clearInterval(timer);
      if (!res.destroyed) res.end();
      return;
    }
    res.write(reply.body.subarray(sent, sent + step));
    sent += step;
  }, trickle.everyMs);
  res.on("close", () => clearInterval(timer));
}
