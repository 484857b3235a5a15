/**
 * The policy commands (`policy schema`, `policy check`, `policy init`) and
 * `verify --policy`, end to end through the CLI on real corpus data and on
 * synthetic attestations.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, casePath, trustedRootPath } from "../support/corpus.js";
import { runCli } from "../support/cli.js";
import { githubIdentity } from "../support/sigstore/index.js";
import { SyntheticIndex } from "../support/synthetic-index.js";
import { Workspace, expectInputError } from "../support/synthetic.js";
import { SIGSTORE_3_6_1, GITLAB_CASE } from "../policy/helpers.js";

const ws = new Workspace();
afterAll(() => ws.cleanup());

const EXAMPLES = join(REPO_ROOT, "docs", "policy-examples");
const PROD = trustedRootPath("production");
const SIGSTORE_DIST = casePath(SIGSTORE_3_6_1, "sigstore-3.6.1.tar.gz");
const GITLAB_DIST = casePath(GITLAB_CASE, "gitlab_oidc_project-0.0.3.tar.gz");

type Schema = Record<string, unknown>;

/**
 * Just enough of JSON Schema 2020-12 to check that the schema pyprov prints
 * means what the validator means: the keywords z.toJSONSchema emits.
 */
function validate(schema: Schema, value: unknown, root: Schema = schema, path = ""): string[] {
  const errs: string[] = [];
  const s =
    typeof schema.$ref === "string"
      ? (root.$defs as Record<string, Schema>)[schema.$ref.replace("#/$defs/", "")]!
      : schema;
  const type = s.type as string | undefined;
  const isObj = typeof value === "object" && value !== null && !Array.isArray(value);
  if (type === "object" && !isObj) return [`${path}: not an object`];
  if (type === "array" && !Array.isArray(value)) return [`${path}: not an array`];
  if (type === "string" && typeof value !== "string") return [`${path}: not a string`];
  if (type === "boolean" && typeof value !== "boolean") return [`${path}: not a boolean`];
  if (type === "integer" && !Number.isInteger(value)) return [`${path}: not an integer`];
  if (type === "number" && typeof value !== "number") return [`${path}: not a number`];
  if ("const" in s && value !== s.const) errs.push(`${path}: not ${String(s.const)}`);
  if (Array.isArray(s.enum) && !s.enum.includes(value)) errs.push(`${path}: not in enum`);
  if (
    typeof s.pattern === "string" &&
    typeof value === "string" &&
    !new RegExp(s.pattern).test(value)
  ) {
    errs.push(`${path}: does not match ${s.pattern}`);
  }
  if (typeof s.minLength === "number" && typeof value === "string" && value.length < s.minLength)
    errs.push(`${path}: too short`);
  if (typeof value === "number") {
    if (typeof s.minimum === "number" && value < s.minimum) errs.push(`${path}: below minimum`);
    if (typeof s.maximum === "number" && value > s.maximum) errs.push(`${path}: above maximum`);
  }
  const anyOf = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
  if (anyOf) {
    const ok = anyOf.filter((o) => validate(o, value, root, path).length === 0).length;
    if (s.oneOf ? ok !== 1 : ok === 0) errs.push(`${path}: matches ${ok} alternatives`);
  }
  if (Array.isArray(value)) {
    if (typeof s.minItems === "number" && value.length < s.minItems)
      errs.push(`${path}: too few items`);
    if (s.items)
      value.forEach((v, i) => errs.push(...validate(s.items as Schema, v, root, `${path}[${i}]`)));
  }
  if (isObj) {
    const obj = value as Record<string, unknown>;
    const props = (s.properties ?? {}) as Record<string, Schema>;
    for (const r of (s.required ?? []) as string[])
      if (!(r in obj)) errs.push(`${path}.${r}: required`);
    for (const [k, v] of Object.entries(obj)) {
      if (props[k]) errs.push(...validate(props[k], v, root, `${path}.${k}`));
      else if (s.additionalProperties === false) errs.push(`${path}.${k}: unknown key`);
      else if (typeof s.additionalProperties === "object") {
        errs.push(...validate(s.additionalProperties as Schema, v, root, `${path}.${k}`));
      }
      if (s.propertyNames)
        errs.push(...validate(s.propertyNames as Schema, k, root, `${path} key ${k}`));
    }
  }
  return errs;
}

describe("pyprov policy schema", () => {
  it("prints a JSON Schema (draft 2020-12) that rejects unknown keys", async () => {
    const r = await runCli(["policy", "schema"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const schema = JSON.parse(r.stdout) as Schema;
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.type).toBe("object");
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(["version"]);
    expect(Object.keys(schema.$defs as object).sort()).toEqual([
      "Exception",
      "GitHubPublisher",
      "GitLabPublisher",
      "GooglePublisher",
      "Rule",
      "TrustedBuilder",
    ]);
    for (const def of Object.values(schema.$defs as Record<string, Schema>)) {
      expect(def.additionalProperties).toBe(false);
    }
  });

  it("is the schema shipped as docs/policy-examples/policy.schema.json", async () => {
    const r = await runCli(["policy", "schema"]);
    expect(JSON.parse(r.stdout)).toEqual(
      JSON.parse(readFileSync(join(EXAMPLES, "policy.schema.json"), "utf8")),
    );
  });

  it("accepts every example policy and rejects what the validator rejects", async () => {
    const schema = JSON.parse((await runCli(["policy", "schema"])).stdout) as Schema;
    const { parse } = await import("yaml");
    for (const f of [
      "policy.yaml",
      "pypi-attestations.yaml",
      "slsa-l3.yaml",
      "transitional.json",
    ]) {
      const value = parse(readFileSync(join(EXAMPLES, f), "utf8")) as unknown;
      expect(validate(schema, value), f).toEqual([]);
    }
    expect(validate(schema, { version: 1, extra: true })).toEqual([".extra: unknown key"]);
    expect(validate(schema, { version: 2 }).length).toBeGreaterThan(0);
    expect(validate(schema, {})).toEqual([".version: required"]);
    expect(
      validate(schema, {
        version: 1,
        default: { publishers: [{ kind: "github", repository: "a/b", repositry: "x" }] },
      }).length,
    ).toBeGreaterThan(0);
    expect(validate(schema, { version: 1, default: { min_slsa_level: 4 } }).length).toBeGreaterThan(
      0,
    );
  });
});

describe("pyprov policy check", () => {
  it("validates and explains the full example", async () => {
    const file = join(EXAMPLES, "policy.yaml");
    const r = await runCli(["policy", "check", file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const lines = r.stdout.split("\n");
    expect(lines[0]).toMatch(
      new RegExp(
        `^${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: valid pyprov policy \\(version 1, YAML, sha256 [0-9a-f]{64}\\)$`,
      ),
    );
    expect(r.stdout).toContain(
      "default (packages no entry names):\n  provenance required\n  minimum SLSA Build level: L2\n  publishers: any verified publisher\n",
    );
    expect(r.stdout).toContain(
      "  sampleproject (exact name):\n    provenance required (from default)\n    minimum SLSA Build level: L2\n    publishers, any one of:\n      - github pypa/sampleproject (repository ID 14899596, owner ID 647025) workflow release.yml ref refs/heads/main runner github-hosted\n",
    );
    expect(r.stdout).toContain("  acme-* (glob):");
    expect(r.stdout).toContain("trusted builders: none (no file can reach SLSA Build L3)");
    expect(r.stdout).toContain(
      "  - legacy-lib: no trusted publishing yet; waives require_attestation, publishers, min_slsa_level; applies until 2027-03-31 (inclusive, UTC)",
    );
    expect(r.stdout).toContain(
      "note: packages.acme-*: gitlab publisher acme/python/acme-libs pins no repository_id",
    );
  });

  it("--package says which rule applies", async () => {
    const r = await runCli([
      "policy",
      "check",
      join(EXAMPLES, "policy.yaml"),
      "--package",
      "Acme_Web",
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      "acme-web: rule acme-* (glob)\n  provenance required (from default)\n  minimum SLSA Build level: L1\n",
    );
    const legacy = await runCli([
      "policy",
      "check",
      join(EXAMPLES, "policy.yaml"),
      "--package",
      "legacy-lib",
    ]);
    expect(legacy.stdout).toContain("legacy-lib: rule default");
    expect(legacy.stdout).toMatch(/exception \(until 2027-03-31\): no trusted publishing yet/);
  });

  it("notes an L3 minimum that no trusted builder can meet, and expired exceptions", async () => {
    const file = ws.file(
      "p.yaml",
      "version: 1\ndefault:\n  min_slsa_level: 3\nexceptions:\n  - package: x\n    reason: old\n    expires: 2001-01-01\n",
    );
    const r = await runCli(["policy", "check", file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      "note: default: min_slsa_level 3 with no trusted_builders: no file can pass",
    );
    expect(r.stdout).toContain("EXPIRED on 2001-01-01: no longer applies");
    expect(r.stdout).toContain("note: exceptions: the exception for x expired on 2001-01-01");
  });

  it("--format json gives the normalised policy", async () => {
    const r = await runCli([
      "policy",
      "check",
      join(EXAMPLES, "transitional.json"),
      "--format",
      "json",
    ]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      valid: boolean;
      format: string;
      sha256: string;
      policy: { version: number };
    };
    expect(doc.valid).toBe(true);
    expect(doc.format).toBe("json");
    expect(doc.policy.version).toBe(1);
  });

  it("a broken policy: exit 2, one line naming the file, the path and the problem", async () => {
    const file = ws.file(
      "broken.yaml",
      "version: 1\npackages:\n  sampleproject:\n    publishers:\n      - kind: github\n        repositry: pypa/sampleproject\n",
    );
    const r = await runCli(["policy", "check", file]);
    expectInputError(r, [
      file,
      "packages.sampleproject.publishers[0].repositry",
      "(line 6)",
      'unknown field "repositry"',
    ]);
    expect(r.stdout).toBe("");
  });

  it("unknown keys anywhere are errors", async () => {
    for (const [text, where] of [
      ["version: 1\nextra: 1\n", "at extra"],
      ["version: 1\ndefault:\n  publisher: []\n", "at default.publisher"],
      [
        "version: 1\ntrusted_builders:\n  - id: https://x/y\n    max_level: 3\n",
        "at trusted_builders[0].max_level",
      ],
    ] as const) {
      const file = ws.file("unknown.yaml", text);
      expectInputError(await runCli(["policy", "check", file]), [file, where, "unknown field"]);
    }
  });

  it("a missing file: exit 2", async () => {
    expectInputError(await runCli(["policy", "check", join(ws.dir, "none.yaml")]), [
      "none.yaml",
      "no such file",
    ]);
  });
});

describe("verify --policy", () => {
  it("shows the SLSA level on each line and exits 0 when the policy is met", async () => {
    const r = await runCli([
      "verify",
      SIGSTORE_DIST,
      "--format",
      "lines",
      "--trusted-root",
      PROD,
      "--policy",
      join(EXAMPLES, "transitional.json"),
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(
      "✓ sigstore-3.6.1.tar.gz  github:sigstore/sigstore-python workflow=.github/workflows/release.yml ref=refs/tags/v3.6.1 env=-  L2\n1 verified, 0 failed\n",
    );
  });

  it("fails (exit 1) with the policy's reason; JSON carries slsa and policy", async () => {
    const file = ws.file("l3.yaml", "version: 1\ndefault:\n  min_slsa_level: 3\n");
    const human = await runCli([
      "verify",
      SIGSTORE_DIST,
      "--format",
      "lines",
      "--trusted-root",
      PROD,
      "--policy",
      file,
    ]);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(
      /^✗ sigstore-3\.6\.1\.tar\.gz .* env=- {2}L2\n {4}SLSA Build level L2 is below the minimum L3/,
    );
    const json = await runCli([
      "verify",
      SIGSTORE_DIST,
      "--trusted-root",
      PROD,
      "--policy",
      file,
      "--format",
      "json",
    ]);
    const doc = JSON.parse(json.stdout) as {
      exitCode: number;
      releases: unknown[];
      results: {
        failure: { code: string };
        slsa: { level: string };
        policy: { source: string; sha256: string; package: string; rule: string };
      }[];
    };
    expect(doc.exitCode).toBe(1);
    const r = doc.results[0]!;
    expect(r.failure.code).toBe("POLICY_SLSA_LEVEL");
    expect(r.slsa.level).toBe("SLSA_BUILD_LEVEL_2");
    expect(r.policy).toMatchObject({ source: file, package: "sigstore", rule: "default" });
    expect(r.policy.sha256).toBe(
      (await import("node:crypto")).createHash("sha256").update(readFileSync(file)).digest("hex"),
    );
    expect(doc.releases).toEqual([
      {
        project: "sigstore",
        version: "3.6.1",
        level: "SLSA_BUILD_LEVEL_2",
        files: 1,
        withoutProvenance: 0,
        mixed: false,
      },
    ]);
  });

  it("a broken policy stops the run: exit 2 naming the file and the path, nothing verified", async () => {
    const file = ws.file("bad.yaml", "version: 1\ndefault:\n  min_slsa_level: five\n");
    const r = await runCli(["verify", SIGSTORE_DIST, "--trusted-root", PROD, "--policy", file]);
    expectInputError(r, [file, "default.min_slsa_level (line 3)"]);
    expect(r.stdout).toBe("");
  });

  it("--allow-missing and --policy conflict (exit 2)", async () => {
    const r = await runCli([
      "verify",
      SIGSTORE_DIST,
      "--policy",
      join(EXAMPLES, "policy.yaml"),
      "--allow-missing",
    ]);
    expectInputError(r, ["--allow-missing and --policy conflict", "require_attestation: false"]);
  });

  it("missing provenance allowed by the policy: exit 0, L0 and a warning", async () => {
    const d = ws.dist("optional_pkg-1.0.0.tar.gz");
    const file = ws.file("opt.yaml", "version: 1\ndefault:\n  require_attestation: false\n");
    const r = await ws.verify([d.path, "--policy", file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("- optional_pkg-1.0.0.tar.gz  no provenance  L0\n");
    expect(r.stdout).toContain(
      "    warning: no provenance: allowed by the policy (require_attestation: false for default)\n",
    );
    const strict = await ws.verify([d.path, "--policy", join(EXAMPLES, "policy.yaml")]);
    expect(strict.code).toBe(1);
  });

  it("shows a release's level (the minimum) when it has several files, flagging a mix", async () => {
    const dir = ws.subdir();
    const whl = ws.dist("acme_pkg-1.0.0-py3-none-any.whl", dir);
    ws.writeProvenance(whl, [ws.attest(whl)]);
    const sdist = ws.dist("acme_pkg-1.0.0.tar.gz", dir);
    const file = ws.file("opt.yaml", "version: 1\ndefault:\n  require_attestation: false\n");
    const r = await ws.verify([whl.path, sdist.path, "--policy", file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      "release acme-pkg 1.0.0: L0 (lowest of 2 files; mixed: 1 without provenance)\n",
    );
  });

  it("a renamed repository with pinned IDs passes with a warning; new IDs under the name fail", async () => {
    const pinned = ws.file(
      "ids.yaml",
      'version: 1\ndefault:\n  publishers:\n    - kind: github\n      repository: acme/pkg\n      repository_id: "111"\n      owner_id: "222"\n',
    );
    const renamed = githubIdentity({
      repository: "acme/pkg-renamed",
      workflow: "release.yml",
      ref: "refs/tags/v1.0.0",
      repositoryId: "111",
      ownerId: "222",
    });
    const ok = await ws.verify([ws.attested(renamed).path, "--policy", pinned]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(
      "    warning: renamed: repository ID 111 is pinned as acme/pkg and now signs as acme/pkg-renamed\n",
    );
    const jacked = githubIdentity({
      repository: "acme/pkg",
      workflow: "release.yml",
      ref: "refs/tags/v1.0.0",
      repositoryId: "999",
      ownerId: "222",
    });
    const bad = await ws.expectFailed(
      [ws.attested(jacked).path, "--policy", pinned],
      "REPOSITORY_ID_MISMATCH",
      "possible repojacking",
    );
    expect(bad.stdout).toContain('repository ID \\"999\\" of acme/pkg differs from the pinned 111');
  });
});

describe("pyprov policy init", () => {
  it("writes a policy pinning the publishers seen, IDs included, that verify then accepts", async () => {
    const out = join(ws.subdir(), "pyprov.policy.yaml");
    const r = await runCli([
      "policy",
      "init",
      SIGSTORE_DIST,
      GITLAB_DIST,
      "--trusted-root",
      PROD,
      "-o",
      out,
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `wrote ${out}: 2 package(s), 2 publisher(s) pinned (trust on first use)\n`,
    );
    const text = readFileSync(out, "utf8");
    expect(text).toMatch(
      /^# pyprov policy \(version 1\), written by `pyprov policy init` on \d{4}-\d\d-\d\d\./,
    );
    expect(text).toContain(`  sigstore:
    min_slsa_level: 2
    publishers:
      - kind: github
        repository: sigstore/sigstore-python
        repository_id: "447691086"
        owner_id: "71096353"
        workflow: release.yml
        ref: refs/tags/*
        runner: github-hosted
`);
    expect(text).toContain(`      - kind: gitlab
        repository: facutuesca/gitlab-oidc-project
        repository_id: "55235664"
        owner_id: "12885801"
        workflow_filepath: .gitlab-ci.yml
        ref: refs/heads/main
        runner: gitlab-hosted
`);
    expect((await runCli(["policy", "check", out])).code).toBe(0);
    const v = await runCli([
      "verify",
      SIGSTORE_DIST,
      GITLAB_DIST,
      "--trusted-root",
      PROD,
      "--policy",
      out,
    ]);
    expect(v.code).toBe(0);
  });

  it("never overwrites an existing file without --force (the file is unchanged); --force replaces it", async () => {
    const out = join(ws.subdir(), "policy.yaml");
    writeFileSync(out, "keep me\n");
    const r = await runCli(["policy", "init", SIGSTORE_DIST, "--trusted-root", PROD, "-o", out]);
    expectInputError(r, [out, "already exists", "--force"]);
    expect(readFileSync(out, "utf8")).toBe("keep me\n");
    const forced = await runCli([
      "policy",
      "init",
      SIGSTORE_DIST,
      "--trusted-root",
      PROD,
      "-o",
      out,
      "--force",
    ]);
    expect(forced.code).toBe(0);
    expect(readFileSync(out, "utf8")).toContain('repository_id: "447691086"');
  });

  it("writes JSON for a .json name, and prints to stdout with -o -", async () => {
    const out = join(ws.subdir(), "policy.json");
    expect(
      (await runCli(["policy", "init", SIGSTORE_DIST, "--trusted-root", PROD, "-o", out])).code,
    ).toBe(0);
    const doc = JSON.parse(readFileSync(out, "utf8")) as {
      packages: Record<string, { publishers: { repository_id: string }[] }>;
    };
    expect(doc.packages.sigstore!.publishers[0]!.repository_id).toBe("447691086");
    const r = await runCli(["policy", "init", SIGSTORE_DIST, "--trusted-root", PROD, "-o", "-"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("version: 1\n");
  });

  it("pins what it sees for missing provenance too (require_attestation: false), with a note", async () => {
    const d = ws.dist("plain_pkg-1.0.0.tar.gz");
    const out = join(ws.subdir(), "p.yaml");
    const r = await runCli(["policy", "init", d.path, "--trusted-root", ws.root, "-o", out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      "pyprov: note: plain-pkg: a file has no provenance, so require_attestation is false for it\n",
    );
    expect(readFileSync(out, "utf8")).toContain("  plain-pkg:\n    require_attestation: false\n");
  });

  it("TOFU: a later release from a re-registered repository (same name, new IDs) fails", async () => {
    const first = githubIdentity({
      repository: "acme/pkg",
      workflow: "release.yml",
      ref: "refs/tags/v1.0.0",
      environment: "pypi",
      repositoryId: "5000",
      ownerId: "6000",
    });
    const out = join(ws.subdir(), "tofu.yaml");
    const r = await runCli([
      "policy",
      "init",
      ws.attested(first).path,
      "--trusted-root",
      ws.root,
      "-o",
      out,
    ]);
    expect(r.code).toBe(0);
    const text = readFileSync(out, "utf8");
    expect(text).toContain('repository_id: "5000"');
    expect(text).toContain("environment: pypi");
    const next = githubIdentity({
      repository: "acme/pkg",
      workflow: "release.yml",
      ref: "refs/tags/v1.1.0",
      environment: "pypi",
      repositoryId: "5001",
      ownerId: "6001",
    });
    await ws.expectFailed(
      [ws.attested(next).path, "--policy", out],
      "REPOSITORY_ID_MISMATCH",
      "possible repojacking",
    );
    const same = githubIdentity({
      repository: "acme/pkg",
      workflow: "release.yml",
      ref: "refs/tags/v1.1.0",
      environment: "pypi",
      repositoryId: "5000",
      ownerId: "6000",
    });
    await ws.expectVerified([ws.attested(same).path, "--policy", out]);
  });

  it("writes nothing when a file fails verification", async () => {
    const d = ws.dist();
    ws.writeProvenance(d, [ws.attest(d, { sha256: "0".repeat(64) })]);
    const out = join(ws.subdir(), "never.yaml");
    const r = await runCli(["policy", "init", d.path, "--trusted-root", ws.root, "-o", out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("subject digest does not match");
    expect(r.stderr).toContain("no policy written: 1 file(s) did not verify");
    expect(existsSync(out)).toBe(false);
  });

  it("needs something to observe", async () => {
    expectInputError(await runCli(["policy", "init", "-o", join(ws.dir, "x.yaml")]), [
      "nothing to observe",
    ]);
  });
});

describe("pyprov policy init from the index", () => {
  const si = new SyntheticIndex({
    projects: {
      beta: [
        { version: "1.0.0", files: [{ kind: "wheel" }, { kind: "sdist", provenance: "none" }] },
      ],
      gamma: [{ version: "2.0.0" }],
    },
  });
  beforeAll(async () => {
    await si.start();
  });
  afterAll(async () => {
    await si.close();
  });

  it("NAME==VERSION targets: pins each project's publisher; a file without provenance relaxes only its project", async () => {
    const out = join(si.dir, "index.yaml");
    const index = ["--index-url", si.indexUrl, "--no-cache", "--trusted-root", si.root];
    const r = await runCli(["policy", "init", "beta==1.0.0", "gamma==2.0.0", ...index, "-o", out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("2 package(s), 2 publisher(s) pinned");
    const text = readFileSync(out, "utf8");
    expect(text).toContain("  beta:\n    require_attestation: false\n    min_slsa_level: 2\n");
    expect(text).toContain("  gamma:\n    min_slsa_level: 2\n");
    expect(text).toContain('repository_id: "123456789"');
    // The policy it wrote accepts what it saw.
    const v = await runCli(["verify", "beta==1.0.0", "gamma==2.0.0", ...index, "--policy", out]);
    expect(v.code, v.stdout).toBe(0);
    expect(v.stdout).toContain(
      "release beta 1.0.0: L0 (lowest of 2 files; mixed: 1 without provenance)",
    );
  });
});
