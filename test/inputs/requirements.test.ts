import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  loadRequirementsFile,
  MAX_INCLUDED_FILES,
  parseRequirements,
} from "../../src/inputs/requirements.js";
import type { TargetSpec } from "../../src/inputs/types.js";
import { expectPyprovError, FIXTURES, h, h512, withTempFiles } from "./helpers.js";

const DIR = join(FIXTURES, "requirements");
const parse = (text: string) =>
  parseRequirements(text, "req.txt", (path) => {
    throw new Error(`unexpected include of ${path}`);
  });

describe("pip-compile output", () => {
  const file = join(DIR, "pip-compile.txt");
  const pin = (name: string, version: string, line: number, files: string[]): TargetSpec => ({
    name,
    version,
    files: [],
    hashes: files.map(h),
    pinned: true,
    source: { file, line },
    // pip applies a file's index options to every requirement in it.
    index: "https://pypi.org/simple",
    extraIndexes: ["https://__token__:s3cr3t@pypi.internal.example.com/simple/"],
  });

  it("reads every pin with its hashes, extras and markers", () => {
    const result = loadRequirementsFile(file, { env: { PRIVATE_INDEX_TOKEN: "s3cr3t" } });
    expect(result).toStrictEqual({
      targets: [
        pin("certifi", "2024.8.30", 10, [
          "certifi-2024.8.30-py3-none-any.whl",
          "certifi-2024.8.30.tar.gz",
        ]),
        pin("charset-normalizer", "3.4.0", 14, [
          "charset_normalizer-3.4.0-py3-none-any.whl",
          "charset_normalizer-3.4.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
          "charset_normalizer-3.4.0.tar.gz",
        ]),
        pin("idna", "3.10", 19, ["idna-3.10-py3-none-any.whl", "idna-3.10.tar.gz"]),
        pin("pysocks", "1.7.1", 23, ["PySocks-1.7.1-py3-none-any.whl", "PySocks-1.7.1.tar.gz"]),
        {
          ...pin("requests", "2.32.3", 27, [
            "requests-2.32.3-py3-none-any.whl",
            "requests-2.32.3.tar.gz",
          ]),
          extras: ["socks"],
        },
        {
          ...pin("tomli", "2.0.2", 31, ["tomli-2.0.2-py3-none-any.whl", "tomli-2.0.2.tar.gz"]),
          markers: 'python_version < "3.11"',
        },
        pin("urllib3", "2.2.3", 35, ["urllib3-2.2.3-py3-none-any.whl", "urllib3-2.2.3.tar.gz"]),
      ],
      constraints: [],
      indexUrl: "https://pypi.org/simple",
      extraIndexUrls: ["https://__token__:s3cr3t@pypi.internal.example.com/simple/"],
      findLinks: [],
      noIndex: false,
      files: [file],
    });
  });

  it("leaves ${VAR} as written when the variable is unset or empty", () => {
    const result = loadRequirementsFile(file, { env: { PRIVATE_INDEX_TOKEN: "" } });
    expect(result.extraIndexUrls).toStrictEqual([
      "https://__token__:${PRIVATE_INDEX_TOKEN}@pypi.internal.example.com/simple/",
    ]);
  });
});

describe("a requirements file with includes, constraints and direct references", () => {
  const main = join(DIR, "main.txt");
  const base = join(DIR, "base.txt");
  const extra = join(DIR, "common", "extra.txt");
  const constraints = join(DIR, "constraints.txt");
  const result = loadRequirementsFile(main, { env: { ARTIFACT_HOST: "artifacts.example.com" } });
  const at = (file: string, line: number) => ({ file, line });
  const plain = (name: string, line: number): TargetSpec => ({
    name,
    files: [],
    hashes: [],
    pinned: false,
    source: at(main, line),
  });

  it("reads included files in place, relative to the including file", () => {
    expect(result.files).toStrictEqual([main, base, extra, constraints]);
    expect(result.targets.slice(0, 2)).toStrictEqual([
      {
        name: "typing-extensions",
        version: "4.12.2",
        files: [],
        hashes: [h("typing_extensions-4.12.2-py3-none-any.whl")],
        pinned: true,
        source: at(extra, 1),
      },
      {
        name: "packaging",
        version: "24.1",
        files: [],
        hashes: [h("packaging-24.1-py3-none-any.whl")],
        pinned: true,
        source: at(base, 3),
      },
    ]);
  });

  it("keeps constraints apart", () => {
    expect(result.constraints).toStrictEqual([
      {
        name: "urllib3",
        version: "2.2.3",
        files: [],
        hashes: [h("urllib3-2.2.3-py3-none-any.whl")],
        pinned: true,
        source: at(constraints, 1),
      },
    ]);
    expect(result.indexUrl).toBeUndefined();
    expect(result.extraIndexUrls).toStrictEqual([]);
  });

  it("reads editables, specifiers, hashes of several algorithms and direct references", () => {
    expect(result.targets.slice(2)).toStrictEqual([
      {
        ...plain(".", 8),
        url: ".",
        nonIndex: { kind: "editable", named: false, path: "." },
      },
      {
        ...plain("sampleproject", 9),
        url: "git+https://github.com/pypa/sampleproject.git@v4.0.0#egg=sampleproject",
        nonIndex: {
          kind: "editable",
          named: true,
          url: "git+https://github.com/pypa/sampleproject.git@v4.0.0#egg=sampleproject",
        },
      },
      { ...plain("flask", 11), markers: 'python_version >= "3.9"', extras: ["async", "dotenv"] },
      {
        ...plain("attrs", 12),
        version: "24.2.0",
        hashes: [h("attrs-24.2.0-py3-none-any.whl")],
        otherHashes: [{ algorithm: "sha512", digest: h512("attrs-24.2.0-py3-none-any.whl") }],
        pinned: true,
      },
      {
        ...plain("gunicorn", 13),
        version: "23.0.0",
        hashes: [h("gunicorn-23.0.0-py3-none-any.whl")],
        markers: 'sys_platform != "win32"',
        pinned: true,
      },
      plain("django", 15),
      plain("numpy", 16),
      plain("pytz", 17),
      {
        ...plain("pip", 18),
        url: "https://github.com/pypa/pip/archive/22.0.2.zip",
        nonIndex: {
          kind: "url",
          named: true,
          url: "https://github.com/pypa/pip/archive/22.0.2.zip",
        },
      },
      {
        ...plain("six", 19),
        version: "1.16.0",
        url: "https://files.pythonhosted.org/packages/d9/5a/e7c31adbe875f2abbb91bd84cf2dc52d792b5a01506781dbcf25c91daf11/six-1.16.0-py2.py3-none-any.whl",
        nonIndex: {
          kind: "url",
          named: true,
          url: "https://files.pythonhosted.org/packages/d9/5a/e7c31adbe875f2abbb91bd84cf2dc52d792b5a01506781dbcf25c91daf11/six-1.16.0-py2.py3-none-any.whl",
        },
      },
      {
        ...plain("internal-tool", 20),
        version: "1.2.0",
        url: "https://artifacts.example.com/wheels/internal_tool-1.2.0-py3-none-any.whl",
        nonIndex: {
          kind: "url",
          named: true,
          url: "https://artifacts.example.com/wheels/internal_tool-1.2.0-py3-none-any.whl",
        },
      },
      {
        ...plain("./vendor/localpkg", 21),
        url: "./vendor/localpkg",
        extras: ["cli"],
        nonIndex: { kind: "path", named: false, path: "./vendor/localpkg" },
      },
    ]);
  });
});

describe("includes", () => {
  it("rejects an include cycle, naming the file and line that closes it", () => {
    const a = join(DIR, "cycle", "a.txt");
    const b = join(DIR, "cycle", "b.txt");
    const message = expectPyprovError(
      () => loadRequirementsFile(a),
      "INPUT_MALFORMED",
      b,
      /^line 2: include cycle: /,
    );
    expect(message).toBe(`line 2: include cycle: ${a} -> ${b} -> ${a}`);
  });

  it("allows the same file twice when it is not a cycle", () => {
    const files: Record<string, string> = {
      "dir/top.txt": "-r a.txt\n-r b.txt\n",
      "dir/a.txt": "-r common.txt\n",
      "dir/b.txt": "-r common.txt\n",
      "dir/common.txt": "six==1.16.0\n",
    };
    const result = parseRequirements(files["dir/top.txt"] ?? "", "dir/top.txt", (p) => {
      const text = files[p];
      if (text === undefined) throw new Error(p);
      return text;
    });
    expect(result.targets.map((t) => t.source)).toStrictEqual([
      { file: "dir/common.txt", line: 1 },
      { file: "dir/common.txt", line: 1 },
    ]);
  });

  it("yields requirements from -r inside a constraints file, as pip does", () => {
    const files: Record<string, string> = { "c.txt": "six<2\n-r r.txt\n", "r.txt": "idna\n" };
    const result = parseRequirements("-c c.txt\n", "top.txt", (p) => files[p] ?? "");
    expect(result.constraints.map((t) => t.name)).toStrictEqual(["six"]);
    expect(result.targets.map((t) => t.name)).toStrictEqual(["idna"]);
  });

  it("accepts file: URLs and absolute paths", () => {
    const read: string[] = [];
    parseRequirements("-r file:///etc/reqs/a.txt\n-c /etc/reqs/b.txt\n", "x/top.txt", (p) => {
      read.push(p);
      return "";
    });
    expect(read).toStrictEqual(["/etc/reqs/a.txt", "/etc/reqs/b.txt"]);
  });

  it("refuses remote includes", () => {
    expectPyprovError(
      () => parse("-r https://example.com/requirements.txt\n"),
      "INPUT_UNREADABLE",
      "req.txt",
      /^line 1: remote include "https:\/\/example.com\/requirements.txt" is not fetched/,
    );
    expectPyprovError(
      () => parse("-r https://u:tok@example.com/r.txt"),
      "INPUT_UNREADABLE",
      "req.txt",
      /^line 1: remote include "https:\/\/\*\*\*@example.com\/r.txt" is not fetched/,
    );
  });

  it(`refuses more than ${MAX_INCLUDED_FILES} included files`, () => {
    const read = (p: string): string => `-r ${Number(p.replace(/\D/g, "")) + 1}.txt\n`;
    expectPyprovError(
      () => parseRequirements(read("0"), "0.txt", read),
      "INPUT_TOO_LARGE",
      `${MAX_INCLUDED_FILES}.txt`,
      /^line 1: more than 64 included requirements files$/,
    );
  });

  it("names the including file when an include cannot be read", () => {
    withTempFiles({ "top.txt": "six\n\n-r missing.txt\n" }, (dir) => {
      expectPyprovError(
        () => loadRequirementsFile(join(dir, "top.txt")),
        "INPUT_UNREADABLE",
        join(dir, "missing.txt"),
        new RegExp(`no such file \\(included from ${join(dir, "top.txt")} line 3\\)$`),
      );
    });
  });

  it("wraps a failure of readInclude that is not a PyprovError", () => {
    expectPyprovError(
      () => parse("\n-r sub/other.txt"),
      "INPUT_UNREADABLE",
      "sub/other.txt",
      /^cannot read file \(included from req.txt line 2\)$/,
    );
  });
});
