/**
 * Loading policies: YAML and JSON, defaults, normalisation, the digest, and
 * every way a policy can be broken (each names the file, the path inside it
 * and what is wrong).
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PyprovError } from "../../src/errors.js";
import { DEFAULT_RULE, loadPolicyFile, parsePolicy } from "../../src/policy/load.js";
import { MAX_POLICY_BYTES } from "../../src/policy/schema.js";
import { policyFrom } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "pyprov-policy-load-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function brokenPolicy(text: string | Buffer, name = "policy.yaml"): PyprovError {
  try {
    parsePolicy(Buffer.isBuffer(text) ? text : Buffer.from(text), name);
  } catch (err) {
    expect(err).toBeInstanceOf(PyprovError);
    return err as PyprovError;
  }
  throw new Error("the policy was accepted");
}

describe("a valid policy", () => {
  it("fills in defaults: provenance required, minimum L1, any publisher", () => {
    const p = policyFrom("version: 1\n");
    expect(p.defaults).toEqual(DEFAULT_RULE);
    expect(DEFAULT_RULE).toEqual({ require_attestation: true, min_slsa_level: 1, publishers: [] });
    expect(p.packages).toEqual([]);
    expect(p.exceptions).toEqual([]);
    expect(p.trustedBuilders).toEqual([]);
    expect(p.format).toBe("yaml");
  });

  it("keeps the file's sha256 and its path", () => {
    const text = "version: 1\ndefault:\n  min_slsa_level: 2\n";
    const path = join(dir, "digest.yaml");
    writeFileSync(path, text);
    const p = loadPolicyFile(path);
    expect(p.sha256).toBe(createHash("sha256").update(text).digest("hex"));
    expect(p.source).toBe(path);
    expect(p.defaults.min_slsa_level).toBe(2);
  });

  it("reads JSON by extension, and by its first character when the name says nothing", () => {
    const json = '{"version": 1, "default": {"require_attestation": false}}';
    expect(policyFrom(json, "p.json").format).toBe("json");
    expect(policyFrom(json, "policy").format).toBe("json");
    expect(policyFrom(json, "policy").defaults.require_attestation).toBe(false);
    expect(policyFrom("version: 1\n", "policy").format).toBe("yaml");
  });

  it("accepts IDs as quoted strings or as plain integers, and keeps them as strings", () => {
    const p = policyFrom(`version: 1
packages:
  a:
    publishers:
      - kind: github
        repository: o/a
        repository_id: "123"
        owner_id: 456
`);
    expect(p.packages[0]!.rule.publishers![0]).toMatchObject({
      repository_id: "123",
      owner_id: "456",
    });
  });

  it("normalises package names and globs (PEP 503) and records which are globs", () => {
    const p = policyFrom(`version: 1
packages:
  Acme_Lib: {}
  "ACME.*": {}
`);
    expect(p.packages.map((e) => [e.key, e.pattern, e.glob, e.specificity])).toEqual([
      ["Acme_Lib", "acme-lib", false, 8],
      ["ACME.*", "acme-*", true, 5],
    ]);
  });

  it("reads an unquoted YAML date as a string and resolves the exception's end", () => {
    const p = policyFrom(`version: 1
exceptions:
  - package: legacy-lib
    reason: no trusted publishing yet
    expires: 2027-03-31
`);
    const e = p.exceptions[0]!;
    expect(e.expires).toBe("2027-03-31");
    expect(e.endsAt.toISOString()).toBe("2027-04-01T00:00:00.000Z");
    expect(e.waive).toEqual(["require_attestation", "publishers", "min_slsa_level"]);
  });

  it("allows $schema (for editors), YAML comments, anchors and a UTF-8 BOM", () => {
    const p = policyFrom(`\ufeff# a comment
$schema: ./policy.schema.json
version: 1
packages:
  a:
    publishers: &pubs
      - kind: google
        email: a@b.iam.gserviceaccount.com
  b:
    publishers: *pubs
`);
    expect(p.packages[1]!.rule.publishers).toEqual([
      { kind: "google", email: "a@b.iam.gserviceaccount.com" },
    ]);
  });
});

describe("a broken policy: exit 2, naming the file, the path and the problem", () => {
  const cases: [string, string, string[], string?][] = [
    [
      "an unknown key (with a hint)",
      "version: 1\npackages:\n  sampleproject:\n    publishers:\n      - kind: github\n        repositry: pypa/sampleproject\n",
      [
        "invalid policy at packages.sampleproject.publishers[0].repositry (line 6)",
        'unknown field "repositry"',
        'did you mean "repository"?',
      ],
    ],
    [
      "an unknown top-level key",
      "version: 1\ntrusted-builders: []\n",
      ['at trusted-builders (line 2): unknown field "trusted-builders"', "trusted_builders"],
    ],
    [
      "an unknown key in default",
      "version: 1\ndefault:\n  require_atestation: false\n",
      ["at default.require_atestation (line 3)", 'did you mean "require_attestation"?'],
    ],
    [
      "an unknown key in an exception",
      "version: 1\nexceptions:\n  - package: a\n    reason: r\n    expires: 2030-01-01\n    until: x\n",
      ['at exceptions[0].until (line 6): unknown field "until"'],
    ],
    ["no version", "default: {}\n", ["at version", "is required"]],
    ["another version", "version: 2\n", ["at version (line 1)", "must be 1"]],
    [
      "an unknown publisher kind",
      "version: 1\ndefault:\n  publishers:\n    - kind: gitub\n      repository: a/b\n",
      ["at default.publishers[0].kind (line 4)", 'must be one of "github", "gitlab", "google"'],
    ],
    [
      "a missing repository",
      '{"version": 1, "default": {"publishers": [{"kind": "github"}]}}',
      ["at default.publishers[0].repository: is required"],
      "p.json",
    ],
    [
      "a repository without an owner",
      "version: 1\ndefault:\n  publishers:\n    - kind: github\n      repository: sampleproject\n",
      ["at default.publishers[0].repository (line 5)", "OWNER/NAME"],
    ],
    [
      "a non-numeric repository ID",
      'version: 1\ndefault:\n  publishers:\n    - kind: github\n      repository: a/b\n      repository_id: "12a"\n',
      ["at default.publishers[0].repository_id (line 6)"],
    ],
    [
      "a runner that is no runner",
      "version: 1\ndefault:\n  publishers:\n    - kind: github\n      repository: a/b\n      runner: hosted\n",
      ["at default.publishers[0].runner (line 6)"],
    ],
    [
      "a GitLab runner on a GitHub publisher",
      "version: 1\ndefault:\n  publishers:\n    - kind: github\n      repository: a/b\n      runner: gitlab-hosted\n",
      ["at default.publishers[0].runner"],
    ],
    [
      "a Google publisher without an e-mail",
      "version: 1\ndefault:\n  publishers:\n    - kind: google\n      email: nobody\n",
      ["at default.publishers[0].email (line 5)", "e-mail"],
    ],
    [
      "a level above 3",
      "version: 1\ndefault:\n  min_slsa_level: 4\n",
      ["at default.min_slsa_level (line 3)", "from 0 to 3"],
    ],
    [
      "a level as a string",
      'version: 1\ndefault:\n  min_slsa_level: "2"\n',
      ["at default.min_slsa_level (line 3)", "whole number"],
    ],
    [
      "require_attestation as a string",
      'version: 1\ndefault:\n  require_attestation: "no"\n',
      ["at default.require_attestation (line 3)"],
    ],
    [
      "a package name that is no project name",
      'version: 1\npackages:\n  "bad name!": {}\n',
      ['at packages.bad name! (line 3): "bad name!" is not a project name or a glob'],
    ],
    [
      "two keys for one project",
      "version: 1\npackages:\n  Foo_Bar: {}\n  foo-bar: {}\n",
      ['"foo-bar" and "Foo_Bar" name the same project'],
    ],
    [
      "a duplicate YAML key",
      "version: 1\npackages:\n  a: {}\n  a: {}\n",
      ["invalid YAML (line 4)", "unique"],
    ],
    [
      "an impossible expiry date",
      "version: 1\nexceptions:\n  - package: a\n    reason: r\n    expires: 2027-02-30\n",
      ["at exceptions[0].expires (line 5)", "not a calendar date"],
    ],
    [
      "an expiry that is no date",
      "version: 1\nexceptions:\n  - package: a\n    reason: r\n    expires: soon\n",
      ["at exceptions[0].expires", "YYYY-MM-DD"],
    ],
    [
      "an exception without a reason",
      "version: 1\nexceptions:\n  - package: a\n    expires: 2030-01-01\n",
      ["at exceptions[0].reason", "is required"],
    ],
    [
      "an exception without an expiry",
      "version: 1\nexceptions:\n  - package: a\n    reason: r\n",
      ["at exceptions[0].expires", "is required"],
    ],
    [
      "an exception waiving something unknown",
      "version: 1\nexceptions:\n  - package: a\n    reason: r\n    expires: 2030-01-01\n    waive: [signatures]\n",
      ["at exceptions[0].waive[0]"],
    ],
    [
      "a trusted builder with a ref",
      "version: 1\ntrusted_builders:\n  - id: https://github.com/o/r/.github/workflows/b.yml@refs/tags/v1.0.0\n",
      ["at trusted_builders[0].id (line 3)", "without @ref"],
    ],
    ["a list at the top", "- version: 1\n", ["expected a mapping", "found a list"]],
    ["an empty file", "", ["expected a mapping", "an empty document"]],
    ["broken YAML", "version: 1\n  bad: indentation\n", ["invalid YAML (line 1)"]],
    ["broken JSON", '{"version": 1,', ["not valid JSON"], "p.json"],
    ["deep nesting", `x: ${"[".repeat(100)}${"]".repeat(100)}\n`, ["nested deeper than 32 levels"]],
    [
      "an alias bomb",
      `a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n`,
      ["invalid YAML"],
    ],
  ];
  for (const [what, text, mentions, name] of cases) {
    it(what, () => {
      const err = brokenPolicy(text, name ?? "policy.yaml");
      expect(err.code).toBe("INPUT_MALFORMED");
      expect(err.source).toBe(name ?? "policy.yaml");
      const line = err.oneLine();
      expect(line.startsWith(`${name ?? "policy.yaml"}: `)).toBe(true);
      for (const m of mentions) expect(line).toContain(m);
      expect(line).not.toContain("\n");
    });
  }

  it("not UTF-8", () => {
    const err = brokenPolicy(Buffer.from([0x76, 0xff, 0xfe]));
    expect(err.oneLine()).toBe("policy.yaml: policy is not valid UTF-8 text");
  });

  it("too large", () => {
    const err = brokenPolicy(Buffer.alloc(MAX_POLICY_BYTES + 1, 0x20));
    expect(err.code).toBe("INPUT_TOO_LARGE");
  });

  it("too large on disk: refused before reading", () => {
    const path = join(dir, "big.yaml");
    writeFileSync(path, Buffer.alloc(MAX_POLICY_BYTES + 10, 0x20));
    expect(() => loadPolicyFile(path)).toThrow(/larger than the limit/);
  });

  it("missing", () => {
    expect(() => loadPolicyFile(join(dir, "nope.yaml"))).toThrow(/no such file/);
  });

  it("reports how many more problems there are", () => {
    const err = brokenPolicy(
      "version: 1\ndefault:\n  min_slsa_level: 9\n  require_attestation: 1\n",
    );
    expect(err.oneLine()).toContain("(and 1 more problem(s))");
  });
});
