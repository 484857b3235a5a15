/**
 * The README's "Reports" and "GitHub Action" sections: each example is valid
 * against its format's schema, the table example is what `--format table`
 * prints for the golden requirements run, and the workflow uses the action's
 * real inputs.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { REPORT_FORMATS } from "../../src/report/render.js";
import { REPO_ROOT } from "../support/corpus.js";
import {
  GOLDEN_DIR,
  expectValidCycloneDx,
  expectValidSarif,
  expectValidVsaLines,
} from "./helpers.js";

const README = readFileSync(join(REPO_ROOT, "README.md"), "utf8");

function section(heading: string): string {
  const start = README.indexOf(`\n${heading}\n`);
  expect(start, `README has a "${heading}" section`).toBeGreaterThan(0);
  const end = README.indexOf("\n## ", start + heading.length + 2);
  return README.slice(start, end === -1 ? undefined : end);
}

function blocks(text: string, lang: string): string[] {
  const re = /^```(\w*)\n([\s\S]*?)^```$/gm;
  return [...text.matchAll(re)].filter((m) => m[1] === lang).map((m) => m[2]!);
}

const reports = section("## Reports for people and for CI");
const json = blocks(reports, "json").map((b) => JSON.parse(b) as Record<string, unknown>);

describe("README: Reports", () => {
  it("names every format, and the flags table lists --format, --output and --quiet", () => {
    for (const f of REPORT_FORMATS) expect(reports).toContain(`| \`${f}\``);
    for (const flag of ["`--format FORMAT`", "`-o, --output FILE`", "`-q, --quiet`"]) {
      expect(README).toContain(`| ${flag}`);
    }
    expect(README).toContain("docs/schemas/pyprov-verify-v1.schema.json");
    expect(README).toContain("### Exit codes");
  });

  it("has one example of each machine format, each valid", async () => {
    const sarif = json.filter((d) => d.version === "2.1.0");
    const vsa = json.filter((d) => d._type === "https://in-toto.io/Statement/v1");
    const bom = json.filter((d) => d.bomFormat === "CycloneDX");
    expect([sarif.length, vsa.length, bom.length]).toEqual([1, 1, 1]);
    expectValidSarif(sarif[0]);
    expectValidVsaLines(JSON.stringify(vsa[0]) + "\n");
    await expectValidCycloneDx(bom[0]);
  });

  it("shows the table the golden requirements run prints (its first two rows)", () => {
    const table = blocks(reports, "text")[0]!.split("\n");
    const golden = readFileSync(join(GOLDEN_DIR, "requirements-index.table.txt"), "utf8").split(
      "\n",
    );
    expect(table.slice(0, 4)).toEqual(golden.slice(0, 4));
  });
});

describe("README: GitHub Action", () => {
  const action = parse(readFileSync(join(REPO_ROOT, "action.yml"), "utf8")) as {
    inputs: Record<string, unknown>;
  };
  const workflow = parse(blocks(section("## GitHub Action"), "yaml")[0]!) as {
    permissions: Record<string, string>;
    jobs: Record<
      string,
      { steps: { uses?: string; if?: string; with?: Record<string, string> }[] }
    >;
  };
  const steps = Object.values(workflow.jobs)[0]!.steps;

  it("lists every input of action.yml", () => {
    const text = section("## GitHub Action");
    for (const input of Object.keys(action.inputs)) expect(text).toContain(`| \`${input}\``);
  });

  it("is a complete workflow: checkout, the action with real inputs, then upload-sarif", () => {
    expect(steps[0]!.uses).toBe("actions/checkout@v4");
    const pyprov = steps.find((s) => s.uses?.startsWith("pyprov/pyprov@"))!;
    expect(Object.keys(pyprov.with!).every((k) => k in action.inputs)).toBe(true);
    const upload = steps.at(-1)!;
    expect(upload.uses).toBe("github/codeql-action/upload-sarif@v3");
    expect(upload.with!.sarif_file).toBe(pyprov.with!["sarif-file"]);
    expect(upload.if).toContain("!cancelled()");
    expect(workflow.permissions["security-events"]).toBe("write");
  });
});
