/**
 * The pipeline under network faults (through verifyDistributions, with short
 * retry delays) and the provenance cache across runs (warm, offline, corrupt,
 * negative entries, --no-cache). A network problem is never a verdict: it is
 * exit 2 with NETWORK (or a more precise code), never "verified" or "missing".
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { verifyDistributions, type TargetInput, type VerifyOptions } from "../../src/pipeline.js";
import { DEFAULT_ABSENT_TTL_MS, ProvenanceCache, entryPaths } from "../../src/pypi/cache.js";
import { runCli } from "../support/cli.js";
import {
  SyntheticIndex,
  provenanceBody,
  pylockText,
  requirementsText,
  type SynthFile,
} from "../support/synthetic-index.js";

const si = new SyntheticIndex({
  projects: {
    alpha: [{ version: "1.0.0", files: [{ kind: "wheel" }] }],
    beta: [{ version: "1.0.0", files: [{ kind: "wheel", provenance: "none" }] }],
    late: [{ version: "1.0.0", files: [{ kind: "wheel", provenance: "none" }] }],
    withheld: [{ version: "1.0.0", files: [{ kind: "wheel", provenance: "withheld" }] }],
    gamma: [{ version: "1.0.0" }],
  },
});

beforeAll(async () => {
  await si.start();
});
afterAll(async () => {
  await si.close();
});
beforeEach(() => {
  si.index.resetCounts();
  si.index.clearFaults();
  si.index.omitProvenanceKey = false;
});

const FAST = { retryBaseMs: 5, retryMaxMs: 20, retryAfterMaxMs: 50, timeoutMs: 500 };

function verify(opts: VerifyOptions): ReturnType<typeof verifyDistributions> {
  return verifyDistributions({
    trustedRoot: si.root,
    noCache: true,
    ...opts,
    index: { indexUrl: si.indexUrl, ...FAST, ...opts.index },
  });
}

const release = (name: string): TargetInput[] => [{ kind: "release", name, version: "1.0.0" }];
const only = (name: string): SynthFile => si.release(name, "1.0.0")[0]!;
const alpha = only("alpha");
const summary = (run: Awaited<ReturnType<typeof verifyDistributions>>): string[] =>
  run.results.map((r) =>
    [r.target.filename, r.verdict, r.failure?.code ?? r.error?.code ?? ""].join(" ").trim(),
  );

describe("transient faults are retried", () => {
  it("500 twice on the page, then OK: verified after 3 page requests", async () => {
    si.index.fault(si.pagePath("alpha"), { status: 500, times: 2 });
    const run = await verify({ targets: release("alpha") });
    expect(summary(run)).toEqual([`${alpha.filename} verified`]);
    expect(run.exitCode).toBe(0);
    expect(si.index.count(si.pagePath("alpha"))).toBe(3);
    expect(si.index.count(si.provenancePath(alpha))).toBe(1);
  });

  it("429 with Retry-After: retried, the wait capped by retryAfterMaxMs", async () => {
    si.index.fault(si.provenancePath(alpha), { status: 429, retryAfter: 5, times: 1 });
    const t = performance.now();
    const run = await verify({ targets: release("alpha") });
    expect(performance.now() - t).toBeLessThan(2_000); // not the 5 s asked for
    expect(run.exitCode).toBe(0);
    expect(si.index.count(si.provenancePath(alpha))).toBe(2);
  });

  it("a connection reset is retried", async () => {
    si.index.fault(si.provenancePath(alpha), { reset: true, times: 1 });
    const run = await verify({ targets: release("alpha") });
    expect(run.exitCode).toBe(0);
    expect(si.index.count(si.provenancePath(alpha))).toBe(2);
  });

  it("a truncated body once is retried; always truncated is exit 2 NETWORK", async () => {
    si.index.fault(si.provenancePath(alpha), { truncate: true, times: 1 });
    expect((await verify({ targets: release("alpha") })).exitCode).toBe(0);
    si.index.clearFaults();
    si.index.resetCounts();
    si.index.fault(si.provenancePath(alpha), { truncate: true });
    const run = await verify({ targets: release("alpha") });
    expect(summary(run)).toEqual([`${alpha.filename} error NETWORK`]);
    expect(run.exitCode).toBe(2);
    expect(si.index.count(si.provenancePath(alpha))).toBe(4);
  });
});

describe("persistent faults: exit 2, never a verdict", () => {
  it("503 every time: NETWORK after every attempt, not missing even with allowMissing", async () => {
    si.index.fault(si.provenancePath(alpha), { status: 503 });
    for (const allowMissing of [false, true]) {
      si.index.resetCounts();
      const run = await verify({ targets: release("alpha"), allowMissing });
      expect(summary(run)).toEqual([`${alpha.filename} error NETWORK`]);
      expect(run.exitCode).toBe(2);
      expect(run.results[0]!.error?.message).toContain("HTTP 503 after 4 attempts");
      expect(si.index.count(si.provenancePath(alpha))).toBe(4);
    }
  });

  it("503 on the page: the target has no verdict", async () => {
    si.index.fault(si.pagePath("alpha"), { status: 503 });
    const run = await verify({ targets: release("alpha"), index: { maxAttempts: 2 } });
    expect(run.exitCode).toBe(2);
    expect(run.results.map((r) => [r.verdict, r.error?.code])).toEqual([["error", "NETWORK"]]);
    expect(si.index.count(si.provenancePath(alpha))).toBe(0);
  });

  it("a response slower than the timeout: exit 2 NETWORK", async () => {
    si.index.fault(si.provenancePath(alpha), { delayMs: 2_000 });
    const run = await verify({ targets: release("alpha"), index: { maxAttempts: 2 } });
    expect(summary(run)).toEqual([`${alpha.filename} error NETWORK`]);
    expect(run.results[0]!.error?.message).toContain("timeout");
    expect(si.index.count(si.provenancePath(alpha))).toBe(2);
  });

  it("an oversized body: exit 2 INPUT_TOO_LARGE", async () => {
    si.index.fault(si.provenancePath(alpha), { oversize: 2 * 1024 * 1024, chunked: true });
    const run = await verify({ targets: release("alpha"), index: { maxResponseBytes: 1 << 20 } });
    expect(summary(run)).toEqual([`${alpha.filename} error INPUT_TOO_LARGE`]);
    expect(run.exitCode).toBe(2);
  });

  it("provenance that is not JSON: exit 2 INPUT_MALFORMED, and nothing is cached", async () => {
    const cacheDir = si.freshCacheDir();
    si.index.fault(si.provenancePath(alpha), { invalidJson: true });
    const run = await verify({ targets: release("alpha"), noCache: false, cacheDir });
    expect(summary(run)).toEqual([`${alpha.filename} error INPUT_MALFORMED`]);
    expect(existsSync(entryPaths(cacheDir, alpha.sha256).dir)).toBe(false);
  });

  it("a project page with the wrong content type: exit 2 INPUT_MALFORMED", async () => {
    si.index.fault(si.pagePath("alpha"), { contentType: "text/plain" });
    const run = await verify({ targets: release("alpha") });
    expect(run.exitCode).toBe(2);
    expect(run.results[0]!.error).toMatchObject({ code: "INPUT_MALFORMED" });
    expect(run.results[0]!.error?.message).toContain("unexpected content type");
  });

  it("a redirect to a foreign plain-http host is refused: exit 2 NETWORK", async () => {
    si.index.fault(si.provenancePath(alpha), { redirectTo: "http://203.0.113.9/provenance" });
    const run = await verify({ targets: release("alpha") });
    expect(summary(run)).toEqual([`${alpha.filename} error NETWORK`]);
    expect(run.results[0]!.error?.message).toContain("refused redirect to http://203.0.113.9/");
    expect(si.index.count(si.provenancePath(alpha))).toBe(1);
  });

  it("403 on the provenance: PROVENANCE_WITHHELD, never missing, never cached", async () => {
    const f = only("withheld");
    const cacheDir = si.freshCacheDir();
    for (let i = 0; i < 2; i++) {
      const run = await verify({
        targets: release("withheld"),
        allowMissing: true,
        noCache: false,
        cacheDir,
      });
      expect(summary(run)).toEqual([`${f.filename} error PROVENANCE_WITHHELD`]);
      expect(run.exitCode).toBe(2);
      expect(si.index.count(si.provenancePath(f))).toBe(i + 1);
    }
    expect(existsSync(entryPaths(cacheDir, f.sha256).dir)).toBe(false);
  });
});

describe("the provenance cache", () => {
  const targets = [...release("gamma"), ...release("beta")];
  const gamma = si.release("gamma", "1.0.0");
  const lockFor = (names: string[]): string =>
    si.write(
      "pylock.toml",
      pylockText(
        si.indexUrl,
        names.map((n) => si.lockPackage(n, "1.0.0")),
      ).text,
    );

  it("a second run with the same cache makes no provenance requests, same verdicts", async () => {
    const cacheDir = si.freshCacheDir();
    const first = await verify({ targets, noCache: false, cacheDir });
    expect(si.provenanceRequests()).toBe(2); // gamma's two files; beta's page says none
    si.index.resetCounts();
    const second = await verify({ targets, noCache: false, cacheDir });
    expect(si.provenanceRequests()).toBe(0);
    expect(si.index.count(si.pagePath("gamma"))).toBe(1); // resolving NAME==VERSION still needs it
    expect(summary(second)).toEqual(summary(first));
    expect(summary(second)).toEqual([
      ...gamma.map((f) => `${f.filename} verified`),
      `${only("beta").filename} missing NO_ATTESTATIONS`,
    ]);
    expect(second.results.map((r) => r.attestations.length)).toEqual([1, 1, 0]);
  });

  it("offline with a warm cache: lock entries need no request at all", async () => {
    const cacheDir = si.freshCacheDir();
    const locks = [lockFor(["gamma", "beta"])];
    const warm = await verify({ locks, noCache: false, cacheDir, allowMissing: true });
    expect(warm.exitCode).toBe(0);
    si.index.resetCounts();
    const offline = await verify({
      locks,
      cacheDir,
      noCache: false,
      offline: true,
      allowMissing: true,
    });
    expect(summary(offline)).toEqual(summary(warm));
    expect(offline.exitCode).toBe(0);
    expect(si.index.total).toBe(0);
  });

  it("hash-pinned requirements: a warm run needs no request at all, even offline", async () => {
    const cacheDir = si.freshCacheDir();
    const gamma = si.release("gamma", "1.0.0");
    const reqs = si.write(
      "requirements.txt",
      requirementsText([
        { name: "gamma", version: "1.0.0", hashes: gamma.map((f) => f.sha256) },
        { name: "alpha", version: "1.0.0", hashes: [alpha.sha256] },
      ]).text,
    );
    const cold = await verify({ requirements: [reqs], noCache: false, cacheDir });
    expect(cold.exitCode).toBe(0);
    expect(si.index.count(si.pagePath("gamma"))).toBe(1);
    si.index.resetCounts();
    // The cache remembers each digest's file name: no project page, no provenance request.
    const warm = await verify({ requirements: [reqs], noCache: false, cacheDir });
    expect(si.index.total).toBe(0);
    expect(summary(warm)).toEqual(summary(cold));
    expect(warm.results.map((r) => r.target.project)).toEqual(["gamma", "gamma", "alpha"]);
    const offline = await verify({ requirements: [reqs], noCache: false, cacheDir, offline: true });
    expect(si.index.total).toBe(0);
    expect(summary(offline)).toEqual(summary(cold));
    expect(offline.exitCode).toBe(0);
    // A hash the cache has never seen still needs the index: offline, that is an error.
    const other = si.write(
      "other.txt",
      requirementsText([{ name: "alpha", version: "1.0.0", hashes: ["ab".repeat(32)] }]).text,
    );
    const unknown = await verify({
      requirements: [other],
      noCache: false,
      cacheDir,
      offline: true,
    });
    expect(unknown.results[0]!.error?.code).toBe("OFFLINE");
    expect(unknown.exitCode).toBe(2);
  });

  it("offline with a cold cache: exit 2 OFFLINE, no request", async () => {
    const cacheDir = si.freshCacheDir();
    const lock = await verify({
      locks: [lockFor(["alpha"])],
      cacheDir,
      noCache: false,
      offline: true,
    });
    expect(summary(lock)).toEqual([`${alpha.filename} error OFFLINE`]);
    const named = await verify({
      targets: release("alpha"),
      cacheDir,
      noCache: false,
      offline: true,
    });
    expect(named.exitCode).toBe(2);
    expect(named.results[0]!.error?.code).toBe("OFFLINE");
    expect(si.index.total).toBe(0);
    expect(existsSync(cacheDir)).toBe(false); // read-only: nothing written
  });

  it("--no-cache never creates the cache directory (and the cache does otherwise)", async () => {
    const args = ["verify", "alpha==1.0.0", "--index-url", si.indexUrl, "--trusted-root", si.root];
    const unused = si.freshCacheDir();
    const r = await runCli([...args, "--no-cache", "--cache-dir", unused]);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(unused)).toBe(false);
    const used = si.freshCacheDir();
    expect((await runCli([...args, "--cache-dir", used])).code).toBe(0);
    expect(existsSync(entryPaths(used, alpha.sha256).body)).toBe(true);
  });

  it("a corrupt entry is detected, fetched again and repaired", async () => {
    const cacheDir = si.freshCacheDir();
    await verify({ targets: release("gamma"), noCache: false, cacheDir });
    const [torn, intact] = gamma as [SynthFile, SynthFile];
    truncateSync(entryPaths(cacheDir, torn.sha256).body, 10);
    si.index.resetCounts();
    const run = await verify({ targets: release("gamma"), noCache: false, cacheDir });
    expect(run.exitCode).toBe(0);
    expect(si.index.count(si.provenancePath(torn))).toBe(1);
    expect(si.index.count(si.provenancePath(intact))).toBe(0);
    si.index.resetCounts();
    await verify({ targets: release("gamma"), noCache: false, cacheDir });
    expect(si.provenanceRequests()).toBe(0);
  });

  it("a cached body rewritten together with its meta is an error, never a pass", async () => {
    const cacheDir = si.freshCacheDir();
    await verify({ targets: release("gamma"), noCache: false, cacheDir });
    const [forged] = gamma as [SynthFile, SynthFile];
    const p = entryPaths(cacheDir, forged.sha256);
    const fake = Buffer.from('{"version": 1, "attestation_bundles": "forged"}');
    writeFileSync(p.body, fake);
    const meta = JSON.parse(readFileSync(p.meta, "utf8")) as Record<string, unknown>;
    const sha256 = createHash("sha256").update(fake).digest("hex");
    writeFileSync(p.meta, JSON.stringify({ ...meta, sha256, size: fake.length }));
    const run = await verify({ targets: release("gamma"), noCache: false, cacheDir });
    expect(run.exitCode).toBe(2);
    expect(run.results.map((r) => r.verdict)).toEqual(["error", "verified"]);
    expect(run.results[0]!.error?.code).toBe("INPUT_MALFORMED");
  });

  it("a cached 404 is reused until it expires, then asked again", async () => {
    si.index.omitProvenanceKey = true; // the Integrity API is asked, and answers 404
    const f = only("beta");
    const cacheDir = si.freshCacheDir();
    const opts: VerifyOptions = { targets: release("beta"), noCache: false, cacheDir };
    expect(summary(await verify(opts))).toEqual([`${f.filename} missing NO_ATTESTATIONS`]);
    expect(si.index.count(si.provenancePath(f))).toBe(1);

    // The index gains provenance; the negative entry still answers for now.
    si.setProvenance(f, provenanceBody(si.ss, f.filename, f.sha256));
    try {
      si.index.resetCounts();
      const cached = await verify(opts);
      expect(summary(cached)).toEqual([`${f.filename} missing NO_ATTESTATIONS`]);
      expect(cached.results[0]!.failure?.message).toContain("cached");
      expect(si.index.count(si.provenancePath(f))).toBe(0);

      // Past the TTL the entry is expired (library view), and the pipeline asks again.
      const absent = entryPaths(cacheDir, f.sha256).absent;
      const later = new ProvenanceCache({
        dir: cacheDir,
        now: () => Date.now() + DEFAULT_ABSENT_TTL_MS + 1,
      });
      expect(later.get(f.sha256)).toEqual({ kind: "miss", reason: "expired" });
      const rec = JSON.parse(readFileSync(absent, "utf8")) as { fetchedAt: string };
      rec.fetchedAt = new Date(Date.now() - DEFAULT_ABSENT_TTL_MS - 1000).toISOString();
      writeFileSync(absent, JSON.stringify(rec));
      si.index.resetCounts();
      const fresh = await verify(opts);
      expect(summary(fresh)).toEqual([`${f.filename} verified`]);
      expect(si.index.count(si.provenancePath(f))).toBe(1);
      // ...and the positive entry now wins over the old negative one.
      expect(new ProvenanceCache({ dir: cacheDir }).get(f.sha256).kind).toBe("hit");
    } finally {
      si.setProvenance(f, null);
    }
  });

  // Regression: the cached negative entry was consulted before the page, even
  // when this run's page linked the provenance, so a file stayed "missing"
  // (exit 1; exit 0 with --allow-missing) for up to 10 minutes after its
  // provenance appeared.
  it("a page that now links provenance overrides a cached negative entry", async () => {
    const f = only("late");
    const cacheDir = si.freshCacheDir();
    const opts: VerifyOptions = { targets: release("late"), noCache: false, cacheDir };
    expect(summary(await verify(opts))).toEqual([`${f.filename} missing NO_ATTESTATIONS`]);
    si.setProvenance(f, provenanceBody(si.ss, f.filename, f.sha256));
    try {
      expect(summary(await verify(opts))).toEqual([`${f.filename} verified`]);
    } finally {
      si.setProvenance(f, null);
    }
  });
});
