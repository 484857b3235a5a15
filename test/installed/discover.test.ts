/**
 * Finding installed distributions (installed/discover.ts, dist-info.ts): a
 * root-filesystem layout built in a temp folder (as an exported container
 * image), a virtual environment, a site-packages folder, links that leave
 * the root, and every dist-info file read.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PyprovError } from "../../src/errors.js";
import { distributionsIn, sitePackagesOf } from "../../src/installed/discover.js";
import { readDistInfo, scriptNames } from "../../src/installed/dist-info.js";

let root: string;

function put(path: string, text = ""): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

function dist(sp: string, name: string, version: string): void {
  const di = `${sp}/${name}-${version}.dist-info`;
  put(
    `${di}/METADATA`,
    `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n\nbody: not a header\n`,
  );
  put(
    `${di}/WHEEL`,
    "Wheel-Version: 1.0\nTag: cp311-cp311-manylinux_2_17_x86_64\nTag: cp311-cp311-manylinux2014_x86_64\n",
  );
  put(`${di}/RECORD`, `${name}/__init__.py,,\n`);
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "pyprov-rootfs-"));
  dist("usr/lib/python3.11/site-packages", "alpha", "1.0");
  dist("usr/local/lib/python3.11/dist-packages", "beta", "2.0");
  dist("usr/lib/python3/dist-packages", "debpkg", "3.0");
  put("usr/lib/python3/dist-packages/legacy-0.1.egg-info", "Name: legacy\n");
  put("opt/app/venv/pyvenv.cfg", "home = /usr/bin\n");
  dist("opt/app/venv/lib/python3.12/site-packages", "gamma", "4.0");
  // A link that leaves the image is never followed.
  mkdirSync(join(root, "usr/local/lib"), { recursive: true });
  symlinkSync("/usr/lib/python3", join(root, "usr/local/lib/python3.12"));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("installed distributions", () => {
  it("a root filesystem: every site-packages and dist-packages under the usual prefixes, and its venvs", () => {
    const found = sitePackagesOf(root).map((p) => p.slice(root.length + 1));
    expect(found).toStrictEqual([
      "opt/app/venv/lib/python3.12/site-packages",
      "usr/lib/python3.11/site-packages",
      "usr/lib/python3/dist-packages",
      "usr/local/lib/python3.11/dist-packages",
    ]);
    const deb = distributionsIn(join(root, "usr/lib/python3/dist-packages"));
    expect(deb.distInfos).toStrictEqual(["debpkg-3.0.dist-info"]);
    expect(deb.eggInfos).toStrictEqual(["legacy-0.1.egg-info"]);
  });

  it("a virtual environment and a site-packages folder are taken as such", () => {
    expect(sitePackagesOf(join(root, "opt/app/venv"))).toStrictEqual([
      join(root, "opt/app/venv/lib/python3.12/site-packages"),
    ]);
    const sp = join(root, "usr/lib/python3.11/site-packages");
    expect(sitePackagesOf(sp)).toStrictEqual([sp]);
  });

  it("a folder with no site-packages, a file and a missing path are one-line errors", () => {
    const empty = join(root, "empty");
    mkdirSync(empty);
    for (const [p, code] of [
      [empty, "INPUT_UNREADABLE"],
      [join(root, "opt/app/venv/pyvenv.cfg"), "USAGE"],
      [join(root, "nope"), "INPUT_UNREADABLE"],
    ] as const) {
      let caught: unknown;
      try {
        sitePackagesOf(p);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(PyprovError);
      expect((caught as PyprovError).code).toBe(code);
    }
  });

  it("reads METADATA, WHEEL tags, RECORD, INSTALLER, entry points and the recorded origin", () => {
    const sp = "usr/lib/python3.11/site-packages";
    const di = `${sp}/alpha-1.0.dist-info`;
    put(`${di}/INSTALLER`, "uv\n");
    put(
      `${di}/entry_points.txt`,
      "[console_scripts]\nalpha = alpha:main\n\n[gui_scripts]\nalpha-gui=alpha:gui\n[other]\nnot = x\n",
    );
    const sha = "ab".repeat(32);
    put(
      `${di}/provenance_url.json`,
      JSON.stringify({
        url: "https://files.example/alpha-1.0-py3-none-any.whl",
        archive_info: { hashes: { sha256: sha } },
      }),
    );
    const info = readDistInfo(join(root, sp), "alpha-1.0.dist-info");
    expect(info).toMatchObject({
      project: "alpha",
      version: "1.0",
      tags: ["cp311-cp311-manylinux_2_17_x86_64", "cp311-cp311-manylinux2014_x86_64"],
      installer: "uv",
      entryPointScripts: ["alpha", "alpha-gui"],
      origin: {
        from: "provenance_url.json",
        url: "https://files.example/alpha-1.0-py3-none-any.whl",
        sha256: sha,
      },
      direct: undefined,
    });
    expect(info.record?.map((r) => r.path)).toStrictEqual(["alpha/__init__.py"]);
  });

  it("direct_url.json marks a direct install; broken dist-info files are errors", () => {
    const sp = "usr/local/lib/python3.11/dist-packages";
    const di = `${sp}/beta-2.0.dist-info`;
    put(
      `${di}/direct_url.json`,
      JSON.stringify({ url: "file:///src/beta", dir_info: { editable: true } }),
    );
    expect(readDistInfo(join(root, sp), "beta-2.0.dist-info").direct).toStrictEqual({
      kind: "dir",
      url: "file:///src/beta",
      editable: true,
    });
    put(
      `${di}/direct_url.json`,
      JSON.stringify({ url: "https://x/beta.whl", archive_info: { hash: "sha256=zz" } }),
    );
    expect(() => readDistInfo(join(root, sp), "beta-2.0.dist-info")).toThrow(/not 64 hex digits/);
    put(`${di}/direct_url.json`, "{}");
    expect(() => readDistInfo(join(root, sp), "beta-2.0.dist-info")).toThrow(/origin/);
    put(`${di}/METADATA`, "Metadata-Version: 2.1\nVersion: 2.0\n");
    expect(() => readDistInfo(join(root, sp), "beta-2.0.dist-info")).toThrow(/no valid Name/);
  });

  it("script names come only from the console and GUI sections", () => {
    expect(scriptNames("[console_scripts]\n# c\na=b:c\n[x]\nd=e\n")).toStrictEqual(["a"]);
  });
});
