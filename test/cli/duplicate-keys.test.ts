/**
 * JSON a person writes refuses duplicate keys, as YAML policies already do:
 * `pyprov policy check` on the built binary exits 2 with one line naming the
 * file, the key and its line, instead of calling a policy valid after
 * JSON.parse silently dropped the first of two equal keys. Trusted roots
 * (`--trusted-root FILE`) likewise. Valid files still load.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT, trustedRootPath } from "../support/corpus.js";
import { spawnCli } from "../support/cli.js";
import { expectInputError } from "../support/synthetic.js";

const dir = mkdtempSync(join(tmpdir(), "pyprov-dupkeys-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const PINNED = `{
      "publishers": [
        { "kind": "github", "repository": "acme/acme-pkg", "workflow": "release.yml" }
      ]
    }`;

describe("policy check: duplicate JSON keys", () => {
  it("a package named twice (the pinned publisher would be dropped): exit 2, one line", () => {
    const path = file(
      "nested.json",
      `{\n  "version": 1,\n  "packages": {\n    "acme-pkg": ${PINNED},\n    "acme-pkg": {}\n  }\n}\n`,
    );
    const r = spawnCli(["policy", "check", path]);
    expectInputError(r, [path, 'duplicate key "acme-pkg" in packages (line 9; first at line 4)']);
    expect(r.stderr).toBe(
      `pyprov: ${path}: duplicate key "acme-pkg" in packages (line 9; first at line 4): JSON would keep only the last one\n`,
    );
    expect(r.stdout).toBe("");
  });

  it("a top-level key given twice", () => {
    const path = file(
      "top.json",
      `{\n  "version": 1,\n  "packages": { "acme-pkg": ${PINNED} },\n  "packages": {}\n}\n`,
    );
    expectInputError(spawnCli(["policy", "check", path]), [
      path,
      'duplicate key "packages" at the top level (line 8; first at line 3)',
    ]);
  });

  it("deeper: a publisher field given twice, and an escaped spelling of the same key", () => {
    const deep = file(
      "deep.json",
      `{"version": 1, "packages": {"acme-pkg": {"publishers": [{"kind": "github",\n"repository": "acme/acme-pkg", "workflow": "release.yml",\n"repository": "evil/acme-pkg"}]}}}`,
    );
    expectInputError(spawnCli(["policy", "check", deep]), [
      'duplicate key "repository" in packages.acme-pkg.publishers[0] (line 3; first at line 2)',
    ]);
    const escaped = file(
      "escaped.json",
      '{"version": 1, "packages": {"acme": {}, "\\u0061cme": {}}}',
    );
    expectInputError(spawnCli(["policy", "check", escaped]), ['duplicate key "acme" in packages']);
  });

  it("a policy without the extension, detected as JSON, is checked too", () => {
    const path = file("policy", '{"version": 1, "version": 1}');
    expectInputError(spawnCli(["policy", "check", path]), ['duplicate key "version"']);
  });

  it("valid JSON and YAML policies still load; YAML duplicates stay refused", () => {
    const example = join(REPO_ROOT, "docs", "policy-examples", "transitional.json");
    const ok = spawnCli(["policy", "check", example]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain("valid pyprov policy (version 1, JSON");
    // The same key in different objects is no duplicate.
    const same = file(
      "same.json",
      `{"version": 1, "default": {"min_slsa_level": 1}, "packages": {"a": {"min_slsa_level": 2}, "b": {"min_slsa_level": 2}}}`,
    );
    expect(spawnCli(["policy", "check", same]).code).toBe(0);
    const yaml = file("dup.yaml", "version: 1\npackages:\n  acme-pkg: {}\n  acme-pkg: {}\n");
    expectInputError(spawnCli(["policy", "check", yaml]), [yaml, "line 4"]);
  });
});

describe("trusted roots: duplicate JSON keys", () => {
  it("trust-root show --trusted-root refuses a root with a key given twice", () => {
    const text = readFileSync(trustedRootPath("production"), "utf8");
    // A second "tlogs" array: JSON.parse would keep only the last one.
    const path = file("root.json", text.replace(/^\{/, '{\n  "tlogs": [],'));
    const r = spawnCli(["trust-root", "show", "--trusted-root", path]);
    expectInputError(r, [path, 'duplicate key "tlogs" at the top level (line ']);
    const ok = spawnCli(["trust-root", "show", "--trusted-root", trustedRootPath("production")]);
    expect(ok.code, ok.stderr).toBe(0);
  });
});
