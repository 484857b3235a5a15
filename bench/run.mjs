#!/usr/bin/env node
/**
 * `npm run bench`: pyprov's performance targets, measured on this machine.
 *
 *  1. CLI start-to-exit: `pyprov verify` on one real distribution, offline
 *     (target ≤ 100 ms wall on Node 24, ≤ 1.6× bare `node -e 0`), alternating
 *     with bare `node -e 0`.
 *  1b. `pyprov verify-bundle` on one bundle, alternating with sigstore-js
 *     verifying it and with a minimal bundled @sigstore/verify program
 *     (targets ≤ 80 ms, ≤ 0.65× sigstore-js, ≤ 0.65× the minimal program).
 *  2. In-process throughput over synthetic attestations from the test
 *     Sigstore (target ≥ 1,000/s and ≤ 1.3× a bare @sigstore/verify loop).
 *  3. `pyprov verify -r` on 300 hash-pinned synthetic packages behind a fake
 *     index with 30 ms latency per request, cold and warm cache (targets:
 *     cold ≤ 3000 ms and ≤ 200 MB peak RSS, warm ≤ 1000 ms).
 *  4. State store: getVerdict / putVerdict / appendDecisions latency (p50,
 *     p99) on the embedded SQLite file and on a real PostgreSQL on 127.0.0.1
 *     that bench/state.ts starts (skipped with a note when PostgreSQL is not
 *     installed).
 *
 *  4. `pyprov serve` (bench/serve.ts): cold page of 200 files ≤ 1.5 s, warm
 *     page p50 ≤ 5 ms / p99 ≤ 25 ms at 32 clients and ≥ 1,000/s, cached
 *     downloads ≥ 300 MB/s with ≤ 150 MB RSS for 1 GiB, pip through the proxy
 *     ≤ 1.3× cold and ≤ 1.1× warm against pip straight from the upstream;
 *     warm pages on a PostgreSQL node ≤ 1.2× the same node on SQLite, and
 *     download latency unchanged while the decision log's writes wait on a
 *     locked table (the log is off the critical path).
 *
 * Environment: BENCH_RUNS (CLI runs, default 20), BENCH_N (attestations,
 * default 1000), PYPROV_CORPUS (corpus location), BENCH_SECTIONS (which of
 * cli, bundle, inprocess, requirements, installed, serve, state to run; default all;
 * the serve section's own parts: BENCH_SERVE_ONLY, see bench/serve.ts).
 */
import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildBench } from "./build.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
process.chdir(ROOT);
const CORPUS = resolve(process.env.PYPROV_CORPUS ?? join(ROOT, "..", "shared", "corpus"));
const RUNS = Number(process.env.BENCH_RUNS ?? 20);
// BENCH_SECTIONS=cli,bundle,inprocess,requirements,installed,serve,state picks sections (default: all).
const SECTIONS = new Set(
  (process.env.BENCH_SECTIONS ?? "cli,bundle,inprocess,requirements,installed,serve,state").split(
    ",",
  ),
);

function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { median: +q(0.5).toFixed(1), p90: +q(0.9).toFixed(1), min: +s[0].toFixed(1) };
}

function timeProcess(args, env = {}) {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, {
    encoding: "utf8",
    env: { ...process.env, ...env },
  });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  return { ms, status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Time several programs against each other: one warm-up run each (compile
 * cache, page cache), then RUNS rounds that run each program once in turn, so
 * that the machine's changing load falls on all of them alike.
 */
function timeAlternating(programs, expectStatus = 0) {
  const samples = Object.fromEntries(Object.keys(programs).map((k) => [k, []]));
  for (let round = -1; round < RUNS; round++) {
    for (const [label, args] of Object.entries(programs)) {
      const r = timeProcess(args);
      if (r.status !== expectStatus) {
        throw new Error(
          `${label}: exit ${r.status} (expected ${expectStatus}): ${r.stderr || r.stdout}`,
        );
      }
      if (round >= 0) samples[label].push(r.ms);
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, stats(v)]));
}

const results = { node: process.version, runs: RUNS };

// 1. CLI start-up and one verification.
if (SECTIONS.has("cli")) {
  const dist = join(
    CORPUS,
    "cases",
    "tob-sigstore-3.6.1-sdist-pypi-provenance",
    "sigstore-3.6.1.tar.gz",
  );
  if (!existsSync(dist)) throw new Error(`corpus not found at ${CORPUS} (set PYPROV_CORPUS)`);
  {
    const t = timeAlternating({
      bareNode: ["-e", "0"],
      verifyOneDist: [
        "bin/pyprov.js",
        "verify",
        dist,
        "--repository",
        "sigstore/sigstore-python",
        "--workflow",
        "release.yml",
      ],
    });
    results.bareNode = t.bareNode;
    results.verifyOneDist = t.verifyOneDist;
    results.verifyOneDistRatioToBareNode = +(t.verifyOneDist.median / t.bareNode.median).toFixed(2);
    results.verifyOneDistTarget = "≤ 100 ms median, ≤ 1.6× bare node";
  }
}

// 1b. verify-bundle on one bundle, beside sigstore-js verifying the same bundle:
// the `sigstore` package itself (its TUF cache warmed once from a repository
// on 127.0.0.1 that is then stopped, so every timed run is offline), and a
// minimal bundled @sigstore/verify program (the bare cryptography, no TUF).
if (SECTIONS.has("bundle")) {
  {
    const c = join(CORPUS, "cases", "sigstore-python-bundle_v3_github-whl");
    const root = join(CORPUS, "trust", "trusted_root.production.json");
    const bundle = join(c, "bundle_v3_github.whl.sigstore");
    const artifact = join(c, "bundle_v3_github.whl");
    const identity =
      "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2";
    const issuer = "https://token.actions.githubusercontent.com";
    const warm = await buildBench("bench/tuf-warm.ts");
    const tufDir = join(ROOT, ".bench-tmp", "tuf");
    rmSync(tufDir, { recursive: true, force: true });
    const w = spawnSync(
      process.execPath,
      [warm, root, tufDir, "--", bundle, artifact, identity, issuer],
      { encoding: "utf8" },
    );
    if (w.status !== 0) throw new Error(`sigstore-js TUF warm-up failed: ${w.stderr}`);
    const tuf = JSON.parse(w.stdout.trim().split("\n").at(-1));
    const reference = await buildBench("bench/sigstore-js-verify.ts", { standalone: true });
    const t = timeAlternating({
      sigstoreJs: [
        "bench/sigstore-js-package.mjs",
        bundle,
        artifact,
        identity,
        issuer,
        tuf.cache,
        tuf.mirror,
        tuf.root,
      ],
      minimal: [reference, root, bundle, artifact, identity, issuer],
      pyprov: [
        "bin/pyprov.js",
        "verify-bundle",
        "--bundle",
        bundle,
        "--certificate-identity",
        identity,
        "--certificate-oidc-issuer",
        issuer,
        artifact,
      ],
    });
    const { sigstoreJs, minimal, pyprov } = t;
    results.verifyBundle = {
      pyprov,
      sigstoreJs,
      ratio: +(pyprov.median / sigstoreJs.median).toFixed(2),
      minimalSigstoreVerifyProgram: minimal,
      ratioToMinimal: +(pyprov.median / minimal.median).toFixed(2),
      target: "≤ 80 ms median, ≤ 0.65× sigstore-js, ≤ 0.65× the minimal program",
    };
  }
}

// 2. In-process throughput (separate processes for the bare loop and pyprov).
if (SECTIONS.has("inprocess")) {
  const inprocess = await buildBench("bench/inprocess.ts");
  const runInprocess = (which) => {
    const r = spawnSync(process.execPath, [inprocess], {
      encoding: "utf8",
      env: { ...process.env, BENCH_ONLY: which },
    });
    if (r.status !== 0) throw new Error(`in-process bench (${which}) failed: ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split("\n").at(-1));
  };
  const bare = runInprocess("bare");
  const ours = runInprocess("pyprov");
  const twoCores = runInprocess("pyprov-2cores");
  results.inProcess = {
    attestations: ours.attestations,
    bareSigstoreVerify: { ms: bare.ms, perSecond: bare.perSecond },
    pyprov: { ms: ours.ms, perSecond: ours.perSecond },
    pyprovTwoCores: { ms: twoCores.ms, perSecond: twoCores.perSecond },
    ratio: +(ours.ms / bare.ms).toFixed(2),
    target: "≥ 1000/s on 2 cores, ratio (one thread against the bare loop) ≤ 1.3",
  };
}

// 3. A 300-package requirements file against a slow index (bench/index.ts runs
// the fake index and spawns the CLI, cold then warm cache).
if (SECTIONS.has("requirements")) {
  const indexBench = await buildBench("bench/index.ts");
  {
    const r = spawnSync(process.execPath, [indexBench], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`requirements bench failed: ${r.stderr}`);
    results.requirements300 = JSON.parse(r.stdout.trim().split("\n").at(-1));
  }
}

// 3b. verify --installed: 100 installed distributions against a slow index,
// cold and warm, and disk hashing speed (bench/installed.ts).
if (SECTIONS.has("installed")) {
  const installedBench = await buildBench("bench/installed.ts");
  const r = spawnSync(process.execPath, [installedBench], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`installed bench failed: ${r.stderr}`);
  results.installed100 = JSON.parse(r.stdout.trim().split("\n").at(-1));
}

// 4. pyprov serve: cold and warm pages, verified downloads, pip through the
// proxy against pip straight from the upstream (bench/serve.ts).
if (SECTIONS.has("serve")) {
  const serveBench = await buildBench("bench/serve.ts");
  {
    const r = spawnSync(process.execPath, [serveBench], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`serve bench failed: ${r.stderr}`);
    results.serve = JSON.parse(r.stdout.trim().split("\n").at(-1));
  }
}

// 5. State store latency, SQLite beside PostgreSQL (bench/state.ts).
if (SECTIONS.has("state")) {
  const stateBench = await buildBench("bench/state.ts");
  {
    const r = spawnSync(process.execPath, [stateBench], { encoding: "utf8", timeout: 120_000 });
    results.state =
      r.status === 0
        ? JSON.parse(r.stdout.trim().split("\n").at(-1))
        : `not measured: state bench failed: ${(r.stderr || r.stdout).trim().split("\n")[0]}`;
  }
}

console.log(JSON.stringify(results, null, 2));
