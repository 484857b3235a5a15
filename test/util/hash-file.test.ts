import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hashFileSync } from "../../src/util/hash-file.js";

describe("hashFileSync", () => {
  const dir = mkdtempSync(join(tmpdir(), "pyprov-hash-"));

  it.each([0, 1, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 3 * (1 << 20) + 17])(
    "digests a %i-byte file exactly, across chunk boundaries, for every algorithm",
    (size) => {
      const bytes = randomBytes(size);
      const path = join(dir, `f${size}`);
      writeFileSync(path, bytes);
      const got = hashFileSync(path, ["sha256", "sha384", "sha512"]);
      for (const alg of ["sha256", "sha384", "sha512"]) {
        expect(got.get(alg)!.equals(createHash(alg).update(bytes).digest()), alg).toBe(true);
      }
    },
  );

  it("throws the file system's error for a missing file or a directory", () => {
    expect(() => hashFileSync(join(dir, "absent"), ["sha256"])).toThrow(
      expect.objectContaining({ code: "ENOENT" }),
    );
    expect(() => hashFileSync(dir, ["sha256"])).toThrow(
      expect.objectContaining({ code: "EISDIR" }),
    );
  });
});
