/**
 * Issue 12, item 8: every request has a deadline from its socket to its last
 * byte, so a server that trickles bytes (the headers or the body) cannot hold
 * an attempt open; and a run's deadline (a signal) abandons every request.
 * Hostile servers on 127.0.0.1 that trickle and stop by themselves.
 */
import net from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PyprovError } from "../../src/errors.js";
import {
  createAgents,
  downloadSha256,
  httpGet,
  runDeadlineSignal,
  type RequestOptions,
} from "../../src/pypi/http.js";
import { FakeIndex } from "../support/fake-index.js";

const agents = createAgents({ proxyEnv: null });
const FAST: RequestOptions = { agents, retryBaseMs: 1, retryMaxMs: 5, timeoutMs: 300 };
const big = Buffer.alloc(3 * 1024 * 1024, 7);
const index = new FakeIndex({
  projects: {
    demo: { files: [{ filename: "demo-1.0-py3-none-any.whl", body: big }] },
  },
});
const PAGE = "/simple/demo/";
const WHEEL = "/files/demo/demo-1.0-py3-none-any.whl";
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

describe("the request deadline", () => {
  it("a page trickled one byte every 50 ms (never idle) is a timeout, retried, then NETWORK", async () => {
    index.fault(PAGE, { trickle: { everyMs: 50 } });
    const t0 = performance.now();
    const err = await failure(httpGet(base + "simple/demo/", { ...FAST, maxAttempts: 3 }));
    const elapsed = performance.now() - t0;
    expect(err.code).toBe("NETWORK");
    expect(err.oneLine()).toBe(
      `${base}simple/demo/: request deadline of 0.3 s hit (timeout) before the response was complete after 3 attempts`,
    );
    expect(index.count(PAGE)).toBe(3);
    expect(elapsed).toBeGreaterThanOrEqual(3 * 300 - 10);
    expect(elapsed).toBeLessThan(3 * 300 + 1_000);
  });

  it("a trickle once is retried like any fault", async () => {
    index.fault(PAGE, { trickle: { everyMs: 50 }, times: 1 });
    const res = await httpGet(base + "simple/demo/", FAST);
    expect(res.status).toBe(200);
    expect(res.attempts).toBe(2);
    expect(JSON.parse(res.body.toString()).name).toBe("demo");
  });

  it("headers trickled byte by byte hit the same deadline", async () => {
    const head = Buffer.from(
      "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n",
    );
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      sockets.add(socket);
      let i = 0;
      const timer = setInterval(() => {
        if (i < head.length) socket.write(head.subarray(i, ++i));
        else socket.end();
      }, 40);
      socket.on("close", () => {
        clearInterval(timer);
        sockets.delete(socket);
      });
      socket.on("error", () => {});
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/simple/demo/`;
    try {
      const t0 = performance.now();
      const err = await failure(httpGet(url, { ...FAST, maxAttempts: 2 }));
      expect(err.oneLine()).toMatch(
        new RegExp(`^${url}: request deadline of 0\\.3 s hit .* after 2 attempts$`),
      );
      expect(performance.now() - t0).toBeLessThan(2 * 300 + 1_000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it("a trickled download hits it too (the per-MiB allowance never helps a trickle)", async () => {
    index.fault(WHEEL, { trickle: { everyMs: 20, bytes: 16 } });
    const t0 = performance.now();
    const err = await failure(downloadSha256(base + WHEEL.slice(1), { ...FAST, maxAttempts: 2 }));
    expect(err.code).toBe("NETWORK");
    expect(err.message).toBe(
      "request deadline of 0.3 s plus 4 s per MiB received hit (timeout) before the response was complete after 2 attempts",
    );
    expect(index.count(WHEEL)).toBe(2);
    expect(performance.now() - t0).toBeLessThan(2 * 300 + 1_000);
  });

  it("a download that keeps flowing may take longer than the deadline", async () => {
    // 64 KiB every 10 ms (~6 MiB/s): 3 MiB take ~0.5 s, longer than the 0.2 s deadline.
    index.fault(WHEEL, { trickle: { everyMs: 10, bytes: 64 * 1024 } });
    const t0 = performance.now();
    const r = await downloadSha256(base + WHEEL.slice(1), { ...FAST, timeoutMs: 200 });
    expect(performance.now() - t0).toBeGreaterThan(200);
    expect(r.size).toBe(big.length);
    expect(r.attempts).toBe(1);
  });
});

describe("the run's deadline", () => {
  it("abandons a request mid-attempt and between attempts: NETWORK naming the URL", async () => {
    index.fault(PAGE, { trickle: { everyMs: 50 } });
    const signal = runDeadlineSignal(450);
    const t0 = performance.now();
    const err = await failure(
      httpGet(base + "simple/demo/", { ...FAST, maxAttempts: 10, retryBaseMs: 100, signal }),
    );
    expect(err.code).toBe("NETWORK");
    expect(err.oneLine()).toMatch(
      new RegExp(
        `^${base}simple/demo/: the run's deadline of 0\\.45 s was hit \\(--deadline\\); request abandoned after [12] attempts \\(before: request deadline of 0\\.3 s hit .*\\)$`,
      ),
    );
    expect(performance.now() - t0).toBeLessThan(450 + 500);
    // Once it has passed, nothing more is sent.
    index.resetCounts();
    const again = await failure(httpGet(base + "simple/demo/", { ...FAST, signal }));
    expect(again.message).toContain("request abandoned after 0 attempts");
    expect(index.count(PAGE)).toBe(0);
  });
});
