/**
 * The duplicate-key scanner: keys compared as JSON.parse decodes them, at any
 * depth, with the line of both occurrences; nothing else mistaken for a key.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PyprovError } from "../../src/errors.js";
import { describeDuplicateKey, findDuplicateKey } from "../../src/util/json-duplicates.js";
import { parseJsonBytes, parseJsonText } from "../../src/util/read-input.js";

describe("findDuplicateKey", () => {
  it("finds a top-level and a nested duplicate, with both lines and the path", () => {
    expect(findDuplicateKey('{\n  "a": 1,\n  "b": 2,\n  "a": 3\n}')).toEqual({
      key: "a",
      path: [],
      line: 4,
      firstLine: 2,
    });
    const nested = '{"packages": {\n"x": {},\n"list": [{}, {"k": 1,\n "k": 2}]}}';
    expect(findDuplicateKey(nested)).toEqual({
      key: "k",
      path: ["packages", "list", 1],
      line: 4,
      firstLine: 3,
    });
  });

  it("compares decoded keys: an escaped spelling is the same key", () => {
    expect(findDuplicateKey('{"acme": 1, "\\u0061cme": 2}')?.key).toBe("acme");
    expect(findDuplicateKey('{"a\\"b": 1, "a\\u0022b": 2}')?.key).toBe('a"b');
    expect(findDuplicateKey('{"a\\\\": 1, "a\\\\\\\\": 2}')).toBeUndefined();
  });

  it("sees no duplicate where keys are equal in different objects or only look like keys", () => {
    const ok = [
      '{"a": {"a": {"a": 1}}, "b": [{"a": 1}, {"a": 2}]}',
      '{"a": "\\"a\\": 1, ", "b": "{\\"a\\": 2}", "c": ["a", "a"]}',
      '{"a": "}", "b": "{", "c": ",", "d": "]"}',
      '[{"a": 1}, {"a": 1}]',
      '"just a string"',
      "{}",
    ];
    for (const text of ok) expect(findDuplicateKey(text), text).toBeUndefined();
  });

  it("agrees with JSON.parse on every generated document", () => {
    fc.assert(
      fc.property(fc.json({ depthSize: "small" }), (text) => {
        // JSON.stringify never writes duplicates: any duplicate found is a false positive.
        expect(findDuplicateKey(text)).toBeUndefined();
        const parsed = JSON.parse(text) as unknown;
        if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
          const keys = Object.keys(parsed);
          if (keys.length > 0) {
            const dup = `${text.slice(0, -1)},${JSON.stringify(keys[0])}:0}`;
            expect(findDuplicateKey(dup)?.key).toBe(keys[0]);
          }
        }
      }),
    );
  });

  it("describes a duplicate on one line", () => {
    expect(
      describeDuplicateKey({ key: "acme-pkg", path: ["packages"], line: 9, firstLine: 3 }),
    ).toBe(
      'duplicate key "acme-pkg" in packages (line 9; first at line 3): JSON would keep only the last one',
    );
    expect(describeDuplicateKey({ key: "a\nb", path: [], line: 2, firstLine: 1 })).toMatch(
      /^duplicate key "a\\nb" at the top level/,
    );
  });
});

describe("parseJsonText / parseJsonBytes uniqueKeys", () => {
  it("refuses duplicates only when asked, as INPUT_MALFORMED naming the source", () => {
    const text = '{"a": 1, "a": 2}';
    expect(parseJsonText(text, "x.json")).toEqual({ a: 2 });
    let err: unknown;
    try {
      parseJsonBytes(Buffer.from(text), "x.json", { uniqueKeys: true });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PyprovError);
    expect((err as PyprovError).code).toBe("INPUT_MALFORMED");
    expect((err as PyprovError).oneLine()).toBe(
      'x.json: duplicate key "a" at the top level (line 1; first at line 1): JSON would keep only the last one',
    );
    expect(parseJsonText('{"a": 1, "b": {"a": 2}}', "x.json", { uniqueKeys: true })).toEqual({
      a: 1,
      b: { a: 2 },
    });
  });

  it("reports invalid JSON as before, not as a duplicate", () => {
    expect(() => parseJsonText('{"a": 1, "a"', "x.json", { uniqueKeys: true })).toThrow(
      /not valid JSON/,
    );
  });
});
