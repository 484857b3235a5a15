import { describe, expect, it } from "vitest";
import {
  InvalidFilenameError,
  compareSubjectToFilename,
  parseDistributionFilename,
  sameDistribution,
  type DistributionFilename,
} from "../../src/pypi/filename.js";
import { casePath, loadManifest } from "../support/corpus.js";
import { readFileSync } from "node:fs";

function wheel(filename: string): Extract<DistributionFilename, { kind: "wheel" }> {
  const d = parseDistributionFilename(filename);
  if (d.kind !== "wheel") throw new Error(`${filename} parsed as ${d.kind}`);
  return d;
}

function reasonFor(filename: string): string {
  try {
    parseDistributionFilename(filename);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidFilenameError);
    expect((err as InvalidFilenameError).filename).toBe(filename);
    return (err as InvalidFilenameError).reason;
  }
  throw new Error(`${JSON.stringify(filename)} unexpectedly parsed`);
}

const SPT3G_SUBJECT = "spt3g-0.3.0-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl";
const SPT3G_FILE = "spt3g-0.3.0-cp310-cp310-manylinux2014_x86_64.manylinux_2_17_x86_64.whl";

describe("parseDistributionFilename: wheels", () => {
  // Vectors from pypa/packaging tests/test_utils.py.
  it.each([
    ["foo-1.0-py3-none-any.whl", "foo", "1.0", undefined, ["py3-none-any"]],
    ["some_PACKAGE-1.0-py3-none-any.whl", "some-package", "1.0", undefined, ["py3-none-any"]],
    ["foo-1.0-1000-py3-none-any.whl", "foo", "1.0", [1000n, ""], ["py3-none-any"]],
    ["foo-1.0-1000abc-py3-none-any.whl", "foo", "1.0", [1000n, "abc"], ["py3-none-any"]],
    [
      "pyvirtualcam-0.13.0-cp310-cp310-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
      "pyvirtualcam",
      "0.13.0",
      undefined,
      ["cp310-cp310-manylinux2014_x86_64", "cp310-cp310-manylinux_2_17_x86_64"],
    ],
    ["foo_bár-1.0-py3-none-any.whl", "foo-bár", "1.0", undefined, ["py3-none-any"]],
    ["foo_bár-1.0-1000-py3-none-any.whl", "foo-bár", "1.0", [1000n, ""], ["py3-none-any"]],
    // Extra
    [
      "foo_bar-1.0-42-py2.py3-none-any.whl",
      "foo-bar",
      "1.0",
      [42n, ""],
      ["py2-none-any", "py3-none-any"],
    ],
    ["Foo.Bar-V1.0.R1-PY3-NONE-ANY.whl", "foo-bar", "1.0.post1", undefined, ["py3-none-any"]],
    [
      "x-1-cp38.cp39-abi3.none-linux.win32.whl",
      "x",
      "1",
      undefined,
      [
        "cp38-abi3-linux",
        "cp38-abi3-win32",
        "cp38-none-linux",
        "cp38-none-win32",
        "cp39-abi3-linux",
        "cp39-abi3-win32",
        "cp39-none-linux",
        "cp39-none-win32",
      ],
    ],
    ["caf\u00e9-1.0-py3-none-any.whl", "caf\u00e9", "1.0", undefined, ["py3-none-any"]],
    ["\u0661\u0662-1.0-py3-none-any.whl", "\u0661\u0662", "1.0", undefined, ["py3-none-any"]],
    // packaging accepts an empty name
    ["-1.0-py3-none-any.whl", "", "1.0", undefined, ["py3-none-any"]],
  ] as const)("%s", (filename, name, version, build, tags) => {
    const d = wheel(filename);
    expect(d.filename).toBe(filename);
    expect(d.name).toBe(name);
    expect(d.version).toBe(version);
    expect(d.build).toEqual(build === undefined ? undefined : { number: build[0], tag: build[1] });
    expect([...d.tags].sort()).toEqual(tags);
  });

  it("keeps big build numbers exact", () => {
    expect(wheel("foo-1.0-123456789012345678901234567890x-py3-none-any.whl").build).toEqual({
      number: 123456789012345678901234567890n,
      tag: "x",
    });
    expect(wheel("foo-1.0-007-py3-none-any.whl").build).toEqual({ number: 7n, tag: "" });
  });

  it.each([
    ["foo-1.0.whl", /4 or 5 dashes.*has 1/], // missing tags
    ["foo-1.0-none-any.whl", /has 3$/],
    ["foo-1.0-200-py3-none-any-junk.whl", /has 6$/], // too many dashes
    ["foo-bar-1.0-200-py3-none-any-junk.whl", /has 7$/],
    ["foo__bar-1.0-py3-none-any.whl", /"foo__bar" contains "__"/],
    ["foo__-1.0-py3-none-any.whl", /contains "__"/],
    ["foo#bar-1.0-py3-none-any.whl", /"foo#bar" has characters other than/],
    ["foo bar-1.0-py3-none-any.whl", /has characters other than/],
    ["foo+bar-1.0-py3-none-any.whl", /has characters other than/],
    ["cafe\u0301-1.0-py3-none-any.whl", /has characters other than/], // combining mark is not \w
    ["foo\n-1.0-py3-none-any.whl", /has characters other than/], // stricter than Python's `$`
    ["foobar-1.x-py3-none-any.whl", /invalid PEP 440 version "1.x"/],
    ["foobar-v-py3-none-any.whl", /invalid PEP 440 version "v"/],
    ["foo-1.0-abc-py3-none-any.whl", /invalid build tag "abc"/],
    ["foo-1.0--py3-none-any.whl", /invalid build tag ""/],
    ["foo-1.0-\u0661-py3-none-any.whl", /invalid build tag/], // build digits are ASCII
  ])("rejects %j", (filename, reason) => {
    expect(reasonFor(filename)).toMatch(reason);
  });

  it("lowercases tags and treats them as a set", () => {
    expect([...wheel("foo-1.0-PY3-NONE-ANY.whl").tags]).toEqual(["py3-none-any"]);
    expect([...wheel("foo-1.0-py3.py3-none-any.whl").tags]).toEqual(["py3-none-any"]);
    expect(wheel(SPT3G_SUBJECT).tags).toEqual(wheel(SPT3G_FILE).tags);
  });
});

describe("parseDistributionFilename: sdists", () => {
  it.each([
    ["foo-1.0.tar.gz", "foo", "1.0", "tar.gz"],
    ["foo-1.0.zip", "foo", "1.0", "zip"],
    ["foo_bar-1.0.tar.gz", "foo-bar", "1.0", "tar.gz"],
    ["foo-bar-1.0.tar.gz", "foo-bar", "1.0", "tar.gz"], // split on the last dash
    ["pep740_sampleproject-1.0.0.tar.gz", "pep740-sampleproject", "1.0.0", "tar.gz"],
    ["Foo.Bar-1.0-1.tar.gz", "foo-bar-1-0", "1", "tar.gz"], // rpartition: version is "1"
    ["foo__bar-01.0A.tar.gz", "foo-bar", "1.0a0", "tar.gz"], // sdist names are not validated
    ["foo bar-1.0.zip", "foo bar", "1.0", "zip"],
    ["-1.0.tar.gz", "", "1.0", "tar.gz"],
    ["pypi_attestation_models-0.0.4a2.tar.gz", "pypi-attestation-models", "0.0.4a2", "tar.gz"],
  ])("%s", (filename, name, version, format) => {
    expect(parseDistributionFilename(filename)).toEqual({
      kind: "sdist",
      filename,
      name,
      version,
      format,
    });
  });

  it.each([
    ["foo1.0.tar.gz", /needs a "-"/],
    ["foo.zip", /needs a "-"/],
    ["foo-1.x.tar.gz", /invalid PEP 440 version "1.x"/],
    ["foo-.tar.gz", /invalid PEP 440 version ""/],
    ["foo-1.0-py3-none-any.tar.gz", /invalid PEP 440 version "any"/],
  ])("rejects %j", (filename, reason) => {
    expect(reasonFor(filename)).toMatch(reason);
  });
});

describe("parseDistributionFilename: extensions and unsafe names", () => {
  it.each([
    ["foo-1.0-py3-none-any.WHL", /case-sensitive: ".WHL" is not ".whl"/],
    ["foo-1.0-py3-none-any.Whl", /case-sensitive/],
    ["foo-1.0.TAR.GZ", /case-sensitive: ".TAR.GZ" is not ".tar.gz"/],
    ["foo-1.0.Zip", /case-sensitive/],
    ["foo-1.0.tar.bz2", /extension must be/],
    ["foo-1.0.tgz", /extension must be/],
    ["foo-1.0.xz", /extension must be/],
    ["foo-1.0.tar", /extension must be/],
    ["foo-1.0-py3-none-any.wheel", /extension must be/],
    ["foo-1.0-py2.7.egg", /extension must be/],
    ["foo-1.0.whl.asc", /extension must be/],
    ["Python-3.12.5.tgz", /extension must be/],
    ["", /empty/],
    ["dist/foo-1.0.tar.gz", /path separator/],
    ["..\\foo-1.0.tar.gz", /path separator/],
    ["/foo-1.0-py3-none-any.whl", /path separator/],
    ["foo-1.0.tar.gz\0", /NUL/],
    ["foo\0-1.0.tar.gz", /NUL/],
  ])("rejects %j", (filename, reason) => {
    expect(reasonFor(filename)).toMatch(reason);
  });

  it("rejects non-strings", () => {
    expect(() => parseDistributionFilename(undefined as unknown as string)).toThrow(
      InvalidFilenameError,
    );
  });

  it("puts the filename, escaped, in the error message", () => {
    const err = new InvalidFilenameError("a\u202eb\nc.whl", "why");
    expect(err.message).toBe('invalid distribution filename "a\\u202eb\\nc.whl": why');
    expect(err.name).toBe("InvalidFilenameError");
    expect(err).toBeInstanceOf(Error);
  });
});

describe("compareSubjectToFilename / sameDistribution", () => {
  const same = (a: string, b: string): void => {
    expect(compareSubjectToFilename(a, b)).toBeUndefined();
    expect(compareSubjectToFilename(b, a)).toBeUndefined();
    expect(sameDistribution(parseDistributionFilename(a), parseDistributionFilename(b))).toBe(true);
  };
  const differ = (a: string, b: string, reason: string | RegExp): void => {
    const r = compareSubjectToFilename(a, b);
    if (typeof reason === "string") expect(r).toBe(reason);
    else expect(r).toMatch(reason);
    expect(r).not.toMatch(/[\n\r\u2028\u2029]/);
    expect(compareSubjectToFilename(b, a)).toBeDefined();
    expect(sameDistribution(parseDistributionFilename(a), parseDistributionFilename(b))).toBe(
      false,
    );
    expect(sameDistribution(parseDistributionFilename(b), parseDistributionFilename(a))).toBe(
      false,
    );
  };

  it("matches identical names", () => {
    same("foo-1.0-py3-none-any.whl", "foo-1.0-py3-none-any.whl");
    same("foo-1.0.tar.gz", "foo-1.0.tar.gz");
    same("foo-1.0.zip", "foo-1.0.zip");
  });

  it("trap: compressed tag order does not matter (spt3g)", () => {
    same(SPT3G_SUBJECT, SPT3G_FILE);
    same("foo-1.0-py3.py2-none-any.whl", "foo-1.0-py2.py3-none-any.whl");
    same(
      "foo-1.0-cp39.cp38-abi3.none-linux.win32.whl",
      "foo-1.0-cp38.cp39-none.abi3-win32.linux.whl",
    );
  });

  it("trap: project names are normalized (pep740_sampleproject)", () => {
    same("pep740_sampleproject-1.0.0.tar.gz", "pep740-sampleproject-1.0.0.tar.gz");
    same(
      "pep740_sampleproject-1.0.0-py3-none-any.whl",
      "PEP740.SampleProject-1.0.0-py3-none-any.whl",
    );
    same("Foo_Bar-1.0.tar.gz", "foo.bar-1.0.tar.gz");
  });

  it("compares versions by PEP 440 equality", () => {
    same("foo-1.0.tar.gz", "foo-1.0.0.tar.gz");
    same("foo-1.0-py3-none-any.whl", "foo-1.0.0-py3-none-any.whl");
    same("foo-1.0.r1.tar.gz", "foo-1.0.post1.tar.gz");
    same("foo-1.0_rev_01-py3-none-any.whl", "foo-1.0.post1-py3-none-any.whl");
    same("foo-1.0rc1.tar.gz", "foo-1.0c1.tar.gz");
    same("foo-v1.0.tar.gz", "foo-1.0.tar.gz");
    same("foo-1.0+abc.7.tar.gz", "foo-1.0+ABC.07.tar.gz");
  });

  it("lowercases tags", () => {
    same("foo-1.0-PY3-None-ANY.whl", "foo-1.0-py3-none-any.whl");
  });

  it("never matches a wheel with an sdist", () => {
    differ(
      "foo-1.0-py3-none-any.whl",
      "foo-1.0.tar.gz",
      "subject is a wheel but the file is an sdist",
    );
    differ(
      "foo-1.0.tar.gz",
      "foo-1.0-py3-none-any.whl",
      "subject is an sdist but the file is a wheel",
    );
  });

  it("needs the same sdist format", () => {
    differ(
      "foo-1.0.zip",
      "foo-1.0.tar.gz",
      "subject is a .zip sdist but the file is a .tar.gz sdist",
    );
  });

  it("rejects a different version", () => {
    differ(
      "foo-1.0.1.tar.gz",
      "foo-1.0.tar.gz",
      "subject names version 1.0.1 but the file is version 1.0",
    );
    differ(
      "foo-1.0-py3-none-any.whl",
      "foo-1.0.post1-py3-none-any.whl",
      "subject names version 1.0 but the file is version 1.0.post1",
    );
    differ(
      "foo-1.0.tar.gz",
      "foo-1.0+local.tar.gz",
      /version 1\.0 but the file is version 1\.0\+local/,
    );
    differ("foo-1.0.tar.gz", "foo-1!1.0.tar.gz", /version 1\.0 but the file is version 1!1\.0/);
    differ("foo-1.0a1.tar.gz", "foo-1.0.tar.gz", /version 1\.0a1 but/);
  });

  it("rejects a different project", () => {
    differ(
      "foo-1.0.tar.gz",
      "bar-1.0.tar.gz",
      'subject names project "foo" but the file is project "bar"',
    );
    differ("foobar-1.0-py3-none-any.whl", "foo_bar-1.0-py3-none-any.whl", /project "foobar"/);
    // The version is split off at the last dash, so these are different projects.
    differ(
      "foo-bar-1.0.tar.gz",
      "foo-1.0.tar.gz",
      /project "foo-bar" but the file is project "foo"/,
    );
  });

  it("compares build tags", () => {
    same("foo-1.0-1-py3-none-any.whl", "foo-1.0-01-py3-none-any.whl");
    same("foo-1.0-1abc-py3-none-any.whl", "foo-1.0-001abc-py3-none-any.whl");
    differ(
      "foo-1.0-1-py3-none-any.whl",
      "foo-1.0-py3-none-any.whl",
      'subject has build tag "1" but the file has no build tag',
    );
    differ(
      "foo-1.0-py3-none-any.whl",
      "foo-1.0-1-py3-none-any.whl",
      'subject has no build tag but the file has build tag "1"',
    );
    differ("foo-1.0-1-py3-none-any.whl", "foo-1.0-2-py3-none-any.whl", /build tag "1" but .* "2"/);
    differ(
      "foo-1.0-1-py3-none-any.whl",
      "foo-1.0-1a-py3-none-any.whl",
      /build tag "1" but .* "1a"/,
    );
    differ("foo-1.0-1a-py3-none-any.whl", "foo-1.0-1b-py3-none-any.whl", /"1a" but .* "1b"/);
    differ("foo-1.0-1a-py3-none-any.whl", "foo-1.0-1A-py3-none-any.whl", /"1a" but .* "1A"/);
    differ(
      "foo-1.0-9007199254740993-py3-none-any.whl",
      "foo-1.0-9007199254740992-py3-none-any.whl",
      /build tag/,
    );
  });

  it("compares tag sets", () => {
    differ(
      "foo-1.0-py3-none-any.whl",
      "foo-1.0-py2.py3-none-any.whl",
      'subject has tags {"py3-none-any"} but the file has tags {"py2-none-any", "py3-none-any"}',
    );
    differ(
      "foo-1.0-cp310-cp310-manylinux_2_17_x86_64.whl",
      SPT3G_FILE.replace("spt3g-0.3.0", "foo-1.0"),
      /tags/,
    );
    differ("foo-1.0-cp310-cp310-win_amd64.whl", "foo-1.0-cp311-cp311-win_amd64.whl", /tags/);
    differ("foo-1.0-cp310-abi3-win_amd64.whl", "foo-1.0-cp310-none-win_amd64.whl", /tags/);
  });

  it("reports an invalid subject or file", () => {
    expect(compareSubjectToFilename("foo-1.0-py3-none-any.WHL", "foo-1.0-py3-none-any.whl")).toBe(
      'subject name is not a valid distribution filename: "foo-1.0-py3-none-any.WHL": extensions are case-sensitive: ".WHL" is not ".whl"',
    );
    expect(
      compareSubjectToFilename("foo__bar-1.0-py3-none-any.whl", "foo_bar-1.0-py3-none-any.whl"),
    ).toMatch(/^subject name is not a valid distribution filename: .*contains "__"$/);
    expect(compareSubjectToFilename("foo-1.0.tar.gz", "foo-1.0.tar.bz2")).toMatch(
      /^file name is not a valid distribution filename: "foo-1.0.tar.bz2": /,
    );
    expect(compareSubjectToFilename("foo-1.0.tar.bz2", "foo-1.0.tar.bz2")).toMatch(/^subject name/);
    expect(compareSubjectToFilename("", "foo-1.0.tar.gz")).toMatch(/^subject name .*empty/);
    expect(compareSubjectToFilename("../foo-1.0.tar.gz", "foo-1.0.tar.gz")).toMatch(
      /path separator/,
    );
  });

  it("keeps hostile names on one line", () => {
    const r = compareSubjectToFilename("evil\u2028\u202e\n-1.0.tar.gz", "good-1.0.tar.gz");
    expect(r).toBe('subject names project "evil\\u2028\\u202e\\n" but the file is project "good"');
    expect(compareSubjectToFilename("a\u007f\u{e0001}-1.0.zip", "a-1.0.zip")).toBe(
      'subject names project "a\\u007f\\u{e0001}" but the file is project "a"',
    );
  });
});

describe("real subject names from the shared corpus", () => {
  const pairs: [string, string, string][] = [];
  for (const c of loadManifest()) {
    for (const f of c.files) {
      if ((f.kind !== "attestation" && f.kind !== "provenance") || c.artifact_filename === null)
        continue;
      const doc = JSON.parse(readFileSync(casePath(c.case, f.file), "utf8")) as {
        attestation_bundles?: { attestations: unknown[] }[];
      };
      const atts = (doc.attestation_bundles?.flatMap((b) => b.attestations) ?? [doc]) as {
        envelope: { statement: string };
      }[];
      for (const a of atts) {
        const st = JSON.parse(Buffer.from(a.envelope.statement, "base64").toString("utf8")) as {
          subject: { name: string }[];
        };
        for (const s of st.subject) pairs.push([c.case, s.name, c.artifact_filename]);
      }
    }
  }

  it("finds subjects to check", () => {
    expect(pairs.length).toBeGreaterThanOrEqual(10);
  });

  it.each(pairs)("%s: subject matches the artifact", (_case, subject, artifact) => {
    expect(compareSubjectToFilename(subject, artifact)).toBeUndefined();
  });
});
