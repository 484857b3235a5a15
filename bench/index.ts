/**
 * A requirements file against a slow index: 300 synthetic packages (one
 * wheel each, with provenance from the test Sigstore) behind a FakeIndex that
 * adds 30 ms to every request, all pinned by `--hash` in one requirements
 * file. The real CLI (bin/pyprov.js, needs `npm run build`) runs as a child
 * process, once with a fresh cache and once with that cache warm; the
 * FakeIndex runs here, in this process.
 *
 * Peak RSS of the child: GNU time's `%M` (`/usr/bin/time -f %M -o FILE`)
 * when it works here, else a `--import` hook in the child that writes
 * `process.resourceUsage().maxRSS` at exit. Wall time: spawn to exit, seen
 * from this process.
 *
 * Targets: cold ≤ 3000 ms and ≤ 200 MB; warm ≤ 1000 ms.
 * Environment: BENCH_PACKAGES (default 300), BENCH_LATENCY_MS (default 30).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { SyntheticIndex, requirementsText } from "../test/support/synthetic-index.js";

const PACKAGES = Number(process.env.BENCH_PACKAGES ?? 300);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 30);
const BIN = join("bin", "pyprov.js");
const TIME = "/usr/bin/time";

interface Measured {
  ms: number;
  peakRssMB: number;
  exit: number;
  verified: number;
  requests: number;
}

/** Which way peak RSS is measured: GNU time if it runs here, else the exit hook. */
function rssMethod(dir: string): "gnu-time" | "exit-hook" {
  if (!existsSync(TIME)) return "exit-hook";
  const out = join(dir, "probe.time");
  const r = spawnSync(TIME, ["-f", "%M", "-o", out, process.execPath, "-e", "0"]);
  const ok = r.status === 0 && existsSync(out) && /^\d+\s*$/.test(readFileSync(out, "utf8"));
  return ok ? "gnu-time" : "exit-hook";
}

const EXIT_HOOK =
  "data:text/javascript," +
  encodeURIComponent(
    'import{writeFileSync}from"node:fs";' +
      'process.on("exit",()=>writeFileSync(process.env.BENCH_RSS_FILE,String(process.resourceUsage().maxRSS)));',
  );

/** Run the CLI as a child (asynchronously: the index answers from this event loop). */
function runCli(
  si: SyntheticIndex,
  args: string[],
  method: "gnu-time" | "exit-hook",
): Promise<Measured> {
  const rssFile = join(si.dir, `rss.${Math.random().toString(36).slice(2)}`);
  // BENCH_PROFILE=DIR writes a CPU profile of each CLI run there.
  const prof = process.env.BENCH_PROFILE
    ? ["--cpu-prof", "--cpu-prof-dir", process.env.BENCH_PROFILE]
    : [];
  const node = [process.execPath, ...prof, BIN, ...args];
  const [cmd, ...argv] =
    method === "gnu-time"
      ? [TIME, "-f", "%M", "-o", rssFile, ...node]
      : [process.execPath, `--import=${EXIT_HOOK}`, BIN, ...args];
  si.index.resetCounts();
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(cmd!, argv, {
      env: { ...process.env, NO_COLOR: "1", BENCH_RSS_FILE: rssFile },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.on("error", reject);
    child.on("close", (code) => {
      const ms = performance.now() - t;
      let kb = NaN;
      try {
        kb = Number(readFileSync(rssFile, "utf8").trim().split("\n").at(-1));
      } catch {
        // no measurement: reported as NaN (null in JSON)
      }
      let verified = -1;
      try {
        verified = (JSON.parse(stdout) as { summary: { verified: number } }).summary.verified;
      } catch {
        if (code !== 0) process.stderr.write(stderr);
      }
      resolve({
        ms: Math.round(ms),
        peakRssMB: +(kb / 1024).toFixed(1),
        exit: code ?? -1,
        verified,
        requests: si.index.total,
      });
    });
  });
}

async function main(): Promise<void> {
  const si = new SyntheticIndex({ index: { latencyMs: LATENCY_MS } });
  try {
    const reqs = [];
    for (let i = 0; i < PACKAGES; i++) {
      const name = `bench-pkg-${i}`;
      const [wheel] = si.add(name, [{ version: "1.0.0", files: [{ kind: "wheel" }] }]).files;
      reqs.push({ name, version: "1.0.0", hashes: [wheel!.sha256] });
    }
    const req = si.write("requirements.txt", requirementsText(reqs).text);
    await si.start();
    const cache = si.freshCacheDir();
    const args = [
      "verify",
      "-r",
      req,
      "--index-url",
      si.indexUrl,
      "--trusted-root",
      si.root,
      "--cache-dir",
      cache,
      "--format",
      "json",
      ...(process.env.BENCH_WORKERS !== undefined ? ["--workers", process.env.BENCH_WORKERS] : []),
    ];
    const method = rssMethod(si.dir);
    const cold = await runCli(si, args, method);
    const warm = await runCli(si, args, method);
    rmSync(cache, { recursive: true, force: true });
    console.log(
      JSON.stringify({
        packages: PACKAGES,
        latencyMs: LATENCY_MS,
        cold,
        warm,
        targets: "cold ≤ 3000 ms, ≤ 200 MB; warm ≤ 1000 ms",
        rssMethod: method,
      }),
    );
  } finally {
    await si.close();
  }
}

await main();
