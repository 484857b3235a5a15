/**
 * `pyprov verify --pip-report` on reports real pip wrote: `pip install
 * --dry-run --report` run for real against the fake index (which serves a
 * real corpus wheel with its real provenance), then verified; an edited hash
 * fails, a direct URL item is reported as not from an index, standard input
 * works, and an unsupported report version is a one-line exit 2.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectValidReport } from "../report/helpers.js";
import { BIN } from "../support/cli.js";
import { casePath, trustedRootPath } from "../support/corpus.js";
import { FakeIndex } from "../support/fake-index.js";
import { baseEnv, buildWheel, runBin } from "./run-helpers.js";

const CASE = "pep740plugin-abi3info-2024.10.3-whl-pypi-provenance";
const WHEEL = "abi3info-2024.10.3-py3-none-any.whl";

let dir: string;
let index: FakeIndex;
let python: string;
let reportPath: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pyprov-pip-report-"));
  index = new FakeIndex({
    projects: {
      abi3info: {
        files: [
          {
            filename: WHEEL,
            body: readFileSync(casePath(CASE, WHEEL)),
            provenance: readFileSync(casePath(CASE, `${WHEEL}.provenance`)),
          },
        ],
      },
    },
  });
  await index.start();
  const venv = join(dir, "venv");
  const made = spawnSync("python3", ["-m", "venv", venv], { encoding: "utf8", timeout: 60_000 });
  if (made.status !== 0) {
    throw new Error(
      `python3 -m venv failed (Debian: apt-get install python3-venv python3-pip): ${made.stderr}`,
    );
  }
  python = join(venv, "bin", "python");
  reportPath = join(dir, "report.json");
  const pip = await pipReport(reportPath, ["abi3info"]);
  if (pip.code !== 0) throw new Error(`pip install --dry-run --report failed: ${pip.stderr}`);
}, 120_000);

afterAll(async () => {
  await index?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Real pip, resolving against the fake index without installing anything. */
function pipReport(out: string, what: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      python,
      [
        "-m",
        "pip",
        "install",
        "--dry-run",
        "--quiet",
        "--no-deps",
        "--no-cache-dir",
        "--index-url",
        index.indexUrl,
        "--report",
        out,
        ...what,
      ],
      { env: baseEnv(dir), stdio: ["ignore", "ignore", "pipe"], timeout: 120_000 },
    );
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stderr }));
  });
}

const verifyArgs = (...extra: string[]): string[] => [
  "verify",
  "--index-url",
  index.indexUrl,
  "--trusted-root",
  trustedRootPath("production"),
  "--no-cache",
  ...extra,
];

interface JsonRun {
  results: {
    target: { filename: string; project?: string; version?: string; origin?: { line: number } };
    verdict: string;
    failure?: { code: string };
  }[];
  exitCode: number;
}

describe("verify --pip-report (real pip)", () => {
  it("verifies every file pip chose, by the digest pip recorded", async () => {
    const doc = JSON.parse(readFileSync(reportPath, "utf8")) as {
      version: string;
      install: { download_info: { url: string } }[];
    };
    expect(doc.version).toBe("1");
    expect(doc.install.map((i) => i.download_info.url.split("/").pop())).toEqual([WHEEL]);
    const r = await runBin(verifyArgs("--pip-report", reportPath, "--format", "json"), {
      env: baseEnv(dir),
      cwd: dir,
    });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as JsonRun;
    expectValidReport(out);
    expect(out.results.map((x) => [x.target.filename, x.target.project, x.verdict])).toEqual([
      [WHEEL, "abi3info", "verified"],
    ]);
    expect(out.results[0]?.target.origin?.line).toBeGreaterThan(1);
  }, 60_000);

  it("fails for a report whose hash was edited", async () => {
    const edited = join(dir, "edited.json");
    const text = readFileSync(reportPath, "utf8");
    const sha = /"sha256": ?"([0-9a-f]{64})"/.exec(text)?.[1];
    expect(sha).toBeDefined();
    const other = `${sha?.slice(0, 63)}${sha?.endsWith("0") ? "1" : "0"}`;
    writeFileSync(edited, text.replaceAll(sha ?? "", other));
    const r = await runBin(verifyArgs("--pip-report", edited, "--format", "json"), {
      env: baseEnv(dir),
      cwd: dir,
    });
    expect(r.code, r.stderr).toBe(1);
    const out = JSON.parse(r.stdout) as JsonRun;
    expect(out.results).toHaveLength(1);
    expect(out.results[0]?.verdict).toBe("failed");
  }, 60_000);

  it("reads the report from standard input with -", async () => {
    // Asynchronous: the fake index answers from this process.
    const child = spawn(process.execPath, [BIN, ...verifyArgs("--pip-report", "-")], {
      env: baseEnv(dir),
      cwd: dir,
      stdio: ["pipe", "pipe", "pipe"],
      timeout: 60_000,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(readFileSync(reportPath));
    const code = await new Promise<number>((resolve) => child.on("close", (c) => resolve(c ?? -1)));
    expect(code, stderr).toBe(0);
    expect(stdout).toContain(WHEEL);
  }, 60_000);

  it("a direct-URL install is reported as not from an index", async () => {
    const local = join(dir, "localpkg-1.0-py3-none-any.whl");
    buildWheel(local, "localpkg", "1.0");
    const out = join(dir, "direct.json");
    const pip = await pipReport(out, [local]);
    expect(pip.code, pip.stderr).toBe(0);
    const r = await runBin(verifyArgs("--pip-report", out, "--format", "json"), {
      env: baseEnv(dir),
      cwd: dir,
    });
    expect(r.code, r.stderr).toBe(1);
    const doc = JSON.parse(r.stdout) as JsonRun;
    expect(doc.results.map((x) => [x.target.project, x.verdict, x.failure?.code])).toEqual([
      ["localpkg", "missing", "NOT_FROM_INDEX"],
    ]);
  }, 60_000);

  it("an unsupported or missing report version is a one-line exit 2", async () => {
    for (const [body, want] of [
      ['{"version": "2", "install": []}', /version "2" is not supported/],
      ['{"install": []}', /no "version"/],
    ] as const) {
      const bad = join(dir, "bad.json");
      writeFileSync(bad, body);
      const r = await runBin(verifyArgs("--pip-report", bad), { env: baseEnv(dir), cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(want);
    }
  });
});
