/**
 * Which trusted root is in use (--trusted-root > TUF-refreshed cache >
 * bundled), how its age is measured, the 180-day warning, and a damaged
 * cache never being used.
 */
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BUNDLED_ROOT_DATE, BUNDLED_ROOT_DAY, daysAfterBundled } from "../support/bundled-root.js";
import { PyprovError } from "../../src/errors.js";
import { DEFAULT_TRUSTED_ROOT_PATH } from "../../src/paths.js";
import {
  bundledRootInfo,
  cacheDir,
  cachePaths,
  installCachedRoot,
  nowFrom,
  resolveTrustRoot,
  selectTrustRoot,
  staleRootWarning,
  writeFileAtomic,
  type CachedRootMetadata,
} from "../../src/sigstore/trust-store.js";
import { trustedRootPath } from "../support/corpus.js";

const tmp = mkdtempSync(join(tmpdir(), "pyprov-trust-store-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const freshEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  PYPROV_CACHE_DIR: join(tmp, `cache${n++}`),
  ...extra,
});

const stagingBytes = readFileSync(trustedRootPath("staging"));
const productionBytes = readFileSync(trustedRootPath("production"));
const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

function cache(
  env: NodeJS.ProcessEnv,
  instance: "production" | "staging",
  fetchedAt: string,
): void {
  const bytes = instance === "staging" ? stagingBytes : productionBytes;
  const meta: CachedRootMetadata = {
    schemaVersion: 1,
    instance,
    mirror: "https://tuf.example",
    fetchedAt,
    sha256: sha(bytes),
  };
  installCachedRoot(cachePaths(env, instance), bytes, meta, undefined);
}

describe("cache directory", () => {
  it("is $PYPROV_CACHE_DIR, else $XDG_CACHE_HOME/pyprov (absolute only), else ~/.cache/pyprov", () => {
    expect(cacheDir({ PYPROV_CACHE_DIR: "/a/b", XDG_CACHE_HOME: "/x" })).toBe("/a/b");
    expect(cacheDir({ XDG_CACHE_HOME: "/x" })).toBe("/x/pyprov");
    expect(cacheDir({ XDG_CACHE_HOME: "rel", HOME: "/h" })).toBe("/h/.cache/pyprov");
    expect(cachePaths({ PYPROV_CACHE_DIR: "/c" }, "staging").root).toBe(
      "/c/trust-root/staging/trusted_root.json",
    );
    expect(cachePaths({ PYPROV_CACHE_DIR: "/c" }, "production").meta).toBe(
      "/c/trust-root/trusted_root.meta.json",
    );
  });
});

describe("selection", () => {
  it("uses the bundled root by default and dates it by its newest validFor.start or record date", () => {
    const sel = selectTrustRoot({}, freshEnv({ PYPROV_NOW: daysAfterBundled(10) }));
    expect(sel.origin).toBe("bundled");
    expect(sel.path).toBe(DEFAULT_TRUSTED_ROOT_PATH);
    expect(sel.date?.toISOString()).toBe(BUNDLED_ROOT_DATE.toISOString());
    expect(sel.ageDays).toBe(10);
    expect(bundledRootInfo().provenance?.newestValidForStart).toBe("2025-09-23T00:00:00Z");
  });

  it("--trusted-root wins over everything, and has no age", () => {
    const env = freshEnv();
    cache(env, "production", new Date().toISOString());
    const sel = selectTrustRoot({ trustedRoot: "/some/root.json", staging: true }, env);
    expect(sel).toMatchObject({ origin: "file", path: "/some/root.json", ageDays: undefined });
    expect(staleRootWarning(sel)).toBeUndefined();
  });

  it("prefers a cached root fetched after the bundled root's date", () => {
    const env = freshEnv({ PYPROV_NOW: daysAfterBundled(20) });
    cache(env, "production", daysAfterBundled(10));
    const { selection, root } = resolveTrustRoot({}, env);
    expect(selection).toMatchObject({ origin: "cache", instance: "production", ageDays: 10 });
    expect(root.sha256).toBe(sha(productionBytes));
  });

  it("ignores a cached root older than the bundled one, and says so", () => {
    const env = freshEnv();
    cache(env, "production", "2025-01-01T00:00:00Z");
    const sel = selectTrustRoot({}, env);
    expect(sel.origin).toBe("bundled");
    expect(sel.notes.join()).toMatch(/older than the bundled root/);
  });

  it("staging: the cache, else a clear TRUST_ROOT_MISSING (no bundled staging root)", () => {
    const env = freshEnv();
    expect(() => selectTrustRoot({ staging: true }, env)).toThrow(
      expect.objectContaining({
        code: "TRUST_ROOT_MISSING",
        message: expect.stringMatching(/staging/),
      }),
    );
    cache(env, "staging", "2026-01-01T00:00:00Z");
    const sel = selectTrustRoot({ staging: true }, env);
    expect(sel).toMatchObject({ origin: "cache", instance: "staging" });
  });

  it("a damaged cache is an error, never silently used or skipped", () => {
    const env = freshEnv();
    cache(env, "production", daysAfterBundled(1));
    const paths = cachePaths(env, "production");
    writeFileSync(paths.root, productionBytes.subarray(0, 100));
    expect(() => resolveTrustRoot({}, env)).toThrow(PyprovError);
    writeFileSync(paths.root, stagingBytes); // valid root, but not the one fetched
    expect(() => resolveTrustRoot({}, env)).toThrow(/does not match the digest recorded/);
    writeFileSync(paths.meta, "{not json");
    expect(() => selectTrustRoot({}, env)).toThrow(/cached trusted root is unusable/);
    rmSync(paths.meta);
    expect(() => selectTrustRoot({}, env)).toThrow(/metadata is missing/);
  });
});

describe("age and the 180-day warning", () => {
  it("warns for a bundled root older than 180 days, not at 180", () => {
    const at = (now: string) =>
      staleRootWarning(selectTrustRoot({}, freshEnv({ PYPROV_NOW: now })));
    expect(at(daysAfterBundled(180))).toBeUndefined(); // 180 days
    const w = at(daysAfterBundled(181));
    expect(w).toBe(
      `pyprov: warning: the bundled trusted root is 181 days old (dated ${BUNDLED_ROOT_DAY}); run \`pyprov trust-root update\` to refresh it through TUF\n`,
    );
  });

  it("warns for a cached root fetched more than 180 days ago", () => {
    const env = freshEnv({ PYPROV_NOW: "2026-12-01T00:00:00Z" });
    cache(env, "staging", "2026-01-01T00:00:00Z");
    expect(staleRootWarning(selectTrustRoot({ staging: true }, env))).toMatch(
      /cached trusted root was fetched 334 days ago .*trust-root update --staging/,
    );
  });

  it("PYPROV_NOW must be an ISO date", () => {
    expect(nowFrom({ PYPROV_NOW: "2030-01-01" }).toISOString()).toBe("2030-01-01T00:00:00.000Z");
    expect(() => nowFrom({ PYPROV_NOW: "soon" })).toThrow(/PYPROV_NOW/);
  });
});

describe("atomic writes", () => {
  it("leave no temporary file behind, and replace whole files", () => {
    const dir = join(tmp, "atomic");
    mkdirSync(dir);
    const p = join(dir, "f.json");
    writeFileAtomic(p, "one");
    writeFileAtomic(p, "two");
    expect(readFileSync(p, "utf8")).toBe("two");
    expect(readdirSync(dir)).toEqual(["f.json"]);
  });
});
