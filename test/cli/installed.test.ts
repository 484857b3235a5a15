/**
 * `pyprov verify --installed` as a process, on a venv real pip installed a
 * real corpus wheel into from the fake index (with its real provenance):
 * verified; an edited .py or an added file fails INSTALLED_MODIFIED naming
 * it; a direct-archive install and a project not on the index are
 * NOT_FROM_INDEX; a warm run downloads no wheel; the SBOM lists the
 * distribution with its status.
 */
import { spawn, spawnSync } from "node:child_process";
import {
  appendFileSync,
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
import { baseEnv, buildWheel, runBin } from "./run-helpers.js";

const CASE = "pep740plugin-abi3info-2024.10.3-whl-pypi-provenance";
const WHEEL = "abi3info-2024.10.3-py3-none-any.whl";

let dir: string;
let index: FakeIndex;
let venv: string;
let sitePackages: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pyprov-installed-cli-"));
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
  venv = join(dir, "venv");
  const made = spawnSync("python3", ["-m", "venv", "--without-pip", venv], {
    encoding: "utf8",
    timeout: 60_000,
  });
  if (made.status !== 0) {
    throw new Error(
      `python3 -m venv failed (Debian: apt-get install python3-venv python3-pip): ${made.stderr}`,
    );
  }
  // pip runs outside the venv (--python): the venv holds exactly what the test installs.
  const lib = readdirSync(join(venv, "lib"))[0] ?? "";
  sitePackages = join(venv, "lib", lib, "site-packages");
}, 120_000);

afterAll(async () => {
  await index?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface JsonRun {
  results: {
    target: { filename: string; path?: string; project?: string };
    verdict: string;
    failure?: { code: string; message: string };
    checks: { id: string; ok: boolean; message: string }[];
  }[];
  exitCode: number;
}

async function verifyInstalled(
  ...extra: string[]
): Promise<{ code: number; doc: JsonRun; stderr: string; stdout: string }> {
  const r = await runBin(
    [
      "verify",
      "--installed",
      venv,
      "--index-url",
      index.indexUrl,
      "--trusted-root",
      trustedRootPath("production"),
      ...extra,
    ],
    { env: baseEnv(dir), cwd: dir },
  );
  const json = extra.includes("json");
  return {
    code: r.code,
    stderr: r.stderr,
    stdout: r.stdout,
    doc: json ? (JSON.parse(r.stdout) as JsonRun) : ({} as JsonRun),
  };
}

describe("verify --installed (real pip, fake index)", () => {
  it("an environment pip installed from the index verifies, file by file", async () => {
    await pipAsync(["--index-url", index.indexUrl, "abi3info"]);
    const r = await verifyInstalled("--format", "json");
    expect(r.code, r.stderr).toBe(0);
    expectValidReport(r.doc);
    expect(r.doc.results.map((x) => [x.target.filename, x.target.project, x.verdict])).toEqual([
      [WHEEL, "abi3info", "verified"],
    ]);
    const check = r.doc.results[0]?.checks.find((c) => c.id === "installed-files");
    expect(check?.ok).toBe(true);
    expect(r.doc.results[0]?.target.path).toBe(join(sitePackages, "abi3info-2024.10.3.dist-info"));
  }, 120_000);

  it("a warm run downloads no wheel again", async () => {
    const before = index.count(index.filePath("abi3info", WHEEL));
    const r = await verifyInstalled("--format", "json");
    expect(r.code, r.stderr).toBe(0);
    expect(index.count(index.filePath("abi3info", WHEEL))).toBe(before);
  }, 60_000);

  it("an edited .py fails naming it; so does an added file", async () => {
    const file = join(sitePackages, "abi3info", "__init__.py");
    const original = readFileSync(file);
    appendFileSync(file, "\nimport os  # injected\n");
    try {
      const r = await verifyInstalled("--format", "json");
      expect(r.code).toBe(1);
      expect(r.doc.results[0]?.verdict).toBe("failed");
      expect(r.doc.results[0]?.failure?.code).toBe("INSTALLED_MODIFIED");
      expect(r.doc.results[0]?.failure?.message).toContain("changed: abi3info/__init__.py");
    } finally {
      writeFileSync(file, original);
    }
    const added = join(sitePackages, "abi3info", "evil.py");
    writeFileSync(added, "print(1)\n");
    try {
      const r = await verifyInstalled();
      expect(r.code).toBe(1);
      expect(r.stdout).toContain("extra: abi3info/evil.py is not in the wheel");
    } finally {
      rmSync(added);
    }
    expect((await verifyInstalled()).code).toBe(0);
  }, 120_000);

  it("a direct archive install and a project the index does not have are NOT_FROM_INDEX; the SBOM lists them", async () => {
    const local = join(dir, "localpkg-1.0-py3-none-any.whl");
    buildWheel(local, "localpkg", "1.0");
    await pipAsync(["--no-index", local]);
    const r = await verifyInstalled("--format", "json");
    expect(r.code).toBe(1);
    const byProject = new Map(r.doc.results.map((x) => [x.target.project, x]));
    expect(byProject.get("abi3info")?.verdict).toBe("verified");
    expect(byProject.get("localpkg")?.failure?.code).toBe("NOT_FROM_INDEX");
    expect(byProject.get("localpkg")?.failure?.message).toMatch(/direct archive install/);
    // Without the installer's record of the archive, it is looked for on the index.
    rmSync(join(sitePackages, "localpkg-1.0.dist-info", "direct_url.json"));
    const again = await verifyInstalled("--format", "json");
    const lp = again.doc.results.find((x) => x.target.project === "localpkg");
    expect(lp?.failure?.code).toBe("NOT_FROM_INDEX");
    expect(lp?.failure?.message).toMatch(/not on the index/);
    const sbom = await verifyInstalled("--format", "cyclonedx");
    const bom = JSON.parse(sbom.stdout) as {
      components: { name: string; properties?: { name: string; value: string }[] }[];
    };
    const names = bom.components.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(["abi3info", "localpkg"]));
  }, 120_000);
});

/** pip, asynchronously (the fake index answers from this process). */
function pipAsync(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      "python3",
      [
        "-m",
        "pip",
        "--python",
        join(venv, "bin", "python"),
        "install",
        "--no-deps",
        "--no-cache-dir",
        "--disable-pip-version-check",
        ...args,
      ],
      { env: baseEnv(dir), stdio: ["ignore", "ignore", "pipe"], timeout: 120_000 },
    );
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`pip failed: ${stderr}`)),
    );
  });
}
