/**
 * The README's "Policy and SLSA levels" section is tested literally: every
 * YAML/JSON block is one of docs/policy-examples (byte for byte, or the same
 * JSON) and a valid policy; every example file appears in it; the outputs
 * it shows are what pyprov prints.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PyprovError } from "../../src/errors.js";
import { parsePolicy } from "../../src/policy/load.js";
import { REPO_ROOT, casePath, trustedRootPath } from "../support/corpus.js";
import { runCli } from "../support/cli.js";
import { PA_0_0_19, PA_0_0_28 } from "./helpers.js";

const EXAMPLES = join(REPO_ROOT, "docs", "policy-examples");
const README = readFileSync(join(REPO_ROOT, "README.md"), "utf8");

function section(heading: string): string {
  const start = README.indexOf(`\n${heading}\n`);
  expect(start, `README has a "${heading}" section`).toBeGreaterThan(0);
  const end = README.indexOf("\n## ", start + heading.length + 2);
  return README.slice(start, end === -1 ? undefined : end);
}

interface Block {
  lang: string;
  text: string;
}

function blocks(text: string): Block[] {
  const out: Block[] = [];
  const re = /^```(\w*)\n([\s\S]*?)^```$/gm;
  for (const m of text.matchAll(re)) out.push({ lang: m[1]!, text: m[2]! });
  return out;
}

const policySection = section("## Policy and SLSA levels");
const all = blocks(policySection);
const policyBlocks = all.filter((b) => b.lang === "yaml" || b.lang === "json");
const textBlocks = all.filter((b) => b.lang === "text");
const exampleFiles = readdirSync(EXAMPLES).filter((f) => f !== "policy.schema.json");

describe("README: Policy and SLSA levels", () => {
  it("sits before 'Inspect an attestation'", () => {
    expect(README.indexOf("## Policy and SLSA levels")).toBeLessThan(
      README.indexOf("## Inspect an attestation"),
    );
  });

  it("has policy examples, and shows every example file", () => {
    expect(policyBlocks.length).toBe(exampleFiles.length);
    expect(exampleFiles.sort()).toEqual([
      "policy.yaml",
      "pypi-attestations.yaml",
      "slsa-l3.yaml",
      "transitional.json",
    ]);
  });

  policyBlocks.forEach((b, i) => {
    it(`${b.lang} example #${i + 1} is a valid policy and the example file it names`, () => {
      const name = `readme-example-${i + 1}.${b.lang}`;
      const policy = parsePolicy(Buffer.from(b.text), name);
      expect(policy.document.version).toBe(1);
      if (b.lang === "yaml") {
        const m = /^# docs\/policy-examples\/([\w.-]+):/.exec(b.text);
        expect(m, "a YAML example starts by naming its file").not.toBeNull();
        expect(b.text).toBe(readFileSync(join(EXAMPLES, m![1]!), "utf8"));
      } else {
        const same = exampleFiles.filter(
          (f) =>
            f.endsWith(".json") &&
            JSON.stringify(JSON.parse(readFileSync(join(EXAMPLES, f), "utf8"))) ===
              JSON.stringify(JSON.parse(b.text)),
        );
        expect(same).toHaveLength(1);
      }
    });
  });

  it("the broken-policy message is what pyprov prints", () => {
    const shown = textBlocks.map((b) => b.text).find((t) => t.startsWith("pyprov: policy.yaml:"));
    expect(shown).toBeDefined();
    const broken =
      "version: 1\npackages:\n  sampleproject:\n    publishers:\n      - kind: github\n        repositry: pypa/sampleproject\n";
    let err: unknown;
    try {
      parsePolicy(Buffer.from(broken), "policy.yaml");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PyprovError);
    expect(`pyprov: ${(err as PyprovError).oneLine()}\n`).toBe(shown);
  });

  // The README shows these outputs as `--format lines` prints them.
  async function expectLinesIn(block: string | undefined, args: string[]) {
    expect(block).toBeDefined();
    const r = await runCli([...args, "--format", "lines"]);
    for (const line of block!.trimEnd().split("\n")) expect(r.stdout.split("\n")).toContain(line);
  }
  const find = (prefix: string) => textBlocks.map((b) => b.text).find((t) => t.startsWith(prefix));
  const prod = ["--trusted-root", trustedRootPath("production")];
  const v19 = casePath(PA_0_0_19, "pypi_attestations-0.0.19.tar.gz");

  it("the level lines are what pyprov prints", async () => {
    const block = find("✓ pypi_attestations-0.0.19.tar.gz")!;
    const [first, second] = block.trimEnd().split("\n");
    await expectLinesIn(first, ["verify", v19, ...prod]);
    await expectLinesIn(second, [
      "verify",
      casePath("warehouse-sampleproject-3.0.0-sdist", "sampleproject-3.0.0.tar.gz"),
      ...prod,
    ]);
  });

  it("the renamed/transferred output is what pyprov prints for 0.0.28 under pypi-attestations.yaml", async () => {
    await expectLinesIn(find("✓ pypi_attestations-0.0.28.tar.gz"), [
      "verify",
      "--filename",
      "pypi_attestations-0.0.28.tar.gz",
      "--sha256",
      "e5e75beaddbb674c390ed1a43cb32b7274990da6be7190c812a530b18db6137f",
      "--attestation",
      casePath(PA_0_0_28, "pypi.attestation.json"),
      "--policy",
      join(EXAMPLES, "pypi-attestations.yaml"),
      ...prod,
    ]);
  });

  it("the POLICY_SLSA_LEVEL output is what pyprov prints for 0.0.19 under a default minimum of L3", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pyprov-readme-"));
    try {
      const file = join(dir, "p.yaml");
      writeFileSync(file, "version: 1\ndefault:\n  min_slsa_level: 3\n");
      await expectLinesIn(find("✗ pypi_attestations-0.0.19.tar.gz"), [
        "verify",
        v19,
        "--policy",
        file,
        ...prod,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
