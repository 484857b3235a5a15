/**
 * Bounded load on a fleet: 3 `serve` nodes (in this process, each with its
 * own cache directory and journal, all with --tofu) on one real PostgreSQL,
 * 64 concurrent keep-alive clients, 5,000 requests mixing pages, downloads
 * (from any node, as behind a load balancer: the page may have come from
 * another) and requests for the URLs of files no page may list, across several
 * synthetic projects; and one PostgreSQL restart (stop, then start on the
 * same data directory) in the middle of the run.
 *
 * Every answer must be a page listing exactly the project's verified files,
 * a download whose bytes hash to the listed digest, a 404 for a file no page
 * listed, or a 503 with a reason (a first use that cannot be decided while
 * the database is away): never an unverified byte, never another status.
 * Once the database is back and the journals are flushed, the decision log
 * holds exactly one row per decision: a served row per complete download
 * the clients saw, a blocked row per block the nodes counted, and every file
 * a page left off is in it. Bounded by count and by a deadline.
 */
import { createHash } from "node:crypto";
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServe, type RunningServe } from "../../src/serve/server.js";
import { openResilientState, type ResilientStore } from "../../src/state/resilient.js";
import { loadTrustedRoot } from "../../src/sigstore/trust-root.js";
import { SyntheticIndex, type ReleaseSpec, type SynthFile } from "../support/synthetic-index.js";
import { postgresBackend } from "../state/backends.js";

const NODES = 3;
const CLIENTS = 64;
const REQUESTS = 5000;
const DEADLINE_MS = 90_000;
/** The restart begins once this many requests were sent... */
const OUTAGE_AT = 1200;
/** ...lasts this long with the load going on... */
const OUTAGE_MS = 1500;
/** ...and no request past this one is sent before the database is back. */
const RESUME_BY = 3000;
const JSON_TYPE = "application/vnd.pypi.simple.v1+json";

/** Requested from the start. */
const WARM = ["fw0", "fw1", "fw2", "fw3", "fw4"];
/** Requested only once the restart has begun: their first use falls in the outage. */
const LATE = ["fl0", "fl1", "fl2"];

const release = (i: number): ReleaseSpec[] => [
  {
    version: "1.0",
    files: [
      { kind: "wheel", size: 4096 + i * 20_000 },
      { kind: "sdist", size: 60_000 },
      // Never listed: no provenance, or an attestation of other bytes.
      { kind: "wheel", tag: "py2-none-any", provenance: i % 2 ? "none" : "wrong-digest" },
    ],
  },
  { version: "2.0", files: [{ kind: "wheel", size: 150_000 }] },
];

let synth: SyntheticIndex;
const backend = postgresBackend();
const nodes: RunningServe[] = [];
const stores: ResilientStore[] = [];

beforeAll(async () => {
  const projects: Record<string, ReleaseSpec[]> = {};
  [...WARM, ...LATE].forEach((name, i) => (projects[name] = release(i)));
  synth = new SyntheticIndex({ projects });
  await synth.start();
  await backend.setup();
});

afterAll(async () => {
  for (const n of nodes) await n.close();
  for (const s of stores) await s.close();
  backend.teardown();
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

const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function metric(s: RunningServe, line: RegExp): Promise<number> {
  const text = await (await fetch(new URL("/-/metrics", s.url))).text();
  const m = text.split("\n").find((l) => line.test(l));
  return m === undefined ? 0 : Number(m.split(" ").pop());
}

describe("a fleet of 3 nodes on PostgreSQL under bounded load, through a database restart", () => {
  it(
    `${CLIENTS} clients, ${REQUESTS} requests: verified or 503, one log row per decision`,
    async () => {
      const url = await backend.fresh();
      for (let n = 0; n < NODES; n++) {
        const cacheDir = synth.subdir();
        const name = `load-node-${n}`;
        const store = await openResilientState(url, {
          node: name,
          migrate: true,
          cacheDir,
          retryMs: 50,
          maxRetryMs: 200,
        });
        stores.push(store);
        nodes.push(
          await startServe({
            upstream: synth.indexUrl,
            port: 0,
            cacheDir,
            trustRoot: loadTrustedRoot(synth.root),
            node: name,
            pageTtlMs: 250, // pages are judged again (memo, store) during the run
            verdicts: store,
            firstUse: store,
            onDecision: (row) => store.logDecision(row),
            stateStatus: () => ({ degraded: store.degraded, queued: store.queued }),
          }),
        );
      }
      const agents = nodes.map(() => new http.Agent({ keepAlive: true, maxSockets: CLIENTS }));
      const good = (p: string): SynthFile[] =>
        synth.project(p).files.filter((f) => !f.filename.includes("-py2-"));
      const bad = [...WARM, ...LATE].flatMap((p) =>
        synth.project(p).files.filter((f) => f.filename.includes("-py2-")),
      );
      const expectedPage = (p: string): string[] =>
        good(p)
          .map((f) => `${f.filename} ${f.sha256}`)
          .sort();
      /** Per node: the projects whose page it listed (their files it may serve). */
      const listedOn = nodes.map(() => new Set<string>());

      const counts = {
        pages: 0,
        downloads: 0,
        notListed404: 0,
        refused503: 0,
        latePagesAfter: 0,
        bad: [] as string[],
      };
      const fail = (what: string): void => void counts.bad.push(what);
      let next = 0;
      let phase: "before" | "down" | "back" = "before";
      let duringOutage = 0;
      const deadline = Date.now() + DEADLINE_MS;

      const restart = (async () => {
        while (next < OUTAGE_AT && Date.now() < deadline) await sleep(5);
        // pg_ctl runs synchronously: the nodes and clients pause while it
        // stops the server (closing every connection), then go on against
        // a database that is gone.
        const end = await backend.outage(url);
        phase = "down";
        await sleep(OUTAGE_MS);
        await end();
        phase = "back";
      })();

      const one = async (i: number): Promise<void> => {
        const n = i % NODES;
        const node = nodes[n] as RunningServe;
        const agent = agents[n] as http.Agent;
        const pick = (i * 7919) % 100;
        const projects = phase === "before" ? WARM : [...WARM, ...LATE];
        // A load balancer's client: the page from one node, the file from any.
        const listed = [...new Set(listedOn.flatMap((l) => [...l]))];
        const refused = (r: Answer): boolean => {
          if (r.status !== 503 || !r.complete) return false;
          counts.refused503++;
          if (!/first use of fl\d cannot be decided/.test(r.body.toString()))
            fail(`503 without its reason: ${r.body.toString()}`);
          return true;
        };
        if (pick < 35 || listed.length === 0) {
          const p = projects[(i * 31) % projects.length] as string;
          const r = await get(agent, `${node.url}${p}/`, { accept: JSON_TYPE });
          if (refused(r)) return;
          if (r.status !== 200 || !r.complete) return fail(`page ${p}: ${r.status}`);
          const doc = JSON.parse(r.body.toString()) as {
            files: { filename: string; hashes: { sha256: string } }[];
          };
          const got = doc.files.map((f) => `${f.filename} ${f.hashes.sha256}`).sort();
          if (JSON.stringify(got) !== JSON.stringify(expectedPage(p)))
            return fail(`page ${p} listed ${got.join(", ")}`);
          counts.pages++;
          if (LATE.includes(p) && phase === "back") counts.latePagesAfter++;
          listedOn[n]!.add(p);
          return;
        }
        if (pick < 42) {
          // A file no page lists, at the URL it would have: never served.
          const probes = bad.filter((f) => projects.includes(f.project));
          const f = probes[i % probes.length] as SynthFile;
          const r = await get(
            agent,
            new URL(`/files/${f.sha256}/${f.filename}`, node.url).href,
            {},
          );
          if (r.status === 404) counts.notListed404++;
          else if (!refused(r)) fail(`unlisted ${f.filename}: ${r.status}`);
          return;
        }
        const files = good(listed[i % listed.length] as string);
        const f = files[(i >> 2) % files.length] as SynthFile;
        const r = await get(agent, new URL(`/files/${f.sha256}/${f.filename}`, node.url).href, {});
        if (refused(r)) return;
        if (r.status !== 200 || !r.complete) return fail(`file ${f.filename}: ${r.status}`);
        if (sha(r.body) !== f.sha256) return fail(`unverified bytes for ${f.filename}`);
        counts.downloads++;
      };

      await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          while (next < REQUESTS && Date.now() < deadline) {
            if (next >= RESUME_BY && phase !== "back") {
              await sleep(10);
              continue;
            }
            const i = next++;
            const wasDown = phase === "down";
            await one(i);
            if (wasDown && phase === "down") duringOutage++;
          }
        }),
      );
      await restart;
      for (const a of agents) a.destroy();

      expect(next).toBeGreaterThanOrEqual(REQUESTS); // finished, not cut by the deadline
      expect(counts.bad.slice(0, 5)).toEqual([]);
      expect(duringOutage).toBeGreaterThan(50); // the load went on while the database was away
      expect(counts.refused503).toBeGreaterThan(0);
      expect(counts.latePagesAfter).toBeGreaterThan(0); // first uses decided once it was back
      expect(counts.downloads).toBeGreaterThan(REQUESTS / 4);
      expect(counts.pages + counts.downloads + counts.notListed404 + counts.refused503).toBe(
        REQUESTS,
      );

      // The journals drain into the database once it answers again.
      const drained = Date.now() + 20_000;
      while (Date.now() < drained) {
        const left = await Promise.all(stores.map((s) => s.flushNow().catch(() => 1)));
        if (left.every((q) => q === 0)) break;
        await sleep(100);
      }
      expect(stores.map((s) => s.queued)).toEqual([0, 0, 0]);
      await sleep(100); // rows are logged without waiting: let the last ones land
      for (const s of stores) await s.flushNow();

      let blocked = 0;
      for (const node of nodes) {
        blocked += await metric(node, /^pyprov_serve_blocked_files_total /);
        expect(await metric(node, /^pyprov_serve_verdicts_total\{outcome="error"\}/)).toBe(0);
      }
      const rows = await (stores[0] as ResilientStore).decisions({});
      expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
      expect(rows.filter((r) => r.verdict === "served")).toHaveLength(counts.downloads);
      expect(rows.filter((r) => r.verdict === "blocked")).toHaveLength(blocked);
      expect(rows).toHaveLength(counts.downloads + blocked);
      // Every file a page left off is in the log, whichever node blocked it.
      const blockedFiles = new Set(
        rows.filter((r) => r.verdict === "blocked").map((r) => r.filename),
      );
      expect(bad.map((f) => f.filename).filter((f) => !blockedFiles.has(f))).toEqual([]);
      for (const r of rows.filter((x) => x.verdict === "served")) {
        expect(
          good(r.project).some((f) => f.sha256 === r.sha256 && f.filename === r.filename),
        ).toBe(true);
      }
    },
    DEADLINE_MS + 30_000,
  );
});
