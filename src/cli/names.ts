/**
 * `pyprov names update [--url URL]`: download the popular-project list into
 * the cache directory. `pyprov names check NAME...`: compare names with it
 * (offline; no index needed).
 */
import { defaultCacheDir } from "../pypi/cache.js";
import { PyprovError } from "../errors.js";
import { loadPopularList, updatePopularList } from "../names/popular.js";
import { isValidProjectName } from "../pypi/names.js";
import { oneLine, safeText } from "../util/text.js";
import type { Io } from "./main.js";

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

function cacheDirOf(opts: Record<string, unknown>, io: Io): string {
  return str(opts.cacheDir) ?? defaultCacheDir(io.env);
}

export async function runNamesUpdate(opts: Record<string, unknown>, io: Io): Promise<number> {
  const url = str(opts.url);
  if (url !== undefined && !/^https?:\/\//i.test(url)) {
    throw new PyprovError("USAGE", `--url must be an http(s) URL, not ${JSON.stringify(url)}`);
  }
  const result = await updatePopularList({
    cacheDir: cacheDirOf(opts, io),
    ...(url !== undefined ? { url } : {}),
  });
  io.stdout(
    `${safeText(`saved ${result.count} popular project names from ${result.source} to ${result.path} (sha256 ${result.sha256})`)}\n`,
  );
  return 0;
}

/** Exit 0: no look-alike; 1: at least one name looks like a popular project's. */
export function runNamesCheck(names: string[], opts: Record<string, unknown>, io: Io): number {
  for (const n of names) {
    if (!isValidProjectName(n)) {
      throw new PyprovError("USAGE", `not a valid project name: ${JSON.stringify(n)}`);
    }
  }
  const loaded = loadPopularList(cacheDirOf(opts, io));
  if (!loaded.ok) {
    io.stderr(`pyprov: note: ${oneLine(loaded.note)}\n`);
    return 0;
  }
  let found = 0;
  const lines: string[] = [];
  for (const n of names) {
    const similar = loaded.index.lookalikes(n);
    if (loaded.index.has(n)) {
      lines.push(`✓ ${n}: a popular project (#${loaded.index.rankOf(n)!})`);
    } else if (similar.length === 0) {
      lines.push(`✓ ${n}: not close to any of the ${loaded.index.size} popular projects`);
    } else {
      found++;
      lines.push(`! ${n}`);
      for (const s of similar) lines.push(`    ${s.message}`);
    }
  }
  io.stdout(lines.map((l) => safeText(l)).join("\n") + "\n");
  return found > 0 ? 1 : 0;
}
