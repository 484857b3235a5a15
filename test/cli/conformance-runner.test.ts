/**
 * scripts/conformance.mjs on a small suite of our own, laid out as
 * sigstore-conformance's test/assets/bundle-verify is (the real suite is not
 * copied into this repository): each case runs in PATH and DIGEST mode
 * through the built CLI, "_fail" cases must exit non-zero, the summary line
 * counts runs, and any failure makes the exit code 1. Needs `npm run build`.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT, casePath, trustedRootPath } from "../support/corpus.js";

const CASE = "sigstore-python-bundle_v3_github-whl";
const IDENTITY =
  "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2";
const SCRIPT = join(REPO_ROOT, "scripts", "conformance.mjs");

const suite = mkdtempSync(join(tmpdir(), "pyprov-conformance-test-"));
afterAll(() => rmSync(suite, { recursive: true, force: true }));
const cases = join(suite, "test", "assets", "bundle-verify");

/** A case directory: the corpus bundle, its artifact, and what the harness reads. */
function addCase(name: string, files: { identity?: string; root?: string; artifact?: boolean }) {
  const dir = join(cases, name);
  mkdirSync(dir, { recursive: true });
  copyFileSync(casePath(CASE, "bundle_v3_github.whl.sigstore"), join(dir, "bundle.sigstore.json"));
  if (files.artifact !== false)
    copyFileSync(casePath(CASE, "bundle_v3_github.whl"), join(dir, "artifact"));
  if (files.identity !== undefined) writeFileSync(join(dir, "identity"), `${files.identity}\n`);
  writeFileSync(join(dir, "issuer"), "https://token.actions.githubusercontent.com\n");
  if (files.root !== undefined) writeFileSync(join(dir, "trusted_root.json"), files.root);
}

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], {
    encoding: "utf8",
    env: { ...process.env, PYPROV_CONFORMANCE_DIR: "", ...env },
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("scripts/conformance.mjs", () => {
  it("runs every case in PATH and DIGEST mode and prints the summary", () => {
    mkdirSync(cases, { recursive: true });
    writeFileSync(join(cases, "a.txt"), "DO NOT MODIFY ME!\n");
    // The conformance suite's way of writing a root: nulls for absent fields.
    const root = JSON.parse(readFileSync(trustedRootPath("production"), "utf8")) as {
      tlogs: { publicKey: { validFor: Record<string, unknown> }; checkpointKeyId?: null }[];
    };
    for (const t of root.tlogs) {
      t.publicKey.validFor.end ??= null;
      t.checkpointKeyId = null;
    }
    addCase("happy-path-with-nulls", { identity: IDENTITY, root: JSON.stringify(root) });
    addCase("wrong-identity_fail", { identity: "https://example.com/other" });
    addCase("default-artifact_fail", { identity: IDENTITY, artifact: false });

    const r = run([suite]);
    expect(r.stderr).toBe("");
    expect(r.stdout.split("\n")).toEqual([
      "pass  default-artifact_fail [PATH] (must fail, exit 1)",
      "pass  default-artifact_fail [DIGEST] (must fail, exit 1)",
      "pass  happy-path-with-nulls [PATH] (must verify, exit 0)",
      "pass  happy-path-with-nulls [DIGEST] (must verify, exit 0)",
      "pass  wrong-identity_fail [PATH] (must fail, exit 1)",
      "pass  wrong-identity_fail [DIGEST] (must fail, exit 1)",
      "3 cases, 6 runs (PATH and DIGEST)",
      "6 passed, 0 failed",
      "",
    ]);
    expect(r.code).toBe(0);
    // The environment variable, and the bundle-verify directory itself, work too.
    expect(run([], { PYPROV_CONFORMANCE_DIR: suite }).code).toBe(0);
    expect(run([cases]).stdout).toContain("6 passed, 0 failed");
  });

  it("a case that does not verify as the suite expects fails the run (exit 1)", () => {
    addCase("wrong-identity", { identity: "https://example.com/other" });
    const r = run([suite]);
    expect(r.stdout).toMatch(/^FAIL {2}wrong-identity \[PATH\] \(must verify, exit 1\): .+$/m);
    expect(r.stdout).toMatch(/^FAIL {2}wrong-identity \[DIGEST\] /m);
    expect(r.stdout).toContain("\n6 passed, 2 failed\n");
    expect(r.code).toBe(1);
    rmSync(join(cases, "wrong-identity"), { recursive: true });
  });

  it("no suite: exit 2 with one line saying what to give", () => {
    const r = run([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^conformance: give the sigstore-conformance directory/);
    expect(run([join(suite, "nowhere")]).code).toBe(2);
  });
});
