import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonNestingDepth, parseJsonBytes } from "../../src/util/read-input.js";

/** The rule, one character at a time: the oracle for the indexOf version. */
function depthByCharacter(text: string, limit = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

describe("jsonNestingDepth", () => {
  it.each([
    ["{}", 1],
    ['{"a": [1, [2, {"b": 3}]]}', 4],
    ['{"a": "[[[[{{{{"}', 1],
    ['{"a": "quote \\" then [[["}', 1],
    ['{"a": "backslash \\\\"}, [[', 2],
    ['"unterminated [[[', 0],
    ['["\\\\\\"[", [1]]', 2],
  ])("%s -> %i", (text, depth) => {
    expect(jsonNestingDepth(text)).toBe(depth);
    expect(depthByCharacter(text)).toBe(depth);
  });

  it("agrees with the character-by-character rule on any mix of brackets, quotes and backslashes", () => {
    const ch = fc.constantFrom(...'[]{}"\\\\a ,:'.split(""));
    fc.assert(
      fc.property(fc.array(ch, { maxLength: 40 }), fc.integer({ min: 1, max: 6 }), (cs, limit) => {
        const s = cs.join("");
        expect(jsonNestingDepth(s)).toBe(depthByCharacter(s));
        expect(jsonNestingDepth(s, limit)).toBe(depthByCharacter(s, limit));
      }),
      { numRuns: 20_000 },
    );
  });

  it("agrees on real JSON documents", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), (v) => {
        const s = JSON.stringify(v);
        expect(jsonNestingDepth(s)).toBe(depthByCharacter(s));
      }),
    );
  });

  it("keeps parseJsonBytes' limit: 65 levels refused, a BOM skipped, bad UTF-8 refused", () => {
    expect(() => parseJsonBytes(Buffer.from("[".repeat(65) + "]".repeat(65)), "x")).toThrow(
      /nested deeper than 64 levels/,
    );
    expect(parseJsonBytes(Buffer.from("\ufeff[1]"), "x")).toEqual([1]);
    expect(() => parseJsonBytes(Buffer.from([0x5b, 0xff, 0x5d]), "x")).toThrow(/not valid UTF-8/);
  });
});
