/**
 * bench/serve.ts's `state` part: one `pyprov serve` node process on the
 * embedded SQLite file beside the same node on a real PostgreSQL on
 * 127.0.0.1 (started here through the tests' helper, fsync on).
 *
 *  - warm page latency, p50/p99 under 32 keep-alive clients, SQLite and
 *    PostgreSQL alternating round by round (target: PostgreSQL ≤ 1.2×
 *    SQLite at p50 and at p99). A warm page is a memo lookup: the store is
 *    not on its path, which is the point being measured;
 *  - the decision log off the critical path: every complete download of a
 *    cached file logs one row. Downloads are timed on the PostgreSQL node
 *    with the log written normally, then while another connection holds
 *    `LOCK TABLE pyprov_decisions IN EXCLUSIVE MODE` in an open
 *    transaction, so that every INSERT into the log waits on the real
 *    server (nothing in pyprov is changed or mocked, and the verdict and
 *    baseline tables stay free). If the rows were written on the request's
 *    path, the locked latencies would be the lock's length; they stay those
 *    of the unlocked run. The lock is then released and every row must land.
 *
 * Without PostgreSQL binaries it says so and measures nothing.
 */
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { findPostgresBin, startPostgres } from "../test/support/postgres.js";
import type { SyntheticIndex } from "../test/support/synthetic-index.js";

const ACCEPT = "application/vnd.pypi.simple.v1+json";
const CLIENTS = 32;

export interface StateBenchTools {
  startProxy: (
    si: SyntheticIndex,
    cacheDir: string,
    extra: string[],
  ) => Promise<{ url: string; stop: () => Promise<void> }>;
  get: (
    agent: http.Agent,
    url: string,
    headers?: Record<string, string>,
  ) => Promise<{ status: number; bytes: number }>;
  quantiles: (samples: number[]) => { p50: number; p99: number; max: number };
}

/** `requests` GETs of `url` from CLIENTS keep-alive clients; each one's latency in ms. */
async function load(
  t: StateBenchTools,
  url: string,
  requests: number,
  headers: Record<string, string>,
): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next++ < requests) {
        const start = performance.now();
        const r = await t.get(agent, url, headers);
        if (r.status !== 200) throw new Error(`${url}: HTTP ${r.status}`);
        latencies.push(performance.now() - start);
      }
    }),
  );
  agent.destroy();
  return latencies;
}

export async function stateBench(
  si: SyntheticIndex,
  t: StateBenchTools,
  requests: number,
  rounds = 3,
): Promise<Record<string, unknown>> {
  if (!findPostgresBin()) {
    return { skipped: "no PostgreSQL binaries (apt-get install postgresql)" };
  }
  si.add(
    "statewide",
    Array.from({ length: 50 }, (_, i) => ({ version: `1.${i}` })),
  );
  si.add("statesmall", [{ version: "1.0", files: [{ kind: "wheel", size: 2048 }] }]);
  const dir = mkdtempSync(join(tmpdir(), "pyprov-bench-serve-state-"));
  const server = await startPostgres({ durable: true });
  try {
    const pgUrl = await server.createDatabase("servebench");
    const sqlite = await t.startProxy(si, si.freshCacheDir(), [
      "--state",
      `sqlite:${join(dir, "state.db")}`,
    ]);
    const postgres = await t.startProxy(si, si.freshCacheDir(), ["--state", pgUrl]);
    try {
      const pageHeaders = { accept: ACCEPT, "accept-encoding": "gzip, deflate" };
      const samples: Record<"sqlite" | "postgres", number[]> = { sqlite: [], postgres: [] };
      for (const node of [sqlite, postgres]) {
        await load(t, `${node.url}statewide/`, 200, pageHeaders); // cold, then warmed up
      }
      for (let round = 0; round < rounds; round++) {
        // Which goes first alternates, so that neither always follows the other.
        const order =
          round % 2 ? (["postgres", "sqlite"] as const) : (["sqlite", "postgres"] as const);
        for (const which of order) {
          const node = which === "sqlite" ? sqlite : postgres;
          samples[which].push(...(await load(t, `${node.url}statewide/`, requests, pageHeaders)));
        }
      }
      const s = t.quantiles(samples.sqlite);
      const p = t.quantiles(samples.postgres);

      // Downloads of a cached 2 KiB file: each logs one decision row.
      const doc = (await (
        await fetch(`${postgres.url}statesmall/`, { headers: { accept: ACCEPT } })
      ).json()) as { files: { url: string }[] };
      const fileUrl = new URL(doc.files[0]?.url ?? "", postgres.url).href;
      await load(t, fileUrl, 200, {}); // fetched into the cache, then warm
      const db = new pg.Client({ connectionString: pgUrl });
      await db.connect();
      const rows = async (): Promise<number> =>
        Number(
          (await db.query<{ n: string }>("SELECT count(*) AS n FROM pyprov_decisions")).rows[0]?.n,
        );
      const settle = async (n: number): Promise<number> => {
        const deadline = Date.now() + 20_000;
        while ((await rows()) < n && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 50));
        }
        return rows();
      };
      const logged = t.quantiles(await load(t, fileUrl, requests, {}));
      const before = await settle(200 + requests);
      const lock = new pg.Client({ connectionString: pgUrl });
      await lock.connect();
      await lock.query("BEGIN");
      await lock.query("LOCK TABLE pyprov_decisions IN EXCLUSIVE MODE");
      const lockedAt = performance.now();
      const blocked = t.quantiles(await load(t, fileUrl, requests, {}));
      const lockedMs = Math.round(performance.now() - lockedAt);
      const whileLocked = await rows();
      await lock.query("COMMIT");
      await lock.end();
      const after = await settle(before + requests);
      await db.end();
      return {
        clients: CLIENTS,
        requestsPerMeasurement: requests,
        warmPage: {
          rounds,
          sqlite: s,
          postgres: p,
          ratioP50: +(p.p50 / s.p50).toFixed(2),
          ratioP99: +(p.p99 / s.p99).toFixed(2),
          target: "PostgreSQL ≤ 1.2× SQLite at p50 and p99",
        },
        decisionLog: {
          method:
            "downloads of a cached file (one log row each) on the PostgreSQL node; then again while another connection holds LOCK TABLE pyprov_decisions IN EXCLUSIVE MODE",
          downloadsLogging: logged,
          downloadsWhileLogWritesWait: blocked,
          lockHeldMs: lockedMs,
          rowsLandedWhileLocked: whileLocked - before,
          rowsLandedAfterRelease: after - before,
          expectedRows: requests,
          target: "latency while the log's writes wait ≈ latency while they land (≤ 1.2×)",
        },
      };
    } finally {
      await sqlite.stop();
      await postgres.stop();
    }
  } finally {
    server.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
