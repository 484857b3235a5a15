/**
 * The installed-files check on what real pip installs (Debian's python3-pip,
 * python3-venv): a wheel with a package, a module in .data/purelib, a
 * `#!python` script in .data/scripts and a console script entry point is
 * built with Python's zipfile, read back by readWheelContents, installed by
 * pip into a venv, and compared file by file with the bytes on disk: it
 * passes as installed (pip's .pyc, INSTALLER, REQUESTED, rewritten shebang
 * and generated wrapper included); an edited .py and an added file fail,
 * each named.
 */
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compareInstalled, expectedFiles, ownDirectories } from "../../src/installed/compare.js";
import { distributionsIn, sitePackagesOf } from "../../src/installed/discover.js";
import { readDistInfo } from "../../src/installed/dist-info.js";
import { observeFiles, unlistedFiles } from "../../src/installed/disk.js";
import { readWheelContents } from "../../src/installed/wheel.js";

const BUILD = `
import base64, hashlib, sys, zipfile
out = sys.argv[1]
di = "realpkg-1.0.dist-info"
files = {
    "realpkg/__init__.py": "VALUE = 1\\n",
    "realpkg/core.py": "def main():\\n    return 0\\n",
    "realpkg-1.0.data/purelib/realpkg_extra.py": "EXTRA = 2\\n",
    "realpkg-1.0.data/scripts/realtool": "#!python\\nimport realpkg\\nprint(realpkg.VALUE)\\n",
    di + "/METADATA": "Metadata-Version: 2.1\\nName: realpkg\\nVersion: 1.0\\n",
    di + "/WHEEL": "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
    di + "/entry_points.txt": "[console_scripts]\\nrealpkg-cli = realpkg.core:main\\n",
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

let dir: string;
let wheelBytes: Buffer;
let sitePackages: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "pyprov-installed-"));
  const wheel = join(dir, "realpkg-1.0-py3-none-any.whl");
  const built = spawnSync("python3", ["-c", BUILD, wheel], { encoding: "utf8" });
  if (built.status !== 0) throw new Error(`building the wheel failed: ${built.stderr}`);
  wheelBytes = readFileSync(wheel);
  const venv = join(dir, "venv");
  const made = spawnSync("python3", ["-m", "venv", venv], { encoding: "utf8", timeout: 60_000 });
  if (made.status !== 0) {
    throw new Error(
      `python3 -m venv failed (Debian: apt-get install python3-venv python3-pip): ${made.stderr}`,
    );
  }
  const pip = spawnSync(
    join(venv, "bin", "python"),
    ["-m", "pip", "install", "--no-index", "--no-deps", "--disable-pip-version-check", wheel],
    { encoding: "utf8", timeout: 120_000, env: { ...process.env, PIP_CONFIG_FILE: "/dev/null" } },
  );
  if (pip.status !== 0) throw new Error(`pip install failed: ${pip.stderr}`);
  [sitePackages = ""] = sitePackagesOf(venv);
}, 180_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function check() {
  const wheel = readWheelContents(wheelBytes, "realpkg-1.0-py3-none-any.whl");
  const info = readDistInfo(sitePackages, "realpkg-1.0.dist-info");
  const installed = info.record ?? [];
  const listed = new Set<string>();
  for (const name of distributionsIn(sitePackages).distInfos) {
    for (const r of readDistInfo(sitePackages, name).record ?? []) listed.add(r.path);
  }
  const paths = [
    ...expectedFiles(wheel, installed).expected.map((e) => e.path),
    ...installed.map((r) => r.path),
  ];
  const observed = await observeFiles(sitePackages, paths);
  const unlisted = unlistedFiles(sitePackages, ownDirectories(wheel, installed), listed);
  return { wheel, info, findings: compareInstalled(wheel, installed, observed, unlisted) };
}

describe("installed by real pip, compared with the wheel", () => {
  it("reads the wheel's RECORD, entry points and #!python script from its bytes", async () => {
    const { wheel, info } = await check();
    expect(wheel.distInfo).toBe("realpkg-1.0.dist-info");
    expect(wheel.entryPointScripts).toStrictEqual(["realpkg-cli"]);
    expect([...wheel.scriptTails.keys()]).toStrictEqual(["realpkg-1.0.data/scripts/realtool"]);
    expect(wheel.record.map((r) => r.path)).toContain("realpkg/core.py");
    expect(info).toMatchObject({
      project: "realpkg",
      version: "1.0",
      installer: "pip",
      tags: ["py3-none-any"],
    });
    // pip rewrote the shebang and wrote the wrapper: both outside site-packages.
    expect(info.record?.some((r) => r.path.endsWith("/bin/realtool"))).toBe(true);
    expect(info.record?.some((r) => r.path.endsWith("/bin/realpkg-cli"))).toBe(true);
  });

  it("passes as pip installed it", async () => {
    expect((await check()).findings).toStrictEqual([]);
  });

  it("an edited .py fails naming it; an added file fails naming it", async () => {
    const core = join(sitePackages, "realpkg", "core.py");
    const original = readFileSync(core);
    appendFileSync(core, "import os  # injected\n");
    try {
      expect((await check()).findings).toStrictEqual([
        { kind: "changed", path: "realpkg/core.py", wheelPath: "realpkg/core.py" },
      ]);
    } finally {
      writeFileSync(core, original);
    }
    const added = join(sitePackages, "realpkg", "payload.py");
    writeFileSync(added, "print('hi')\n");
    try {
      expect((await check()).findings).toStrictEqual([
        { kind: "extra", path: "realpkg/payload.py" },
      ]);
    } finally {
      rmSync(added);
    }
    expect((await check()).findings).toStrictEqual([]);
  });

  it("a damaged or foreign zip is refused, never half read", () => {
    expect(() => readWheelContents(wheelBytes.subarray(0, wheelBytes.length - 10), "w")).toThrow(
      /no end of central directory/,
    );
    // Damage the RECORD's compressed bytes (it is the last entry written).
    const damaged = Buffer.from(wheelBytes);
    const cd = damaged.lastIndexOf(Buffer.from("realpkg-1.0.dist-info/RECORD"));
    const local = damaged.indexOf(Buffer.from("realpkg-1.0.dist-info/RECORD"));
    expect(local).toBeGreaterThan(0);
    expect(cd).toBeGreaterThan(local);
    const at = local + "realpkg-1.0.dist-info/RECORD".length + 4;
    damaged[at] = (damaged[at] ?? 0) ^ 0xff;
    expect(() => readWheelContents(damaged, "w")).toThrow(
      /RECORD (does not inflate|does not match)/,
    );
    expect(() => readWheelContents(Buffer.from("not a zip at all, just text"), "w")).toThrow(
      /not a zip file/,
    );
  });
});
