/**
 * Bounded load on loopback: 64 concurrent clients, 5,000 requests mixing
 * pages, PEP 658 metadata, downloads and range requests, while the upstream
 * fails now and then (503s, resets) and one file's upstream bytes are swapped
 * under its true digest. Every delivered body must hash to the digest in its
 * URL; the only 5xx allowed is the 502 that an exhausted upstream retry
 * gives; memory stays bounded. Stops by itself (request count and a deadline).
 */
import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServe, type RunningServe } from "../../src/serve/server.js";
import { loadTrustedRoot } from "../../src/sigstore/trust-root.js";
import { SyntheticIndex } from "../support/synthetic-index.js";

const CLIENTS = 64;
const REQUESTS = 5000;
const DEADLINE_MS = 60_000;
const PROJECTS = 8;

let synth: SyntheticIndex;
let proxy: RunningServe;

beforeAll(async () => {
  const projects: Record<string, { version: string; files: { kind: "wheel"; size: number }[] }[]> =
    {};
  for (let i = 0; i < PROJECTS; i++) {
    projects[`load${i}`] = [
      { version: "1.0", files: [{ kind: "wheel", size: 4096 + i * 50_000 }] },
      { version: "2.0", files: [{ kind: "wheel", size: 300_000 }] },
    ];
  }
  synth = new SyntheticIndex({ projects });
  for (let i = 0; i < PROJECTS; i++) {
    const p = synth.project(`load${i}`);
    for (const f of p.files)
      f.fake.metadata = Buffer.from(`Name: load${i}\nVersion: ${f.version}\n`);
    synth.put(p);
  }
  await synth.start();
  proxy = await startServe({
    upstream: synth.indexUrl,
    port: 0,
    cacheDir: synth.subdir(),
    trustRoot: loadTrustedRoot(synth.root),
    pageTtlMs: 50, // pages are fetched again (and meet faults) during the run
    maxAttempts: 3,
    retryBaseMs: 1,
  });
});

afterAll(async () => {
  await proxy?.close();
  await synth?.close();
});

interface Answer {
  status: number;
  body: Buffer;
  complete: boolean;
}

function get(agent: http.Agent, url: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent, headers, timeout: 20_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks),
          complete: res.complete,
        }),
      );
      res.on("error", () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), complete: false }),
      );
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => resolve({ status: 0, body: Buffer.alloc(0), complete: false }));
  });
}

describe("pyprov serve under bounded load with upstream faults", () => {
  it(
    `${CLIENTS} clients, ${REQUESTS} requests: no unverified byte, no 5xx but upstream 502s, bounded memory`,
    async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
      const accept = { accept: "application/vnd.pypi.simple.v1+json" };
      // Learn the listed files once (before any fault).
      const listed: { url: string; sha: string; meta?: string; size: number }[] = [];
      for (let i = 0; i < PROJECTS; i++) {
        const r = await get(agent, `${proxy.url}load${i}/`, accept);
        expect(r.status).toBe(200);
        const doc = JSON.parse(r.body.toString()) as {
          files: {
            url: string;
            hashes: { sha256: string };
            size: number;
            "core-metadata"?: { sha256: string };
          }[];
        };
        for (const f of doc.files) {
          listed.push({
            url: new URL(f.url, proxy.url).href,
            sha: f.hashes.sha256,
            size: f.size,
            ...(f["core-metadata"] ? { meta: f["core-metadata"].sha256 } : {}),
          });
        }
      }
      expect(listed).toHaveLength(PROJECTS * 2);
      // One file's upstream bytes are swapped under its true digest.
      const victim = synth.release("load0", "2.0")[0];
      if (!victim) throw new Error("no victim");
      victim.fake.sha256 = victim.sha256;
      victim.fake.body = randomBytes(300_000);
      synth.put(synth.project("load0"));

      // Upstream faults now and then, for the whole run.
      let faulting = true;
      const faults = (async () => {
        let n = 0;
        while (faulting) {
          synth.index.fault("*", n++ % 2 ? { status: 503, times: 2 } : { reset: true, times: 1 });
          await new Promise((r) => setTimeout(r, 15));
        }
      })();

      const rssBefore = process.memoryUsage().rss;
      const victimUrl = listed.find((f) => f.sha === victim.sha256)?.url ?? "-";
      const counts = {
        victim404: 0,
        ok: 0,
        partial: 0,
        upstream502: 0,
        other5xx: 0,
        unverified: 0,
        other: 0,
      };
      let next = 0;
      const deadline = Date.now() + DEADLINE_MS;
      const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");
      await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          while (next < REQUESTS && Date.now() < deadline) {
            const i = next++;
            const f = listed[i % listed.length];
            if (!f) continue;
            const kind = i % 5;
            let url = f.url;
            const headers: Record<string, string> = {};
            if (kind === 0) {
              Object.assign(headers, accept);
              url = `${proxy.url}load${i % PROJECTS}/`;
            }
            if (kind === 1 && f.meta) url = `${f.url}.metadata`;
            if (kind === 2) headers.range = `bytes=${f.size > 1000 ? 1000 : 0}-`;
            const r = await get(agent, url, headers);
            if (r.status >= 500) {
              if (r.status === 502) counts.upstream502++;
              else counts.other5xx++;
              continue;
            }
            if (!r.complete) {
              counts.partial++;
              continue;
            }
            if (r.status === 404 && url.startsWith(victimUrl)) {
              counts.victim404++; // dropped after its tampering was caught
              continue;
            }
            if (r.status !== 200 && r.status !== 206) {
              counts.other++;
              continue;
            }
            counts.ok++;
            if (kind === 0) continue;
            const want = kind === 1 && f.meta ? f.meta : f.sha;
            if (r.status === 206) {
              // A range must be the verified bytes at that offset.
              const good = synth.file(decodeURIComponent(url.split("/").pop() ?? "")).body;
              if (!r.body.equals(good.subarray(good.length - r.body.length))) counts.unverified++;
            } else if (sha(r.body) !== want) {
              counts.unverified++;
            }
          }
        }),
      );
      faulting = false;
      await faults;
      synth.index.clearFaults();
      agent.destroy();
      const grownMB = (process.memoryUsage().rss - rssBefore) / (1024 * 1024);

      expect(next).toBeGreaterThanOrEqual(REQUESTS); // finished, not cut by the deadline
      expect(counts.unverified).toBe(0);
      expect(counts.other5xx).toBe(0);
      expect(counts.other).toBe(0);
      expect(counts.ok).toBeGreaterThan(REQUESTS / 2);
      // The swapped file never went out: every request for it ended in a 502.
      expect(counts.upstream502).toBeGreaterThan(0);
      expect(grownMB).toBeLessThan(300);
    },
    DEADLINE_MS + 30_000,
  );
});
