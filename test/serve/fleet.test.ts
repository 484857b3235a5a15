/**
 * Several `pyprov serve` nodes on one state store (the embedded SQLite file,
 * and a real PostgreSQL): a verdict reached on one node is a shared hit on
 * the others, the decision log holds one row per decision, a first use is
 * decided once for the fleet, and (PostgreSQL) an outage leaves the fleet
 * serving what it verified, refusing first uses, queueing rows that land
 * exactly once when the database is back.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServe, type RunningServe } from "../../src/serve/server.js";
import { openResilientState } from "../../src/state/resilient.js";
import type { ResilientStore } from "../../src/state/resilient.js";
import { loadTrustedRoot, type LoadedTrustRoot } from "../../src/sigstore/trust-root.js";
import { githubIdentity } from "../support/sigstore/index.js";
import { SyntheticIndex, makeFile } from "../support/synthetic-index.js";
import { realWheel } from "../support/wheels.js";
import { postgresBackend, sqliteBackend, type Backend } from "../state/backends.js";

const JSON_TYPE = "application/vnd.pypi.simple.v1+json";

let synth: SyntheticIndex;
let root: LoadedTrustRoot;

beforeAll(async () => {
  synth = new SyntheticIndex({
    projects: {
      shared: [{ version: "1.0" }],
      mixed: [
        { version: "1.0", files: [{ kind: "wheel" }, { kind: "sdist", provenance: "none" }] },
      ],
      "race-sqlite": [{ version: "1.0", files: [{ kind: "wheel" }] }],
      "race-postgres": [{ version: "1.0", files: [{ kind: "wheel" }] }],
      "undecided-sqlite": [
        { version: "1.0", files: [{ kind: "wheel" }, { kind: "sdist", provenance: "none" }] },
      ],
      "undecided-postgres": [
        { version: "1.0", files: [{ kind: "wheel" }, { kind: "sdist", provenance: "none" }] },
      ],
      outage: [{ version: "1.0", files: [{ kind: "wheel" }] }],
      fresh: [{ version: "1.0", files: [{ kind: "wheel" }] }],
    },
  });
  synth.put({ name: "pipfleet", files: [realWheel(synth.ss, synth.subdir(), "pipfleet", "1.0")] });
  await synth.start();
  root = loadTrustedRoot(synth.root);
});

afterAll(async () => {
  await synth?.close();
});

async function page(s: RunningServe, name: string): Promise<{ filename: string; url: string }[]> {
  const res = await fetch(`${s.url}${name}/`, { headers: { accept: JSON_TYPE } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { files: { filename: string; url: string }[] }).files;
}

async function metric(s: RunningServe, line: RegExp): Promise<number> {
  const text = await (await fetch(new URL("/-/metrics", s.url))).text();
  const m = text.split("\n").find((l) => line.test(l));
  return m === undefined ? 0 : Number(m.split(" ").pop());
}

describe.each([sqliteBackend(), postgresBackend()])("a fleet on $name", (backend: Backend) => {
  const stores: ResilientStore[] = [];
  const nodes: RunningServe[] = [];
  beforeAll(() => backend.setup());
  afterAll(async () => {
    for (const n of nodes) await n.close();
    for (const s of stores) await s.close();
    backend.teardown();
  });

  /** A node with its own cache directory on the shared store at `url`. */
  async function node(
    url: string,
    name: string,
    tofu = false,
    busyTimeoutMs?: number,
  ): Promise<{ serve: RunningServe; store: ResilientStore }> {
    const cacheDir = synth.subdir();
    const store = await openResilientState(url, {
      node: name,
      migrate: true,
      cacheDir,
      retryMs: 50,
      maxRetryMs: 200,
      ...(busyTimeoutMs !== undefined ? { busyTimeoutMs } : {}),
    });
    stores.push(store);
    const serve = await startServe({
      upstream: synth.indexUrl,
      port: 0,
      cacheDir,
      trustRoot: root,
      node: name,
      verdicts: store,
      ...(tofu ? { firstUse: store } : {}),
      onDecision: (row) => store.logDecision(row),
      stateStatus: () => ({ degraded: store.degraded, queued: store.queued }),
    });
    nodes.push(serve);
    return { serve, store };
  }

  it("a verdict reached on one node is a shared hit on the others: no second verification", async () => {
    const url = await backend.fresh();
    const a = await node(url, "node-a");
    const b = await node(url, "node-b");
    const c = await node(url, "node-c");
    const listed = await page(a.serve, "shared");
    expect(listed).toHaveLength(2);
    expect(await metric(a.serve, /^pyprov_serve_verdicts_total\{outcome="pass"\}/)).toBe(2);
    for (const other of [b, c]) {
      expect(await page(other.serve, "shared")).toEqual(listed);
      expect(await metric(other.serve, /^pyprov_serve_verdicts_total/)).toBe(0);
      expect(
        await metric(
          other.serve,
          /^pyprov_serve_cache_total\{cache="verdict",result="shared-hit"\}/,
        ),
      ).toBe(2);
    }
  });

  it("the decision log has exactly one row per decision, whichever node made it", async () => {
    const url = await backend.fresh();
    const a = await node(url, "node-a");
    const b = await node(url, "node-b");
    const wheel = synth.release("mixed", "1.0").find((f) => f.kind === "wheel");
    const sdist = synth.release("mixed", "1.0").find((f) => f.kind === "sdist");
    const [onA] = await page(a.serve, "mixed");
    const [onB] = await page(b.serve, "mixed");
    expect(onA?.filename).toBe(wheel?.filename); // the unattested sdist is blocked
    await (await fetch(new URL(onA?.url ?? "", a.serve.url))).arrayBuffer();
    await (await fetch(new URL(onB?.url ?? "", b.serve.url))).arrayBuffer();
    await a.store.flushNow();
    await b.store.flushNow();
    await new Promise((r) => setTimeout(r, 50)); // rows are written without waiting
    const rows = await a.store.decisions({ project: "mixed" });
    expect(rows.map((r) => [r.node, r.filename, r.verdict]).sort()).toEqual(
      [
        ["node-a", sdist?.filename, "blocked"],
        ["node-a", wheel?.filename, "served"],
        ["node-b", wheel?.filename, "served"],
      ].sort(),
    );
    for (const r of rows) {
      expect(r.mode).toBe("enforce");
      expect(r.client).toMatch(/127\.0\.0\.1|^$/);
      expect(new Set(rows.map((x) => x.id)).size).toBe(rows.length);
    }
    expect(rows.find((r) => r.verdict === "blocked")?.reasons[0]).toMatch(/provenance/);
  });

  it("a file URL listed by another node is served after this node's own judgement; a blocked one is not", async () => {
    const url = await backend.fresh();
    const a = await node(url, "node-a");
    const b = await node(url, "node-b");
    const wheel = synth.release("mixed", "1.0").find((f) => f.kind === "wheel");
    const sdist = synth.release("mixed", "1.0").find((f) => f.kind === "sdist");
    const [listed] = await page(a.serve, "mixed");
    // Behind a load balancer: the page came from node a, the download goes to node b.
    const got = await fetch(new URL(listed?.url ?? "", b.serve.url));
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(wheel?.body ?? Buffer.alloc(0))).toBe(true);
    const refused = await fetch(new URL(`/files/${sdist?.sha256}/${sdist?.filename}`, b.serve.url));
    expect(refused.status).toBe(404);
    await refused.arrayBuffer();
  });

  it("a first use met by two nodes at once records one baseline; a later publisher is blocked on both", async () => {
    const url = await backend.fresh();
    const race = `race-${backend.name}`;
    const a = await node(url, "node-a", true);
    const b = await node(url, "node-b", true);
    const [pa, pb] = await Promise.all([page(a.serve, race), page(b.serve, race)]);
    expect(pa).toHaveLength(1);
    expect(pb).toEqual(pa);
    const baseline = await a.store.baseline(race);
    expect(baseline).toHaveLength(1);
    expect(baseline[0]).toMatch(/^github:acme\/pkg(#repository_id=\d+)?$/);
    // A new release from another repository: both nodes block it against the one baseline.
    const project = synth.project(race);
    const intruder = makeFile(synth.ss, race, "2.0", {
      kind: "wheel",
      identity: githubIdentity({
        repository: "attacker/pkg",
        workflow: "release.yml",
        ref: "refs/tags/v2",
        environment: "pypi",
      }),
    });
    intruder.fake.uploadTime = "2030-01-01T00:00:00.000000Z";
    synth.put({ ...project, files: [...project.files, intruder] });
    const a2 = await node(url, "node-c", true);
    const b2 = await node(url, "node-d", true);
    for (const n of [a2, b2]) {
      const listed = await page(n.serve, race);
      expect(listed.map((f) => f.filename)).toEqual(pa.map((f) => f.filename));
    }
    expect(await a.store.baseline(race)).toEqual(baseline);
  });

  it("a file blocked while its project's first use could not be decided (503) is logged, once", async () => {
    const url = await backend.fresh();
    const project = `undecided-${backend.name}`;
    const sdist = synth.release(project, "1.0").find((f) => f.kind === "sdist");
    const a = await node(url, "node-a", true, 200);
    const end = await backend.outage(url);
    try {
      // Verified here (the store is away), then refused: the first use needs the store.
      const refused = await fetch(`${a.serve.url}${project}/`, { headers: { accept: JSON_TYPE } });
      expect(refused.status).toBe(503);
    } finally {
      await end();
    }
    // Back: listed from the verdicts this node remembers, without verifying again.
    expect((await page(a.serve, project)).map((f) => f.filename)).not.toContain(sdist?.filename);
    expect(await page(a.serve, project)).toHaveLength(1);
    await a.store.flushNow();
    await new Promise((r) => setTimeout(r, 50));
    await a.store.flushNow();
    const rows = await a.store.decisions({ project });
    expect(rows.map((r) => [r.filename, r.verdict])).toEqual([[sdist?.filename, "blocked"]]);
    expect(await metric(a.serve, /^pyprov_serve_blocked_files_total /)).toBe(1);
  });
});

describe("a fleet on PostgreSQL through an outage", () => {
  const backend = postgresBackend();
  const stores: ResilientStore[] = [];
  const nodes: RunningServe[] = [];
  beforeAll(() => backend.setup());
  afterAll(async () => {
    for (const n of nodes) await n.close();
    for (const s of stores) await s.close();
    backend.teardown();
  });

  it("keeps serving what it verified, refuses first uses (503), queues rows that land once; pip installs through three nodes at once", async () => {
    const url = await backend.fresh();
    const mk = async (name: string) => {
      const cacheDir = synth.subdir();
      const store = await openResilientState(url, {
        node: name,
        migrate: true,
        cacheDir,
        retryMs: 50,
        maxRetryMs: 200,
      });
      stores.push(store);
      const serve = await startServe({
        upstream: synth.indexUrl,
        port: 0,
        cacheDir,
        trustRoot: root,
        node: name,
        verdicts: store,
        firstUse: store,
        onDecision: (row) => store.logDecision(row),
        stateStatus: () => ({ degraded: store.degraded, queued: store.queued }),
      });
      nodes.push(serve);
      return { serve, store };
    };
    const a = await mk("node-a");
    const b = await mk("node-b");
    const c = await mk("node-c");
    const [f] = await page(a.serve, "outage");
    expect(f).toBeDefined();

    const end = await backend.outage(url);
    let ended = false;
    try {
      // Verified before the outage: still served, and its row waits on local disk.
      const body = Buffer.from(
        await (await fetch(new URL(f?.url ?? "", a.serve.url))).arrayBuffer(),
      );
      expect(body.equals(synth.release("outage", "1.0")[0]?.body ?? Buffer.alloc(0))).toBe(true);
      await new Promise((r) => setTimeout(r, 100));
      expect(a.store.queued).toBeGreaterThanOrEqual(1);
      const health = await (await fetch(new URL("/-/health", a.serve.url))).text();
      expect(health).toMatch(/^degraded/);
      expect(await metric(a.serve, /^pyprov_serve_decision_rows_queued/)).toBeGreaterThanOrEqual(1);
      // A first use needs the shared state: refused with a reason, never listed unchecked.
      const refused = await fetch(`${b.serve.url}fresh/`, { headers: { accept: JSON_TYPE } });
      expect(refused.status).toBe(503);
      expect(await refused.text()).toMatch(/first use of fresh cannot be decided/);
      await end();
      ended = true;
      // Back: the queued rows land, in order, exactly once.
      const deadline = Date.now() + 10_000;
      while (a.store.queued > 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect(a.store.queued).toBe(0);
      const rows = await a.store.decisions({ project: "outage" });
      expect(rows.filter((r) => r.verdict === "served")).toHaveLength(1);
      expect(await (await fetch(new URL("/-/health", a.serve.url))).text()).toBe("ok\n");
      expect((await fetch(`${b.serve.url}fresh/`, { headers: { accept: JSON_TYPE } })).status).toBe(
        200,
      );
    } finally {
      if (!ended) await end();
    }

    // Real pip through three nodes at once.
    const pip = (s: RunningServe, target: string) =>
      new Promise<number | null>((resolve) => {
        const child = spawn(
          "python3",
          [
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-cache-dir",
            "--disable-pip-version-check",
            "--only-binary",
            ":all:",
            "--target",
            target,
            "--index-url",
            s.url,
            "pipfleet",
          ],
          {
            env: { ...process.env, PIP_CONFIG_FILE: "/dev/null", PIP_NO_INPUT: "1" },
            stdio: "ignore",
            timeout: 60_000,
          },
        );
        child.on("close", resolve);
      });
    const targets = [a, b, c].map(() => synth.subdir());
    const codes = await Promise.all([a, b, c].map((n, i) => pip(n.serve, targets[i] ?? "")));
    expect(codes).toEqual([0, 0, 0]);
    for (const t of targets) expect(existsSync(join(t, "pipfleet", "__init__.py"))).toBe(true);
    for (const n of [a, b, c]) await n.store.flushNow();
    await new Promise((r) => setTimeout(r, 100));
    const rows = await a.store.decisions({ project: "pipfleet" });
    expect(
      rows
        .filter((r) => r.verdict === "served")
        .map((r) => r.node)
        .sort(),
    ).toEqual(["node-a", "node-b", "node-c"]);
  }, 60_000);
});
