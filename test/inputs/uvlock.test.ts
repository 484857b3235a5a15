import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { TargetSpec } from "../../src/inputs/types.js";
import { loadUvLockFile, parseUvLock } from "../../src/inputs/uvlock.js";
import { expectPyprovError, FIXTURES, h, oversizedText, withTempFiles } from "./helpers.js";

const FILES = "https://files.pythonhosted.org/packages";
const HEX = "e".repeat(64);
const parse = (text: string) => parseUvLock(text, "uv.lock");
const lock = (body: string) => `version = 1\nrevision = 2\nrequires-python = ">=3.12"\n\n${body}`;
const registry = (extra: string) =>
  `[[package]]\nname = "six"\nversion = "1.16.0"\nsource = { registry = "https://pypi.org/simple" }\n${extra}`;

describe("a uv.lock with a workspace, registry and non-index packages", () => {
  const file = join(FIXTURES, "uvlock", "uv.lock");
  const result = loadUvLockFile(file);
  const at = (line: number) => ({ file, line });

  it("reads the header", () => {
    expect([result.version, result.revision]).toStrictEqual([1, 2]);
  });

  it("skips editable, virtual and workspace-member packages with the reason", () => {
    expect(result.skipped).toStrictEqual([
      {
        name: "acme-cli",
        version: "0.4.0",
        reason: "editable",
        path: "packages/cli",
        source: at(16),
      },
      {
        name: "acme-core",
        version: "0.4.0",
        reason: "workspace-member",
        path: "packages/core",
        source: at(31),
      },
      { name: "acme-workspace", version: "0.0.0", reason: "virtual", path: ".", source: at(39) },
    ]);
  });

  it("reads registry packages with every file", () => {
    const click: TargetSpec = {
      name: "click",
      version: "8.1.8",
      files: [
        {
          filename: "click-8.1.8.tar.gz",
          url: `${FILES}/b9/2e/0090cbf739cee7d23781ad4b89a9894a41538e4fcf4c31dcdd705b78eb8b/click-8.1.8.tar.gz`,
          sha256: h("click-8.1.8.tar.gz"),
          size: 226593,
          uploadTime: "2024-12-21T18:38:44.339Z",
        },
        {
          filename: "click-8.1.8-py3-none-any.whl",
          url: `${FILES}/7e/d4/7ebdbd03970677812aac39c869717059dbb71a4cfc033ca6e5221787892c/click-8.1.8-py3-none-any.whl`,
          sha256: h("click-8.1.8-py3-none-any.whl"),
          size: 98188,
          uploadTime: "2024-12-21T18:38:41.666Z",
        },
      ],
      hashes: [h("click-8.1.8.tar.gz"), h("click-8.1.8-py3-none-any.whl")],
      pinned: true,
      source: at(49),
      index: "https://pypi.org/simple",
    };
    expect(result.targets[0]).toStrictEqual(click);
    expect(
      result.targets.map((t) => [
        t.name,
        t.version,
        t.source.line,
        t.pinned,
        t.index,
        t.files.length,
      ]),
    ).toStrictEqual([
      ["click", "8.1.8", 49, true, "https://pypi.org/simple", 2],
      ["colorama", "0.4.6", 61, true, "https://pypi.org/simple", 2],
      ["httpx", "0.28.1", 70, false, undefined, 0],
      ["internal-utils", "2.1.0", 75, false, "https://pypi.internal.example.com/simple", 2],
      ["legacy-helper", "1.0.0", 84, false, undefined, 0],
      ["tomli", "2.2.1", 90, true, "https://pypi.org/simple", 2],
      ["vendored-wheel", "0.9.0", 99, false, undefined, 0],
    ]);
  });

  it("leaves a registry file without a hash unpinned", () => {
    expect(result.targets[3]).toStrictEqual({
      name: "internal-utils",
      version: "2.1.0",
      files: [
        {
          filename: "internal_utils-2.1.0.tar.gz",
          url: "https://pypi.internal.example.com/files/internal_utils-2.1.0.tar.gz",
          size: 10240,
        },
        {
          filename: "internal_utils-2.1.0-py3-none-any.whl",
          url: "https://pypi.internal.example.com/files/internal_utils-2.1.0-py3-none-any.whl",
          sha256: h("internal_utils-2.1.0-py3-none-any.whl"),
          size: 8192,
        },
      ],
      hashes: [h("internal_utils-2.1.0-py3-none-any.whl")],
      pinned: false,
      source: at(75),
      index: "https://pypi.internal.example.com/simple",
    });
  });

  it("reports git, url and path sources as non-index, keeping their hashes", () => {
    const git =
      "https://github.com/encode/httpx?rev=0.28.1#26d48e0634e6ee9cdc0533996db289ce4b430177";
    expect([result.targets[2], result.targets[4], result.targets[6]]).toStrictEqual([
      {
        name: "httpx",
        version: "0.28.1",
        files: [],
        hashes: [],
        pinned: false,
        source: at(70),
        url: git,
        nonIndex: { kind: "vcs", url: git, commit: "26d48e0634e6ee9cdc0533996db289ce4b430177" },
      },
      {
        name: "legacy-helper",
        version: "1.0.0",
        files: [],
        hashes: [h("legacy_helper-1.0.0.tar.gz")],
        pinned: false,
        source: at(84),
        url: "https://example.com/downloads/legacy_helper-1.0.0.tar.gz",
        nonIndex: { kind: "url", url: "https://example.com/downloads/legacy_helper-1.0.0.tar.gz" },
      },
      {
        name: "vendored-wheel",
        version: "0.9.0",
        files: [],
        hashes: [h("vendored_wheel-0.9.0-py3-none-any.whl")],
        pinned: false,
        source: at(99),
        url: "vendor/vendored_wheel-0.9.0-py3-none-any.whl",
        nonIndex: { kind: "path", path: "vendor/vendored_wheel-0.9.0-py3-none-any.whl" },
      },
    ]);
  });
});

describe("other shapes", () => {
  it("takes file names from filename, url (percent-decoded) or path", () => {
    const [target] = parse(
      lock(
        registry(
          `wheels = [\n  { filename = "six-1.16.0-py2.py3-none-any.whl", url = "https://example.com/download?id=7", hash = "sha256:${HEX}" },\n  { url = "https://example.com/simple/six/six-1.16.0%2Bcustom-py3-none-any.whl", hash = "sha256:${HEX.toUpperCase()}" },\n  { path = "wheels/six-1.16.0-cp312-none-any.whl", hash = "sha512:${"f".repeat(128)}" },\n]\n`,
        ),
      ),
    ).targets;
    expect(target?.files).toStrictEqual([
      {
        filename: "six-1.16.0-py2.py3-none-any.whl",
        url: "https://example.com/download?id=7",
        sha256: HEX,
      },
      {
        filename: "six-1.16.0+custom-py3-none-any.whl",
        url: "https://example.com/simple/six/six-1.16.0%2Bcustom-py3-none-any.whl",
        sha256: HEX,
      },
      { filename: "six-1.16.0-cp312-none-any.whl", path: "wheels/six-1.16.0-cp312-none-any.whl" },
    ]);
    expect([target?.hashes, target?.pinned]).toStrictEqual([[HEX], false]);
  });

  it("reads a directory source that is not a workspace member as non-index", () => {
    const result = parse(
      lock(`[[package]]\nname = "lib"\nversion = "1.0"\nsource = { directory = "../lib" }\n`),
    );
    expect([result.skipped, result.targets[0]?.nonIndex]).toStrictEqual([
      [],
      { kind: "directory", path: "../lib" },
    ]);
  });

  it("accepts a lock without packages or revision", () => {
    expect(parse("version = 1\n")).toStrictEqual({ targets: [], skipped: [], version: 1 });
  });
});

describe("errors", () => {
  const cases: [string, string, RegExp][] = [
    [
      "unknown version",
      "version = 2\nrevision = 1\n",
      /^unsupported uv.lock version 2: only version 1/,
    ],
    ["missing version", "revision = 1\n", /^version: at version: /],
    [
      "bad hash hex",
      lock(
        registry(
          `wheels = [{ url = "https://example.com/six-1.16.0-py3-none-any.whl", hash = "sha256:${"z".repeat(64)}" }]\n`,
        ),
      ),
      /^line 5: package "six": wheels\[0\]: invalid hash "sha256:z+"$/,
    ],
    [
      "short hash",
      lock(
        registry(
          `sdist = { url = "https://example.com/six-1.16.0.tar.gz", hash = "sha256:abc" }\n`,
        ),
      ),
      /^line 5: package "six": sdist: invalid hash "sha256:abc"$/,
    ],
    [
      "hash without algorithm",
      lock(
        registry(`sdist = { url = "https://example.com/six-1.16.0.tar.gz", hash = "${HEX}" }\n`),
      ),
      /^line 5: package "six": sdist: invalid hash/,
    ],
    [
      "no file name",
      lock(registry(`sdist = { hash = "sha256:${HEX}" }\n`)),
      /^line 5: package "six": sdist has no file name, url or path$/,
    ],
    [
      "two source kinds",
      lock(
        `[[package]]\nname = "six"\nsource = { registry = "https://pypi.org/simple", git = "https://github.com/x/y" }\n`,
      ),
      /^line 5: package "six": at source: must have exactly one of registry, editable, /,
    ],
    [
      "no source",
      lock(`[[package]]\nname = "six"\nversion = "1.0"\n`),
      /^line 5: package "six": at source: /,
    ],
    [
      "bad name",
      lock(`[[package]]\nname = ""\nsource = { virtual = "." }\n`),
      /^line 5: package "": at name: not a valid project name$/,
    ],
    ["not a table", lock(`package = [1]\n`), /^line 1: package\[0\]: at \(top level\): /],
    ["TOML syntax", lock(`[[package]]\nname = "six\n`), /^line 6: invalid TOML: /],
  ];
  for (const [what, text, message] of cases) {
    it(what, () => {
      expectPyprovError(() => parse(text), "INPUT_MALFORMED", "uv.lock", message);
    });
  }

  it("refuses text and files over 10 MiB", () => {
    expectPyprovError(() => parse(oversizedText()), "INPUT_TOO_LARGE", "uv.lock");
    withTempFiles({ "uv.lock": 10 * 1024 * 1024 + 1 }, (dir) => {
      const path = join(dir, "uv.lock");
      expectPyprovError(
        () => loadUvLockFile(path),
        "INPUT_TOO_LARGE",
        path,
        /larger than the limit/,
      );
    });
  });

  it("reports a missing file", () => {
    expectPyprovError(
      () => loadUvLockFile("/nonexistent/uv.lock"),
      "INPUT_UNREADABLE",
      "/nonexistent/uv.lock",
    );
  });
});
