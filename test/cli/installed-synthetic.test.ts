/**
 * `pyprov verify --installed` on a synthetic wheel signed by the test
 * Sigstore (a package, a console-script entry point and a `#!python`
 * script), installed by real pip from the synthetic index into a venv:
 * verified with pip's .pyc files, generated wrapper and rewritten shebang;
 * a wrong expected repository fails; an edited script body fails naming it.
 */
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  PUBLISHER_IDENTITY,
  SyntheticIndex,
  provenanceBody,
  sha256Hex,
} from "../support/synthetic-index.js";
import { baseEnv, runBin } from "./run-helpers.js";

const BUILD = `
import base64, hashlib, sys, zipfile
out = sys.argv[1]
di = "synthtool-2.0.dist-info"
files = {
    "synthtool/__init__.py": "def main():\\n    return 0\\n",
    "synthtool/util.py": "X = 1\\n",
    "synthtool-2.0.data/scripts/synth-raw": "#!python\\nimport synthtool\\n",
    di + "/METADATA": "Metadata-Version: 2.1\\nName: synthtool\\nVersion: 2.0\\n",
    di + "/WHEEL": "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
    di + "/entry_points.txt": "[console_scripts]\\nsynthtool = synthtool:main\\n",
}
rows = []
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for name, text in files.items():
        data = text.encode()
        z.writestr(name, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        rows.append(f"{name},sha256={digest},{len(data)}")
    rows.append(di + "/RECORD,,")
    z.writestr(di + "/RECORD", "\\n".join(rows) + "\\n")
`;
const FILENAME = "synthtool-2.0-py3-none-any.whl";

let synth: SyntheticIndex;
let venv: string;

beforeAll(async () => {
  synth = new SyntheticIndex();
  const wheelPath = join(synth.subdir(), FILENAME);
  const built = spawnSync("python3", ["-c", BUILD, wheelPath], { encoding: "utf8" });
  if (built.status !== 0) throw new Error(`building the wheel failed: ${built.stderr}`);
  const body = readFileSync(wheelPath);
  const sha256 = sha256Hex(body);
  const provenance = provenanceBody(synth.ss, FILENAME, sha256);
  synth.put({
    name: "synthtool",
    files: [
      {
        project: "synthtool",
        version: "2.0",
        kind: "wheel",
        filename: FILENAME,
        body,
        sha256,
        provenance,
        identity: PUBLISHER_IDENTITY,
        fake: { filename: FILENAME, body, provenance, version: "2.0" },
      },
    ],
  });
  await synth.start();
  venv = join(synth.subdir(), "venv");
  const made = spawnSync("python3", ["-m", "venv", "--without-pip", venv], {
    encoding: "utf8",
    timeout: 60_000,
  });
  if (made.status !== 0) {
    throw new Error(
      `python3 -m venv failed (Debian: apt-get install python3-venv): ${made.stderr}`,
    );
  }
  // pip runs asynchronously: the synthetic index answers from this process.
  await new Promise<void>((resolve, reject) => {
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
        "--index-url",
        synth.indexUrl,
        "synthtool",
      ],
      { env: baseEnv(synth.dir), stdio: ["ignore", "ignore", "pipe"], timeout: 120_000 },
    );
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`pip: ${stderr}`))));
  });
}, 180_000);

afterAll(async () => {
  await synth?.close();
});

const verify = (...extra: string[]) =>
  runBin(
    [
      "verify",
      "--installed",
      venv,
      "--index-url",
      synth.indexUrl,
      "--trusted-root",
      synth.root,
      "--no-cache",
      "--format",
      "json",
      ...extra,
    ],
    { env: baseEnv(synth.dir), cwd: synth.dir },
  );

interface JsonRun {
  results: {
    target: { filename: string };
    verdict: string;
    failure?: { code: string; message: string };
    checks: { id: string; ok: boolean }[];
  }[];
}

describe("verify --installed: a test-Sigstore wheel with scripts (real pip)", () => {
  it("verifies, with pip's .pyc files, wrapper and rewritten shebang allowed", async () => {
    const sp = join(venv, "lib", readdirSync(join(venv, "lib"))[0] ?? "", "site-packages");
    expect(readdirSync(join(sp, "synthtool", "__pycache__")).length).toBeGreaterThan(0);
    expect(readFileSync(join(venv, "bin", "synth-raw"), "utf8")).not.toMatch(/^#!python\n/);
    expect(readFileSync(join(venv, "bin", "synthtool"), "utf8")).toContain("synthtool");
    const r = await verify();
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as JsonRun;
    expect(doc.results.map((x) => [x.target.filename, x.verdict])).toEqual([
      [FILENAME, "verified"],
    ]);
    expect(doc.results[0]?.checks.find((c) => c.id === "installed-files")?.ok).toBe(true);
  }, 60_000);

  it("a repository other than the publisher's fails", async () => {
    const r = await verify("--repository", "someone/else");
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as JsonRun).results[0]?.verdict).toBe("failed");
  }, 60_000);

  it("an edited script body fails naming the script", async () => {
    const script = join(venv, "bin", "synth-raw");
    const original = readFileSync(script);
    writeFileSync(script, `${original.toString().split("\n")[0]}\nimport os; os.system("id")\n`);
    try {
      const r = await verify();
      expect(r.code).toBe(1);
      const f = (JSON.parse(r.stdout) as JsonRun).results[0]?.failure;
      expect(f?.code).toBe("INSTALLED_MODIFIED");
      expect(f?.message).toMatch(/changed: \.\.\/\.\.\/\.\.\/bin\/synth-raw/);
    } finally {
      writeFileSync(script, original);
    }
  }, 60_000);
});
