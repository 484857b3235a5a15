/**
 * pyprov serve against the project's fake index: caches (pages, verdicts,
 * files), Range and HEAD, PEP 658 metadata, the provenance endpoint,
 * operations endpoints, upstream faults and --offline.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { indexFileVerifier } from "../../src/pipeline.js";
import { loadPolicyFile } from "../../src/policy/load.js";
import { startServe, type RunningServe, type ServeOptions } from "../../src/serve/server.js";
import { Judge } from "../../src/serve/verdicts.js";
import { loadTrustedRoot, type LoadedTrustRoot } from "../../src/sigstore/trust-root.js";
import { expectValidReport } from "../report/helpers.js";
import { SyntheticIndex, type SynthFile } from "../support/synthetic-index.js";

const JSON_TYPE = "application/vnd.pypi.simple.v1+json";

interface JsonFile {
  filename: string;
  url: string;
  hashes: { sha256: string };
  provenance: string | null;
  "core-metadata"?: { sha256: string };
  "data-dist-info-metadata"?: { sha256: string };
}

let synth: SyntheticIndex;
let root: LoadedTrustRoot;
const running: RunningServe[] = [];
const logs: string[] = [];

const METADATA = Buffer.from("Metadata-Version: 2.1\nName: meta\nVersion: 1.0\n");

beforeAll(async () => {
  synth = new SyntheticIndex({
    projects: {
      big: [{ version: "1.0", files: [{ kind: "wheel", size: 700 * 1024 }] }],
      meta: [{ version: "1.0", files: [{ kind: "wheel" }] }],
      badmeta: [{ version: "1.0", files: [{ kind: "wheel" }] }],
      flaky: [{ version: "1.0", files: [{ kind: "wheel" }] }],
      memo: [{ version: "1.0" }, { version: "2.0" }],
      offline: [{ version: "1.0", files: [{ kind: "wheel" }] }],
    },
  });
  wheelOf("meta").fake.metadata = METADATA;
  synth.put(synth.project("meta"));
  const bad = wheelOf("badmeta");
  bad.fake.metadata = METADATA;
  bad.fake.metadataSha256 = createHash("sha256").update("other").digest("hex");
  synth.put(synth.project("badmeta"));
  await synth.start();
  root = loadTrustedRoot(synth.root);
});

afterAll(async () => {
  for (const s of running) await s.close();
  await synth?.close();
});

function wheelOf(project: string, version = "1.0"): SynthFile {
  const f = synth.release(project, version).find((x) => x.kind === "wheel");
  if (!f) throw new Error("no wheel");
  return f;
}

async function serve(extra: Partial<ServeOptions> = {}): Promise<RunningServe> {
  const s = await startServe({
    upstream: synth.indexUrl,
    port: 0,
    cacheDir: synth.subdir(),
    trustRoot: root,
    retryBaseMs: 1,
    log: (l) => logs.push(l),
    ...extra,
  });
  running.push(s);
  return s;
}

async function files(s: RunningServe, name: string): Promise<JsonFile[]> {
  const res = await fetch(`${s.url}${name}/`, { headers: { accept: JSON_TYPE } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { files: JsonFile[] }).files;
}

const at = (s: RunningServe, path: string): string => new URL(path, s.url).href;

async function metric(s: RunningServe, line: RegExp): Promise<number> {
  const text = await (await fetch(at(s, "/-/metrics"))).text();
  const m = text.split("\n").find((l) => line.test(l));
  return m === undefined ? 0 : Number(m.split(" ").pop());
}

describe("pyprov serve: caches", () => {
  it("a warm page costs no upstream request; after its TTL, no verification and no provenance request", async () => {
    const s = await serve({ pageTtlMs: 1500 });
    const first = await files(s, "memo");
    expect(first).toHaveLength(4);
    const verdicts = await metric(s, /^pyprov_serve_verdicts_total\{outcome="pass"\}/);
    expect(verdicts).toBe(4);
    synth.index.resetCounts();
    expect(await files(s, "memo")).toEqual(first);
    expect(synth.index.count(synth.pagePath("memo"))).toBe(0);
    await new Promise((r) => setTimeout(r, 1600));
    expect(await files(s, "memo")).toEqual(first);
    expect(synth.index.count(synth.pagePath("memo"))).toBe(1);
    expect(synth.provenanceRequests()).toBe(0);
    expect(await metric(s, /^pyprov_serve_verdicts_total\{outcome="pass"\}/)).toBe(verdicts);
  });

  it("a new proxy on the same cache directory reuses the provenance, and a changed policy is another verdict", async () => {
    const cacheDir = synth.subdir();
    await files(await serve({ cacheDir }), "memo");
    synth.index.resetCounts();
    const policyPath = join(synth.dir, "memo-policy.yaml");
    writeFileSync(
      policyPath,
      "version: 1\npackages:\n  memo:\n    publishers:\n      - kind: github\n        repository: other/repo\n",
    );
    const strict = await serve({ cacheDir, policy: loadPolicyFile(policyPath) });
    expect(await files(strict, "memo")).toEqual([]);
    expect(synth.provenanceRequests()).toBe(0);
  });

  it("with --workers the verdicts are the same, reached in a worker thread", async () => {
    const s = await serve({ workers: 1 });
    const listed = await files(s, "memo");
    expect(listed.map((f) => f.filename).sort()).toEqual(
      synth
        .project("memo")
        .files.map((f) => f.filename)
        .sort(),
    );
    expect(await metric(s, /^pyprov_serve_verdicts_total\{outcome="pass"\}/)).toBe(4);
  });

  it("the policy part of a verdict key changes when an exception expires", () => {
    const policyPath = join(synth.dir, "exc-policy.yaml");
    writeFileSync(
      policyPath,
      "version: 1\nexceptions:\n  - package: memo\n    reason: test\n    expires: 2030-01-31\n    waive: [require_attestation]\n",
    );
    const policy = loadPolicyFile(policyPath);
    const verifier = indexFileVerifier({ trustRoot: root, policy });
    let now = new Date("2030-01-31T12:00:00Z");
    const judge = new Judge({
      verifier,
      policy,
      filesHosts: new Set(),
      upstreamOrigin: "http://127.0.0.1",
      node: "n",
      now: () => now,
    });
    const before = judge.policyDigest();
    now = new Date("2030-02-01T00:00:01Z");
    expect(judge.policyDigest()).not.toBe(before);
    expect(before).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("pyprov serve: downloads", () => {
  it("Range requests return the verified bytes (206), an unsatisfiable one 416; HEAD downloads nothing", async () => {
    const s = await serve();
    const w = wheelOf("big");
    const [f] = await files(s, "big");
    synth.index.resetCounts();
    const head = await fetch(at(s, f?.url ?? ""), { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(w.body.length));
    expect(head.headers.get("accept-ranges")).toBe("bytes");
    expect(synth.downloads()).toBe(0);
    const tail = await fetch(at(s, f?.url ?? ""), { headers: { range: "bytes=-1000" } });
    expect(tail.status).toBe(206);
    expect(tail.headers.get("content-range")).toBe(
      `bytes ${w.body.length - 1000}-${w.body.length - 1}/${w.body.length}`,
    );
    expect(Buffer.from(await tail.arrayBuffer()).equals(w.body.subarray(-1000))).toBe(true);
    const mid = await fetch(at(s, f?.url ?? ""), { headers: { range: "bytes=100000-400000" } });
    expect(Buffer.from(await mid.arrayBuffer()).equals(w.body.subarray(100000, 400001))).toBe(true);
    const out = await fetch(at(s, f?.url ?? ""), { headers: { range: "bytes=99999999-" } });
    expect(out.status).toBe(416);
    expect(synth.downloads()).toBe(1); // fetched once, then served from the cache
  });

  it("an edited cache file is caught: never delivered whole, dropped, fetched again", async () => {
    const cacheDir = synth.subdir();
    const s = await serve({ cacheDir });
    const w = wheelOf("big");
    const [f] = await files(s, "big");
    const url = at(s, f?.url ?? "");
    expect(Buffer.from(await (await fetch(url)).arrayBuffer()).equals(w.body)).toBe(true);
    const path = join(cacheDir, "files", "v1", w.sha256.slice(0, 2), w.sha256);
    const edited = Buffer.from(w.body);
    edited.writeUInt8(edited.readUInt8(600 * 1024) ^ 0xff, 600 * 1024);
    writeFileSync(path, edited);
    let got: Buffer | undefined;
    try {
      const r = await fetch(url);
      got = Buffer.from(await r.arrayBuffer());
    } catch {
      got = undefined; // the connection was cut: the body never completed
    }
    expect(got?.equals(edited) ?? false).toBe(false);
    expect(got?.equals(w.body) ?? false).toBe(false);
    expect(logs.some((l) => l.startsWith(`tampered ${w.filename}: the cached file changed`))).toBe(
      true,
    );
    expect(await metric(s, /^pyprov_serve_tampering_total\{where="cache"\}/)).toBe(1);
    // Dropped: the next request fetches the true bytes again.
    expect(Buffer.from(await (await fetch(url)).arrayBuffer()).equals(w.body)).toBe(true);
  });

  it("upstream 503s are retried; an upstream that keeps failing is a 502 with a reason, never the file", async () => {
    const s = await serve({ maxAttempts: 3 });
    const w = wheelOf("flaky");
    const [f] = await files(s, "flaky");
    synth.index.fault(synth.filePath(w), { status: 503, times: 2 });
    const ok = await fetch(at(s, f?.url ?? ""));
    expect(ok.status).toBe(200);
    expect(Buffer.from(await ok.arrayBuffer()).equals(w.body)).toBe(true);

    const s2 = await serve({ maxAttempts: 2 });
    const [f2] = await files(s2, "flaky");
    synth.index.fault(synth.filePath(w), { reset: true, times: 2 });
    const bad = await fetch(at(s2, f2?.url ?? ""));
    expect(bad.status).toBe(502);
    expect(await bad.text()).toMatch(/could not be fetched from upstream/);
  });

  it("an upstream page failure after the TTL serves the page fetched before", async () => {
    const s = await serve({ pageTtlMs: 1 });
    const before = await files(s, "flaky");
    await new Promise((r) => setTimeout(r, 5));
    synth.index.fault(synth.pagePath("flaky"), { status: 500 });
    try {
      expect(await files(s, "flaky")).toEqual(before);
    } finally {
      synth.index.clearFaults();
    }
    expect(logs.some((l) => l.includes("serving the page fetched earlier"))).toBe(true);
  });
});

describe("pyprov serve: metadata and provenance", () => {
  it("serves PEP 658 metadata checked against the page's hash", async () => {
    const s = await serve();
    const [f] = await files(s, "meta");
    const sha = createHash("sha256").update(METADATA).digest("hex");
    expect(f?.["core-metadata"]).toEqual({ sha256: sha });
    expect(f?.["data-dist-info-metadata"]).toEqual({ sha256: sha });
    const res = await fetch(at(s, `${f?.url ?? ""}.metadata`));
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(METADATA)).toBe(true);
    const html = await (await fetch(`${s.url}meta/`, { headers: { accept: "text/html" } })).text();
    expect(html).toContain(`data-core-metadata="sha256=${sha}"`);
  });

  it("metadata whose bytes do not match the page's hash is never delivered", async () => {
    const s = await serve();
    const [f] = await files(s, "badmeta");
    const res = await fetch(at(s, `${f?.url ?? ""}.metadata`));
    expect(res.status).toBe(502);
    expect(await res.text()).not.toContain("Metadata-Version");
    expect(logs.some((l) => l.startsWith(`tampered ${wheelOf("badmeta").filename}.metadata`))).toBe(
      true,
    );
  });

  it("a file without metadata upstream offers none", async () => {
    const s = await serve();
    const [f] = await files(s, "flaky");
    expect(f?.["core-metadata"]).toBeUndefined();
    expect((await fetch(at(s, `${f?.url ?? ""}.metadata`))).status).toBe(404);
  });

  it("the page's provenance URL serves the upstream's provenance object byte for byte", async () => {
    const s = await serve();
    const w = wheelOf("meta");
    const [f] = await files(s, "meta");
    expect(f?.provenance).toBe(`/provenance/${w.sha256}`);
    const res = await fetch(at(s, f?.provenance ?? ""));
    expect(res.headers.get("content-type")).toBe("application/vnd.pypi.integrity.v1+json");
    expect(Buffer.from(await res.arrayBuffer()).equals(w.provenance as Buffer)).toBe(true);
    expect((await fetch(at(s, `/provenance/${"0".repeat(64)}`))).status).toBe(404);
  });
});

describe("pyprov serve: operations", () => {
  it("/-/metrics counts requests, verdicts, cache hits and bytes; /-/report is a verify report", async () => {
    const s = await serve();
    const [f] = await files(s, "meta");
    await files(s, "meta");
    await (await fetch(at(s, f?.url ?? ""))).arrayBuffer();
    expect(await metric(s, /^pyprov_serve_requests_total\{route="page",status="200"\}/)).toBe(2);
    expect(await metric(s, /^pyprov_serve_cache_total\{cache="page",result="hit"\}/)).toBe(1);
    expect(await metric(s, /^pyprov_serve_verdicts_total\{outcome="pass"\}/)).toBe(1);
    expect(await metric(s, /^pyprov_serve_bytes_served_total/)).toBe(wheelOf("meta").body.length);
    const doc = (await (await fetch(at(s, "/-/report"))).json()) as {
      results: { target: { filename: string }; verdict: string }[];
    };
    expectValidReport(doc);
    expect(doc.results.map((r) => [r.target.filename, r.verdict])).toEqual([
      [wheelOf("meta").filename, "verified"],
    ]);
  });

  it("/simple/ lists the projects served so far", async () => {
    const s = await serve();
    await files(s, "meta");
    const res = await fetch(s.url, { headers: { accept: JSON_TYPE } });
    expect(await res.json()).toEqual({
      meta: { "api-version": "1.3" },
      projects: [{ name: "meta" }],
    });
  });

  it("refuses files on a host that is neither the upstream nor a --files-host", async () => {
    const verifier = indexFileVerifier({ trustRoot: root, index: { indexUrl: synth.indexUrl } });
    const judge = new Judge({
      verifier,
      policy: undefined,
      filesHosts: new Set(["files.example"]),
      upstreamOrigin: new URL(synth.indexUrl).origin,
      node: "n",
    });
    const w = wheelOf("meta");
    const file = (host: string) => ({
      filename: w.filename,
      url: `https://${host}/x/${w.filename}`,
      hashes: { sha256: w.sha256 },
      requiresPython: null,
      yanked: false,
      yankedReason: null,
      provenanceUrl: new URL(synth.provenancePath(w), synth.indexUrl).href,
      uploadTime: null,
      size: null,
    });
    const [evil, ok] = await judge.judge({
      name: "meta",
      url: synth.indexUrl,
      format: "json",
      apiVersion: "1.1",
      versions: null,
      files: [file("evil.example"), file("files.example")],
    });
    expect(evil?.outcome).toBe("fail");
    expect(evil?.reasons[0]).toMatch(/served from evil\.example.*--files-host/);
    expect(ok?.outcome).toBe("pass");
  });
});

describe("pyprov serve --offline", () => {
  it("serves what the cache verified without the upstream; anything else is 404 or 503", async () => {
    const cacheDir = synth.subdir();
    const online = await serve({ cacheDir });
    const w = wheelOf("offline");
    const [f] = await files(online, "offline");
    await (await fetch(at(online, f?.url ?? ""))).arrayBuffer();
    await files(online, "meta"); // listed, never downloaded
    synth.index.resetCounts();
    const off = await serve({ cacheDir, offline: true });
    const [g] = await files(off, "offline");
    expect(g?.hashes.sha256).toBe(w.sha256);
    const res = await fetch(at(off, g?.url ?? ""));
    expect(Buffer.from(await res.arrayBuffer()).equals(w.body)).toBe(true);
    const [m] = await files(off, "meta");
    expect((await fetch(at(off, m?.url ?? ""))).status).toBe(503);
    expect((await fetch(`${off.url}never-seen/`, { headers: { accept: JSON_TYPE } })).status).toBe(
      404,
    );
    // Not one request reached the upstream.
    expect(synth.index.count("*")).toBe(0);
  });
});

describe("pyprov serve: shutdown mid-download", () => {
  it("close() lets an in-flight download finish with the verified bytes", async () => {
    const s = await serve({ graceMs: 5000 });
    const w = wheelOf("big");
    const [f] = await files(s, "big");
    synth.index.fault(synth.filePath(w), { delayMs: 300, times: 1 });
    const inFlight = fetch(at(s, f?.url ?? "")).then(async (r) => ({
      status: r.status,
      body: Buffer.from(await r.arrayBuffer()),
    }));
    await new Promise((r) => setTimeout(r, 100));
    await s.close();
    const got = await inFlight;
    expect(got.status).toBe(200);
    expect(got.body.equals(w.body)).toBe(true);
  });

  it("past the grace period the connection is cut: no body, no partial file left in the cache", async () => {
    const cacheDir = synth.subdir();
    const s = await serve({ graceMs: 50, cacheDir });
    const w = wheelOf("big");
    const [f] = await files(s, "big");
    synth.index.fault(synth.filePath(w), { delayMs: 800, times: 1 });
    const outcome = fetch(at(s, f?.url ?? "")).then(
      async (r) => Buffer.from(await r.arrayBuffer()),
      (err: unknown) => err,
    );
    await new Promise((r) => setTimeout(r, 100));
    await s.close();
    expect(await outcome).toBeInstanceOf(Error);
    // The upstream answer still lands in the cache only whole and verified.
    await new Promise((r) => setTimeout(r, 1200));
    const tmp = join(cacheDir, "files", "v1", "tmp");
    expect(readdirSync(tmp)).toEqual([]);
    const cached = join(cacheDir, "files", "v1", w.sha256.slice(0, 2), w.sha256);
    if (existsSync(cached)) expect(readFileSync(cached).equals(w.body)).toBe(true);
  });
});

/**
 * uv cannot be installed here: these are the requests uv makes of a PEP 691
 * index (its Accept header, the JSON keys it reads, a HEAD and suffix range
 * reads of a wheel without PEP 658 metadata, then the download), replayed.
 */
describe("pyprov serve: the JSON API contract uv uses", () => {
  const UV_ACCEPT =
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01";

  it("JSON with the keys uv reads; range reads of the wheel; the full download", async () => {
    const s = await serve();
    const res = await fetch(`${s.url}big/`, {
      headers: { accept: UV_ACCEPT, "accept-encoding": "gzip" },
    });
    expect(res.headers.get("content-type")).toBe(JSON_TYPE);
    expect(res.headers.get("vary")).toMatch(/Accept/);
    const doc = (await res.json()) as Record<string, unknown> & {
      files: Record<string, unknown>[];
    };
    expect(Object.keys(doc).sort()).toEqual(["files", "meta", "name", "versions"]);
    const [f] = doc.files;
    expect(Object.keys(f ?? {}).sort()).toEqual(
      [
        "filename",
        "hashes",
        "provenance",
        "requires-python",
        "size",
        "upload-time",
        "url",
        "yanked",
      ].sort(),
    );
    const w = wheelOf("big");
    const url = at(s, String(f?.url));
    const head = await fetch(url, { method: "HEAD" });
    expect(head.headers.get("accept-ranges")).toBe("bytes");
    const size = Number(head.headers.get("content-length"));
    expect(size).toBe(w.body.length);
    // The zip's end of central directory, then the central directory itself.
    for (const range of [`bytes=-${16 * 1024}`, `bytes=${size - 40_000}-${size - 16 * 1024 - 1}`]) {
      const r = await fetch(url, { headers: { range } });
      expect(r.status).toBe(206);
      const body = Buffer.from(await r.arrayBuffer());
      const [, a, b] = /bytes (\d+)-(\d+)\//.exec(r.headers.get("content-range") ?? "") ?? [];
      expect(body.equals(w.body.subarray(Number(a), Number(b) + 1))).toBe(true);
    }
    const full = Buffer.from(await (await fetch(url)).arrayBuffer());
    expect(createHash("sha256").update(full).digest("hex")).toBe(
      (f?.hashes as { sha256: string }).sha256,
    );
  });
});
