/**
 * `pyprov trust-root show` and `pyprov trust-root update`.
 *
 * Updates run against a real TUF repository served on 127.0.0.1 (signed
 * here with Ed25519, in the TUF 1.0 metadata format), against unreachable
 * mirrors, and against repositories that serve bad data. A failed update
 * must leave the cache byte for byte as it was.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { BIN, runCli, spawnCli, type CliResult } from "../support/cli.js";
import { BUNDLED_ROOT_DATE as bundledDate, daysAfterBundled } from "../support/bundled-root.js";
import { trustedRootPath } from "../support/corpus.js";
import { TufRepo } from "../support/tuf-repo.js";
import { Workspace } from "../support/synthetic.js";
import { corpusBundleCases } from "../bundle/helpers.js";

const ws = new Workspace();

/** The TUF repository's root metadata, as a file for --tuf-root. */
const rootFile = (repo: TufRepo): string => ws.file("tuf-root.json", repo.root());

const staging = readFileSync(trustedRootPath("staging"));
const production = readFileSync(trustedRootPath("production"));
const stagingRepo = new TufRepo(staging);
const productionRepo = new TufRepo(production);
let closedPort = "";

beforeAll(async () => {
  await stagingRepo.start();
  await productionRepo.start();
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  closedPort = `http://127.0.0.1:${(s.address() as AddressInfo).port}/`;
  await new Promise<void>((resolve) => s.close(() => resolve()));
});
afterAll(async () => {
  await stagingRepo.stop();
  await productionRepo.stop();
  ws.cleanup();
});

const freshEnv = (now = daysAfterBundled(35)): NodeJS.ProcessEnv => ({
  PYPROV_CACHE_DIR: ws.subdir(),
  PYPROV_NOW: now,
});

/** Every file under the cache's trust-root directory, with its bytes. */
function snapshot(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, rel: string): void => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p, `${rel}${e.name}/`);
      else out[`${rel}${e.name}`] = readFileSync(p).toString("base64");
    }
  };
  walk(join(env.PYPROV_CACHE_DIR!, "trust-root"), "");
  return out;
}

function expectError(r: { code: number; stdout: string; stderr: string }, match: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe("");
  expect(r.stderr).toMatch(/^pyprov: [^\n]+\n$/);
  expect(r.stderr).toMatch(match);
}

describe("trust-root show", () => {
  it("describes the bundled root: origin, file, digest, date rule, age, authorities", async () => {
    const r = await runCli(["trust-root", "show"], freshEnv(daysAfterBundled(430)));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^trusted root in use: bundled production root\n/);
    expect(r.stdout).toContain("trust-roots/trusted_root.json");
    expect(r.stdout).toContain(
      "sha256: 6494e21ea73fa7ee769f85f57d5a3e6a08725eae1e38c755fc3517c9e6bc0b66",
    );
    expect(r.stdout).toContain(`date:   ${bundledDate.toISOString().slice(0, 10)} (`);
    expect(r.stdout).toContain(
      "age:    430 days (older than 180 days: run `pyprov trust-root update`)",
    );
    expect(r.stdout).toContain("https://log2025-1.rekor.sigstore.dev");
    const json = await runCli(
      ["trust-root", "show", "--format", "json"],
      freshEnv(daysAfterBundled(30)),
    );
    expect(JSON.parse(json.stdout)).toMatchObject({
      origin: "bundled",
      instance: "production",
      ageDays: 30,
      stale: false,
    });
  });

  it("shows a --trusted-root file without an age; staging without a root exits 2", async () => {
    const r = await runCli(
      ["trust-root", "show", "--trusted-root", trustedRootPath("staging")],
      freshEnv(),
    );
    expect(r.stdout).toMatch(/file given with --trusted-root[\s\S]*age: +unknown/);
    expectError(
      await runCli(["trust-root", "show", "--staging"], freshEnv()),
      /no staging trusted root/,
    );
  });
});

describe("trust-root update", () => {
  it("offline: exit 2, one line, and no cache written", async () => {
    for (const mirror of ["http://127.0.0.1:9/", closedPort]) {
      const env = freshEnv();
      const r = await runCli(["trust-root", "update", "--mirror", mirror], env);
      expectError(
        r,
        /trust-root update failed: cannot reach the TUF mirror http:\/\/127\.0\.0\.1:\d+/,
      );
      expect(snapshot(env)).toEqual({});
    }
    const env = { ...freshEnv(), PYPROV_TUF_MIRROR: closedPort };
    expectError(await runCli(["trust-root", "update"], env), /cannot reach the TUF mirror/);
  });

  it("staging needs a TUF root to start from", async () => {
    const env = freshEnv();
    expectError(
      await runCli(["trust-root", "update", "--staging", "--mirror", stagingRepo.url], env),
      /--tuf-root/,
    );
    expect(snapshot(env)).toEqual({});
  });

  it("staging: fetches through TUF, show reports the cache, verify-bundle --staging uses it", async () => {
    const env = freshEnv("2026-02-01T10:00:00.000Z");
    const args = [
      "trust-root",
      "update",
      "--staging",
      "--mirror",
      stagingRepo.url,
      "--tuf-root",
      rootFile(stagingRepo),
    ];
    const r = await runCli(args, env);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^updated the staging trusted root through TUF from http:\/\/127\.0\.0\.1:\d+\n/,
    );
    const cached = join(env.PYPROV_CACHE_DIR!, "trust-root", "staging");
    expect(readFileSync(join(cached, "trusted_root.json")).equals(staging)).toBe(true);
    const meta = JSON.parse(readFileSync(join(cached, "trusted_root.meta.json"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(meta).toMatchObject({
      schemaVersion: 1,
      instance: "staging",
      mirror: stagingRepo.url,
      fetchedAt: "2026-02-01T10:00:00.000Z",
      sha256: createHash("sha256").update(staging).digest("hex"),
      tufRootVersion: 1,
    });
    expect(readdirSync(cached).filter((f) => f.startsWith("."))).toEqual([]);

    const show = await runCli(["trust-root", "show", "--staging"], {
      ...env,
      PYPROV_NOW: "2026-02-11T00:00:00Z",
    });
    expect(show.stdout).toMatch(/^trusted root in use: cached staging root, fetched through TUF\n/);
    expect(show.stdout).toContain(`mirror: ${stagingRepo.url}`);
    expect(show.stdout).toContain("age:    9 days\n");

    const c = corpusBundleCases().find(
      (x) => x.caseName === "sigstore-python-staging-rekor-v2-hashedrekord",
    )!;
    const v = await runCli(
      [
        "verify-bundle",
        "--staging",
        "--bundle",
        c.bundlePath,
        "--certificate-identity",
        c.identity,
        "--certificate-oidc-issuer",
        c.issuer,
        c.artifactArg,
      ],
      env,
    );
    expect(v.stderr).toBe("");
    expect(v.code).toBe(0);
    const old = await runCli(["trust-root", "show", "--staging", "--format", "json"], {
      ...env,
      PYPROV_NOW: "2026-12-01T00:00:00Z",
    });
    expect(JSON.parse(old.stdout)).toMatchObject({ origin: "cache", stale: true });

    // A second update starts from the TUF root now in the cache (no --tuf-root needed).
    const again = await runCli(
      ["trust-root", "update", "--staging", "--mirror", stagingRepo.url],
      env,
    );
    expect(again.code, again.stderr).toBe(0);
  });

  it("a failed update leaves an existing cache byte for byte as it was", async () => {
    const env = freshEnv();
    const ok = await runCli(
      [
        "trust-root",
        "update",
        "--mirror",
        productionRepo.url,
        "--tuf-root",
        rootFile(productionRepo),
      ],
      env,
    );
    expect(ok.code, ok.stderr).toBe(0);
    const before = snapshot(env);
    expect(Object.keys(before)).toEqual(
      expect.arrayContaining(["trusted_root.json", "trusted_root.meta.json"]),
    );
    const show = await runCli(["trust-root", "show"], env);
    expect(show.stdout).toMatch(/^trusted root in use: cached production root/);

    expectError(
      await runCli(["trust-root", "update", "--mirror", closedPort], env),
      /cannot reach/,
    );
    expect(snapshot(env)).toEqual(before);
    expectError(
      await runCli(["trust-root", "update", "--mirror", "http://127.0.0.1:9/"], env),
      /cannot reach/,
    );
    expect(snapshot(env)).toEqual(before);

    // The mirror answers, but with a target whose hash TUF did not sign.
    const evil = new TufRepo(production);
    evil.publish(Buffer.concat([production, Buffer.from(" ")]), production);
    await evil.start();
    try {
      expectError(
        await runCli(
          ["trust-root", "update", "--mirror", evil.url, "--tuf-root", rootFile(evil)],
          env,
        ),
        /TUF verification of http:\/\/127\.0\.0\.1:\d+ failed/,
      );
      expect(snapshot(env)).toEqual(before);
      // Signed by TUF, but a root pyprov rejects (C1: a tlog without validFor.start).
      const root = JSON.parse(production.toString("utf8")) as {
        tlogs: { publicKey: { validFor: { start?: string } } }[];
      };
      delete root.tlogs[0]!.publicKey.validFor.start;
      const noStart = Buffer.from(JSON.stringify(root));
      evil.publish(noStart, noStart, 2);
      expectError(
        await runCli(
          ["trust-root", "update", "--mirror", evil.url, "--tuf-root", rootFile(evil)],
          env,
        ),
        /trusted root rejected: tlogs entry .* has no validFor\.start/,
      );
      expect(snapshot(env)).toEqual(before);
    } finally {
      await evil.stop();
    }
  });

  it("rejects a mirror that is not an http(s) URL", async () => {
    expectError(
      await runCli(["trust-root", "update", "--mirror", "ftp://x"], freshEnv()),
      /http\(s\) URL/,
    );
    expectError(
      await runCli(["trust-root", "update", "--mirror", "not a url"], freshEnv()),
      /not a URL/,
    );
  });
});

/** The built binary, without blocking this process (the TUF repository is served from it). */
function spawnAsync(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe("the built binary", () => {
  it("updates through TUF, then shows the cached root; offline it exits 2", async () => {
    const env = freshEnv();
    const up = await spawnAsync(
      [
        "trust-root",
        "update",
        "--mirror",
        productionRepo.url,
        "--tuf-root",
        rootFile(productionRepo),
      ],
      env,
    );
    expect(up.stderr).toBe("");
    expect(up.code).toBe(0);
    const show = spawnCli(["trust-root", "show", "--format", "json"], env);
    expect(JSON.parse(show.stdout)).toMatchObject({ origin: "cache", instance: "production" });
    const before = snapshot(env);
    const off = spawnCli(["trust-root", "update", "--mirror", closedPort], env);
    expectError(off, /cannot reach the TUF mirror/);
    expect(snapshot(env)).toEqual(before);
  });
});
