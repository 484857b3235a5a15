/**
 * The summary and the JSON report over real decisions: the proxy in front of
 * a synthetic index, with a policy that allows one project unattested and
 * pins another to a publisher that did not sign it.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPolicyFile } from "../../src/policy/load.js";
import { countDecisions, runReportJson, summaryLines } from "../../src/run/summary.js";
import { startServe, type RunningServe, type ServeDecision } from "../../src/serve/server.js";
import { loadTrustedRoot } from "../../src/sigstore/trust-root.js";
import { expectValidReport } from "../report/helpers.js";
import { SyntheticIndex } from "../support/synthetic-index.js";

let synth: SyntheticIndex;
let serve: RunningServe;
let decisions: ServeDecision[];
let trustRoot: { source: string; sha256: string };

beforeAll(async () => {
  synth = new SyntheticIndex({
    projects: {
      good: [{ version: "1.0" }],
      bare: [{ version: "1.0", files: [{ kind: "wheel", provenance: "none" }] }],
      pinned: [{ version: "1.0", files: [{ kind: "wheel" }] }],
    },
  });
  await synth.start();
  const policy = join(synth.dir, "policy.yaml");
  writeFileSync(
    policy,
    [
      "version: 1",
      "packages:",
      "  bare:",
      "    require_attestation: false",
      "  pinned:",
      "    publishers:",
      "      - kind: github",
      "        repository: other/repo",
      "",
    ].join("\n"),
  );
  const root = loadTrustedRoot(synth.root);
  trustRoot = { source: root.source, sha256: root.sha256 };
  serve = await startServe({
    upstream: synth.indexUrl,
    policy: loadPolicyFile(policy),
    port: 0,
    cacheDir: join(synth.dir, "cache"),
    trustRoot: root,
  });
  for (const name of ["good", "bare", "pinned"]) {
    const res = await fetch(`${serve.url}${name}/`, {
      headers: { accept: "application/vnd.pypi.simple.v1+json" },
    });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  }
  decisions = serve.decisions();
});

afterAll(async () => {
  await serve?.close();
  await synth?.close();
});

const fileOf = (project: string): string =>
  synth.release(project, "1.0").find((f) => f.kind === "wheel")?.filename ?? "";

describe("pyprov run's summary", () => {
  it("counts verified, allowed unattested and blocked files", () => {
    expect(countDecisions(decisions)).toEqual({ verified: 2, unattested: 1, blocked: 1 });
  });

  it("names the verified projects, each unattested file, and each blocked file with its reason", () => {
    const lines = summaryLines(decisions, "enforce");
    expect(lines[0]).toBe(
      "the proxy verified 2 files, allowed 1 file unattested and blocked 1 file (files listed on the project pages the command asked for)",
    );
    expect(lines).toContain("verified: good");
    expect(lines).toContain(
      `allowed unattested ${fileOf("bare")}: the policy lets bare go without provenance`,
    );
    const blocked = lines.filter((l) => l.startsWith("blocked "));
    expect(blocked).toHaveLength(1);
    expect(blocked[0]).toMatch(new RegExp(`^blocked ${fileOf("pinned").replace(/\./g, "\\.")}: `));
    expect(blocked[0]).toContain("other/repo");
    expect(lines).toHaveLength(4);
  });

  it("in audit mode says what would have been blocked", () => {
    const lines = summaryLines(decisions, "audit");
    expect(lines[0]).toContain("would have blocked (audit mode: served) 1 file");
    expect(lines.some((l) => l.startsWith(`would block ${fileOf("pinned")}: `))).toBe(true);
    expect(lines.some((l) => l.startsWith("blocked "))).toBe(false);
  });

  it("says when the proxy was asked for nothing", () => {
    expect(summaryLines([], "enforce")).toEqual([
      "the proxy was asked for no package: nothing was installed through it",
    ]);
  });

  it("escapes control characters from the index in file names and reasons", () => {
    const [one] = decisions.filter((d) => d.outcome === "fail");
    if (!one) throw new Error("no blocked decision");
    const hostile = { ...one, filename: "x\u001b[31m.whl\nforged line", reasons: ["a\rb"] };
    const lines = summaryLines([hostile], "enforce");
    expect(lines.join("\n").includes("\u001b") || lines.join("\n").includes("\r")).toBe(false);
    expect(lines[lines.length - 1]).toBe("blocked x\\x1b[31m.whl forged line: a b");
  });
});

describe("pyprov run's JSON report", () => {
  it("is a verify JSON report of every decision, valid against the published schema", () => {
    const doc = JSON.parse(runReportJson(decisions, trustRoot)) as {
      command: string;
      exitCode: number;
      trustedRoot: unknown;
      summary: Record<string, number>;
      results: { target: { filename?: string }; verdict: string }[];
    };
    expectValidReport(doc);
    expect(doc.command).toBe("verify");
    expect(doc.trustedRoot).toEqual(trustRoot);
    expect(doc.summary).toEqual({ total: 4, verified: 2, failed: 1, missing: 1, errors: 0 });
    // What `pyprov verify` would say of these files: one fails.
    expect(doc.exitCode).toBe(1);
    expect(doc.results.map((r) => r.target.filename).sort()).toEqual(
      decisions.map((d) => d.filename).sort(),
    );
  });

  it("with only passing decisions, its exitCode is 0", () => {
    const passing = decisions.filter((d) => d.outcome !== "fail");
    const doc = JSON.parse(runReportJson(passing, trustRoot)) as { exitCode: number };
    expect(doc.exitCode).toBe(0);
  });
});
