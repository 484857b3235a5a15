import { describe, expect, it } from "vitest";
import { canonicalizeName, isValidProjectName, sameProjectName } from "../../src/pypi/names.js";

describe("canonicalizeName", () => {
  // pypa/packaging tests/test_utils.py, plus extras.
  it.each([
    ["foo", "foo"],
    ["Foo", "foo"],
    ["fOo", "foo"],
    ["foo.bar", "foo-bar"],
    ["Foo.Bar", "foo-bar"],
    ["Foo.....Bar", "foo-bar"],
    ["foo_bar", "foo-bar"],
    ["foo___bar", "foo-bar"],
    ["foo-bar", "foo-bar"],
    ["foo----bar", "foo-bar"],
    ["foo-_.-bar", "foo-bar"],
    ["pep740_sampleproject", "pep740-sampleproject"],
    ["PEP740.SampleProject", "pep740-sampleproject"],
    ["_not_legal", "-not-legal"],
    ["trailing._", "trailing-"],
    ["hi\n", "hi\n"],
    ["h\ri", "h\ri"],
    ["Fóo_BÁR", "fóo-bár"],
    ["", ""],
  ])("%j -> %j", (name, expected) => {
    expect(canonicalizeName(name)).toBe(expected);
    expect(canonicalizeName(expected)).toBe(expected);
  });

  it("only folds - _ . (not spaces or other punctuation)", () => {
    expect(canonicalizeName("foo bar")).toBe("foo bar");
    expect(canonicalizeName("foo+bar")).toBe("foo+bar");
    expect(canonicalizeName("foo~bar")).toBe("foo~bar");
  });
});

describe("sameProjectName", () => {
  it("compares canonical forms", () => {
    expect(sameProjectName("pep740_sampleproject", "pep740-sampleproject")).toBe(true);
    expect(sameProjectName("Django", "django")).toBe(true);
    expect(sameProjectName("zope.interface", "Zope_Interface")).toBe(true);
    expect(sameProjectName("foobar", "foo-bar")).toBe(false);
    expect(sameProjectName("foo", "foo2")).toBe(false);
  });
});

describe("isValidProjectName", () => {
  it.each([
    "a",
    "A",
    "0",
    "foo",
    "Foo",
    "foo-bar",
    "foo_bar",
    "foo.bar",
    "foo-_.bar",
    "a1",
    "1a",
    "pep740_sampleproject",
    "Zope.Interface",
  ])("accepts %j", (name) => {
    expect(isValidProjectName(name)).toBe(true);
  });

  it.each([
    "",
    "-foo",
    "foo-",
    "_not_legal",
    "foo_",
    ".foo",
    "foo.",
    "foo bar",
    "foo#bar",
    "foo/bar",
    "fóo",
    "hi\n",
    "\nhi",
    "h\ni",
    "hi\r",
    "\rhi",
    "h\ri",
    "\u212aelvin", // Kelvin sign must not fold to "k"
    "\u017fpam", // long s must not fold to "s"
    "ı", // dotless i must not fold to "I"
  ])("rejects %j", (name) => {
    expect(isValidProjectName(name)).toBe(false);
  });
});
