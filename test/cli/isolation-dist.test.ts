/**
 * The built library (dist/index.js), imported in a fresh process, changes
 * nothing in its dependencies and does its work with the @sigstore/core
 * installed in node_modules (not a bundled copy). test/sigstore/isolation.test.ts
 * checks the same of src/.
 */
import { spawnSync } from "node:child_process";
import { realpathSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, casePath, trustedRootPath } from "../support/corpus.js";

describe("library isolation (dist/index.js)", () => {
  it("imports its dependencies from node_modules and leaves them unchanged", () => {
    const r = spawnSync(
      process.execPath,
      [
        join(REPO_ROOT, "test", "support", "isolation-probe.mjs"),
        join(REPO_ROOT, "dist", "index.js"),
        trustedRootPath("production"),
        casePath("tob-sigstore-3.6.1-sdist-pypi-provenance", "sigstore-3.6.1.tar.gz.provenance"),
      ],
      { encoding: "utf8", timeout: 60_000 },
    );
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as {
      verified: boolean;
      leafFromInstalledCore: boolean;
      installedCore: string;
      loadedCoreEntries: string[];
      functionsCompared: number;
      changed: string[];
    };
    expect(out.verified).toBe(true);
    expect(out.leafFromInstalledCore).toBe(true);
    // One @sigstore/core in the process: the installed one.
    expect(out.loadedCoreEntries.map((p) => realpathSync(p))).toEqual([out.installedCore]);
    expect(out.functionsCompared).toBeGreaterThan(500);
    expect(out.changed).toEqual([]);
  });
});
