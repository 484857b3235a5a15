/**
 * The I/O edge of the installed-files check: hashing files on disk (each
 * read once, streamed, giving both the whole file's sha256 and that of the
 * bytes after its first line) and listing the files under a distribution's
 * own directories. Paths are relative to the site-packages folder, with "/".
 */
import { createHash } from "node:crypto";
import { createReadStream, lstatSync, readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { mapPool } from "../util/pool.js";
import type { Observed } from "./compare.js";

/** Hash each path under sitePackages; null for one that is missing or not a regular file. */
export async function observeFiles(
  sitePackages: string,
  paths: readonly string[],
  concurrency = 8,
): Promise<Map<string, Observed>> {
  const unique = [...new Set(paths.filter((p) => p !== ""))];
  const results = await mapPool(unique, concurrency, (p) => hashOne(resolve(sitePackages, p)));
  return new Map(unique.map((p, i) => [p, results[i] ?? null]));
}

/** Files up to this size are read in one call (most of a site-packages folder). */
const SMALL = 1 << 20;

async function hashOne(file: string): Promise<Observed> {
  let size: number;
  try {
    const st = lstatSync(file);
    if (!st.isFile()) return null;
    size = st.size;
  } catch {
    return null;
  }
  if (size <= SMALL) {
    let b: Buffer;
    try {
      b = await readFile(file);
    } catch {
      return null;
    }
    const nl = b.indexOf(0x0a);
    return {
      sha256: createHash("sha256").update(b).digest("hex"),
      tailSha256: createHash("sha256")
        .update(nl < 0 ? Buffer.alloc(0) : b.subarray(nl + 1))
        .digest("hex"),
    };
  }
  const whole = createHash("sha256");
  const tail = createHash("sha256");
  let seenNewline = false;
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
      const b = chunk as Buffer;
      whole.update(b);
      if (seenNewline) tail.update(b);
      else {
        const nl = b.indexOf(0x0a);
        if (nl >= 0) {
          seenNewline = true;
          tail.update(b.subarray(nl + 1));
        }
      }
    }
  } catch {
    return null;
  }
  return { sha256: whole.digest("hex"), tailSha256: tail.digest("hex") };
}

/** Every regular file or link under the given directories that `listed` does not hold. */
export function unlistedFiles(
  sitePackages: string,
  dirs: readonly string[],
  listed: ReadonlySet<string>,
  limit = 1_000_000,
): string[] {
  const out: string[] = [];
  let seen = 0;
  const walk = (rel: string): void => {
    let names: string[];
    try {
      names = readdirSync(join(sitePackages, rel));
    } catch {
      return;
    }
    for (const name of names.sort()) {
      if (++seen > limit) return;
      const child = `${rel}/${name}`;
      let st;
      try {
        st = lstatSync(join(sitePackages, child));
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(child);
      else if (!listed.has(child)) out.push(child);
    }
  };
  for (const d of dirs) walk(d);
  return out;
}
