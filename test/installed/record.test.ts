/** RECORD parsing (installed/record.ts): CSV quoting, hash algorithms and digests, bad rows. */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseRecord } from "../../src/installed/record.js";
import { expectPyprovError } from "../inputs/helpers.js";

const b64 = (alg: string, s: string) => createHash(alg).update(s).digest("base64url");
const hex = (alg: string, s: string) => createHash(alg).update(s).digest("hex");

describe("RECORD", () => {
  it("reads rows, quoted paths, sizes and unhashed rows", () => {
    const text = [
      `pkg/__init__.py,sha256=${b64("sha256", "a")},1`,
      `"pkg/with,comma ""q"".py",sha512=${b64("sha512", "b")},22`,
      "pkg-1.0.dist-info/RECORD,,",
      "",
    ].join("\r\n");
    const rows = parseRecord(text, "RECORD");
    expect(rows).toStrictEqual([
      {
        path: "pkg/__init__.py",
        hash: { algorithm: "sha256", hex: hex("sha256", "a") },
        size: 1,
        line: 1,
      },
      {
        path: 'pkg/with,comma "q".py',
        hash: { algorithm: "sha512", hex: hex("sha512", "b") },
        size: 22,
        line: 2,
      },
      { path: "pkg-1.0.dist-info/RECORD", hash: undefined, size: undefined, line: 3 },
    ]);
  });

  it("refuses md5/sha1, short or padded digests, bad sizes, duplicates and broken CSV", () => {
    const cases: [string, RegExp][] = [
      [`a.py,md5=${b64("md5", "a")},1`, /line 1: .*only sha256, sha384 and sha512/],
      [`a.py,sha1=${b64("sha1", "a")},1`, /only sha256/],
      [`a.py,sha256=${b64("sha256", "a").slice(2)},1`, /not 32 bytes/],
      [`a.py,sha256=${createHash("sha256").update("a").digest("base64")},1`, /base64/],
      [`a.py,sha256=${b64("sha256", "a")},-1`, /size "-1"/],
      [`a.py,sha256=${b64("sha256", "a")}`, /3 fields/],
      [`ok.py,,\na.py,,\na.py,,`, /line 3: "a.py" is listed twice/],
      [`"a.py,,`, /not closed/],
      [`"a"x,,`, /text after a quoted field/],
      [`,,`, /empty path/],
    ];
    for (const [text, re] of cases)
      expectPyprovError(() => parseRecord(text, "R"), "INPUT_MALFORMED", "R", re);
  });
});
