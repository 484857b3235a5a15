import { describe, expect, it } from "vitest";
import {
  arrayTableHeaderLines,
  filenameFromPath,
  filenameFromUrl,
} from "../../src/inputs/parse-common.js";
import { breakArgsOptions, parseOptions, shlexSplit } from "../../src/inputs/req-options.js";
import {
  checkMarker,
  parseRequirementString,
  parseWheelFilename,
} from "../../src/inputs/req-spec.js";

describe("parseRequirementString (PEP 508)", () => {
  it("parses names, extras, specifiers, URLs and markers", () => {
    expect(
      parseRequirementString(
        "requests [security , socks] >= 2.8.1, == 2.8.* ; python_version < '2.7'",
      ),
    ).toStrictEqual({
      name: "requests",
      extras: ["security", "socks"],
      specifiers: [
        { op: ">=", version: "2.8.1" },
        { op: "==", version: "2.8.*" },
      ],
      marker: "python_version < '2.7'",
    });
    expect(parseRequirementString("name(>=1.0,<2)")).toStrictEqual({
      name: "name",
      extras: [],
      specifiers: [
        { op: ">=", version: "1.0" },
        { op: "<", version: "2" },
      ],
    });
    expect(
      parseRequirementString(
        "pip @ https://github.com/pypa/pip/archive/1.3.1.zip#sha1=da9234ee ; extra == 'x'",
      ),
    ).toStrictEqual({
      name: "pip",
      extras: [],
      specifiers: [],
      url: "https://github.com/pypa/pip/archive/1.3.1.zip#sha1=da9234ee",
      marker: "extra == 'x'",
    });
    expect(parseRequirementString("a.b-c_d===anything-goes+x")).toStrictEqual({
      name: "a.b-c_d",
      extras: [],
      specifiers: [{ op: "===", version: "anything-goes+x" }],
    });
  });

  it("rejects malformed specifiers", () => {
    for (const bad of [
      "",
      "-pkg",
      "pkg-",
      "pkg==",
      "pkg>=1.0+local",
      "pkg~=1",
      "pkg==1.0.*+x",
      "pkg @",
      "pkg[",
      "pkg (>=1",
      "pkg >=1 <2",
    ]) {
      expect(() => parseRequirementString(bad), bad).toThrow();
    }
  });
});

describe("checkMarker", () => {
  it("accepts PEP 508 and PEP 751 markers", () => {
    for (const ok of [
      "python_version >= '3.8' and (sys_platform == 'linux' or os_name == \"nt\")",
      "'dev' in dependency_groups",
      "'cli' not in extras",
      "platform_machine=='x86_64'",
      "implementation_name == 'cpython' and python_full_version ~= '3.12.0'",
    ]) {
      expect(() => checkMarker(ok), ok).not.toThrow();
    }
  });

  it("rejects malformed markers", () => {
    for (const bad of [
      "",
      "python_version",
      "python_version <",
      "(os_name == 'nt'",
      "os_name == 'nt' and",
      "os.name == 'nt'",
      "os_name = 'nt'",
      "os_name == 'nt",
    ]) {
      expect(() => checkMarker(bad), bad).toThrow();
    }
  });
});

describe("parseWheelFilename", () => {
  it("reads name and version, with or without a build tag", () => {
    expect(parseWheelFilename("six-1.16.0-py2.py3-none-any.whl")).toStrictEqual({
      name: "six",
      version: "1.16.0",
    });
    expect(parseWheelFilename("pkg-2.0-1-cp312-cp312-win_amd64.whl")).toStrictEqual({
      name: "pkg",
      version: "2.0",
    });
    expect(parseWheelFilename("pkg-2.0.tar.gz")).toBeUndefined();
    expect(parseWheelFilename("pkg-2.0-any.whl")).toBeUndefined();
  });
});

describe("requirements-file options", () => {
  it("splits args from options on single spaces, as pip does", () => {
    expect(breakArgsOptions("foo>=1 ; python_version<'3' --hash=sha256:x")).toStrictEqual({
      args: "foo>=1 ; python_version<'3'",
      options: "--hash=sha256:x",
    });
    expect(breakArgsOptions("-e .")).toStrictEqual({ args: "", options: "-e ." });
  });

  it("splits like shlex", () => {
    expect(shlexSplit(`-r 'my reqs.txt' --x="a \\"b\\" c" d\\ e`)).toStrictEqual([
      "-r",
      "my reqs.txt",
      '--x=a "b" c',
      "d e",
    ]);
  });

  it("parses long, short, attached and separate values", () => {
    expect(
      parseOptions("-rbase.txt -c c.txt --index-url=https://i --extra https://e --pre").map((o) => [
        o.id,
        o.spelled,
        o.value,
      ]),
    ).toStrictEqual([
      ["requirement", "-r", "base.txt"],
      ["constraint", "-c", "c.txt"],
      ["index-url", "--index-url", "https://i"],
      ["extra-index-url", "--extra", "https://e"],
      ["pre", "--pre", ""],
    ]);
  });

  it("rejects ambiguous prefixes and unknown short options", () => {
    expect(() => parseOptions("--no https://x")).toThrow(
      /ambiguous option --no \(--no-index, --no-binary\)/,
    );
    expect(() => parseOptions("-x")).toThrow(/unknown option -x/);
  });
});

describe("TOML helpers", () => {
  it("finds [[key]] headers, ignoring strings, comments and sub-tables", () => {
    const text = [
      "[[packages]]", // 1
      'name = "a" # [[packages]]', // 2
      "desc = '''", // 3
      "[[packages]]", // 4
      "'''", // 5
      'other = """\\"""', // 6
      "[[packages]]", // 7
      '"""', // 8
      '  [[ "packages" ]]  # quoted key', // 9
      "[[packages.wheels]]", // 10
      'x = "[[packages]]"', // 11
      "[[packagesx]]", // 12
      "\t[[packages]]", // 13
    ].join("\n");
    expect(arrayTableHeaderLines(text, "packages")).toStrictEqual([1, 9, 13]);
  });

  it("takes file names from URLs and paths", () => {
    expect(filenameFromUrl("https://x.example/a/b/six-1.0%2Blocal.tar.gz?x=1#frag")).toBe(
      "six-1.0+local.tar.gz",
    );
    expect(filenameFromUrl("https://x.example/a/")).toBeUndefined();
    expect(filenameFromUrl("https://x.example/a%2Fb")).toBeUndefined();
    expect(filenameFromUrl("https://x.example/%E0%A4%A")).toBeUndefined();
    expect(filenameFromUrl("not a url")).toBeUndefined();
    expect(filenameFromPath("..\\dist\\pkg.whl")).toBe("pkg.whl");
    expect(filenameFromPath("dist/")).toBe("dist");
    expect(filenameFromPath("..")).toBeUndefined();
  });
});
