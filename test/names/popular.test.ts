/**
 * The popular-project list: parsing the public dataset, `pyprov names update`
 * against a local HTTP server (stored atomically in the cache directory, a
 * failed update leaves the previous list as it was), and `pyprov names check`.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PyprovError } from "../../src/errors.js";
import {
  DEFAULT_POPULAR_URL,
  loadPopularList,
  parseDataset,
  popularListPath,
  updatePopularList,
} from "../../src/names/popular.js";
import { runCli } from "../support/cli.js";
import { dataset, startListServer, type ListServer } from "./server.js";

const NAMES = ["boto3", "requests", "Typing_Extensions", "numpy", "matplotlib"];
let server: ListServer;
let scratch: string;

beforeAll(async () => {
  server = await startListServer(dataset(NAMES));
  scratch = mkdtempSync(join(tmpdir(), "pyprov-names-"));
});
afterAll(async () => {
  await server.close();
  rmSync(scratch, { recursive: true, force: true });
});

let n = 0;
const freshDir = () => join(scratch, `cache${n++}`);

describe("parseDataset", () => {
  it("reads the dataset's rows (canonical names, in order) or a plain array", () => {
    expect(parseDataset(Buffer.from(dataset(NAMES)), "x")).toEqual([
      "boto3",
      "requests",
      "typing-extensions",
      "numpy",
      "matplotlib",
    ]);
    expect(parseDataset(Buffer.from('["a-b", "A_B", "c"]'), "x")).toEqual(["a-b", "c"]);
  });

  it("rejects anything else, and a list without one valid name", () => {
    for (const body of ['{"rows": 3}', '{"projects": []}', "[]", '["-bad-"]', "not json"]) {
      expect(() => parseDataset(Buffer.from(body), "list.json"), body).toThrow(PyprovError);
    }
  });

  it("any input ends in a list of valid names or a PyprovError (fuzzed)", () => {
    const json = fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v));
    const rows = fc
      .array(fc.record({ project: fc.string({ maxLength: 12 }) }), { maxLength: 5 })
      .map((r) => JSON.stringify({ rows: r }));
    fc.assert(
      fc.property(fc.oneof(json, rows, fc.string()), (text) => {
        try {
          const names = parseDataset(Buffer.from(text), "list.json");
          expect(names.length).toBeGreaterThan(0);
          for (const n of names) expect(n).toMatch(/^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$/);
        } catch (err) {
          expect(err).toBeInstanceOf(PyprovError);
        }
      }),
    );
  });

  it("defaults to hugovk's top-pypi-packages over https", () => {
    expect(DEFAULT_POPULAR_URL).toBe(
      "https://hugovk.github.io/top-pypi-packages/top-pypi-packages.min.json",
    );
  });
});

describe("updatePopularList / loadPopularList", () => {
  it("stores the list in the cache directory; loading it gives a ready index", async () => {
    const dir = freshDir();
    expect(loadPopularList(dir)).toMatchObject({ ok: false });
    const before = server.requests;
    const r = await updatePopularList({ cacheDir: dir, url: server.url });
    expect(server.requests).toBe(before + 1);
    expect(r).toMatchObject({ count: 5, source: server.url, path: popularListPath(dir) });
    const stored = JSON.parse(readFileSync(r.path, "utf8")) as {
      projects: string[];
      sha256: string;
    };
    expect(stored.projects).toContain("typing-extensions");
    expect(stored.sha256).toMatch(/^[0-9a-f]{64}$/);
    const loaded = loadPopularList(dir);
    expect(loaded.ok && loaded.index.has("Typing.Extensions")).toBe(true);
    // No temp file is left behind.
    expect(readdirSync(dirname(r.path))).toEqual(["popular.json"]);
  });

  it("a failed download or a malformed list leaves the previous list untouched", async () => {
    const dir = freshDir();
    const { path } = await updatePopularList({ cacheDir: dir, url: server.url });
    const before = readFileSync(path);
    try {
      server.reply = { status: 404, body: "gone" };
      await expect(updatePopularList({ cacheDir: dir, url: server.url })).rejects.toMatchObject({
        code: "NETWORK",
      });
      server.reply = { status: 200, body: '{"rows": "nope"}' };
      await expect(updatePopularList({ cacheDir: dir, url: server.url })).rejects.toMatchObject({
        code: "INPUT_MALFORMED",
      });
    } finally {
      server.reply = { status: 200, body: dataset(NAMES) };
    }
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(readdirSync(dirname(path))).toEqual(["popular.json"]);
  });

  it("an unreadable list is a note, never an error", () => {
    const dir = freshDir();
    expect(loadPopularList(dir)).toEqual({
      ok: false,
      note: expect.stringContaining("run `pyprov names update`") as unknown,
    });
  });
});

describe("pyprov names", () => {
  it("update --url --cache-dir, then check: look-alikes exit 1, the rest 0", async () => {
    const dir = freshDir();
    const up = await runCli(["names", "update", "--url", server.url, "--cache-dir", dir]);
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/^saved 5 popular project names from http:\/\/127\.0\.0\.1:\d+\//);
    expect(existsSync(popularListPath(dir))).toBe(true);

    const bad = await runCli([
      "names",
      "check",
      "reqeusts",
      "requests",
      "pyprov",
      "--cache-dir",
      dir,
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stdout.split("\n")).toEqual([
      "! reqeusts",
      '    "reqeusts" looks like the popular project "requests" (#2): 1 edit away',
      "✓ requests: a popular project (#2)",
      "✓ pyprov: not close to any of the 5 popular projects",
      "",
    ]);
    const good = await runCli(["names", "check", "pyprov", "--cache-dir", dir]);
    expect(good.code).toBe(0);
  });

  it("check without a list: a one-line note, exit 0", async () => {
    const r = await runCli(["names", "check", "reqeusts", "--cache-dir", freshDir()]);
    expect(r.code).toBe(0);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("no popular-project list in the cache");
  });

  it("update refuses a URL that is not http(s); a download failure is exit 2", async () => {
    const dir = freshDir();
    expect(
      (await runCli(["names", "update", "--url", "file:///etc/passwd", "--cache-dir", dir])).code,
    ).toBe(2);
    server.reply = { status: 404, body: "gone" };
    try {
      const r = await runCli(["names", "update", "--url", server.url, "--cache-dir", dir]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("HTTP 404");
    } finally {
      server.reply = { status: 200, body: dataset(NAMES) };
    }
    expect(existsSync(popularListPath(dir))).toBe(false);
  });
});
