/**
 * The installed files against the wheel's RECORD (installed/compare.ts):
 * unchanged passes; an edited, missing or added file fails naming it; the
 * installer's own files, compiled .pyc and generated script wrappers are
 * allowed; .data/ files are found where the installer put them, and a
 * rewritten #!python shebang is compared after its first line.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  compareInstalled,
  ownDirectories,
  type Observed,
  type WheelContents,
} from "../../src/installed/compare.js";
import { parseRecord, type RecordEntry } from "../../src/installed/record.js";

const sha = (s: string) => createHash("sha256").update(s).digest("hex");
const b64 = (s: string) => createHash("sha256").update(s).digest("base64url");
const DI = "pkg-1.0.dist-info";

const FILES: Record<string, string> = {
  "pkg/__init__.py": "init",
  "pkg/core.py": "core",
  [`${DI}/METADATA`]: "meta",
  [`${DI}/entry_points.txt`]: "[console_scripts]\npkg-cli = pkg:main\n",
  "pkg-1.0.data/purelib/extra_mod.py": "extra mod",
  "pkg-1.0.data/scripts/tool": "#!python\nprint('tool')\n",
  "pkg-1.0.data/data/share/pkg/readme.txt": "data",
};

function record(rows: [string, string | undefined][]): RecordEntry[] {
  return parseRecord(
    rows.map(([p, c]) => `${p},${c === undefined ? "" : `sha256=${b64(c)}`},`).join("\n"),
    "R",
  );
}

function wheel(): WheelContents {
  return {
    distInfo: DI,
    record: record([...Object.entries(FILES), [`${DI}/RECORD`, undefined]]),
    entryPointScripts: ["pkg-cli"],
    scriptTails: new Map([["pkg-1.0.data/scripts/tool", sha("print('tool')\n")]]),
  };
}

/** What pip leaves on disk for the wheel, relative to site-packages. */
function installedDisk(): Map<string, string> {
  return new Map([
    ["pkg/__init__.py", "init"],
    ["pkg/core.py", "core"],
    ["pkg/__pycache__/core.cpython-311.pyc", "compiled"],
    ["pkg/__pycache__/__init__.cpython-311.opt-1.pyc", "compiled"],
    ["extra_mod.py", "extra mod"],
    ["__pycache__/extra_mod.cpython-311.pyc", "compiled"],
    [`${DI}/METADATA`, "meta"],
    [`${DI}/entry_points.txt`, FILES[`${DI}/entry_points.txt`] ?? ""],
    [`${DI}/INSTALLER`, "pip\n"],
    [`${DI}/REQUESTED`, ""],
    [`${DI}/direct_url.json`, "{}"],
    [`${DI}/RECORD`, "..."],
    ["../../../bin/tool", "#!/venv/bin/python3\nprint('tool')\n"],
    ["../../../bin/pkg-cli", "#!/venv/bin/python3\n# generated wrapper\n"],
    ["../../../share/pkg/readme.txt", "data"],
  ]);
}

function observe(disk: Map<string, string>): Map<string, Observed> {
  const out = new Map<string, Observed>();
  for (const [p, c] of disk) {
    out.set(p, { sha256: sha(c), tailSha256: sha(c.slice(c.indexOf("\n") + 1)) });
  }
  return out;
}

const installedRecord = (disk: Map<string, string>) =>
  record(
    [...disk.keys()].map((p): [string, string | undefined] => [
      p,
      p.endsWith("RECORD") ? undefined : disk.get(p),
    ]),
  );

describe("installed files against the wheel's RECORD", () => {
  it("an untouched install passes, with pip's own files, .pyc files and script wrappers allowed", () => {
    const disk = installedDisk();
    expect(compareInstalled(wheel(), installedRecord(disk), observe(disk))).toStrictEqual([]);
  });

  it("an edited .py file fails naming it", () => {
    const disk = installedDisk();
    const rec = installedRecord(disk);
    disk.set("pkg/core.py", "core; import evil");
    expect(compareInstalled(wheel(), rec, observe(disk))).toStrictEqual([
      { kind: "changed", path: "pkg/core.py", wheelPath: "pkg/core.py" },
    ]);
  });

  it("a file added inside the package fails, listed in RECORD or not", () => {
    const disk = installedDisk();
    disk.set("pkg/backdoor.py", "x");
    expect(compareInstalled(wheel(), installedRecord(disk), observe(disk))).toStrictEqual([
      { kind: "extra", path: "pkg/backdoor.py" },
    ]);
    const clean = installedDisk();
    expect(
      compareInstalled(wheel(), installedRecord(clean), observe(clean), [
        "pkg/sneaky.pth",
        "pkg/__pycache__/gone.cpython-311.pyc",
      ]),
    ).toStrictEqual([
      { kind: "extra", path: "pkg/sneaky.pth" },
      { kind: "extra", path: "pkg/__pycache__/gone.cpython-311.pyc" },
    ]);
  });

  it("a missing file, and a data file nowhere in the installed RECORD, fail", () => {
    const disk = installedDisk();
    const rec = installedRecord(disk).filter((r) => r.path !== "../../../share/pkg/readme.txt");
    disk.delete("pkg/__init__.py");
    expect(compareInstalled(wheel(), rec, observe(disk))).toStrictEqual([
      { kind: "missing", path: "pkg/__init__.py", wheelPath: "pkg/__init__.py" },
      {
        kind: "missing",
        path: "pkg-1.0.data/data/share/pkg/readme.txt",
        wheelPath: "pkg-1.0.data/data/share/pkg/readme.txt",
      },
    ]);
  });

  it("a script is compared after its rewritten shebang; a changed body fails", () => {
    const disk = installedDisk();
    const rec = installedRecord(disk);
    disk.set("../../../bin/tool", "#!/other/python\nprint('tool')\n");
    expect(compareInstalled(wheel(), rec, observe(disk))).toStrictEqual([]);
    disk.set("../../../bin/tool", "#!/venv/bin/python3\nimport evil\n");
    expect(compareInstalled(wheel(), rec, observe(disk))).toStrictEqual([
      { kind: "changed", path: "../../../bin/tool", wheelPath: "pkg-1.0.data/scripts/tool" },
    ]);
  });

  it("a wrapper name not in entry_points.txt, or a .pyc without its .py, is an extra", () => {
    const disk = installedDisk();
    disk.set("../../../bin/not-a-script", "x");
    disk.set("pkg/__pycache__/ghost.cpython-311.pyc", "x");
    expect(compareInstalled(wheel(), installedRecord(disk), observe(disk))).toStrictEqual([
      { kind: "extra", path: "../../../bin/not-a-script" },
      { kind: "extra", path: "pkg/__pycache__/ghost.cpython-311.pyc" },
    ]);
  });

  it("a wheel row without a hash (other than RECORD and its signatures) fails", () => {
    const w = wheel();
    w.record.push(...record([["pkg/nohash.py", undefined]]));
    const disk = installedDisk();
    expect(compareInstalled(w, installedRecord(disk), observe(disk))).toStrictEqual([
      { kind: "unhashed", wheelPath: "pkg/nohash.py" },
    ]);
  });

  it("own directories are the package folders and the dist-info", () => {
    const disk = installedDisk();
    expect(ownDirectories(wheel(), installedRecord(disk))).toStrictEqual(["pkg", DI]);
  });
});
