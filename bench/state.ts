/**
 * `npm run bench` section 4: state-store latency, the embedded SQLite file
 * beside a real PostgreSQL on 127.0.0.1 (started here through the tests'
 * helper, fsync on), for the three calls on a node's paths: getVerdict (a
 * warm page's lookup), putVerdict (after a verification) and appendDecisions
 * (one row, as a node logs it). Prints one JSON line: p50/p99 in ms per call.
 * Without PostgreSQL binaries the postgres half says so and the rest runs.
 *
 * Environment: BENCH_STATE_N (calls per measurement, default 400).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openState } from "../src/state/open.js";
import { newDecisionId } from "../src/state/schema.js";
import type { StateStore, VerdictKey } from "../src/state/types.js";
import { findPostgresBin, startPostgres } from "../test/support/postgres.js";

const N = Number(process.env.BENCH_STATE_N ?? 400);
const hex = () => randomBytes(32).toString("hex");

function pct(samples: number[]): { p50: number; p99: number } {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number) => +s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(3);
  return { p50: q(0.5), p99: q(0.99) };
}

async function time(
  n: number,
  fn: (i: number) => Promise<unknown>,
): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < Math.min(20, n); i++) await fn(i); // warm up
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await fn(i);
    samples.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return pct(samples);
}

async function measure(store: StateStore) {
  const policy = hex();
  const trustRoot = hex();
  const keys: VerdictKey[] = Array.from({ length: N + 20 }, () => ({
    file: hex(),
    provenance: hex(),
    policy,
    trustRoot,
  }));
  const verdict = {
    outcome: "pass" as const,
    reasons: [],
    report: { filename: "acme_pkg-1.0.0-py3-none-any.whl", verdict: "verified", checks: [] },
    decidedAt: new Date().toISOString(),
    node: "bench:1",
  };
  const putVerdict = await time(N, (i) => store.putVerdict(keys[i]!, verdict));
  const getVerdict = await time(N, (i) => store.getVerdict(keys[i]!));
  const appendDecisions = await time(N, () =>
    store.appendDecisions([
      {
        id: newDecisionId(),
        time: new Date().toISOString(),
        node: "bench:1",
        client: "127.0.0.1",
        project: "acme-pkg",
        filename: "acme_pkg-1.0.0-py3-none-any.whl",
        sha256: hex(),
        verdict: "served",
        reasons: [],
        policy_sha256: policy,
        mode: "enforce",
      },
    ]),
  );
  return { getVerdict, putVerdict, appendDecisions };
}

const dir = mkdtempSync(join(tmpdir(), "pyprov-bench-state-"));
const out: Record<string, unknown> = { calls: N, unit: "ms per call" };
try {
  const sqlite = await openState(`sqlite:${join(dir, "state.db")}`, { migrate: true });
  out.sqlite = await measure(sqlite);
  await sqlite.close();
  if (!findPostgresBin()) {
    out.postgres = "not measured: no PostgreSQL binaries (apt-get install postgresql)";
  } else {
    let server: Awaited<ReturnType<typeof startPostgres>> | undefined;
    try {
      server = await startPostgres({ durable: true });
      const store = await openState(await server.createDatabase("bench"), { migrate: true });
      out.postgres = await measure(store);
      await store.close();
    } catch (err) {
      out.postgres = `not measured: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`;
    } finally {
      server?.destroy();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(JSON.stringify(out));
