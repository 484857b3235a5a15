import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  loadRequirementsFile,
  logicalLines,
  MAX_TOTAL_INCLUDED_CHARS,
  parseRequirements,
} from "../../src/inputs/requirements.js";
import type { TargetSpec } from "../../src/inputs/types.js";
import { expectPyprovError, oversizedText, withTempFiles } from "./helpers.js";

const noInclude = (path: string): string => {
  throw new Error(`unexpected include of ${path}`);
};
const parse = (text: string, env: Record<string, string> = {}) =>
  parseRequirements(text, "req.txt", noInclude, { env });
const one = (text: string): TargetSpec => {
  const { targets } = parse(text);
  expect(targets).toHaveLength(1);
  const [target] = targets;
  if (!target) throw new Error("no target");
  return target;
};
const HEX = "a".repeat(64);

describe("line syntax", () => {
  it("joins continuations, keeping the first line number, and strips comments as pip does", () => {
    const text = [
      "# header comment \\",
      "pkg-a==1.0 \\",
      "  # a comment inside a continuation ends it",
      "pkg-b @ https://example.com/pkg_b-2.0.tar.gz#sha256=abc  # trailing comment",
      "",
      "   ",
      "pkg-c\\",
      ">=3",
      "pkg-d==4.0 \\",
    ].join("\r\n");
    expect(logicalLines(text)).toStrictEqual([
      { line: 2, text: "pkg-a==1.0" },
      { line: 4, text: "pkg-b @ https://example.com/pkg_b-2.0.tar.gz#sha256=abc" },
      { line: 7, text: "pkg-c>=3" },
      { line: 9, text: "pkg-d==4.0" },
    ]);
  });

  it("reads --hash in both spellings, lowercases and deduplicates digests", () => {
    const target = one(
      `Foo_Bar==1.0 --hash sha256:${HEX.toUpperCase()} --hash=sha256:${HEX} --hash=sha384:${"b".repeat(96)}`,
    );
    expect(target).toStrictEqual({
      name: "Foo_Bar",
      version: "1.0",
      files: [],
      hashes: [HEX],
      otherHashes: [{ algorithm: "sha384", digest: "b".repeat(96) }],
      pinned: true,
      source: { file: "req.txt", line: 1 },
    });
  });

  it("pins only exact versions (== without wildcard, ===) with a hash", () => {
    const pins = parse(
      [
        `a===1.0-custom --hash=sha256:${HEX}`,
        `b (==2.0) --hash=sha256:${HEX}`,
        `c==2.* --hash=sha256:${HEX}`,
        `d>=1,<2 --hash=sha256:${HEX}`,
        "e==1.0",
        `f==1.0,!=1.1 --hash=sha256:${HEX}`,
      ].join("\n"),
    ).targets.map((t) => [t.name, t.version, t.pinned]);
    expect(pins).toStrictEqual([
      ["a", "1.0-custom", true],
      ["b", "2.0", true],
      ["c", undefined, false],
      ["d", undefined, false],
      ["e", "1.0", false],
      ["f", undefined, false],
    ]);
  });

  it("records index options, accepts the other pip options and unique prefixes", () => {
    const result = parse(
      [
        "-i https://mirror.example.com/simple",
        "--extra-index https://extra.example.com/simple",
        "--extra-index-url=https://extra2.example.com/simple --pre",
        "--no-binary :all: --only-binary=numpy --prefer-binary --require-hashes",
        "-f ./wheels --find-links=https://example.com/links --trusted-host example.com",
        "--no-index --use-feature=truststore",
        "--index-url=https://pypi.org/simple",
        "six --config-settings=key=value --global-option=--quiet -C k=v",
      ].join("\n"),
    );
    expect(result.indexUrl).toBe("https://pypi.org/simple");
    expect(result.extraIndexUrls).toStrictEqual([
      "https://extra.example.com/simple",
      "https://extra2.example.com/simple",
    ]);
    expect(result.targets.map((t) => t.name)).toStrictEqual(["six"]);
  });

  it("reports bare URLs, VCS URLs and archives as direct references", () => {
    const targets = parse(
      [
        "git+https://github.com/pallets/click.git@8.1.8#egg=click ; python_version >= '3.8'",
        "https://example.com/dl/thing-1.0.tar.gz",
        "./dist/pkg_x-0.1-py3-none-any.whl",
        "downloads/archive.zip",
        "file:///opt/wheels/pkg_y-2.0-py3-none-any.whl",
        "pkg-z @ file:///opt/src/pkg-z",
      ].join("\n"),
    ).targets.map((t) => [t.name, t.version, t.markers, t.nonIndex]);
    expect(targets).toStrictEqual([
      [
        "click",
        undefined,
        "python_version >= '3.8'",
        {
          kind: "vcs",
          named: true,
          url: "git+https://github.com/pallets/click.git@8.1.8#egg=click",
        },
      ],
      [
        "https://example.com/dl/thing-1.0.tar.gz",
        undefined,
        undefined,
        { kind: "url", named: false, url: "https://example.com/dl/thing-1.0.tar.gz" },
      ],
      [
        "pkg_x",
        "0.1",
        undefined,
        { kind: "path", named: true, path: "./dist/pkg_x-0.1-py3-none-any.whl" },
      ],
      [
        "downloads/archive.zip",
        undefined,
        undefined,
        { kind: "path", named: false, path: "downloads/archive.zip" },
      ],
      [
        "pkg_y",
        "2.0",
        undefined,
        { kind: "path", named: true, url: "file:///opt/wheels/pkg_y-2.0-py3-none-any.whl" },
      ],
      ["pkg-z", undefined, undefined, { kind: "path", named: true, url: "file:///opt/src/pkg-z" }],
    ]);
  });

  it("splits the marker at the first semicolon, as pip does", () => {
    const target = one("pkg @ https://example.com/pkg-1.0-py3-none-any.whl;python_version<'3.12'");
    expect([target.url, target.markers]).toStrictEqual([
      "https://example.com/pkg-1.0-py3-none-any.whl",
      "python_version<'3.12'",
    ]);
    expect(one("six==1.0 ;").markers).toBeUndefined();
  });

  it("takes the version from a wheel URL only when the names agree", () => {
    const agree = one("Internal.Tool @ https://example.com/internal_tool-1.2.0-py3-none-any.whl");
    const differ = one("other @ https://example.com/internal_tool-1.2.0-py3-none-any.whl");
    expect([agree.name, agree.version, differ.name, differ.version]).toStrictEqual([
      "Internal.Tool",
      "1.2.0",
      "other",
      undefined,
    ]);
  });

  it("keeps hashes of a direct reference but never calls it pinned", () => {
    const target = one(`pkg @ https://example.com/pkg-1.0-py3-none-any.whl --hash=sha256:${HEX}`);
    expect([target.hashes, target.pinned, target.version]).toStrictEqual([[HEX], false, "1.0"]);
  });
});

describe("errors name the file and line", () => {
  const cases: [string, string, RegExp][] = [
    [
      "bad hex",
      `six==1.16.0 --hash=sha256:${"g".repeat(64)}`,
      /^line 1: invalid --hash .*64 hex digits$/,
    ],
    [
      "short digest",
      "six==1.16.0 \\\n  --hash=sha256:abcd",
      /^line 1: invalid --hash "sha256:abcd"/,
    ],
    [
      "unknown algorithm",
      `six==1.16.0 --hash=md5:${"a".repeat(32)}`,
      /expected sha256:, sha384: or sha512:/,
    ],
    ["hash without algorithm", `six==1.16.0 --hash=${HEX}`, /^line 1: invalid --hash/],
    [
      "garbage",
      "\nthis is not a requirement",
      /^line 2: invalid requirement "this is not a requirement": unexpected "is not a requirement"$/,
    ],
    [
      "bad name",
      "foo$bar==1.0",
      /^line 1: invalid requirement .*invalid character "\$" in project name$/,
    ],
    [
      "bad version",
      "six==one",
      /^line 1: invalid requirement .*invalid version specifier '==one'$/,
    ],
    ["bad marker", 'six; python_versio < "3"', /unknown marker variable 'python_versio'$/],
    [
      "unbalanced marker",
      'six; (python_version < "3"',
      /invalid marker: unexpected end of marker$/,
    ],
    ["bad extra", "six[a b]==1.0", /expected '\]' after extras$/],
    ["unknown option", "--frobnicate", /^line 1: unknown option --frobnicate: "--frobnicate"$/],
    [
      "option after requirement",
      "six==1.0 --index-url https://x",
      /^line 1: option --index-url is not allowed after a requirement$/,
    ],
    [
      "hash alone",
      `six==1.0\n  --hash=sha256:${HEX}`,
      /^line 2: --hash on a line without a requirement/,
    ],
    ["missing value", "-r", /^line 1: option -r needs a value/],
    ["unclosed quote", "-r 'a.txt", /^line 1: no closing quotation/],
    [
      "stray text",
      `six==1.0 --hash=sha256:${HEX} extra`,
      /^line 1: unexpected "extra" after the options/,
    ],
    ["flag with value", "--pre=yes", /^line 1: option --pre takes no value/],
  ];
  for (const [what, text, message] of cases) {
    it(what, () => {
      expectPyprovError(() => parse(text), "INPUT_MALFORMED", "req.txt", message);
    });
  }
});

describe("limits and I/O", () => {
  it("refuses text over 10 MiB", () => {
    expectPyprovError(
      () => parse(oversizedText()),
      "INPUT_TOO_LARGE",
      "req.txt",
      /limit of 10485760 bytes/,
    );
  });

  it("refuses a file over 10 MiB before reading it", () => {
    withTempFiles({ "big.txt": 10 * 1024 * 1024 + 1 }, (dir) => {
      const path = join(dir, "big.txt");
      expectPyprovError(
        () => loadRequirementsFile(path),
        "INPUT_TOO_LARGE",
        path,
        /10485761 bytes/,
      );
    });
  });

  it("refuses includes adding up to more than the total cap", () => {
    const chunk = "#".repeat(9 * 1024 * 1024);
    const read = (p: string): string => `-r ${Number(p.replace(/\D/g, "")) + 1}.txt\n${chunk}`;
    expectPyprovError(
      () => parseRequirements(read("0"), "0.txt", read),
      "INPUT_TOO_LARGE",
      "3.txt",
      new RegExp(`exceed ${MAX_TOTAL_INCLUDED_CHARS} characters$`),
    );
  });

  it("refuses an included file over 10 MiB, naming it", () => {
    expectPyprovError(
      () => parseRequirements("-r big.txt", "top.txt", oversizedText),
      "INPUT_TOO_LARGE",
      "big.txt",
    );
  });

  it("reports a missing file", () => {
    expectPyprovError(
      () => loadRequirementsFile("/nonexistent/req.txt"),
      "INPUT_UNREADABLE",
      "/nonexistent/req.txt",
      /no such file/,
    );
  });

  it("rejects a file that is not UTF-8, and skips a BOM", () => {
    const files = {
      "latin1.txt": Buffer.from("six==1.0 # caf\xe9\n", "latin1"),
      "bom.txt": "\ufeffsix==1.0\n",
    };
    withTempFiles(files, (dir) => {
      const path = join(dir, "latin1.txt");
      expectPyprovError(
        () => loadRequirementsFile(path),
        "INPUT_MALFORMED",
        path,
        /not valid UTF-8/,
      );
      expect(loadRequirementsFile(join(dir, "bom.txt")).targets.map((t) => t.name)).toStrictEqual([
        "six",
      ]);
    });
  });
});
