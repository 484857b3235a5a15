/**
 * `pyprov run` as a process (bin/pyprov.js): real pip in a venv installing
 * through the proxy from the fake index, which serves a real corpus wheel
 * with its real provenance; exit codes, signals, the command's environment
 * and the JSON report. The refusals are in run-refusals.test.ts.
 */
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectValidReport } from "../report/helpers.js";
import { casePath, trustedRootPath } from "../support/corpus.js";
import { FakeIndex } from "../support/fake-index.js";
import { baseEnv, buildWheel, runBin as bin, type BinOptions } from "./run-helpers.js";

const CASE = "pep740plugin-abi3info-2024.10.3-whl-pypi-provenance";
const WHEEL = "abi3info-2024.10.3-py3-none-any.whl";
const BLOCKED = "blockedpkg-1.0-py3-none-any.whl";

let dir: string;
let index: FakeIndex;
let venv: string;
let findLinks: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pyprov-run-"));
  findLinks = join(dir, "find-links");
  mkdirSync(findLinks);
  // A valid wheel of the blocked project in a find-links folder: pip would
  // install it from there if PIP_FIND_LINKS reached it.
  const blocked = buildWheel(join(findLinks, BLOCKED), "blockedpkg", "1.0");
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
      blockedpkg: { files: [{ filename: BLOCKED, body: blocked, provenance: null }] },
    },
  });
  await index.start();
  venv = join(dir, "venv");
  const made = spawnSync("python3", ["-m", "venv", venv], { encoding: "utf8", timeout: 60_000 });
  if (made.status !== 0) {
    throw new Error(
      `python3 -m venv failed (Debian: apt-get install python3-venv python3-pip): ${made.stderr}`,
    );
  }
});

afterAll(async () => {
  await index?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => baseEnv(dir, extra);

const runBin = (
  args: string[],
  e: NodeJS.ProcessEnv = env(),
  onStdoutLine?: BinOptions["onStdoutLine"],
) => bin(args, { env: e, cwd: dir, ...(onStdoutLine ? { onStdoutLine } : {}) });

const proxyArgs = (): string[] => [
  "--upstream",
  index.indexUrl,
  "--trusted-root",
  trustedRootPath("production"),
  "--cache-dir",
  join(dir, "proxy-cache"),
];

const pipInstall = (...what: string[]): string[] => [
  join(venv, "bin", "python"),
  "-m",
  "pip",
  "install",
  "--no-cache-dir",
  ...what,
];

function installed(project: string): boolean {
  const r = spawnSync(join(venv, "bin", "python"), ["-m", "pip", "show", "-q", project], {
    env: env(),
    encoding: "utf8",
  });
  return r.status === 0;
}

describe("pyprov run -- pip install (real pip, fake index upstream)", () => {
  it("installs a verified corpus wheel, says what it verified and unset, and writes the JSON report", async () => {
    const report = join(dir, "report-ok.json");
    const r = await runBin(
      [
        "run",
        ...proxyArgs(),
        "--format",
        "json",
        "--output",
        report,
        "--",
        ...pipInstall("abi3info"),
      ],
      env({ PIP_EXTRA_INDEX_URL: "http://127.0.0.1:9/simple/", PIP_FIND_LINKS: findLinks }),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(installed("abi3info")).toBe(true);
    expect(r.stderr).toMatch(
      /^pyprov run: serving only verified files from http:\/\/127\.0\.0\.1:\d+\/simple\/ at http:\/\/127\.0\.0\.1:\d+\/simple\/; PIP_INDEX_URL, UV_DEFAULT_INDEX, UV_INDEX_URL point at it$/m,
    );
    expect(r.stderr).toContain(
      "pyprov run: unset for the command: PIP_EXTRA_INDEX_URL, PIP_FIND_LINKS\n",
    );
    expect(r.stderr).toContain(
      "pyprov run: the proxy verified 1 file, allowed 0 files unattested and blocked 0 files",
    );
    expect(r.stderr).toContain("pyprov run: verified: abi3info\n");
    expect(r.stderr).toContain(`pyprov run: delivered through the proxy: ${WHEEL}\n`);
    expect(r.stderr).toContain(`pyprov run: report written to ${report}\n`);
    // The wheel came from the fake index, through the proxy.
    expect(index.count(index.filePath("abi3info", WHEEL))).toBeGreaterThanOrEqual(1);
    const doc = JSON.parse(readFileSync(report, "utf8")) as {
      results: { target: { filename?: string }; verdict: string }[];
      summary: Record<string, number>;
      exitCode: number;
    };
    expectValidReport(doc);
    expect(doc.results.map((x) => [x.target.filename, x.verdict])).toEqual([[WHEEL, "verified"]]);
    expect(doc.exitCode).toBe(0);
  }, 120_000);

  it("a package without provenance is blocked: pip fails, even with a find-links folder that has it, and the summary names it", async () => {
    const r = await runBin(
      ["run", ...proxyArgs(), "--", ...pipInstall("blockedpkg")],
      env({ PIP_FIND_LINKS: findLinks }),
    );
    expect(r.code, r.stderr).toBe(1); // pip's own exit code
    expect(installed("blockedpkg")).toBe(false);
    expect(r.stderr).toMatch(/No matching distribution found for blockedpkg/);
    expect(r.stderr).toMatch(
      new RegExp(`^pyprov run: blocked ${BLOCKED.replace(/\./g, "\\.")}: .+$`, "m"),
    );
    expect(r.stderr).toContain("blocked 1 file");
    // The download URL was never asked for.
    expect(index.count(index.filePath("blockedpkg", BLOCKED))).toBe(0);
  }, 120_000);

  it("a publisher the policy does not allow is blocked, and the JSON report says why", async () => {
    const policy = join(dir, "pin-other.yaml");
    writeFileSync(
      policy,
      "version: 1\npackages:\n  abi3info:\n    publishers:\n      - kind: github\n        repository: other/repo\n",
    );
    const report = join(dir, "report-blocked.json");
    const target = join(dir, "target-blocked");
    const r = await runBin([
      "run",
      ...proxyArgs(),
      "--policy",
      policy,
      "--format",
      "json",
      "--output",
      report,
      "--",
      ...pipInstall("--target", target, "abi3info"),
    ]);
    expect(r.code, r.stderr).toBe(1);
    expect(existsSync(target) ? readdirSync(target) : []).toEqual([]);
    const line = r.stderr.split("\n").find((l) => l.startsWith(`pyprov run: blocked ${WHEEL}: `));
    expect(line).toContain("other/repo");
    const doc = JSON.parse(readFileSync(report, "utf8")) as {
      results: { target: { filename?: string }; verdict: string }[];
      exitCode: number;
    };
    expectValidReport(doc);
    expect(doc.results.map((x) => [x.target.filename, x.verdict])).toEqual([[WHEEL, "failed"]]);
    expect(doc.exitCode).toBe(1);
  }, 120_000);
});

describe("pyprov run --mode audit", () => {
  it("installs the unattested package, and the summary says it would have been blocked", async () => {
    const target = join(dir, "target-audit");
    const r = await runBin([
      "run",
      ...proxyArgs(),
      "--mode",
      "audit",
      "--",
      ...pipInstall("--target", target, "blockedpkg"),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(target)).toContain("blockedpkg");
    expect(r.stderr).toContain("would have blocked (audit mode: served) 1 file");
    expect(r.stderr).toMatch(
      new RegExp(`^pyprov run: would block ${BLOCKED.replace(/\./g, "\\.")}: `, "m"),
    );
  }, 120_000);
});

describe("pyprov run: the command's exit code, signals and environment", () => {
  it("passes the exit code through", async () => {
    const r = await runBin(["run", ...proxyArgs(), "--", "sh", "-c", "exit 7"]);
    expect(r.code).toBe(7);
    expect(r.stderr).toContain("the proxy was asked for no package");
  });

  it("a report that cannot be written: exit 2 when the command succeeded, else the command's code", async () => {
    for (const [exit, expected] of [
      [0, 2],
      [3, 3],
    ] as const) {
      const gone = join(dir, `gone-${exit}`);
      mkdirSync(gone, { recursive: true });
      const report = join(gone, "report.json");
      const r = await runBin([
        "run",
        ...proxyArgs(),
        "--format",
        "json",
        "--output",
        report,
        "--",
        "sh",
        "-c",
        `rm -r '${gone}'; exit ${exit}`,
      ]);
      expect(r.code, r.stderr).toBe(expected);
      expect(existsSync(report)).toBe(false);
      const errors = r.stderr.split("\n").filter((l) => l.startsWith("pyprov: "));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/^pyprov: --output .*report\.json: cannot write the report: /);
    }
  });

  it("a command killed by a signal is 128+n", async () => {
    const r = await runBin(["run", ...proxyArgs(), "--", "sh", "-c", "kill -KILL $$"]);
    expect(r.code).toBe(137);
    expect(r.stderr).toContain("pyprov run: the command was killed by SIGKILL\n");
  });

  it("a command that does not exist is 127, with one line", async () => {
    const r = await runBin(["run", ...proxyArgs(), "--", join(dir, "no-such-program")]);
    expect(r.code).toBe(127);
    expect(r.stderr).toContain(
      `pyprov run: cannot run ${join(dir, "no-such-program")}: command not found\n`,
    );
  });

  it("the command sees the proxy in PIP_INDEX_URL, UV_DEFAULT_INDEX, UV_INDEX_URL, and no other source", async () => {
    const script = `
      const url = process.env.PIP_INDEX_URL;
      fetch(new URL("/-/health", url)).then(async (res) => {
        console.log(JSON.stringify({ env: process.env, health: res.status }));
      });`;
    const r = await runBin(
      ["run", ...proxyArgs(), "--", process.execPath, "-e", script],
      env({
        PIP_INDEX_URL: "https://elsewhere.example/simple/",
        UV_INDEX_URL: "https://elsewhere.example/simple/",
        PIP_EXTRA_INDEX_URL: "https://extra.example/simple/",
        UV_EXTRA_INDEX_URL: "https://extra.example/simple/",
        UV_INDEX: "x=https://extra.example/simple/",
        PIP_FIND_LINKS: findLinks,
        PIP_NO_INDEX: "1",
        KEEP_ME: "yes",
      }),
    );
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { env: Record<string, string>; health: number };
    const url = out.env.PIP_INDEX_URL ?? "";
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/simple\/$/);
    expect(out.env.UV_DEFAULT_INDEX).toBe(url);
    expect(out.env.UV_INDEX_URL).toBe(url);
    for (const name of [
      "PIP_EXTRA_INDEX_URL",
      "UV_EXTRA_INDEX_URL",
      "UV_INDEX",
      "PIP_FIND_LINKS",
      "PIP_NO_INDEX",
    ]) {
      expect(out.env[name], name).toBeUndefined();
    }
    expect(out.env.KEEP_ME).toBe("yes");
    // The proxy answers for as long as the command runs.
    expect(out.health).toBe(200);
    expect(r.stderr).toContain(
      "pyprov run: unset for the command: PIP_EXTRA_INDEX_URL, UV_EXTRA_INDEX_URL, UV_INDEX, PIP_FIND_LINKS, PIP_NO_INDEX\n",
    );
    expect(r.stderr).toContain(`at ${url};`);
    expect(r.stderr).toContain(
      `pyprov run: PIP_INDEX_URL, UV_INDEX_URL named another index, now replaced: the proxy's upstream is ${index.indexUrl} (--upstream to proxy another index)\n`,
    );
    expect(r.stderr).not.toContain("elsewhere.example");
  });

  it("SIGTERM to pyprov is passed to the command, whose exit code comes back", async () => {
    const script = `
      process.on("SIGTERM", () => { console.log("child got SIGTERM"); process.exit(5); });
      setInterval(() => {}, 1000);
      console.log("ready");`;
    const r = await runBin(
      ["run", ...proxyArgs(), "--", process.execPath, "-e", script],
      env(),
      (line, child) => {
        if (line === "ready") child.kill("SIGTERM");
      },
    );
    expect(r.stdout).toBe("ready\nchild got SIGTERM\n");
    expect(r.code).toBe(5);
    expect(r.signal).toBeNull();
  });
});
