import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PyprovError } from "../../src/errors.js";
import {
  PYPROV_VERSION,
  USER_AGENT,
  backoffDelay,
  createAgents,
  downloadSha256,
  httpGet,
  parseRetryAfter,
  redactUrl,
} from "../../src/pypi/http.js";
import type { RequestOptions } from "../../src/pypi/http.js";
import { REPO_ROOT } from "../support/corpus.js";
import { FakeIndex } from "../support/fake-index.js";

const agents = createAgents({ proxyEnv: null });
const FAST: RequestOptions = { agents, retryBaseMs: 1, retryMaxMs: 5, timeoutMs: 2_000 };

const big = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
const index = new FakeIndex({
  projects: {
    demo: {
      files: [
        { filename: "demo-1.0.tar.gz", body: Buffer.from("sdist bytes") },
        { filename: "demo-1.0-py3-none-any.whl", body: big },
      ],
    },
  },
});
let base = "";

beforeAll(async () => {
  base = await index.start();
});
afterAll(async () => {
  await index.close();
  agents.http.destroy();
});
beforeEach(() => {
  index.clearFaults();
  index.resetCounts();
  index.gzip = false;
});

async function failure(p: Promise<unknown>): Promise<PyprovError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(PyprovError);
    return err as PyprovError;
  }
  throw new Error("expected a PyprovError, but the request succeeded");
}

const PAGE = "/simple/demo/";

describe("httpGet", () => {
  it("returns status, headers, body and final URL, and sends an honest User-Agent", async () => {
    const res = await httpGet(base + "simple/demo/", { ...FAST, headers: { accept: "text/html" } });
    expect(res.status).toBe(200);
    expect(res.url).toBe(base + "simple/demo/");
    expect(JSON.parse(res.body.toString()).name).toBe("demo");
    const seen = index.lastHeaders(PAGE);
    expect(seen?.["user-agent"]).toBe(USER_AGENT);
    expect(seen?.accept).toBe("text/html");
    expect(USER_AGENT).toMatch(
      /^pyprov\/\d+\.\d+\.\d+ \(\+https:\/\/github\.com\/pyprov\/pyprov\) node\/\d+\.\d+\.\d+$/,
    );
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
      version: string;
    };
    expect(PYPROV_VERSION).toBe(pkg.version);
  });

  it("returns 404 and 403 to the caller without retrying", async () => {
    const res = await httpGet(base + "simple/nope/", FAST);
    expect(res.status).toBe(404);
    index.fault(PAGE, { status: 403, body: "Attestations temporarily disabled" });
    const res2 = await httpGet(base + "simple/demo/", FAST);
    expect(res2.status).toBe(403);
    expect(res2.body.toString()).toBe("Attestations temporarily disabled");
    expect(index.count(PAGE)).toBe(1);
  });

  it("retries 500 twice, then succeeds on the third request", async () => {
    index.fault(PAGE, { status: 500, times: 2 });
    const res = await httpGet(base + "simple/demo/", FAST);
    expect(res.status).toBe(200);
    expect(res.attempts).toBe(3);
    expect(index.count(PAGE)).toBe(3);
  });

  it("honours Retry-After in seconds (429)", async () => {
    index.fault(PAGE, { status: 429, retryAfter: 1, times: 1 });
    const t0 = Date.now();
    const res = await httpGet(base + "simple/demo/", FAST);
    expect(res.status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(990);
    expect(index.count(PAGE)).toBe(2);
  });

  it("caps Retry-After at retryAfterMaxMs", async () => {
    index.fault(PAGE, { status: 503, retryAfter: 3600, times: 1 });
    const t0 = Date.now();
    await httpGet(base + "simple/demo/", { ...FAST, retryAfterMaxMs: 150 });
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(1_500);
  });

  it("gives up on a persistent 503 after maxAttempts with a NETWORK error naming the URL", async () => {
    index.fault(PAGE, { status: 503 });
    const err = await failure(httpGet(base + "simple/demo/", { ...FAST, maxAttempts: 3 }));
    expect(err.code).toBe("NETWORK");
    expect(err.oneLine()).toBe(`${base}simple/demo/: HTTP 503 after 3 attempts`);
    expect(index.count(PAGE)).toBe(3);
  });

  it("retries a connection reset", async () => {
    index.fault(PAGE, { reset: true, times: 1 });
    const res = await httpGet(base + "simple/demo/", FAST);
    expect(res.status).toBe(200);
    expect(index.count(PAGE)).toBe(2);
    index.fault(PAGE, { reset: true });
    const err = await failure(httpGet(base + "simple/demo/", { ...FAST, maxAttempts: 2 }));
    expect(err.code).toBe("NETWORK");
    expect(err.message).toMatch(/after 2 attempts$/);
  });

  it("times out a slow response (idle timeout), retries, then fails", async () => {
    index.fault(PAGE, { delayMs: 1_000 });
    const t0 = Date.now();
    const err = await failure(
      httpGet(base + "simple/demo/", { ...FAST, timeoutMs: 100, maxAttempts: 2 }),
    );
    expect(Date.now() - t0).toBeLessThan(900);
    expect(err.code).toBe("NETWORK");
    expect(err.message).toMatch(/timeout.*after 2 attempts/);
    expect(index.count(PAGE)).toBe(2);
  });

  it("never returns a truncated body: retries, then fails", async () => {
    index.fault(PAGE, { truncate: true, times: 1 });
    const ok = await httpGet(base + "simple/demo/", FAST);
    expect(JSON.parse(ok.body.toString()).name).toBe("demo");
    expect(index.count(PAGE)).toBe(2);
    index.fault(PAGE, { truncate: true });
    const err = await failure(httpGet(base + "simple/demo/", { ...FAST, maxAttempts: 2 }));
    expect(err.code).toBe("NETWORK");
    expect(err.message).toMatch(/body was complete.*after 2 attempts/);
  });

  it("refuses an oversized body from Content-Length and while streaming", async () => {
    index.fault(PAGE, { oversize: 64 * 1024 * 1024 });
    const err = await failure(httpGet(base + "simple/demo/", { ...FAST, maxBytes: 1024 * 1024 }));
    expect(err.code).toBe("INPUT_TOO_LARGE");
    expect(err.oneLine()).toContain(`${base}simple/demo/`);
    index.clearFaults();
    index.fault(PAGE, { oversize: 3 * 1024 * 1024, chunked: true });
    const err2 = await failure(httpGet(base + "simple/demo/", { ...FAST, maxBytes: 1024 * 1024 }));
    expect(err2.code).toBe("INPUT_TOO_LARGE");
    expect(index.count(PAGE)).toBe(2); // not retried
  });

  it("follows a same-origin redirect and reports the final URL", async () => {
    index.fault("/old", { redirectTo: "/simple/demo/?via=old", redirectStatus: 301 });
    const res = await httpGet(base + "old", FAST);
    expect(res.status).toBe(200);
    expect(res.url).toBe(base + "simple/demo/?via=old");
  });

  it("refuses a redirect to a foreign plain-http host", async () => {
    index.fault("/old", { redirectTo: "http://evil.example.invalid/simple/demo/" });
    const err = await failure(httpGet(base + "old", FAST));
    expect(err.code).toBe("NETWORK");
    expect(err.message).toContain("refused redirect to http://evil.example.invalid/simple/demo/");
  });

  it("follows a redirect to https on another origin", async () => {
    // Plain HTTP on the other end: the TLS handshake fails, which proves the redirect was followed.
    const port = Number(new URL(base).port);
    index.fault("/old", { redirectTo: `https://localhost:${port}/simple/demo/` });
    const err = await failure(httpGet(base + "old", FAST));
    expect(err.code).toBe("NETWORK");
    expect(err.message).not.toContain("refused redirect");
  });

  it("stops after 5 redirects", async () => {
    index.fault("/loop", { redirectTo: "/loop" });
    const err = await failure(httpGet(base + "loop", FAST));
    expect(err.message).toContain("more than 5 redirects");
    expect(index.count("/loop")).toBe(6);
  });

  it("asks for gzip only when decompressing, and decodes it", async () => {
    index.gzip = true;
    const plain = await httpGet(base + "simple/demo/", FAST);
    expect(index.lastHeaders(PAGE)?.["accept-encoding"]).toBe("identity");
    const decoded = await httpGet(base + "simple/demo/", { ...FAST, decompress: true });
    expect(index.lastHeaders(PAGE)?.["accept-encoding"]).toBe("gzip");
    expect(decoded.headers["content-encoding"]).toBe("gzip");
    expect(decoded.body.equals(plain.body)).toBe(true);
  });

  it("rejects a URL that is not http(s)", async () => {
    const err = await failure(httpGet("file:///etc/passwd", FAST));
    expect(err.code).toBe("INPUT_MALFORMED");
  });

  it("goes through HTTP_PROXY when the proxy environment says so", async () => {
    const seen: string[] = [];
    const proxy = http.createServer((req, res) => {
      seen.push(req.url ?? "");
      res.writeHead(200, { "content-type": "text/plain" }).end("via proxy");
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const proxied = createAgents({ proxyEnv: { HTTP_PROXY: proxyUrl } });
    try {
      const res = await httpGet(base + "simple/demo/", { ...FAST, agents: proxied });
      expect(res.body.toString()).toBe("via proxy");
      expect(seen).toEqual([base + "simple/demo/"]);
      const bypass = createAgents({ proxyEnv: { HTTP_PROXY: proxyUrl, NO_PROXY: "127.0.0.1" } });
      const direct = await httpGet(base + "simple/demo/", { ...FAST, agents: bypass });
      expect(direct.status).toBe(200);
      expect(seen).toHaveLength(1);
      bypass.http.destroy();
    } finally {
      proxied.http.destroy();
      proxy.closeAllConnections();
      await new Promise<void>((r) => proxy.close(() => r()));
    }
  });
});

describe("downloadSha256", () => {
  const WHEEL = "/files/demo/demo-1.0-py3-none-any.whl";

  it("hashes the body as it streams", async () => {
    const r = await downloadSha256(base + WHEEL.slice(1), FAST);
    expect(r.size).toBe(big.length);
    expect(r.sha256).toBe(createHash("sha256").update(big).digest("hex"));
    expect(index.lastHeaders(WHEEL)?.["accept-encoding"]).toBe("identity");
  });

  it("retries like httpGet", async () => {
    index.fault(WHEEL, { status: 502, times: 1 });
    index.fault(WHEEL, { truncate: true, times: 1 });
    const r = await downloadSha256(base + WHEEL.slice(1), FAST);
    expect(r.size).toBe(big.length);
    expect(r.attempts).toBe(3);
  });

  it("rejects a body over the cap", async () => {
    const err = await failure(downloadSha256(base + WHEEL.slice(1), { ...FAST, maxBytes: 1024 }));
    expect(err.code).toBe("INPUT_TOO_LARGE");
    index.fault(WHEEL, { oversize: 5 * 1024 * 1024, chunked: true });
    const err2 = await failure(
      downloadSha256(base + WHEEL.slice(1), { ...FAST, maxBytes: 1024 * 1024 }),
    );
    expect(err2.code).toBe("INPUT_TOO_LARGE");
  });

  it("treats a non-200 answer as an error", async () => {
    const err = await failure(downloadSha256(base + "files/demo/missing.whl", FAST));
    expect(err.code).toBe("NETWORK");
    expect(err.message).toBe("HTTP 404");
  });
});

describe("helpers", () => {
  it("parses Retry-After as seconds or an HTTP date", () => {
    const now = Date.parse("2025-01-01T00:00:00Z");
    expect(parseRetryAfter("3", now)).toBe(3_000);
    expect(parseRetryAfter("Wed, 01 Jan 2025 00:00:05 GMT", now)).toBe(5_000);
    expect(parseRetryAfter("Tue, 31 Dec 2024 00:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it("uses full jitter, bounded by the maximum", () => {
    expect(backoffDelay(1, 100, 1_000, () => 0.999)).toBe(99);
    expect(backoffDelay(3, 100, 1_000, () => 0.5)).toBe(200);
    expect(backoffDelay(40, 100, 1_000, () => 0.999)).toBe(999);
    expect(backoffDelay(2, 100, 1_000, () => 0)).toBe(0);
  });

  it("redacts credentials in URLs", () => {
    expect(redactUrl("https://user:secret@example.org/simple/")).toBe(
      "https://***@example.org/simple/",
    );
  });
});
