import { compare as libCompare } from "@renovatebot/pep440";
import { describe, expect, it } from "vitest";
import {
  InvalidVersionError,
  compareVersions,
  isValidVersion,
  normalizeVersion,
  parseVersion,
  versionsEqual,
} from "../../src/pypi/version.js";

// Vectors written out from pypa/packaging tests/test_version.py (data only).

/** In strictly increasing PEP 440 order. */
const ORDERED = [
  // Implicit epoch of 0
  "1.0.dev0",
  "1.0.dev456",
  "1.0.dev456+local",
  "1.0a0",
  "1.0a0.post0.dev0",
  "1.0a0.post0",
  "1.0a1.dev1",
  "1.0a1.dev1+local",
  "1.0a1",
  "1.0a1+local",
  "1.0b0",
  "1.0b1.dev456",
  "1.0b2",
  "1.0b2.post345.dev456",
  "1.0b2.post345",
  "1.0b2-346",
  "1.0rc0",
  "1.0rc1.dev1",
  "1.0c1",
  "1.0rc2",
  "1.0",
  "1.0.post0.dev0",
  "1.0.post0",
  "1.0.post456.dev34",
  "1.0.post456",
  "1.0.post456+local",
  "1.0.1.dev1",
  "1.0.1a1",
  "1.0.1",
  "1.0.1+local",
  "1.0.1.post1",
  "1.1.dev1",
  "1.2+a",
  "1.2+abc",
  "1.2+abcdef",
  "1.2+def",
  "1.2+0",
  "1.2+1",
  "1.2+1.abc",
  "1.2+1.1",
  "1.2+1.1.0",
  "1.2+2",
  "1.2+123",
  "1.2+123456",
  "1.2.r32+123456",
  "1.2.rev33+123456",
  // Explicit epoch of 1
  "1!1.0.dev0",
  "1!1.0.dev456",
  "1!1.0.dev456+local",
  "1!1.0a0",
  "1!1.0a0.post0.dev0",
  "1!1.0a0.post0",
  "1!1.0a1.dev1",
  "1!1.0a1.dev1+local",
  "1!1.0a1",
  "1!1.0a1+local",
  "1!1.0b0",
  "1!1.0b1.dev456",
  "1!1.0b2",
  "1!1.0b2.post345.dev456",
  "1!1.0b2.post345",
  "1!1.0b2-346",
  "1!1.0rc0",
  "1!1.0rc1.dev1",
  "1!1.0c1",
  "1!1.0rc2",
  "1!1.0",
  "1!1.0.post0.dev0",
  "1!1.0.post0",
  "1!1.0.post456.dev34",
  "1!1.0.post456",
  "1!1.0.post456+local",
  "1!1.0.1.dev1",
  "1!1.0.1a1",
  "1!1.0.1",
  "1!1.0.1+local",
  "1!1.0.1.post1",
  "1!1.1.dev1",
  "1!1.2+a",
  "1!1.2+abc",
  "1!1.2+abcdef",
  "1!1.2+def",
  "1!1.2+0",
  "1!1.2+1",
  "1!1.2+1.abc",
  "1!1.2+1.1",
  "1!1.2+1.1.0",
  "1!1.2+2",
  "1!1.2+123",
  "1!1.2+123456",
  "1!1.2.r32+123456",
  "1!1.2.rev33+123456",
];

/** packaging's invalid versions, plus traps specific to a JS port. */
const INVALID = [
  "french toast",
  "1.0+a+",
  "1.0++",
  "1.0+_foobar",
  "1.0+foo&asd",
  "1.0+1+1",
  "1. 0",
  "1 .0",
  "1. 0a1",
  "1 .0a1",
  "1.0 a1",
  "1.0a 1",
  "\u0660\u0661\u0662.\u0663\u0664\u0665.\u0666\u0667\u0668\u0669", // Arabic-Indic digits
  ".",
  "..",
  "1..0",
  "1.0.",
  ".1.0",
  "1..2.3",
  "1.0+\u0130", // İ matches [a-z] under Unicode case-insensitivity
  // Extra
  "",
  " ",
  "lolwat",
  "1.0+",
  "1.0-",
  "1!",
  "!1.0",
  "1.0.x",
  "1.0+\u212a", // Kelvin sign folds to "k" under /iu
  "1.0+\u017f", // long s folds to "s" under /iu
  "1.0\u017fpost1",
  "\ufeff1.0", // JS \s, but not Python's
  "1.0\ufeff",
  "vv1.0",
  "1.0a1a2",
  "1.0.post1.post2",
  "1.0.dev1.dev2",
  "1.0.dev1a1",
  "1.0.post1a1",
];

/** [input, str(Version(input))] from packaging. */
const NORMALIZED: [string, string][] = [
  ["1.0dev", "1.0.dev0"],
  ["1.0.dev", "1.0.dev0"],
  ["1.0dev1", "1.0.dev1"],
  ["1.0-dev", "1.0.dev0"],
  ["1.0-dev1", "1.0.dev1"],
  ["1.0DEV", "1.0.dev0"],
  ["1.0.DEV", "1.0.dev0"],
  ["1.0DEV1", "1.0.dev1"],
  ["1.0.DEV1", "1.0.dev1"],
  ["1.0-DEV", "1.0.dev0"],
  ["1.0-DEV1", "1.0.dev1"],
  ["1.0a", "1.0a0"],
  ["1.0.a", "1.0a0"],
  ["1.0.a1", "1.0a1"],
  ["1.0-a", "1.0a0"],
  ["1.0-a1", "1.0a1"],
  ["1.0alpha", "1.0a0"],
  ["1.0.alpha", "1.0a0"],
  ["1.0.alpha1", "1.0a1"],
  ["1.0-alpha", "1.0a0"],
  ["1.0-alpha1", "1.0a1"],
  ["1.0A", "1.0a0"],
  ["1.0.A", "1.0a0"],
  ["1.0.A1", "1.0a1"],
  ["1.0-A", "1.0a0"],
  ["1.0-A1", "1.0a1"],
  ["1.0ALPHA", "1.0a0"],
  ["1.0.ALPHA", "1.0a0"],
  ["1.0.ALPHA1", "1.0a1"],
  ["1.0-ALPHA", "1.0a0"],
  ["1.0-ALPHA1", "1.0a1"],
  ["1.0b", "1.0b0"],
  ["1.0.b", "1.0b0"],
  ["1.0.b1", "1.0b1"],
  ["1.0-b", "1.0b0"],
  ["1.0-b1", "1.0b1"],
  ["1.0beta", "1.0b0"],
  ["1.0.beta", "1.0b0"],
  ["1.0.beta1", "1.0b1"],
  ["1.0-beta", "1.0b0"],
  ["1.0-beta1", "1.0b1"],
  ["1.0B", "1.0b0"],
  ["1.0.B", "1.0b0"],
  ["1.0.B1", "1.0b1"],
  ["1.0-B", "1.0b0"],
  ["1.0-B1", "1.0b1"],
  ["1.0BETA", "1.0b0"],
  ["1.0.BETA", "1.0b0"],
  ["1.0.BETA1", "1.0b1"],
  ["1.0-BETA", "1.0b0"],
  ["1.0-BETA1", "1.0b1"],
  ["1.0c", "1.0rc0"],
  ["1.0.c", "1.0rc0"],
  ["1.0.c1", "1.0rc1"],
  ["1.0-c", "1.0rc0"],
  ["1.0-c1", "1.0rc1"],
  ["1.0rc", "1.0rc0"],
  ["1.0.rc", "1.0rc0"],
  ["1.0.rc1", "1.0rc1"],
  ["1.0-rc", "1.0rc0"],
  ["1.0-rc1", "1.0rc1"],
  ["1.0C", "1.0rc0"],
  ["1.0.C", "1.0rc0"],
  ["1.0.C1", "1.0rc1"],
  ["1.0-C", "1.0rc0"],
  ["1.0-C1", "1.0rc1"],
  ["1.0RC", "1.0rc0"],
  ["1.0.RC", "1.0rc0"],
  ["1.0.RC1", "1.0rc1"],
  ["1.0-RC", "1.0rc0"],
  ["1.0-RC1", "1.0rc1"],
  ["1.0post", "1.0.post0"],
  ["1.0.post", "1.0.post0"],
  ["1.0post1", "1.0.post1"],
  ["1.0-post", "1.0.post0"],
  ["1.0-post1", "1.0.post1"],
  ["1.0POST", "1.0.post0"],
  ["1.0.POST", "1.0.post0"],
  ["1.0POST1", "1.0.post1"],
  ["1.0r", "1.0.post0"],
  ["1.0rev", "1.0.post0"],
  ["1.0.POST1", "1.0.post1"],
  ["1.0.r1", "1.0.post1"],
  ["1.0.rev1", "1.0.post1"],
  ["1.0-POST", "1.0.post0"],
  ["1.0-POST1", "1.0.post1"],
  ["1.0-5", "1.0.post5"],
  ["1.0-r5", "1.0.post5"],
  ["1.0-rev5", "1.0.post5"],
  ["1.0+AbC", "1.0+abc"],
  ["1.01", "1.1"],
  ["1.0a05", "1.0a5"],
  ["1.0b07", "1.0b7"],
  ["1.0c056", "1.0rc56"],
  ["1.0rc09", "1.0rc9"],
  ["1.0.post000", "1.0.post0"],
  ["1.1.dev09000", "1.1.dev9000"],
  ["00!1.2", "1.2"],
  ["0100!0.0", "100!0.0"],
  ["v1.0", "1.0"],
  ["   v1.0\t\n", "1.0"],
  ["\u202f1.0\t\u2029\n ", "1.0"],
  // str/repr round trips
  ["1.0b2.post345.dev456", "1.0b2.post345.dev456"],
  ["1.0.post456.dev34", "1.0.post456.dev34"],
  ["0!1.0.2", "1.0.2"],
  ["1.0.3+7", "1.0.3+7"],
  ["0!1.0.4+8.0", "1.0.4+8.0"],
  ["1.2+1234.abc", "1.2+1234.abc"],
  ["1.2+123abc456", "1.2+123abc456"],
  ["1.2+abc123def", "1.2+abc123def"],
  ["7!1.0a12.dev456", "7!1.0a12.dev456"],
  ["7!1.0.5+9.5", "7!1.0.5+9.5"],
  // Extra: checked against packaging 26.2
  ["1.0+ABC.07", "1.0+abc.7"],
  ["1.0+abc-007_x", "1.0+abc.7.x"],
  ["1.0+Infinity", "1.0+infinity"],
  ["1.0+1e3", "1.0+1e3"],
  ["1.0+0x1", "1.0+0x1"],
  ["V1.0PREVIEW2", "1.0rc2"],
  ["1.0pre", "1.0rc0"],
  ["1.0_preview_3", "1.0rc3"],
  ["1.0-1", "1.0.post1"],
  ["1.0a1-1", "1.0a1.post1"],
  ["1.0.0.0", "1.0.0.0"],
  ["1.0_DEV_3", "1.0.dev3"],
  ["\u001c1.0\u0085", "1.0"], // Python's \s includes these, JS \s does not
  ["1.90071992547409930000000000001", "1.90071992547409930000000000001"],
  ["000000000000000000000012!00.000", "12!0.0"],
];

describe("isValidVersion / normalizeVersion", () => {
  it.each(ORDERED)("accepts %j", (v) => {
    expect(isValidVersion(v)).toBe(true);
  });

  it.each(INVALID)("rejects %j", (v) => {
    expect(isValidVersion(v)).toBe(false);
    expect(() => normalizeVersion(v)).toThrow(InvalidVersionError);
  });

  it.each(NORMALIZED)("normalizes %j to %j", (input, expected) => {
    expect(normalizeVersion(input)).toBe(expected);
    // Normalisation is idempotent and preserves equality.
    expect(normalizeVersion(expected)).toBe(expected);
    expect(versionsEqual(input, expected)).toBe(true);
  });

  it("reports the offending version", () => {
    const err = (() => {
      try {
        normalizeVersion("1.x");
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(InvalidVersionError);
    expect((err as InvalidVersionError).version).toBe("1.x");
    expect((err as InvalidVersionError).message).toContain('"1.x"');
  });

  it("exposes the parsed parts", () => {
    expect(parseVersion(" V01!2.03.0a04.post05.dev06+Ab.07 ")).toEqual({
      epoch: "1",
      release: ["2", "3", "0"],
      pre: { label: "a", number: "4" },
      post: "5",
      dev: "6",
      local: ["ab", "7"],
    });
    expect(parseVersion("1")).toEqual({
      epoch: "0",
      release: ["1"],
      pre: undefined,
      post: undefined,
      dev: undefined,
      local: undefined,
    });
  });
});

describe("compareVersions", () => {
  it("orders packaging's version list, pair by pair", () => {
    for (let i = 0; i < ORDERED.length; i++) {
      for (let j = 0; j < ORDERED.length; j++) {
        const a = ORDERED[i] as string;
        const b = ORDERED[j] as string;
        const c = compareVersions(a, b);
        const expected = Math.sign(i - j);
        if (Math.sign(c) !== expected) {
          expect.fail(`compareVersions(${a}, ${b}) = ${c}, expected sign ${expected}`);
        }
        if (versionsEqual(a, b) !== (i === j)) expect.fail(`versionsEqual(${a}, ${b})`);
      }
    }
  });

  it("sorts a shuffled list back into order", () => {
    const shuffled = [...ORDERED].reverse();
    for (let i = 0; i < shuffled.length; i += 3) shuffled.push(...shuffled.splice(i, 1));
    expect(shuffled.sort(compareVersions)).toEqual(ORDERED);
  });

  it("compares numbers without precision loss", () => {
    expect(compareVersions("1.9007199254740993", "1.9007199254740992")).toBe(1);
    expect(compareVersions("99999999999999999999999", "100000000000000000000000")).toBe(-1);
    expect(compareVersions("1.0+99999999999999999999", "1.0+100000000000000000000")).toBe(-1);
    expect(compareVersions("1.0.post10", "1.0.post9")).toBe(1);
    expect(compareVersions("1.0.dev10", "1.0.dev9")).toBe(1);
    expect(compareVersions("1.0rc10", "1.0rc9")).toBe(1);
    expect(compareVersions("10!1.0", "9!2.0")).toBe(1);
  });

  it("throws on invalid input", () => {
    expect(() => compareVersions("1.0", "banana")).toThrow(InvalidVersionError);
    expect(() => compareVersions("banana", "1.0")).toThrow(InvalidVersionError);
  });

  it("agrees with @renovatebot/pep440 on ordinary versions", () => {
    // The library is right for plain inputs; its gaps are covered in versionsEqual below.
    for (let i = 0; i < ORDERED.length; i += 1) {
      for (let j = 0; j < ORDERED.length; j += 7) {
        const a = ORDERED[i] as string;
        const b = ORDERED[j] as string;
        expect(Math.sign(compareVersions(a, b))).toBe(Math.sign(libCompare(a, b)));
      }
    }
  });
});

describe("versionsEqual", () => {
  const EQUAL: [string, string][] = [
    ["1.0", "1.0.0"],
    ["1", "1.0.0.0.0"],
    ["1.0.0", "1"],
    ["0", "0.0"],
    ["1.0a1", "1.0.0a1"],
    ["1.0.post1", "1.0.0.post1"],
    ["1.0+local", "1.0.0+local"],
    ["1.0+abc.7", "1.0+ABC.07"], // local: lowercase, numeric segments as integers
    ["1.0+abc.7", "1.0+abc-7"],
    ["1.0+abc.7", "1.0+abc_7"],
    ["1.0+0", "1.0+000"],
    ["1.0rc1", "1.0c1"],
    ["1.0rc1", "1.0pre1"],
    ["1.0rc1", "1.0preview1"],
    ["1.0a0", "1.0alpha"],
    ["1.0b0", "1.0beta"],
    ["1.0.post1", "1.0-1"],
    ["1.0.post1", "1.0r1"],
    ["1.0.post1", "1.0rev1"],
    ["1.0.post0", "1.0.post"],
    ["1.0.dev0", "1.0dev"],
    ["1.0", "0!1.0"],
    ["1.0", "v1.0"],
    ["1.0", "V1.0"],
    ["1.0", " 1.0\n"],
    ["1.01", "1.1"],
    ["1.0.0a1.post2.dev3+x.4", "1a1-2-dev3+X_04"],
  ];
  it.each(EQUAL)("%j == %j", (a, b) => {
    expect(versionsEqual(a, b)).toBe(true);
    expect(versionsEqual(b, a)).toBe(true);
    expect(compareVersions(a, b)).toBe(0);
  });

  const DIFFERENT: [string, string][] = [
    ["1.0", "1.0.1"],
    ["1.0.1", "1.0"],
    ["1.0", "1.1"],
    ["1.0", "1!1.0"],
    ["1.0", "1.0+0"], // a local label is never ignored
    ["1.0", "1.0a0"],
    ["1.0", "1.0.post0"],
    ["1.0", "1.0.dev0"],
    ["1.0a1", "1.0b1"],
    ["1.0.dev1", "1.0.dev2"],
    ["1.2+1.1", "1.2+1.1.0"], // trailing zeros do count in local versions
    ["1.0+abc", "1.0+abd"],
    ["1.0+1e3", "1.0+1000"], // "1e3" is a string segment, not a number
    ["1.0+0x1", "1.0+1"],
    ["1.0+Infinity", "1.0+999"],
    ["1.9007199254740993", "1.9007199254740992"], // beyond 2**53
    ["1.0a1", "1.0a1.post0"],
    ["1.0-1", "1.0.dev1"],
  ];
  it.each(DIFFERENT)("%j != %j", (a, b) => {
    expect(versionsEqual(a, b)).toBe(false);
    expect(versionsEqual(b, a)).toBe(false);
    expect(compareVersions(a, b)).not.toBe(0);
    expect(Math.sign(compareVersions(a, b))).toBe(-Math.sign(compareVersions(b, a)));
  });

  it("is false, never a throw, when either side is invalid", () => {
    expect(versionsEqual("1.0", "1.x")).toBe(false);
    expect(versionsEqual("1.x", "1.0")).toBe(false);
    expect(versionsEqual("lolwat", "lolwat")).toBe(false);
    expect(versionsEqual("", "")).toBe(false);
  });
});
