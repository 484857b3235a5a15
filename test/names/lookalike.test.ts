/**
 * Look-alike names against a small popular list of the tests' own: edit
 * distance (scaled by length), confusable characters, separators, affixes;
 * and whether a repository's name is related to a package's.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { damerauLevenshtein, editBudget } from "../../src/names/distance.js";
import { PopularIndex, skeleton, stripAffix } from "../../src/names/lookalike.js";
import { repositoryRelated } from "../../src/names/repository.js";

const POPULAR = new PopularIndex([
  "boto3",
  "requests",
  "numpy",
  "python-dateutil",
  "matplotlib",
  "six",
  "flask",
  "scikit-learn",
]);

const first = (name: string) => POPULAR.lookalikes(name)[0];

describe("damerauLevenshtein", () => {
  it("counts insertions, deletions, substitutions and adjacent transpositions", () => {
    expect(damerauLevenshtein("requests", "requests")).toBe(0);
    expect(damerauLevenshtein("reqeusts", "requests")).toBe(1); // transposition
    expect(damerauLevenshtein("requets", "requests")).toBe(1); // deletion
    expect(damerauLevenshtein("requestss", "requests")).toBe(1); // insertion
    expect(damerauLevenshtein("requeSts", "requests")).toBe(1); // substitution
    expect(damerauLevenshtein("kitten", "sitting")).toBe(3);
    expect(damerauLevenshtein("", "abc")).toBe(3);
  });

  it("stops at the bound: anything beyond `max` is max + 1", () => {
    expect(damerauLevenshtein("kitten", "sitting", 1)).toBe(2);
    expect(damerauLevenshtein("a", "abcdef", 2)).toBe(3);
  });

  it("is a symmetric distance bounded by the longer length", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), (a, b) => {
        const d = damerauLevenshtein(a, b);
        expect(damerauLevenshtein(b, a)).toBe(d);
        expect(d).toBeLessThanOrEqual(Math.max(a.length, b.length));
        expect(d === 0).toBe(a === b);
      }),
    );
  });

  it("scales the budget with the length: none below 5, 1 up to 8, 2 from 9", () => {
    expect([4, 5, 8, 9, 20].map(editBudget)).toEqual([0, 1, 1, 2, 2]);
  });
});

describe("PopularIndex.lookalikes", () => {
  it("a popular name is never its own look-alike, in any spelling", () => {
    expect(POPULAR.lookalikes("requests")).toEqual([]);
    expect(POPULAR.lookalikes("Python_DateUtil")).toEqual([]);
    expect(POPULAR.lookalikes("scikit.learn")).toEqual([]);
  });

  it("edit distance: a transposition or a missing letter", () => {
    expect(first("reqeusts")).toMatchObject({
      popular: "requests",
      reason: "edit-distance",
      distance: 1,
    });
    expect(first("requets")).toMatchObject({ popular: "requests", reason: "edit-distance" });
    expect(first("reqeusts")!.message).toBe(
      '"reqeusts" looks like the popular project "requests" (#2): 1 edit away',
    );
    // Two edits are too many for an 8-letter name, enough for a 10-letter one.
    expect(POPULAR.lookalikes("reqeutss")).toEqual([]);
    expect(first("matpoltlb")).toMatchObject({ popular: "matplotlib", distance: 2 });
  });

  it("short names are not compared by distance", () => {
    expect(POPULAR.lookalikes("sip")).toEqual([]);
    expect(POPULAR.lookalikes("numpi")).toEqual([
      expect.objectContaining({ popular: "numpy", reason: "edit-distance" }),
    ]);
  });

  it("confusable characters: rn/m, vv/w, cl/d, 0/o, 1/l/i", () => {
    expect(skeleton("rnatplotlib")).toBe(skeleton("matplotlib"));
    expect(first("rnatplotlib")).toMatchObject({ popular: "matplotlib", reason: "confusable" });
    expect(first("nurnpy")).toMatchObject({ popular: "numpy", reason: "confusable" });
    expect(first("b0to3")).toMatchObject({ popular: "boto3", reason: "confusable" });
    expect(first("f1ask")).toMatchObject({ popular: "flask" });
    expect(first("fiask")).toMatchObject({ popular: "flask" });
  });

  it("separators and affixes: -python, python-, py-, pyX, a dropped python- prefix", () => {
    expect(first("pythondateutil")).toMatchObject({
      popular: "python-dateutil",
      reason: "separators",
    });
    expect(first("requests-python")).toMatchObject({ popular: "requests", reason: "affix" });
    expect(first("requests-python")!.message).toContain('with "-python" added');
    expect(first("py-requests")).toMatchObject({ popular: "requests", reason: "affix" });
    expect(first("python3-requests")).toMatchObject({ popular: "requests", reason: "affix" });
    expect(first("dateutil")).toMatchObject({ popular: "python-dateutil", reason: "affix" });
    expect(stripAffix("py")).toBeUndefined();
  });

  it("unrelated names are not look-alikes", () => {
    for (const n of ["pyprov", "sigstore", "attrs", "requests-toolbelt-extra", "numbers"]) {
      expect(POPULAR.lookalikes(n), n).toEqual([]);
    }
  });

  it("the most popular match comes first", () => {
    const index = new PopularIndex(["numpy", "numba"]);
    expect(index.lookalikes("numpa").map((l) => l.popular)).toEqual(["numpy", "numba"]);
  });
});

describe("repositoryRelated", () => {
  it.each([
    ["pypi-attestations", "pypi/pypi-attestations"],
    ["sigstore", "sigstore/sigstore-python"],
    ["google-cloud-storage", "googleapis/python-storage"],
    ["awscli", "aws/aws-cli"],
    ["pyjwt", "jpadilla/pyjwt"],
    ["python-dateutil", "dateutil/dateutil"],
    ["psycopg2-binary", "psycopg/psycopg2"],
    ["pillow", "python-pillow/Pillow"],
    ["acme-libs", "acme/python/tools"],
  ])("%s is related to %s", (name, repo) => {
    expect(repositoryRelated(name, repo)).toBe(true);
  });

  it.each([
    ["requests", "evil/tools"],
    ["alpha", "acme/pkg"],
    ["reqeusts", "x0r/stealer"],
  ])("%s is not related to %s", (name, repo) => {
    expect(repositoryRelated(name, repo)).toBe(false);
  });
});
