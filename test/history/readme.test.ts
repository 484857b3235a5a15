/**
 * The README's "Publisher continuity" section is tested literally: where it
 * sits, its policy example, and every output it shows is what pyprov prints
 * (the corpus transfer, a changed publisher, a downgrade, `policy diff`,
 * `names check`). The failure table names every new code.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAILURE_CODES } from "../../src/errors.js";
import { continuityRules } from "../../src/history/rules.js";
import { parsePolicy } from "../../src/policy/load.js";
import { runCli } from "../support/cli.js";
import { REPO_ROOT, trustedRootPath } from "../support/corpus.js";
import { SyntheticIndex } from "../support/synthetic-index.js";
import { dataset, startListServer } from "../names/server.js";
import { PROJECT, corpusIndex } from "./corpus-index.js";
import { ACME, addHistory, release } from "./helpers.js";

const README = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
const HEADING = "## Publisher continuity";

function section(): string {
  const start = README.indexOf(`\n${HEADING}\n`);
  expect(start).toBeGreaterThan(0);
  const end = README.indexOf("\n## ", start + HEADING.length);
  return README.slice(start, end === -1 ? undefined : end);
}

function blocks(lang: string): string[] {
  const re = new RegExp("^```" + lang + "\\n([\\s\\S]*?)^```$", "gm");
  return [...section().matchAll(re)].map((m) => m[1]!);
}

const textBlock = (prefix: string): string => {
  const found = blocks("text").find((t) => t.startsWith(prefix));
  expect(found, `a text block starting ${prefix}`).toBeDefined();
  return found!;
};

/** Every line of `block` is a line of `output` (after replacing `paths`). */
function expectLines(block: string, output: string, paths: Record<string, string> = {}) {
  let out = output;
  for (const [from, to] of Object.entries(paths)) out = out.replaceAll(from, to);
  const lines = out.split("\n");
  for (const line of block.trimEnd().split("\n")) expect(lines).toContain(line);
}

const corpus = corpusIndex();
const si = new SyntheticIndex();
addHistory(si, "acme-pkg", [
  release("1.0", ACME),
  release("1.1", ACME),
  release("1.2", { repository: "evil/pkg", repositoryId: "222", ownerId: "888" }),
]);
addHistory(si, "acme-lib", [release("2.0", ACME), release("2.1", undefined)]);
addHistory(si, "app", [
  release("1.0", ACME),
  release("1.1", { ...ACME, repository: "acme/pkg-ng" }),
]);

beforeAll(async () => {
  await corpus.start();
  await si.start();
});
afterAll(async () => {
  await corpus.close();
  await si.close();
});

const synth = () => ["--index-url", si.indexUrl, "--trusted-root", si.root, "--no-cache"];

describe("README: Publisher continuity", () => {
  it("comes right after the policy section", () => {
    const policy = README.indexOf("\n## Policy and SLSA levels\n");
    const next = README.indexOf("\n## ", policy + 5);
    expect(README.slice(next + 1)).toMatch(new RegExp(`^${HEADING}\n`));
  });

  it("the failure table names every continuity code, and each is a failure code", () => {
    const codes = [
      "PUBLISHER_CHANGED",
      "REPOSITORY_REREGISTERED",
      "ATTESTATION_DOWNGRADE",
      "LOOKALIKE_NAME",
      "NEW_PROJECT",
      "UNRELATED_REPOSITORY",
    ];
    for (const code of codes) {
      expect(FAILURE_CODES as readonly string[]).toContain(code);
      expect(README, code).toMatch(new RegExp(`^\\| \`${code}\` +\\| `, "m"));
    }
  });

  it("the policy example is valid, and its package rule inherits field by field", () => {
    const [yaml] = blocks("yaml");
    const policy = parsePolicy(Buffer.from(yaml!), "continuity.yaml");
    const web = continuityRules(policy, "acme-web");
    expect(web).toMatchObject({
      allowChanges: ["workflow", "environment"],
      allowDowngrade: false,
      lookalike: "warn",
      minProjectAgeDays: 30,
    });
    expect(continuityRules(policy, "other").allowChanges).toEqual([]);
  });

  it("the transfer is what pyprov prints for the corpus's pypi-attestations 0.0.28", async () => {
    const r = await runCli([
      "verify",
      `${PROJECT}==0.0.28`,
      "--format",
      "lines",
      "--history",
      "--no-lookalike",
      "--index-url",
      corpus.indexUrl,
      "--trusted-root",
      trustedRootPath("production"),
      "--no-cache",
    ]);
    expect(r.code).toBe(0);
    expectLines(textBlock("✓ pypi_attestations-0.0.28.tar.gz"), r.stdout);
  });

  it("the publisher change and the downgrade are what pyprov prints", async () => {
    const block = textBlock("✗ acme_pkg-1.2.tar.gz").trimEnd().split("\n");
    const changed = await runCli([
      "verify",
      "acme-pkg==1.2",
      "--format",
      "lines",
      "--history",
      "--no-lookalike",
      ...synth(),
    ]);
    expect(changed.code).toBe(1);
    expectLines(block.slice(0, 2).join("\n"), changed.stdout);
    const down = await runCli([
      "verify",
      "acme-lib==2.1",
      "--format",
      "lines",
      "--history",
      "--no-lookalike",
      "--allow-missing",
      ...synth(),
    ]);
    expect(down.code).toBe(1);
    expectLines(block.slice(2).join("\n"), down.stdout);
  });

  it("the policy diff output is what pyprov prints", async () => {
    const dir = si.subdir();
    const policy = join(dir, "pyprov.policy.yaml");
    writeFileSync(
      policy,
      'version: 1\npackages:\n  app:\n    publishers:\n      - kind: github\n        repository: acme/pkg\n        repository_id: "111"\n        owner_id: "999"\n        workflow: release.yml\n',
    );
    const r = await runCli(["policy", "diff", policy, "app==1.1", ...synth()]);
    expect(r.code).toBe(1);
    expect(r.stdout.replaceAll(policy, "pyprov.policy.yaml")).toBe(
      textBlock("pyprov.policy.yaml: 1 difference(s)"),
    );
  });

  it("the names check output is what pyprov prints (with a list where requests is #5)", async () => {
    const server = await startListServer(
      dataset(["boto3", "urllib3", "setuptools", "botocore", "requests"]),
    );
    try {
      const cache = si.freshCacheDir();
      expect(
        (await runCli(["names", "update", "--url", server.url, "--cache-dir", cache])).code,
      ).toBe(0);
      const r = await runCli(["names", "check", "reqeusts", "--cache-dir", cache]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe(textBlock("! reqeusts"));
    } finally {
      await server.close();
    }
  });
});
