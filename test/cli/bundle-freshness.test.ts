/**
 * bin/pyprov.js runs the bundled CLI (dist/cli.js) only while node_modules
 * holds the dependency versions it was built from (dist/cli.deps.json);
 * after an `npm update`-like change it runs dist/cli-unbundled.js, which
 * imports the installed packages. Each case builds a throwaway copy of the
 * package (bin/, dist/, trust-roots/, package.json) whose node_modules links
 * to the real packages, except @sigstore/verify: a copy that writes a marker
 * line to stderr whenever its Verifier runs, so the test sees which code ran.
 */
import { spawnSync } from "node:child_process";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT, casePath } from "../support/corpus.js";

const MARKER = "pyprov-test: @sigstore/verify ran from node_modules";
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A copy of the built package; `copied` packages are real copies (editable), the rest symlinks. */
function packageTree(copied: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), "pyprov-fresh-"));
  dirs.push(dir);
  for (const p of ["bin", "dist", "trust-roots", "package.json"]) {
    cpSync(join(REPO_ROOT, p), join(dir, p), { recursive: true });
  }
  const from = join(REPO_ROOT, "node_modules");
  const to = join(dir, "node_modules");
  const all = ["@sigstore/verify", ...copied];
  const place = (name: string) => {
    if (all.includes(name)) cpSync(join(from, name), join(to, name), { recursive: true });
    else symlinkSync(join(from, name), join(to, name));
  };
  mkdirSync(to);
  for (const e of readdirSync(from)) {
    if (e.startsWith(".")) continue;
    if (e.startsWith("@")) {
      mkdirSync(join(to, e));
      for (const s of readdirSync(join(from, e))) place(`${e}/${s}`);
    } else place(e);
  }
  const verifier = join(to, "@sigstore", "verify", "dist", "verifier.js");
  const src = readFileSync(verifier, "utf8");
  const patched = src.replace(
    "verify(entity, policy) {",
    `verify(entity, policy) { process.stderr.write(${JSON.stringify(MARKER + "\n")});`,
  );
  expect(patched).not.toBe(src);
  writeFileSync(verifier, patched);
  return dir;
}

function bumpVersion(dir: string, name: string): void {
  const file = join(dir, "node_modules", name, "package.json");
  const pkg = JSON.parse(readFileSync(file, "utf8")) as { version: string };
  pkg.version = `${pkg.version}-updated`;
  writeFileSync(file, JSON.stringify(pkg));
}

const c = "sigstore-python-bundle_v3_github-whl";
function verifyBundle(dir: string) {
  const r = spawnSync(
    process.execPath,
    [
      join(dir, "bin", "pyprov.js"),
      "verify-bundle",
      "--bundle",
      casePath(c, "bundle_v3_github.whl.sigstore"),
      "--certificate-identity",
      "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2",
      "--certificate-oidc-issuer",
      "https://token.actions.githubusercontent.com",
      casePath(c, "bundle_v3_github.whl"),
    ],
    { encoding: "utf8", timeout: 60_000, env: { ...process.env, NO_COLOR: "1" } },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("bin/pyprov.js: bundle or node_modules", () => {
  let bundledStdout = "";

  it("runs the bundle while the installed versions are the ones it was built from", () => {
    const r = verifyBundle(packageTree());
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain(MARKER);
    expect(r.stdout).toContain("verified");
    bundledStdout = r.stdout;
  });

  it("runs from node_modules after a dependency's version changes (npm update)", () => {
    const dir = packageTree();
    bumpVersion(dir, "@sigstore/verify");
    const r = verifyBundle(dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(MARKER);
    expect(r.stdout).toBe(bundledStdout);
  });

  it("runs from node_modules after a dependency of a dependency changes version", () => {
    const dir = packageTree(["tuf-js"]);
    bumpVersion(dir, "tuf-js");
    expect(verifyBundle(dir).stderr).toContain(MARKER);
  });

  it("runs from node_modules after a transitive dependency's version changes", () => {
    const dir = packageTree(["@sigstore/core"]);
    bumpVersion(dir, "@sigstore/core");
    const r = verifyBundle(dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(MARKER);
  });

  it("runs from node_modules when the manifest is missing, unreadable or names a missing package", () => {
    const missing = packageTree();
    rmSync(join(missing, "dist", "cli.deps.json"));
    expect(verifyBundle(missing).stderr).toContain(MARKER);

    const garbled = packageTree();
    writeFileSync(join(garbled, "dist", "cli.deps.json"), "{not json");
    expect(verifyBundle(garbled).stderr).toContain(MARKER);

    const absent = packageTree();
    const file = join(absent, "dist", "cli.deps.json");
    const manifest = JSON.parse(readFileSync(file, "utf8")) as { packages: unknown[] };
    manifest.packages.push({ name: "no-such-package-anywhere", version: "1.0.0", via: null });
    writeFileSync(file, JSON.stringify(manifest));
    const r = verifyBundle(absent);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(MARKER);
  });

  it("the manifest lists the bundled dependencies with their installed versions", () => {
    const { packages } = JSON.parse(
      readFileSync(join(REPO_ROOT, "dist", "cli.deps.json"), "utf8"),
    ) as { packages: { name: string; version: string; via: (number | null)[] }[] };
    const byName = new Map(packages.map((p) => [p.name, p]));
    for (const name of ["@sigstore/verify", "@sigstore/core", "zod", "commander"]) {
      const installed = JSON.parse(
        readFileSync(join(REPO_ROOT, "node_modules", name, "package.json"), "utf8"),
      ) as { version: string };
      expect(byName.get(name)?.version, name).toBe(installed.version);
    }
    // @sigstore/core is checked as pyprov resolves it and as @sigstore/verify does.
    const importers = byName
      .get("@sigstore/core")!
      .via.map((i) => (i === null ? "pyprov" : packages[i]!.name));
    expect(importers).toEqual(expect.arrayContaining(["pyprov", "@sigstore/verify"]));
  });
});
