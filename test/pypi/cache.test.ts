import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSync } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import { PyprovError } from "../../src/errors.js";
import {
  DEFAULT_ABSENT_TTL_MS,
  ProvenanceCache,
  defaultCacheDir,
  entryPaths,
  writeFileAtomic,
} from "../../src/pypi/cache.js";
import type { ProvenanceCacheOptions } from "../../src/pypi/cache.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const T0 = Date.UTC(2025, 0, 2, 3, 4, 5);
const tmpRoots: string[] = [];

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "pyprov-cache-"));
  tmpRoots.push(d);
  return d;
}
afterAll(() => {
  for (const d of tmpRoots) rmSync(d, { recursive: true, force: true });
});

function sha(s: string | Buffer): string {
  return createHash("sha256").update(s).digest("hex");
}
function provenanceBody(tag: string, pad = 0): Buffer {
  const doc = { version: 1, attestation_bundles: [{ tag, pad: "x".repeat(pad) }] };
  return Buffer.from(JSON.stringify(doc));
}

/** A cache in a fresh directory with a settable clock. */
function fresh(opts: ProvenanceCacheOptions = {}) {
  const clock = { t: T0 };
  const warnings: string[] = [];
  const dir = opts.dir ?? join(tmp(), "cache");
  const cache = new ProvenanceCache({
    now: () => clock.t,
    onWarning: (m) => warnings.push(m),
    ...opts,
    dir,
  });
  return { cache, clock, warnings, dir };
}

const KEY = sha("demo-1.0-py3-none-any.whl");
const URL1 = "https://pypi.org/integrity/demo/1.0/demo-1.0-py3-none-any.whl/provenance";

describe("defaultCacheDir", () => {
  it("prefers PYPROV_CACHE_DIR, then absolute XDG_CACHE_HOME, then ~/.cache", () => {
    expect(defaultCacheDir({ PYPROV_CACHE_DIR: "/a/b", XDG_CACHE_HOME: "/x" })).toBe("/a/b");
    expect(defaultCacheDir({ PYPROV_CACHE_DIR: "rel" })).toBe(resolve("rel"));
    expect(defaultCacheDir({ XDG_CACHE_HOME: "/x", HOME: "/h" })).toBe("/x/pyprov");
    expect(defaultCacheDir({ PYPROV_CACHE_DIR: " ", XDG_CACHE_HOME: "rel", HOME: "/h" })).toBe(
      "/h/.cache/pyprov",
    );
    expect(defaultCacheDir({})).toBe(join(homedir(), ".cache", "pyprov"));
  });

  it("is used when no dir is given", () => {
    const saved = process.env.PYPROV_CACHE_DIR;
    process.env.PYPROV_CACHE_DIR = "/nonexistent/pyprov-cache";
    try {
      expect(new ProvenanceCache({ enabled: false }).dir).toBe("/nonexistent/pyprov-cache");
    } finally {
      if (saved === undefined) delete process.env.PYPROV_CACHE_DIR;
      else process.env.PYPROV_CACHE_DIR = saved;
    }
  });
});

describe("ProvenanceCache round trips", () => {
  it("stores the body byte for byte in the documented layout, with a meta sidecar", () => {
    const { cache, dir } = fresh();
    expect(cache.get(KEY)).toEqual({ kind: "miss", reason: "none" });
    const body = Buffer.from(' {"version": 1,\n "attestation_bundles": []}\n');
    expect(cache.putProvenance(KEY, body, { url: URL1 })).toBe(true);
    const hit = cache.get(KEY);
    expect(hit).toEqual({ kind: "hit", body, url: URL1, fetchedAt: new Date(T0).toISOString() });

    const entry = join(dir, "provenance", "v1", KEY.slice(0, 2), KEY);
    expect(readFileSync(join(entry, "provenance.json"))).toEqual(body);
    const meta = JSON.parse(readFileSync(join(entry, "provenance.meta.json"), "utf8")) as unknown;
    expect(meta).toEqual({
      v: 1,
      url: URL1,
      fetchedAt: new Date(T0).toISOString(),
      sha256: sha(body),
      size: body.length,
    });
    expect(readdirSync(entry).sort()).toEqual(["provenance.json", "provenance.meta.json"]);
    expect(cache.paths(KEY)).toEqual(entryPaths(dir, KEY));
  });

  it("positive entries do not expire; the latest put wins", () => {
    const { cache, clock } = fresh();
    cache.putProvenance(KEY, provenanceBody("one"), { url: URL1 });
    clock.t += 365 * 24 * 3600 * 1000;
    expect(cache.get(KEY)).toMatchObject({ kind: "hit", body: provenanceBody("one") });
    cache.putProvenance(KEY, provenanceBody("two", 50), { url: `${URL1}?2` });
    expect(cache.get(KEY)).toEqual({
      kind: "hit",
      body: provenanceBody("two", 50),
      url: `${URL1}?2`,
      fetchedAt: new Date(clock.t).toISOString(),
    });
  });

  it("does not store a body that is not JSON", () => {
    const { cache } = fresh();
    expect(cache.putProvenance(KEY, Buffer.from("<html>oops</html>"), { url: URL1 })).toBe(false);
    expect(cache.get(KEY)).toEqual({ kind: "miss", reason: "none" });
  });

  it("keeps entries for different digests apart", () => {
    const { cache } = fresh();
    const other = sha("other");
    cache.putProvenance(KEY, provenanceBody("a"), { url: URL1 });
    cache.putAbsent(other, {});
    expect(cache.get(KEY)).toMatchObject({ kind: "hit", body: provenanceBody("a") });
    expect(cache.get(other)).toMatchObject({ kind: "absent" });
    expect(cache.get(sha("third"))).toEqual({ kind: "miss", reason: "none" });
  });

  it("a hit costs well under a millisecond", () => {
    const { cache } = fresh();
    cache.putProvenance(KEY, provenanceBody("perf", 20_000), { url: URL1 });
    cache.get(KEY);
    const n = 300;
    const start = performance.now();
    for (let i = 0; i < n; i++) cache.get(KEY);
    expect((performance.now() - start) / n).toBeLessThan(1);
  });
});

describe("negative entries", () => {
  it("are valid for 10 minutes by the injected clock, then expire", () => {
    const { cache, clock } = fresh();
    expect(DEFAULT_ABSENT_TTL_MS).toBe(600_000);
    expect(cache.putAbsent(KEY, { url: URL1 })).toBe(true);
    const at = new Date(T0).toISOString();
    expect(cache.get(KEY)).toEqual({ kind: "absent", fetchedAt: at, url: URL1 });
    clock.t = T0 + DEFAULT_ABSENT_TTL_MS - 1;
    expect(cache.get(KEY)).toEqual({ kind: "absent", fetchedAt: at, url: URL1 });
    clock.t = T0 + DEFAULT_ABSENT_TTL_MS;
    expect(cache.get(KEY)).toEqual({ kind: "miss", reason: "expired" });
    // A fresh 404 renews it.
    cache.putAbsent(KEY);
    expect(cache.get(KEY)).toEqual({ kind: "absent", fetchedAt: new Date(clock.t).toISOString() });
  });

  it("honour absentTtlMs and distrust timestamps far in the future", () => {
    const { cache, clock } = fresh({ absentTtlMs: 1000 });
    cache.putAbsent(KEY);
    clock.t = T0 + 999;
    expect(cache.get(KEY).kind).toBe("absent");
    clock.t = T0 + 1000;
    expect(cache.get(KEY)).toEqual({ kind: "miss", reason: "expired" });
    clock.t = T0 - 5000; // the clock went back: the entry is "from the future"
    expect(cache.get(KEY)).toEqual({ kind: "miss", reason: "expired" });
  });

  it("are replaced by provenance, and never hide it", () => {
    const { cache, dir } = fresh();
    cache.putAbsent(KEY, { url: URL1 });
    cache.putProvenance(KEY, provenanceBody("late"), { url: URL1 });
    expect(existsSync(entryPaths(dir, KEY).absent)).toBe(false);
    expect(cache.get(KEY)).toMatchObject({ kind: "hit", body: provenanceBody("late") });
    cache.putAbsent(KEY, { url: URL1 });
    expect(cache.get(KEY)).toMatchObject({ kind: "hit", body: provenanceBody("late") });
  });
});

describe("corrupt entries", () => {
  const body = provenanceBody("good", 100);
  const damages: [string, (p: ReturnType<typeof entryPaths>) => void][] = [
    ["truncated body", (p) => truncateSync(p.body, 10)],
    [
      "garbage body of the same size",
      (p) => writeFileSync(p.body, Buffer.alloc(body.length, 0xff)),
    ],
    ["missing body", (p) => rmSync(p.body)],
    ["garbage meta", (p) => writeFileSync(p.meta, "\x00\x01garbage")],
    ["empty meta", (p) => writeFileSync(p.meta, "")],
    [
      "meta with another sha256",
      (p) => {
        const m = JSON.parse(readFileSync(p.meta, "utf8")) as Record<string, unknown>;
        writeFileSync(p.meta, JSON.stringify({ ...m, sha256: sha("something else") }));
      },
    ],
    [
      "meta without a url",
      (p) => {
        const m = JSON.parse(readFileSync(p.meta, "utf8")) as Record<string, unknown>;
        writeFileSync(p.meta, JSON.stringify({ ...m, url: undefined }));
      },
    ],
    [
      "body that is not JSON, with a matching meta",
      (p) => {
        const junk = Buffer.from("not json at all");
        writeFileSync(p.body, junk);
        const m = JSON.parse(readFileSync(p.meta, "utf8")) as Record<string, unknown>;
        writeFileSync(p.meta, JSON.stringify({ ...m, sha256: sha(junk), size: junk.length }));
      },
    ],
  ];

  for (const [what, damage] of damages) {
    it(`${what}: a "corrupt" miss, fixed by the next put`, () => {
      const { cache, dir } = fresh();
      cache.putProvenance(KEY, body, { url: URL1 });
      damage(entryPaths(dir, KEY));
      expect(cache.get(KEY)).toEqual({ kind: "miss", reason: "corrupt" });
      expect(cache.putProvenance(KEY, body, { url: URL1 })).toBe(true);
      expect(cache.get(KEY)).toMatchObject({ kind: "hit", body, url: URL1 });
    });
  }

  it("a body that only looks like JSON, with a matching meta, is read back: verification parses it in full", () => {
    // Only deliberate tampering (body and meta rewritten together) gets here;
    // the provenance parser then rejects it as malformed (an error, never a pass).
    const { cache, dir } = fresh();
    cache.putProvenance(KEY, body, { url: URL1 });
    const p = entryPaths(dir, KEY);
    const fake = Buffer.from(" {not json} \n");
    writeFileSync(p.body, fake);
    const m = JSON.parse(readFileSync(p.meta, "utf8")) as Record<string, unknown>;
    writeFileSync(p.meta, JSON.stringify({ ...m, sha256: sha(fake), size: fake.length }));
    expect(cache.get(KEY)).toMatchObject({ kind: "hit", body: fake });
    for (const notAnObject of ["[1, 2]", "{", "}", "  ", '"{}"']) {
      const junk = Buffer.from(notAnObject);
      writeFileSync(p.body, junk);
      writeFileSync(p.meta, JSON.stringify({ ...m, sha256: sha(junk), size: junk.length }));
      expect(cache.get(KEY), notAnObject).toEqual({ kind: "miss", reason: "corrupt" });
    }
  });

  it("a corrupt positive entry still lets a fresh negative entry through", () => {
    const { cache, dir } = fresh();
    cache.putProvenance(KEY, body, { url: URL1 });
    truncateSync(entryPaths(dir, KEY).body, 3);
    cache.putAbsent(KEY);
    expect(cache.get(KEY).kind).toBe("absent");
  });

  it("a body without its meta is not an entry yet", () => {
    const { cache, dir } = fresh();
    cache.putProvenance(KEY, body, { url: URL1 });
    rmSync(entryPaths(dir, KEY).meta);
    expect(cache.get(KEY)).toEqual({ kind: "miss", reason: "none" });
  });

  it("a garbage negative entry is a corrupt miss, fixed by the next putAbsent", () => {
    const { cache, dir } = fresh();
    cache.putAbsent(KEY);
    writeFileSync(entryPaths(dir, KEY).absent, '{"v":1,"fetchedAt":"yesterday-ish"}');
    expect(cache.get(KEY)).toEqual({ kind: "miss", reason: "corrupt" });
    cache.putAbsent(KEY);
    expect(cache.get(KEY).kind).toBe("absent");
  });
});

describe("keys", () => {
  const bad = [
    "",
    "../../../../etc/passwd",
    `../${KEY.slice(3)}`,
    KEY.toUpperCase(),
    KEY.slice(1),
    `${KEY}0`,
    `${KEY.slice(0, 62)}/x`,
    `${KEY.slice(0, 63)}\0`,
    `${KEY.slice(0, 63)}g`,
    ` ${KEY.slice(1)}`,
  ];
  it.each(bad)("rejects %j before touching the disk", (key) => {
    const { cache, dir } = fresh();
    for (const op of [
      () => cache.get(key),
      () => cache.putProvenance(key, provenanceBody("x"), { url: URL1 }),
      () => cache.putAbsent(key, {}),
    ]) {
      expect(op).toThrow(PyprovError);
      expect(op).toThrow(expect.objectContaining({ code: "INTERNAL" }));
    }
    expect(existsSync(dir)).toBe(false);
  });
});

describe("modes and failures", () => {
  it("enabled: false never touches the disk", () => {
    const { cache, dir } = fresh({ enabled: false });
    expect(cache.putProvenance(KEY, provenanceBody("x"), { url: URL1 })).toBe(false);
    expect(cache.putAbsent(KEY, {})).toBe(false);
    expect(cache.get(KEY)).toEqual({ kind: "miss", reason: "none" });
    expect(existsSync(dir)).toBe(false);
  });

  it("enabled: false ignores an existing cache", () => {
    const { cache: writer, dir } = fresh();
    writer.putProvenance(KEY, provenanceBody("x"), { url: URL1 });
    const { cache } = fresh({ dir, enabled: false });
    expect(cache.get(KEY)).toEqual({ kind: "miss", reason: "none" });
  });

  it("readOnly reads what is there and writes nothing", () => {
    const { cache: writer, dir } = fresh();
    writer.putProvenance(KEY, provenanceBody("x"), { url: URL1 });
    const { cache } = fresh({ dir, readOnly: true });
    expect(cache.get(KEY)).toMatchObject({ kind: "hit", body: provenanceBody("x") });
    const other = sha("other");
    expect(cache.putProvenance(other, provenanceBody("y"), { url: URL1 })).toBe(false);
    expect(cache.putAbsent(other, {})).toBe(false);
    expect(existsSync(entryPaths(dir, other).dir)).toBe(false);
    const { cache: ro2, dir: dir2 } = fresh({ readOnly: true });
    ro2.putAbsent(KEY);
    expect(existsSync(dir2)).toBe(false);
  });

  it("an unwritable directory warns once and never throws", () => {
    // A regular file where the cache directory should be: fails even as root.
    const blocker = join(tmp(), "not-a-dir");
    writeFileSync(blocker, "");
    const { cache, warnings } = fresh({ dir: blocker });
    expect(cache.putProvenance(KEY, provenanceBody("x"), { url: URL1 })).toBe(false);
    expect(cache.putAbsent(KEY, {})).toBe(false);
    expect(cache.putProvenance(sha("b"), provenanceBody("y"), { url: URL1 })).toBe(false);
    expect(cache.get(KEY)).toEqual({ kind: "miss", reason: "none" });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/cannot write the provenance cache in .*not-a-dir \(E[A-Z]+\)/);
  });

  it("a throwing warning sink is swallowed too", () => {
    const blocker = join(tmp(), "not-a-dir");
    writeFileSync(blocker, "");
    const cache = new ProvenanceCache({
      dir: blocker,
      onWarning: () => {
        throw new Error("sink broke");
      },
    });
    expect(cache.putAbsent(KEY)).toBe(false);
  });

  it("an unreadable entry is a miss with a warning", () => {
    const { cache, dir, warnings } = fresh();
    cache.putProvenance(KEY, provenanceBody("x"), { url: URL1 });
    const p = entryPaths(dir, KEY);
    rmSync(p.meta);
    mkdirSync(p.meta); // a directory where the meta should be: EISDIR on read
    expect(cache.get(KEY)).toEqual({ kind: "miss", reason: "none" });
    expect(warnings).toEqual([
      expect.stringMatching(/cannot read the provenance cache \(EISDIR\)/),
    ]);
  });
});

describe("writeFileAtomic", () => {
  it("replaces the file and leaves no temp files", () => {
    const d = tmp();
    const f = join(d, "entry.json");
    writeFileAtomic(f, "one");
    writeFileAtomic(f, Buffer.from("two"));
    expect(readFileSync(f, "utf8")).toBe("two");
    expect(readdirSync(d)).toEqual(["entry.json"]);
  });

  it("throws the I/O error and cleans up when the rename fails", () => {
    const d = tmp();
    const target = join(d, "occupied");
    mkdirSync(join(target, "child"), { recursive: true }); // rename onto a non-empty dir fails
    expect(() => writeFileAtomic(target, "x")).toThrow(/E(ISDIR|NOTEMPTY|EXIST)/);
    expect(readdirSync(d)).toEqual(["occupied"]);
    expect(() => writeFileAtomic(join(d, "missing", "f"), "x")).toThrow(/ENOENT/);
  });
});

// ---------------------------------------------------------------------------
// Concurrent runs: child processes running the real module (bundled with
// esbuild) write the same and different entries while everyone reads.

const CHILD = String.raw`
import { createHash } from "node:crypto";
import { pathToFileURL } from "node:url";
const [bundle, dir, idArg, itersArg] = process.argv.slice(2);
const { ProvenanceCache } = await import(pathToFileURL(bundle).href);
const id = Number(idArg);
const sha = (b) => createHash("sha256").update(b).digest("hex");
const body = (tag) =>
  Buffer.from(JSON.stringify({ version: 1, attestation_bundles: [{ tag, pad: "x".repeat(20000) }] }));
const SAME = sha("same"), RACE = sha("race"), NEG = sha("neg"), OWN = sha("own-" + id);
const same = body("S"), mine = body("R" + (id % 2)), own = body("O" + id);
const raceOk = new Map([[sha(body("R0")), "u-R0"], [sha(body("R1")), "u-R1"]]);
const cache = new ProvenanceCache({ dir, onWarning: (m) => out.violations.push("warning: " + m) });
const out = { violations: [], raceCorrupt: 0, reads: 0 };
const bad = (what, r) => out.violations.push(what + ": " + JSON.stringify({ ...r, body: r.body && r.body.length }));
process.stdout.write("ready\n");
await new Promise((r) => process.stdin.once("data", r));
for (let i = 0; i < Number(itersArg); i++) {
  cache.putProvenance(SAME, same, { url: "u-S" });
  cache.putProvenance(RACE, mine, { url: "u-R" + (id % 2) });
  cache.putProvenance(OWN, own, { url: "u-O" + id });
  cache.putAbsent(NEG, { url: "u-N" });
  for (let j = 0; j < 3; j++) {
    out.reads += 4;
    let r = cache.get(SAME);
    if (!(r.kind === "hit" && r.url === "u-S" && r.body.equals(same))) bad("same", r);
    r = cache.get(RACE);
    if (r.kind === "miss" && r.reason === "corrupt") out.raceCorrupt++;
    else if (!(r.kind === "hit" && raceOk.get(sha(r.body)) === r.url)) bad("race", r);
    r = cache.get(OWN);
    if (!(r.kind === "hit" && r.url === "u-O" + id && r.body.equals(own))) bad("own", r);
    r = cache.get(NEG);
    if (!(r.kind === "absent" && r.url === "u-N")) bad("neg", r);
  }
}
process.stdout.write(JSON.stringify(out) + "\n");
`;

interface ChildReport {
  violations: string[];
  raceCorrupt: number;
  reads: number;
}

describe("concurrent writers and readers", () => {
  it("readers only ever see complete, valid entries; the final state is valid", async () => {
    const work = tmp();
    const dir = join(work, "cache");
    const bundle = join(work, "cache.mjs");
    const script = join(work, "child.mjs");
    buildSync({
      entryPoints: [join(HERE, "..", "..", "src", "pypi", "cache.ts")],
      outfile: bundle,
      bundle: true,
      platform: "node",
      format: "esm",
      logLevel: "silent",
    });
    writeFileSync(script, CHILD);

    const N = 8;
    const ITERS = 25;
    const children = Array.from({ length: N }, (_, id) => {
      const child = spawn(process.execPath, [script, bundle, dir, String(id), String(ITERS)], {
        stdio: ["pipe", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const ready = new Promise<void>((res) => {
        const poll = (): void => (stdout.includes("ready\n") ? res() : void setTimeout(poll, 5));
        poll();
      });
      const exited = new Promise<ChildReport>((res, rej) => {
        child.on("error", rej);
        child.on("close", (code) => {
          const line = stdout.split("\n").find((l) => l.startsWith("{"));
          if (code !== 0 || !line) rej(new Error(`child ${id} exited ${code}: ${stderr}`));
          else res(JSON.parse(line) as ChildReport);
        });
      });
      return { child, ready, exited };
    });
    await Promise.all(children.map((c) => c.ready));
    for (const c of children) c.child.stdin.end("go\n");

    // Meanwhile this process reads too.
    const same = provenanceBody("S", 20000);
    const raceOk = new Map([
      [sha(provenanceBody("R0", 20000)), "u-R0"],
      [sha(provenanceBody("R1", 20000)), "u-R1"],
    ]);
    const reader = new ProvenanceCache({ dir });
    const violations: string[] = [];
    let finished = false;
    const all = Promise.all(children.map((c) => c.exited)).finally(() => (finished = true));
    let parentReads = 0;
    while (!finished) {
      for (let j = 0; j < 20; j++) {
        parentReads += 3;
        const s = reader.get(sha("same"));
        if (!(s.kind === "miss" || (s.kind === "hit" && s.url === "u-S" && s.body.equals(same))))
          violations.push(`same: ${s.kind}`);
        const r = reader.get(sha("race"));
        if (r.kind === "hit" ? raceOk.get(sha(r.body)) !== r.url : r.kind !== "miss")
          violations.push(`race: ${r.kind}`);
        const n = reader.get(sha("neg"));
        if (!(n.kind === "absent" || (n.kind === "miss" && n.reason === "none")))
          violations.push(`neg: ${JSON.stringify(n)}`);
      }
      await new Promise((res) => setTimeout(res, 0));
    }
    const reports = await all;

    expect(violations).toEqual([]);
    for (const r of reports) {
      expect(r.violations).toEqual([]);
      expect(r.reads).toBe(ITERS * 12);
    }
    expect(parentReads).toBeGreaterThan(0);

    // Final state: every entry is valid, and no temp file was left behind.
    expect(reader.get(sha("same"))).toMatchObject({ kind: "hit", url: "u-S", body: same });
    const race = reader.get(sha("race"));
    expect(race.kind === "hit" && raceOk.get(sha(race.body)) === race.url).toBe(true);
    expect(reader.get(sha("neg"))).toMatchObject({ kind: "absent", url: "u-N" });
    for (let id = 0; id < N; id++) {
      expect(reader.get(sha(`own-${id}`))).toMatchObject({
        kind: "hit",
        url: `u-O${id}`,
        body: provenanceBody(`O${id}`, 20000),
      });
    }
    const files = readdirSync(dir, { recursive: true }).map(String);
    expect(files.filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});
