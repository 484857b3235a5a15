import { describe, expect, it } from "vitest";
import { globMatch, isGlob, literalLength } from "../../src/policy/glob.js";

describe("globMatch", () => {
  const cases: [string, string, boolean][] = [
    // exact values
    ["sampleproject", "sampleproject", true],
    ["sampleproject", "sampleproject2", false],
    ["sampleproject", "Sampleproject", false],
    ["", "", true],
    ["", "x", false],
    // *
    ["acme-*", "acme-lib", true],
    ["acme-*", "acme-", true],
    ["acme-*", "acme", false],
    ["acme-*", "xacme-lib", false],
    ["*-lib", "acme-lib", true],
    ["a*b*c", "aXXbYYc", true],
    ["a*b*c", "aXXbYY", false],
    ["refs/tags/*", "refs/tags/v1.0.0", true],
    ["refs/tags/*", "refs/tags/release/v1", false],
    ["refs/tags/*", "refs/heads/main", false],
    ["refs/tags/v*", "refs/tags/v1", true],
    ["refs/tags/v*", "refs/tags/1.0", false],
    // **
    ["refs/tags/**", "refs/tags/release/v1", true],
    ["refs/**", "refs/heads/a/b", true],
    ["**", "", true],
    ["https://github.com/org/**/x.yml", "https://github.com/org/a/b/x.yml", true],
    // ?
    ["v?.0", "v1.0", true],
    ["v?.0", "v10.0", false],
    ["a?c", "a/c", false],
    // metacharacters of regular expressions are literal
    ["a.c", "abc", false],
    ["a+", "aa", false],
    ["(x)", "(x)", true],
    ["[ab]", "a", false],
    ["[ab]", "[ab]", true],
    ["^a$", "^a$", true],
  ];
  for (const [pattern, value, expected] of cases) {
    it(`${JSON.stringify(pattern)} ${expected ? "matches" : "does not match"} ${JSON.stringify(value)}`, () => {
      expect(globMatch(pattern, value)).toBe(expected);
    });
  }

  it("matches whole code points (non-ASCII)", () => {
    expect(globMatch("caf?", "café")).toBe(true);
    expect(globMatch("?", "😀")).toBe(true);
  });

  it("runs in polynomial time on a pathological pattern", () => {
    const pattern = "*a".repeat(200) + "b";
    const value = "a".repeat(2000);
    const start = Date.now();
    expect(globMatch(pattern, value)).toBe(false);
    expect(Date.now() - start).toBeLessThan(2000);
  });
});

describe("isGlob and literalLength", () => {
  it("tells globs from exact values", () => {
    expect(isGlob("acme-*")).toBe(true);
    expect(isGlob("a?")).toBe(true);
    expect(isGlob("acme-lib")).toBe(false);
  });
  it("counts literal characters", () => {
    expect(literalLength("acme-*")).toBe(5);
    expect(literalLength("acme-lib-*")).toBe(9);
    expect(literalLength("**")).toBe(0);
    expect(literalLength("v?.0")).toBe(3);
  });
});
