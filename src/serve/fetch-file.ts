/**
 * Fetching a listed file from upstream into a temporary file, hashing it on
 * the way: the proxy hands a client a file only after its whole body is on
 * disk and its sha256 is the one the verified page listed.
 */
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream } from "node:stream/web";
import { PyprovError } from "../errors.js";
import { redactUrl } from "../pypi/http.js";

const MAX_REDIRECTS = 5;
/** Largest file the proxy fetches (the index client's download cap). */
export const MAX_FILE_BYTES = 2 * 1024 * 1024 * 1024;

export interface FetchedFile {
  path: string;
  sha256: string;
  size: number;
  remove: () => Promise<void>;
}

export interface FetchFileOptions {
  /** Origin of the upstream index: plain http is only followed there. */
  upstreamOrigin: string;
  /** Directory for the temporary file. */
  dir: string;
  /** Deadline of the whole fetch. */
  timeoutMs: number;
  userAgent?: string;
}

/** Download `url` (https, or http on the upstream's origin) into `dir`; NETWORK error on failure. */
export async function fetchToTemp(url: string, opts: FetchFileOptions): Promise<FetchedFile> {
  const signal = AbortSignal.timeout(opts.timeoutMs);
  let current = url;
  let res: Response | undefined;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    checkUrl(current, opts.upstreamOrigin);
    try {
      res = await fetch(current, {
        redirect: "manual",
        signal,
        headers: { "user-agent": opts.userAgent ?? "pyprov-serve", "accept-encoding": "identity" },
      });
    } catch (err) {
      throw new PyprovError("NETWORK", describe(err), { source: redactUrl(current) });
    }
    const location = res.headers.get("location");
    if (res.status >= 300 && res.status < 400 && location !== null) {
      await res.body?.cancel();
      current = new URL(location, current).href;
      res = undefined;
      continue;
    }
    break;
  }
  if (!res) throw new PyprovError("NETWORK", "too many redirects", { source: redactUrl(url) });
  if (res.status !== 200 || !res.body) {
    await res.body?.cancel();
    throw new PyprovError("NETWORK", `HTTP ${res.status}`, { source: redactUrl(current) });
  }
  const path = join(opts.dir, `.pyprov-serve-${randomBytes(8).toString("hex")}.part`);
  const remove = () => rm(path, { force: true });
  const hash = createHash("sha256");
  let size = 0;
  const body = Readable.fromWeb(res.body as ReadableStream<Uint8Array>);
  body.on("data", (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_FILE_BYTES) body.destroy(new Error(`larger than ${MAX_FILE_BYTES} bytes`));
    hash.update(chunk);
  });
  try {
    await pipeline(body, createWriteStream(path, { mode: 0o600 }));
  } catch (err) {
    await remove();
    throw new PyprovError("NETWORK", describe(err), { source: redactUrl(current) });
  }
  return { path, sha256: hash.digest("hex"), size, remove };
}

function checkUrl(url: string, upstreamOrigin: string): void {
  const u = new URL(url);
  if (u.protocol !== "https:" && !(u.protocol === "http:" && u.origin === upstreamOrigin)) {
    throw new PyprovError(
      "INPUT_MALFORMED",
      `file URL is neither https nor on the upstream's origin ${upstreamOrigin}`,
      { source: redactUrl(u) },
    );
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : "";
    return `${err.message}${cause}`;
  }
  return String(err);
}
