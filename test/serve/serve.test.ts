import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPolicyFile } from "../../src/policy/load.js";
import { startServe, type RunningServe } from "../../src/serve/server.js";
import { loadTrustedRoot } from "../../src/sigstore/trust-root.js";
import { SyntheticIndex, sha256Hex, type SynthFile } from "../support/synthetic-index.js";

const JSON_TYPE = "application/vnd.pypi.simple.v1+json";
const PIP_ACCEPT =
  "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01";

interface JsonPage {
  meta: { "api-version": string };
  name: string;
  versions: string[];
  files: {
    filename: string;
    url: string;
    hashes: { sha256: string };
    "requires-python": string | null;
    yanked: boolean | string;
    size?: number;
    "upload-time"?: string;
  }[];
}

let synth: SyntheticIndex;
let enforce: RunningServe;
let audit: RunningServe;
const logs: string[] = [];
const auditLogs: string[] = [];

beforeAll(async () => {
  synth = new SyntheticIndex({
    projects: {
      good: [{ version: "1.0" }, { version: "0.9", yanked: "broken build" }],
      swapped: [{ version: "1.0", files: [{ kind: "wheel" }] }],
      tampered: [{ version: "1.0", files: [{ kind: "wheel" }] }],
      pinned: [{ version: "1.0", files: [{ kind: "wheel" }] }],
      bare: [{ version: "1.0", files: [{ kind: "wheel", provenance: "none" }] }],
    },
  });
  // requires-python on the good wheel.
  const goodWheel = wheelOf("good", "1.0");
  goodWheel.fake.requiresPython = ">=3.9";
  synth.put(synth.project("good"));
  // Swapped bytes: the page lists the new bytes' digest; the attestation is for the old ones.
  const swapped = wheelOf("swapped", "1.0");
  swapped.fake.body = randomBytes(2048);
  synth.put(synth.project("swapped"));
  await synth.start();
  const policyPath = join(synth.dir, "policy.yaml");
  writeFileSync(
    policyPath,
    "version: 1\npackages:\n  pinned:\n    publishers:\n      - kind: github\n        repository: other/repo\n",
  );
  const trustRoot = loadTrustedRoot(synth.root);
  const cacheDir = join(synth.dir, "cache");
  mkdirSync(cacheDir);
  enforce = await startServe({
    upstream: synth.indexUrl,
    policy: loadPolicyFile(policyPath),
    mode: "enforce",
    port: 0,
    cacheDir,
    trustRoot,
    log: (l) => logs.push(l),
  });
  audit = await startServe({
    upstream: synth.indexUrl,
    mode: "audit",
    port: 0,
    cacheDir: join(synth.dir, "cache-audit"),
    trustRoot,
    log: (l) => auditLogs.push(l),
  });
});

afterAll(async () => {
  await enforce?.close();
  await audit?.close();
  await synth?.close();
});

function wheelOf(project: string, version: string): SynthFile {
  const f = synth.release(project, version).find((x) => x.kind === "wheel");
  if (!f) throw new Error("no wheel");
  return f;
}

async function page(s: RunningServe, name: string): Promise<JsonPage> {
  const res = await fetch(`${s.url}${name}/`, { headers: { accept: JSON_TYPE } });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe(JSON_TYPE);
  return (await res.json()) as JsonPage;
}

function fileUrl(s: RunningServe, url: string): string {
  return new URL(url, s.url).href;
}

describe("pyprov serve: project pages", () => {
  it("lists a verified wheel by digest, and the download returns exactly its bytes", async () => {
    const wheel = wheelOf("good", "1.0");
    const p = await page(enforce, "good");
    const listed = p.files.find((f) => f.filename === wheel.filename);
    expect(listed?.hashes.sha256).toBe(wheel.sha256);
    expect(listed?.url).toBe(`/files/${wheel.sha256}/${wheel.filename}`);
    const res = await fetch(fileUrl(enforce, listed?.url ?? ""));
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.equals(wheel.body)).toBe(true);
  });

  it("passes through requires-python, yanked with its reason, versions, size and upload-time", async () => {
    const p = await page(enforce, "good");
    expect(p.meta["api-version"]).toBe("1.3");
    expect(p.versions.sort()).toEqual(["0.9", "1.0"]);
    const wheel = p.files.find((f) => f.filename === wheelOf("good", "1.0").filename);
    expect(wheel?.["requires-python"]).toBe(">=3.9");
    expect(wheel?.yanked).toBe(false);
    expect(wheel?.size).toBe(2048);
    expect(wheel?.["upload-time"]).toBe("2024-01-01T00:00:00.000000Z");
    const old = p.files.find((f) => f.filename === wheelOf("good", "0.9").filename);
    expect(old?.yanked).toBe("broken build");
    expect(old?.["requires-python"]).toBeNull();

    const html = await (
      await fetch(`${enforce.url}good/`, { headers: { accept: "text/html" } })
    ).text();
    expect(html).toContain('data-requires-python="&gt;=3.9"');
    expect(html).toContain('data-yanked="broken build"');
    expect(html).toContain(`#sha256=${wheelOf("good", "1.0").sha256}`);
  });

  it("swapped upstream bytes (page hash updated, attestation for the old bytes): not listed, digest URL 404", async () => {
    const swapped = wheelOf("swapped", "1.0");
    const p = await page(enforce, "swapped");
    expect(p.files).toEqual([]);
    const newDigest = sha256Hex(swapped.fake.body ?? Buffer.alloc(0));
    expect(logs.some((l) => l.startsWith(`blocked ${swapped.filename}: `))).toBe(true);
    const res = await fetch(fileUrl(enforce, `/files/${newDigest}/${swapped.filename}`));
    expect(res.status).toBe(404);
    // Even the attested (old) digest was never listed, so it is unknown too.
    const old = await fetch(fileUrl(enforce, `/files/${swapped.sha256}/${swapped.filename}`));
    expect(old.status).toBe(404);
  });

  it("changed bytes under the true digest are never delivered (502, tampering logged)", async () => {
    const f = wheelOf("tampered", "1.0");
    const p = await page(enforce, "tampered");
    expect(p.files.map((x) => x.filename)).toEqual([f.filename]);
    // Upstream now serves other bytes while its page keeps listing the verified digest.
    f.fake.sha256 = f.sha256;
    f.fake.body = randomBytes(2048);
    synth.put(synth.project("tampered"));
    const res = await fetch(fileUrl(enforce, p.files[0]?.url ?? ""));
    expect(res.status).toBe(502);
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.length).not.toBe(2048);
    expect(body.includes(f.fake.body.subarray(0, 64))).toBe(false);
    expect(logs.some((l) => l.startsWith(`tampered ${f.filename}:`))).toBe(true);
  });

  it("a publisher the policy does not allow is blocked with the policy's reason", async () => {
    const f = wheelOf("pinned", "1.0");
    expect((await page(enforce, "pinned")).files).toEqual([]);
    const line = logs.find((l) => l.startsWith(`blocked ${f.filename}: `));
    expect(line).toContain("other/repo");
    // Without the policy (audit server) the same file verifies and is listed.
    expect((await page(audit, "pinned")).files.map((x) => x.filename)).toEqual([f.filename]);
    expect(auditLogs.some((l) => l.includes(f.filename))).toBe(false);
  });

  it("an unattested project is blocked in enforce and listed (and logged) in audit", async () => {
    const f = wheelOf("bare", "1.0");
    expect((await page(enforce, "bare")).files).toEqual([]);
    expect(logs.some((l) => l.startsWith(`blocked ${f.filename}: `))).toBe(true);
    const listed = (await page(audit, "bare")).files;
    expect(listed.map((x) => x.filename)).toEqual([f.filename]);
    expect(auditLogs.some((l) => l.startsWith(`audit: would block ${f.filename}: `))).toBe(true);
    const res = await fetch(fileUrl(audit, listed[0]?.url ?? ""));
    expect(Buffer.from(await res.arrayBuffer()).equals(f.body)).toBe(true);
  });

  it("an unknown digest is 404, and so is a known digest under another filename", async () => {
    const wheel = wheelOf("good", "1.0");
    await page(enforce, "good");
    const unknown = await fetch(fileUrl(enforce, `/files/${"0".repeat(64)}/${wheel.filename}`));
    expect(unknown.status).toBe(404);
    const renamed = await fetch(
      fileUrl(enforce, `/files/${wheel.sha256}/other-1.0-py3-none-any.whl`),
    );
    expect(renamed.status).toBe(404);
  });

  it("an upstream 404 is a 404", async () => {
    const res = await fetch(`${enforce.url}nonexistent/`, { headers: { accept: JSON_TYPE } });
    expect(res.status).toBe(404);
  });

  it("a non-normalised name is redirected (301) to the normalised URL", async () => {
    const res = await fetch(`${enforce.url}Good_Project.x/`, { redirect: "manual" });
    expect(res.status).toBe(301);
    expect(res.headers.get("location")).toBe("/simple/good-project-x/");
    const slash = await fetch(`${enforce.url}good`, { redirect: "manual" });
    expect(slash.status).toBe(301);
    expect(slash.headers.get("location")).toBe("/simple/good/");
  });

  it("/-/health answers ok", async () => {
    const res = await fetch(new URL("/-/health", enforce.url));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("ok\n");
  });
});

describe("pyprov serve: content negotiation", () => {
  const typeFor = async (accept: string): Promise<[number, string | null]> => {
    const res = await fetch(`${enforce.url}good/`, {
      headers: { accept },
    });
    await res.arrayBuffer();
    return [res.status, res.headers.get("content-type")];
  };

  it("pip's Accept header gets JSON", async () => {
    expect(await typeFor(PIP_ACCEPT)).toEqual([200, JSON_TYPE]);
  });

  it("q-values decide: HTML preferred over JSON gets HTML", async () => {
    expect(
      await typeFor(
        "application/vnd.pypi.simple.v1+json;q=0.2, application/vnd.pypi.simple.v1+html",
      ),
    ).toEqual([200, "application/vnd.pypi.simple.v1+html; charset=utf-8"]);
    expect(await typeFor("text/html;q=0.9, application/vnd.pypi.simple.v1+json;q=0.5")).toEqual([
      200,
      "text/html; charset=utf-8",
    ]);
  });

  it("text/html and no Accept header get HTML; */* gets JSON", async () => {
    expect(await typeFor("text/html")).toEqual([200, "text/html; charset=utf-8"]);
    // fetch() always sends an Accept header; node:http sends none.
    const bare = await new Promise<string | undefined>((resolve, reject) => {
      http
        .get(`${enforce.url}good/`, (res) => {
          res.resume();
          resolve(res.headers["content-type"]);
        })
        .on("error", reject);
    });
    expect(bare).toBe("text/html; charset=utf-8");
    expect(await typeFor("*/*")).toEqual([200, JSON_TYPE]);
  });

  it("nothing acceptable is 406", async () => {
    expect((await typeFor("application/xml"))[0]).toBe(406);
    expect((await typeFor("application/vnd.pypi.simple.v1+json;q=0"))[0]).toBe(406);
  });
});

describe("pyprov serve: shutdown", () => {
  it("close() stops accepting but lets an in-flight response finish", async () => {
    const s = await startServe({
      upstream: synth.indexUrl,
      port: 0,
      cacheDir: join(synth.dir, "cache-close"),
      trustRoot: loadTrustedRoot(synth.root),
      graceMs: 5000,
    });
    synth.index.resetCounts();
    synth.index.fault(synth.pagePath("good"), { delayMs: 400, times: 1 });
    const inFlight = fetch(`${s.url}good/`, { headers: { accept: JSON_TYPE } });
    // Wait until the upstream has the request, then close.
    const deadline = Date.now() + 5000;
    while (synth.index.count(synth.pagePath("good")) === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(synth.index.count(synth.pagePath("good"))).toBe(1);
    const closed = s.close();
    const res = await inFlight;
    expect(res.status).toBe(200);
    const doc = (await res.json()) as JsonPage;
    expect(doc.files.map((f) => f.filename)).toContain(wheelOf("good", "1.0").filename);
    await closed;
    await expect(fetch(`${s.url}good/`)).rejects.toThrow();
  });
});
