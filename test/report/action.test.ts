/**
 * action.yml: its structure (a composite action with the documented inputs,
 * setup-node, npm ci from the action's own checkout, pyprov run with the
 * inputs), and its verify step run for real with bash against the fake
 * index: the exit code is pyprov's, and the SARIF file is written before a
 * failing job ends.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { REPO_ROOT } from "../support/corpus.js";
import { SyntheticIndex, requirementsText } from "../support/synthetic-index.js";
import { expectValidSarif } from "./helpers.js";

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  with?: Record<string, string>;
  shell?: string;
  run?: string;
  env?: Record<string, string>;
}
interface Action {
  name: string;
  description: string;
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: Step[] };
}

const action = parse(readFileSync(join(REPO_ROOT, "action.yml"), "utf8")) as Action;
const steps = action.runs.steps;
const verifyStep = steps.find((s) => s.id === "verify")!;

describe("action.yml", () => {
  it("is a composite action with the documented inputs and an exit-code output", () => {
    expect(action.runs.using).toBe("composite");
    expect(Object.keys(action.inputs).sort()).toEqual(
      ["args", "lock", "node-version", "policy", "requirements", "sarif-file"].sort(),
    );
    for (const input of Object.values(action.inputs)) {
      expect(input.description.length).toBeGreaterThan(10);
      expect(input.required ?? false).toBe(false);
    }
    expect(action.inputs["node-version"]!.default).toBe("24");
    expect(action.outputs["exit-code"]!.value).toBe("${{ steps.verify.outputs.exit-code }}");
  });

  it("sets up Node, installs pyprov from its own checkout, then verifies", () => {
    expect(steps.map((s) => s.uses ?? s.id ?? s.name)).toEqual([
      "actions/setup-node@v4",
      "Install pyprov",
      "verify",
    ]);
    expect(steps[0]!.with!["node-version"]).toBe("${{ inputs.node-version }}");
    expect(steps[1]!.run).toMatch(/^npm ci --prefix "\$GITHUB_ACTION_PATH"/);
    expect(verifyStep.run).toContain('node "$GITHUB_ACTION_PATH/bin/pyprov.js"');
    for (const s of steps.filter((x) => x.run !== undefined)) expect(s.shell).toBe("bash");
  });

  it("passes every input through the environment, never spliced into the script", () => {
    expect(verifyStep.env).toEqual({
      INPUT_REQUIREMENTS: "${{ inputs.requirements }}",
      INPUT_LOCK: "${{ inputs.lock }}",
      INPUT_POLICY: "${{ inputs.policy }}",
      INPUT_SARIF_FILE: "${{ inputs.sarif-file }}",
      INPUT_ARGS: "${{ inputs.args }}",
    });
    for (const s of steps) expect(s.run ?? "").not.toContain("${{");
    const run = verifyStep.run!;
    for (const v of Object.keys(verifyStep.env!)) expect(run).toContain(`"$${v}"`);
    expect(run).toContain("--requirement");
    expect(run).toContain("--lock");
    expect(run).toContain("--policy");
    expect(run).toContain("--format sarif --output");
  });

  it("propagates pyprov's exit code: no `|| true`, `set -euo pipefail`, exit with the status", () => {
    const run = verifyStep.run!;
    expect(run.startsWith("set -euo pipefail\n")).toBe(true);
    expect(run).not.toMatch(/\|\|\s*true/);
    expect(run).not.toMatch(/continue-on-error/);
    expect(run).toContain('exit "$status"');
    expect(JSON.stringify(action)).not.toContain("continue-on-error");
  });
});

describe("the verify step, run with bash", () => {
  const si = new SyntheticIndex({
    projects: {
      good: [{ version: "1.0.0", files: [{ kind: "wheel" }] }],
      bare: [{ version: "2.0.0", files: [{ kind: "wheel", provenance: "none" }] }],
    },
  });
  const dir = mkdtempSync(join(tmpdir(), "pyprov-action-"));
  beforeAll(async () => {
    await si.start();
  });
  afterAll(async () => {
    await si.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const lines = new Map<string, number>();
  function requirements(names: string[]): string {
    const reqs = names.map((name) => {
      const f = si.project(name).files[0]!;
      return { name, version: f.version, hashes: [f.sha256] };
    });
    const path = join(dir, `req-${names.join("-")}.txt`);
    const text = requirementsText(reqs);
    writeFileSync(path, text.text);
    for (const [name, line] of text.lines) lines.set(`${path}:${name}`, line);
    return path;
  }

  /** Run the step's script as the runner would (async: the fake index lives in this process). */
  function runStep(
    inputs: Record<string, string>,
  ): Promise<{ code: number; output: string; log: string }> {
    const githubOutput = join(dir, `out-${Math.random().toString(16).slice(2)}`);
    writeFileSync(githubOutput, "");
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: dir,
      NO_COLOR: "1",
      GITHUB_ACTION_PATH: REPO_ROOT,
      GITHUB_OUTPUT: githubOutput,
      INPUT_REQUIREMENTS: "",
      INPUT_LOCK: "",
      INPUT_POLICY: "",
      INPUT_SARIF_FILE: "",
      INPUT_ARGS: `--index-url ${si.indexUrl} --trusted-root ${si.root} --no-cache`,
      ...inputs,
    };
    return new Promise((resolve, reject) => {
      const child = spawn("bash", ["-c", verifyStep.run!], { env, cwd: dir });
      let log = "";
      child.stdout.on("data", (d: Buffer) => (log += d.toString()));
      child.stderr.on("data", (d: Buffer) => (log += d.toString()));
      child.on("error", reject);
      child.on("close", (code) =>
        resolve({ code: code ?? -1, output: readFileSync(githubOutput, "utf8"), log }),
      );
    });
  }

  it("exit 0 when every pinned file verifies", async () => {
    const r = await runStep({ INPUT_REQUIREMENTS: requirements(["good"]) });
    expect(r.code, r.log).toBe(0);
    expect(r.output).toBe("exit-code=0\n");
    expect(r.log).toContain("1 verified, 0 failed");
  });

  it("exit 1 on a violation, after writing the SARIF file (one result, at its line)", async () => {
    const reqs = requirements(["good", "bare"]);
    const sarifPath = join(dir, "results.sarif");
    const r = await runStep({ INPUT_REQUIREMENTS: reqs, INPUT_SARIF_FILE: sarifPath });
    expect(r.code, r.log).toBe(1);
    expect(r.output).toBe("exit-code=1\n");
    const sarif = JSON.parse(readFileSync(sarifPath, "utf8")) as {
      runs: {
        results: {
          ruleId: string;
          locations: {
            physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } };
          }[];
        }[];
      }[];
    };
    expectValidSarif(sarif);
    const results = sarif.runs[0]!.results;
    expect(results.map((x) => x.ruleId)).toEqual(["NO_ATTESTATIONS"]);
    const loc = results[0]!.locations[0]!.physicalLocation;
    expect(loc.artifactLocation.uri).toBe("req-good-bare.txt");
    expect(loc.region.startLine).toBe(lines.get(`${reqs}:bare`));
    expect(r.log).toContain("1 verified, 0 failed, 1 without provenance");
  });

  it("exit 2 on a broken policy; several requirements files, one per line", async () => {
    const policy = join(dir, "policy.yaml");
    writeFileSync(policy, "version: 1\nunknown: true\n");
    const r = await runStep({
      INPUT_REQUIREMENTS: `${requirements(["good"])}\n\n${requirements(["bare"])}\n`,
      INPUT_POLICY: policy,
    });
    expect(r.code, r.log).toBe(2);
    expect(r.output).toBe("exit-code=2\n");
    expect(r.log).toContain("policy.yaml");
    const ok = await runStep({
      INPUT_REQUIREMENTS: `${requirements(["good"])}\n${requirements(["bare"])}`,
      INPUT_ARGS: `--index-url ${si.indexUrl} --trusted-root ${si.root} --no-cache --allow-missing`,
    });
    expect(ok.code, ok.log).toBe(0);
    expect(ok.log).toContain("1 verified, 0 failed, 1 without provenance");
  });
});
