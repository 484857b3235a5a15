/**
 * Digests of a file, read in 1 MiB chunks (constant memory) with plain
 * synchronous reads: for the local files pyprov hashes this is as fast as a
 * stream, and it does not load Node's stream and fs/promises modules, which
 * cost a few milliseconds of every start-up.
 */
import { createHash, type Hash } from "node:crypto";
import { closeSync, openSync, readSync } from "node:fs";

const CHUNK = 1 << 20;

/** Each algorithm's digest of the file at `path`. Throws the fs error (with its `code`) as is. */
export function hashFileSync(path: string, algorithms: readonly string[]): Map<string, Buffer> {
  const hashes: [string, Hash][] = algorithms.map((a) => [a, createHash(a)]);
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) break;
      const chunk = buf.subarray(0, n);
      for (const [, h] of hashes) h.update(chunk);
    }
  } finally {
    closeSync(fd);
  }
  return new Map(hashes.map(([a, h]) => [a, h.digest()]));
}
