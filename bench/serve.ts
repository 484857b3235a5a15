/**
 * `pyprov serve` under load, against the project's fake index (in this
 * process) with the proxy in a child process (bin/pyprov.js serve, so the
 * load generator does not share its event loop):
 *
 *  - cold page of a 200-file project, every file attested, 30 ms upstream
 *    latency (target ≤ 1.5 s);
 *  - warm page under 32 concurrent keep-alive clients: p50 ≤ 5 ms, p99 ≤
 *    25 ms, ≥ 1,000 requests/s;
 *  - verified downloads from the cache (target ≥ 300 MB/s) of a 1 GiB file,
 *    with the proxy's peak RSS (target ≤ 150 MB);
 *  - `pip install` of 20 packages through the proxy against straight from
 *    the upstream, cold (fresh proxy) and warm (≤ 1.3× and ≤ 1.1×);
 *  - state (bench/serve-state.ts): warm page p50/p99 on PostgreSQL against
 *    SQLite (≤ 1.2×), and download latency while the decision log's writes
 *    wait on a locked table against while they land (off the critical path).
 *
 * Environment: BENCH_SERVE_FILES (default 200), BENCH_LATENCY_MS (30),
 * BENCH_SERVE_REQUESTS (5000), BENCH_BIG_MB (1024), BENCH_PIP_ROUNDS (3),
 * BENCH_STATE_REQUESTS (2000 per measurement), BENCH_SERVE_ONLY (parts, below).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { createInterface } from "node:readline";
import {
  PUBLISHER_IDENTITY,
  SyntheticIndex,
  makeFile,
  provenanceBody,
  sha256Hex,
  type SynthFile,
} from "../test/support/synthetic-index.js";
import { stateBench } from "./serve-state.js";

const FILES = Number(process.env.BENCH_SERVE_FILES ?? 200);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 30);
const REQUESTS = Number(process.env.BENCH_SERVE_REQUESTS ?? 5000);
const BIG_MB = Number(process.env.BENCH_BIG_MB ?? 1024);
const PIP_ROUNDS = Number(process.env.BENCH_PIP_ROUNDS ?? 3);
const STATE_REQUESTS = Number(process.env.BENCH_STATE_REQUESTS ?? 2000);
const CLIENTS = 32;
const ACCEPT = "application/vnd.pypi.simple.v1+json";

interface Proxy {
  child: ChildProcess;
  url: string;
  stop: () => Promise<void>;
}

async function startProxy(
  si: SyntheticIndex,
  cacheDir: string,
  extra: string[] = [],
): Promise<Proxy> {
  const child = spawn(
    process.execPath,
    [
      join("bin", "pyprov.js"),
      "serve",
      "--port",
      "0",
      "--upstream",
      si.indexUrl,
      "--trusted-root",
      si.root,
      "--cache-dir",
      cacheDir,
      ...extra,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (s: string) => (stderr += s));
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", () => reject(new Error(`pyprov serve exited: ${stderr}`)));
  });
  const stop = async (): Promise<void> => {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  };
  return { child, url, stop };
}

function peakRssMB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return +(kb / 1024).toFixed(1);
}

function get(
  agent: http.Agent,
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent, headers }, (res) => {
        let bytes = 0;
        res.on("data", (c: Buffer) => (bytes += c.length));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, bytes }));
        res.on("error", reject);
      })
      .on("error", reject);
  });
}

function quantiles(samples: number[]): { p50: number; p99: number; max: number } {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number): number =>
    +(s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN).toFixed(2);
  return { p50: q(0.5), p99: q(0.99), max: q(1) };
}

async function pages(si: SyntheticIndex): Promise<Record<string, unknown>> {
  si.add(
    "wide",
    Array.from({ length: FILES / 2 }, (_, i) => ({ version: `1.${i}` })),
  );
  const proxy = await startProxy(si, si.freshCacheDir(), ["--workers", "1"]);
  try {
    const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
    const page = `${proxy.url}wide/`;
    const t0 = performance.now();
    const cold = await get(agent, page, { accept: ACCEPT });
    const coldMs = Math.round(performance.now() - t0);
    if (cold.status !== 200) throw new Error(`cold page: HTTP ${cold.status}`);
    const listed = (await fetch(page, { headers: { accept: ACCEPT } }).then((r) => r.json())) as {
      files: unknown[];
    };
    const latencies: number[] = [];
    let next = 0;
    const t1 = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (next++ < REQUESTS) {
          const t = performance.now();
          // As pip asks: JSON, gzip.
          const r = await get(agent, page, { accept: ACCEPT, "accept-encoding": "gzip, deflate" });
          if (r.status !== 200) throw new Error(`warm page: HTTP ${r.status}`);
          latencies.push(performance.now() - t);
        }
      }),
    );
    const seconds = (performance.now() - t1) / 1000;
    agent.destroy();
    return {
      files: FILES,
      listed: listed.files.length,
      latencyMs: LATENCY_MS,
      coldPageMs: coldMs,
      warm: {
        clients: CLIENTS,
        requests: REQUESTS,
        ...quantiles(latencies),
        perSecond: Math.round(REQUESTS / seconds),
      },
      targets: "cold ≤ 1500 ms; warm p50 ≤ 5 ms, p99 ≤ 25 ms, ≥ 1000/s",
    };
  } finally {
    await proxy.stop();
  }
}

async function downloads(si: SyntheticIndex): Promise<Record<string, unknown>> {
  const big = makeFile(si.ss, "big", "1.0", { kind: "wheel", size: 16 });
  const body = Buffer.allocUnsafe(BIG_MB * 1024 * 1024);
  for (let off = 0; off < body.length; off += 1 << 20) {
    body.write(
      sha256Hex(String(off))
        .repeat(16384)
        .slice(0, 1 << 20),
      off,
      "latin1",
    );
  }
  const sha256 = sha256Hex(body);
  const prov = provenanceBody(si.ss, big.filename, sha256);
  const file: SynthFile = {
    ...big,
    body,
    sha256,
    provenance: prov,
    identity: PUBLISHER_IDENTITY,
    fake: { ...big.fake, body, provenance: prov },
  };
  si.put({ name: "big", files: [file] });
  const cacheDir = si.freshCacheDir();
  const proxy = await startProxy(si, cacheDir);
  try {
    const listed = (await fetch(`${proxy.url}big/`, { headers: { accept: ACCEPT } }).then((r) =>
      r.json(),
    )) as { files: { url: string }[] };
    const url = new URL(listed.files[0]?.url ?? "", proxy.url).href;
    const agent = new http.Agent({ keepAlive: true });
    const t0 = performance.now();
    const first = await get(agent, url);
    const firstS = (performance.now() - t0) / 1000;
    const afterUpstream = peakRssMB(proxy.child.pid ?? 0);
    const t1 = performance.now();
    const cached = await get(agent, url);
    const cachedS = (performance.now() - t1) / 1000;
    agent.destroy();
    if (first.bytes !== body.length || cached.bytes !== body.length) {
      throw new Error(`download sizes ${first.bytes}, ${cached.bytes}, expected ${body.length}`);
    }
    const mb = body.length / (1024 * 1024);
    return {
      sizeMB: BIG_MB,
      firstFromUpstreamMBps: Math.round(mb / firstS),
      fromCacheMBps: Math.round(mb / cachedS),
      proxyPeakRssMB: peakRssMB(proxy.child.pid ?? 0),
      proxyPeakRssMBWhileFetching: afterUpstream,
      targets: "from the cache ≥ 300 MB/s; peak RSS ≤ 150 MB",
    };
  } finally {
    await proxy.stop();
    rmSync(cacheDir, { recursive: true, force: true });
    si.put({ name: "big", files: [] });
  }
}

/** 20 minimal real wheels (pip reads their metadata), built by Python's zipfile. */
function buildWheels(si: SyntheticIndex, n: number): string[] {
  const out = si.subdir();
  const script = `
import sys, zipfile
out, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    name = f"benchpip{i}"
    di = f"{name}-1.0.dist-info"
    with zipfile.ZipFile(f"{out}/{name}-1.0-py3-none-any.whl", "w") as z:
        z.writestr(f"{name}/__init__.py", "x = 1\\n" * 200)
        z.writestr(f"{di}/METADATA", f"Metadata-Version: 2.1\\nName: {name}\\nVersion: 1.0\\n")
        z.writestr(f"{di}/WHEEL", "Wheel-Version: 1.0\\nGenerator: bench\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")
        z.writestr(f"{di}/RECORD", "")
`;
  const r = spawnSync("python3", ["-c", script, out, String(n)], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`building wheels failed: ${r.stderr}`);
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = `benchpip${i}`;
    const filename = `${name}-1.0-py3-none-any.whl`;
    const body = readFileSync(join(out, filename));
    const sha256 = sha256Hex(body);
    const prov = provenanceBody(si.ss, filename, sha256);
    si.put({
      name,
      files: [
        {
          project: name,
          version: "1.0",
          kind: "wheel",
          filename,
          body,
          sha256,
          provenance: prov,
          identity: PUBLISHER_IDENTITY,
          fake: { filename, body, provenance: prov, version: "1.0" },
        },
      ],
    });
    names.push(name);
  }
  return names;
}

function pipInstall(indexUrl: string, names: string[], target: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(
      "python3",
      [
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-deps",
        "--no-cache-dir",
        "--disable-pip-version-check",
        "--no-compile",
        "--target",
        target,
        "--index-url",
        indexUrl,
        ...names,
      ],
      {
        env: { ...process.env, PIP_CONFIG_FILE: "/dev/null", PIP_NO_INPUT: "1" },
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.on("close", (code) => {
      rmSync(target, { recursive: true, force: true });
      if (code !== 0) reject(new Error(`pip install failed: ${stderr}`));
      else resolve(performance.now() - t);
    });
  });
}

async function pip(si: SyntheticIndex): Promise<Record<string, unknown>> {
  if (spawnSync("python3", ["-m", "pip", "--version"]).status !== 0) {
    return { skipped: "python3 -m pip is not available (Debian: python3-pip)" };
  }
  const names = buildWheels(si, 20);
  const direct: number[] = [];
  const cold: number[] = [];
  const warm: number[] = [];
  for (let round = 0; round < PIP_ROUNDS; round++) {
    direct.push(await pipInstall(si.indexUrl, names, si.subdir()));
    const proxy = await startProxy(si, si.freshCacheDir());
    try {
      cold.push(await pipInstall(proxy.url, names, si.subdir()));
      warm.push(await pipInstall(proxy.url, names, si.subdir()));
    } finally {
      await proxy.stop();
    }
  }
  const median = (xs: number[]): number => Math.round(quantiles(xs).p50);
  return {
    packages: names.length,
    latencyMs: LATENCY_MS,
    directMs: median(direct),
    proxyColdMs: median(cold),
    proxyWarmMs: median(warm),
    coldRatio: +(median(cold) / median(direct)).toFixed(2),
    warmRatio: +(median(warm) / median(direct)).toFixed(2),
    targets: "cold ≤ 1.3×, warm ≤ 1.1× straight from the upstream",
  };
}

const si = new SyntheticIndex({ index: { latencyMs: LATENCY_MS } });
try {
  await si.start();
  // BENCH_SERVE_ONLY=pages,downloads,pip,state picks parts (default: all).
  const only = new Set((process.env.BENCH_SERVE_ONLY ?? "pages,downloads,pip,state").split(","));
  const result = {
    ...(only.has("pages") ? { pages: await pages(si) } : {}),
    ...(only.has("downloads") ? { downloads: await downloads(si) } : {}),
    ...(only.has("pip") ? { pip: await pip(si) } : {}),
    ...(only.has("state")
      ? { state: await stateBench(si, { startProxy, get, quantiles }, STATE_REQUESTS) }
      : {}),
  };
  console.log(JSON.stringify(result));
} finally {
  await si.close();
}
