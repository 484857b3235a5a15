/**
 * `pyprov policy diff`: the differences between pinned and observed
 * publishers (policy and PEP 751 attestation-identities), and `--write`:
 * comments kept, globs and default left alone, nothing removed, the file
 * never touched without --write or when anything fails.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PyprovError } from "../../src/errors.js";
import type { DiffEntry } from "../../src/policy/diff.js";
import { applyPolicyDiff, writePolicyInPlace } from "../../src/policy/diff-write.js";
import { runCli } from "../support/cli.js";
import { SyntheticIndex, pylockText } from "../support/synthetic-index.js";
import { ACME, addHistory, release, type Publisher } from "../history/helpers.js";
import { policyFrom } from "./helpers.js";

const RENAMED: Publisher = { ...ACME, repository: "acme/pkg-ng" };
const SQUATTER: Publisher = { repository: "acme/pkg", repositoryId: "333", ownerId: "777" };
const OTHER: Publisher = { repository: "acme/other", repositoryId: "444", ownerId: "999" };

const si = new SyntheticIndex();
addHistory(si, "app", [release("1.0", ACME), release("1.1", RENAMED)]);
addHistory(si, "squat", [release("1.0", ACME), release("1.1", SQUATTER)]);
addHistory(si, "acme-web", [release("1.0", OTHER)]);
addHistory(si, "broken", [release("1.0", ACME, "wrong-digest")]);

let dir: string;
beforeAll(async () => {
  await si.start();
  dir = si.subdir();
});
afterAll(async () => {
  await si.close();
});

const common = () => ["--index-url", si.indexUrl, "--trusted-root", si.root, "--no-cache"];
const diff = (policy: string, args: string[]) =>
  runCli(["policy", "diff", policy, ...args, ...common()]);

let n = 0;
function write(text: string, ext = "yaml"): string {
  const path = join(dir, `policy${n++}.${ext}`);
  writeFileSync(path, text);
  return path;
}

const PINNED_ACME = `# team policy: reviewed 2025-01-01
version: 1
packages:
  app: # our web app
    publishers:
      - kind: github
        repository: acme/pkg # moved? check with the owners
        repository_id: "111"
        owner_id: 999
        workflow: release.yml
    min_slsa_level: 2
`;

describe("policy diff: reports, never writes without --write", () => {
  it("nothing to report when the pins are what signs now", async () => {
    const p = write(PINNED_ACME);
    const r = await diff(p, ["app==1.0"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${p}: the pinned publishers are the ones observed now\n`);
  });

  it("a renamed repository: the field, both values and why; exit 1, file untouched", async () => {
    const p = write(PINNED_ACME);
    const r = await diff(p, ["app==1.1"]);
    expect(r.code).toBe(1);
    expect(r.stdout.split("\n")).toEqual([
      `${p}: 1 difference(s) between the pinned publishers and those observed now`,
      "~ app: packages.app.publishers[0] github acme/pkg (repository ID 111, owner ID 999) workflow release.yml:",
      "    repository: acme/pkg → acme/pkg-ng",
      "    renamed: same repository ID 111",
      `run again with --write to update the pins in ${p}`,
      "",
    ]);
    expect(readFileSync(p, "utf8")).toBe(PINNED_ACME);
  });

  it("a re-registered name is flagged for review", async () => {
    const p = write(PINNED_ACME.replace("  app:", "  squat:"));
    const r = await diff(p, ["squat==1.1"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("repository_id: 111 → 333");
    expect(r.stdout).toContain("POSSIBLE RE-REGISTRATION: acme/pkg now has repository ID 333");
  });

  it("a package the policy does not pin, and a pin not observed (kept)", async () => {
    const p = write(PINNED_ACME);
    const r = await diff(p, ["acme-web==1.0"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      "+ acme-web: not pinned (default): github acme/other (repository ID 444, owner ID 999) workflow release.yml ref refs/tags/* runner github-hosted signs",
    );
    const json = JSON.parse(
      (
        await runCli([
          "policy",
          "diff",
          p,
          "acme-web==1.0",
          "app==1.0",
          "--format",
          "json",
          ...common(),
        ])
      ).stdout,
    ) as { differences: number; entries: DiffEntry[] };
    // app==1.0 is what the policy pins: not a difference.
    expect(json.differences).toBe(1);
    expect(json.entries.map((e) => `${e.package}:${e.kind}`)).toEqual(["acme-web:new-package"]);
  });

  it("a package whose own entry says publishers: [] (any) is left alone", async () => {
    const p = write("version: 1\npackages:\n  app:\n    publishers: [] # any publisher\n");
    const r = await diff(p, ["app==1.1", "--write"]);
    expect(r.code).toBe(0);
    expect(readFileSync(p, "utf8")).toBe(
      "version: 1\npackages:\n  app:\n    publishers: [] # any publisher\n",
    );
  });

  it("refuses to compare anything that did not verify, even with --write", async () => {
    const p = write(PINNED_ACME);
    const r = await diff(p, ["broken==1.0", "app==1.1", "--write"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("nothing compared");
    expect(readFileSync(p, "utf8")).toBe(PINNED_ACME);
  });

  it("a broken policy stops before anything is fetched (exit 2)", async () => {
    const p = write("version: 1\npackages:\n  app:\n    continuity:\n      allow_change: []\n");
    si.index.resetCounts();
    const r = await diff(p, ["app==1.0"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown field "allow_change" (did you mean "allow_changes"?)');
    expect(si.index.total).toBe(0);
  });
});

describe("policy diff --write", () => {
  it("updates the pin in place, keeps every comment, and then verify passes without a warning", async () => {
    const p = write(PINNED_ACME);
    const r = await diff(p, ["app==1.1", "--write"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`updated ${p}: 1 difference(s) applied`);
    const text = readFileSync(p, "utf8");
    expect(text).toBe(PINNED_ACME.replace("repository: acme/pkg #", "repository: acme/pkg-ng #"));
    expect((await diff(p, ["app==1.1"])).code).toBe(0);
    const v = await runCli(["verify", "app==1.1", "--policy", p, "--format", "json", ...common()]);
    expect(v.code).toBe(0);
  });

  it("adds missing IDs and new packages; a glob's package gets its own copy of the rule", async () => {
    const original = `version: 1
packages:
  "acme-*": # every acme package
    min_slsa_level: 2
    publishers: []
  app:
    publishers:
      - kind: github
        repository: acme/pkg-ng
`;
    const p = write(original);
    const r = await diff(p, ["app==1.1", "acme-web==1.0", "--write"]);
    expect(r.code).toBe(0);
    const policy = policyFrom(readFileSync(p, "utf8"), p);
    const web = policy.document.packages!["acme-web"]!;
    expect(web.min_slsa_level).toBe(2);
    expect(web.publishers).toEqual([
      expect.objectContaining({ repository: "acme/other", repository_id: "444", owner_id: "999" }),
    ]);
    expect(policy.document.packages!["app"]!.publishers).toEqual([
      { kind: "github", repository: "acme/pkg-ng", repository_id: "111", owner_id: "999" },
    ]);
    expect(policy.document.packages!["acme-*"]).toEqual({ min_slsa_level: 2, publishers: [] });
    expect(readFileSync(p, "utf8")).toContain('"acme-*": # every acme package');
  });

  it("never removes a pin it did not observe", async () => {
    const p = write(
      PINNED_ACME.replace(
        "    min_slsa_level: 2",
        "      - kind: github\n        repository: acme/docs\n    min_slsa_level: 2",
      ),
    );
    const r = await diff(p, ["app==1.1", "--write"]);
    expect(r.stdout).toContain(
      "? app: packages.app.publishers[1] github acme/docs was not observed in this run (kept)",
    );
    expect(readFileSync(p, "utf8")).toContain("repository: acme/docs");
  });

  it("JSON policies are rewritten as JSON, $schema kept", async () => {
    const p = write(
      JSON.stringify({
        $schema: "./policy.schema.json",
        version: 1,
        packages: { app: { min_slsa_level: 1 }, other: { publishers: [] } },
      }),
      "json",
    );
    expect((await diff(p, ["app==1.0", "--write"])).code).toBe(0);
    const doc = JSON.parse(readFileSync(p, "utf8")) as {
      $schema: string;
      packages: Record<string, { publishers: unknown[] }>;
    };
    expect(doc.$schema).toBe("./policy.schema.json");
    expect(doc.packages.app!.publishers).toEqual([
      expect.objectContaining({ repository: "acme/pkg", repository_id: "111" }),
    ]);
  });

  it("a pinned environment the certificate no longer has is removed, its line only", async () => {
    const original = PINNED_ACME.replace(
      "        workflow: release.yml\n",
      "        environment: pypi # protected\n        workflow: release.yml\n",
    );
    const p = write(original);
    const r = await diff(p, ["app==1.0", "--write"]);
    expect(r.stdout).toContain("    environment: pypi → (none)");
    expect(readFileSync(p, "utf8")).toBe(PINNED_ACME);
  });

  it("flow-style YAML is edited through the Document API: comments kept, the result valid", () => {
    const original =
      '# flow style\nversion: 1\npackages: { app: { publishers: [ { kind: github, repository: acme/pkg, repository_id: "111" } ] } } # one line\n';
    const policy = policyFrom(original, "p.yaml");
    const entry: DiffEntry = {
      package: "app",
      kind: "changed",
      source: "policy",
      where: "packages.app.publishers",
      index: 0,
      changes: [{ field: "repository", pinned: "acme/pkg", observed: "acme/pkg-ng" }],
      message: "",
    };
    const { text } = applyPolicyDiff(policy, original, [entry]);
    expect(text).toContain("# flow style");
    expect(text).toContain("# one line");
    expect(policyFrom(text, "p.yaml").document.packages!["app"]!.publishers).toEqual([
      { kind: "github", repository: "acme/pkg-ng", repository_id: "111" },
    ]);
  });

  it("an update that would not be a valid policy is refused, nothing written", () => {
    const policy = policyFrom(PINNED_ACME, "p.yaml");
    const entry: DiffEntry = {
      package: "app",
      kind: "new-publisher",
      source: "policy",
      where: "packages.app.publishers",
      observed: { kind: "github", repository: "not-a-repository" },
      changes: [],
      message: "",
    };
    expect(() => applyPolicyDiff(policy, PINNED_ACME, [entry])).toThrow(/would not be valid/);
  });

  it("the file is replaced only if it still holds the bytes that were compared", () => {
    const p = write(PINNED_ACME);
    expect(() => writePolicyInPlace(p, Buffer.from("version: 1\n"), "version: 1\n")).toThrow(
      PyprovError,
    );
    expect(readFileSync(p, "utf8")).toBe(PINNED_ACME);
    writePolicyInPlace(p, Buffer.from(PINNED_ACME), "version: 1\n");
    expect(readFileSync(p, "utf8")).toBe("version: 1\n");
  });
});

describe("policy diff --lock: PEP 751 attestation-identities", () => {
  it("compares the lock's identities like pins, and never rewrites the lock", async () => {
    const lock = pylockText(si.indexUrl, [
      si.lockPackage("app", "1.1", {
        identities: [{ kind: "GitHub", repository: "acme/pkg-ng", workflow: "publish.yml" }],
      }),
    ]);
    const lockPath = join(si.subdir(), "pylock.toml");
    writeFileSync(lockPath, lock.text);
    const p = write(PINNED_ACME.replace("acme/pkg #", "acme/pkg-ng #"));
    const r = await diff(p, ["--lock", lockPath, "--write"]);
    // The policy's pin is right; the lock's workflow is not, and only a lock tool rewrites a lock.
    expect(r.code).toBe(1);
    expect(r.stdout.split("\n")).toEqual([
      `${p}: 1 difference(s) between the pinned publishers and those observed now`,
      `~ app [lock]: ${lockPath}: app attestation-identities[0] github acme/pkg-ng workflow publish.yml:`,
      "    workflow: publish.yml → release.yml",
      `${p} left unchanged: nothing to write`,
      "a lock's attestation-identities are not rewritten: regenerate the lock",
      "",
    ]);
    expect(readFileSync(lockPath, "utf8")).toBe(lock.text);
    // verify enforces the same identities: there, the files fail.
    const v = await runCli(["verify", "--lock", lockPath, ...common()]);
    expect(v.code).toBe(1);
  });

  it("a lock's identity without IDs cannot follow a rename: a new publisher, the old one not observed", async () => {
    const lock = pylockText(si.indexUrl, [
      si.lockPackage("app", "1.1", {
        identities: [{ kind: "GitHub", repository: "acme/pkg", workflow: "release.yml" }],
      }),
    ]);
    const lockPath = join(si.subdir(), "pylock.toml");
    writeFileSync(lockPath, lock.text);
    const r = await diff(write(PINNED_ACME.replace("acme/pkg #", "acme/pkg-ng #")), [
      "--lock",
      lockPath,
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/\+ app \[lock\]: github acme\/pkg-ng .* does not pin it/);
    expect(r.stdout).toContain(
      "attestation-identities[0] github acme/pkg workflow release.yml was not observed",
    );
  });
});

describe("policy check: continuity settings", () => {
  it("are explained, with a package's own and the default's", async () => {
    const p = write(
      "version: 1\ndefault:\n  continuity:\n    lookalike: error\npackages:\n  acme-web:\n    continuity:\n      allow_changes: [workflow]\n      allow_downgrade: true\n",
    );
    const r = await runCli(["policy", "check", p]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("\n  continuity (verify --history): lookalike error\n");
    expect(r.stdout).toContain(
      "\n    continuity (verify --history): allow_changes workflow; allow_downgrade true\n",
    );
  });
});
