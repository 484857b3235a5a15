/**
 * The popular-project list the look-alike check compares names against: a
 * public dataset (by default Hugo van Kemenade's "top PyPI packages", the
 * most-downloaded projects of the last 30 days) downloaded once by
 * `pyprov names update` and kept in the cache directory:
 *
 *     names/v1/popular.json   {v, source, fetchedAt, sha256, count, projects: [canonical names]}
 *
 * Accepted inputs: that dataset's JSON (`{"rows": [{"project": ...}, ...]}`),
 * or a plain JSON array of names. The file is written atomically; a missing
 * or unreadable list is never an error: the check is skipped with a note.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import * as z from "zod/mini";
import { PyprovError } from "../errors.js";
import { writeFileAtomic } from "../pypi/cache.js";
import { redactUrl } from "../pypi/http-light.js";
import type { RequestOptions } from "../pypi/http.js";
import { canonicalizeName, isValidProjectName } from "../pypi/names.js";
import { parseJsonBytes, readInputFile } from "../util/read-input.js";
import { describeZodError, ENGLISH } from "../util/zod.js";
import { PopularIndex } from "./lookalike.js";

export const DEFAULT_POPULAR_URL =
  "https://hugovk.github.io/top-pypi-packages/top-pypi-packages.min.json";
export const POPULAR_LAYOUT = join("names", "v1");
export const POPULAR_FILE = "popular.json";
/** Most names kept (the dataset has about 15,000). */
export const MAX_POPULAR = 100_000;
const MAX_DATASET_BYTES = 32 * 1024 * 1024;

const DatasetSchema = z.union([
  z.looseObject({ rows: z.array(z.looseObject({ project: z.string() })) }),
  z.array(z.string()),
]);

const StoredSchema = z.strictObject({
  v: z.literal(1),
  source: z.string(),
  fetchedAt: z.string(),
  sha256: z.string(),
  count: z.int().check(z.nonnegative()),
  projects: z.array(z.string()),
});
export type StoredPopularList = z.output<typeof StoredSchema>;

export function popularListPath(cacheDir: string): string {
  return join(cacheDir, POPULAR_LAYOUT, POPULAR_FILE);
}

/** The canonical project names of a dataset, most popular first (INPUT_MALFORMED if it is not one). */
export function parseDataset(body: Buffer, source: string): string[] {
  const parsed = DatasetSchema.safeParse(parseJsonBytes(body, source), ENGLISH);
  if (!parsed.success) {
    throw new PyprovError(
      "INPUT_MALFORMED",
      `not a popular-project list (expected {"rows": [{"project": NAME}, ...]} or [NAME, ...]): ${describeZodError(parsed.error)}`,
      { source },
    );
  }
  const raw = Array.isArray(parsed.data) ? parsed.data : parsed.data.rows.map((r) => r.project);
  const seen = new Set<string>();
  for (const name of raw) {
    if (!isValidProjectName(name)) continue; // a dataset row we cannot use
    seen.add(canonicalizeName(name));
    if (seen.size >= MAX_POPULAR) break;
  }
  if (seen.size === 0) {
    throw new PyprovError("INPUT_MALFORMED", "the popular-project list names no project", {
      source,
    });
  }
  return [...seen];
}

export interface UpdateResult {
  path: string;
  count: number;
  source: string;
  sha256: string;
}

/** Download the dataset and store it in the cache directory (atomically). */
export async function updatePopularList(opts: {
  cacheDir: string;
  url?: string;
  http?: RequestOptions;
  now?: Date;
}): Promise<UpdateResult> {
  const url = opts.url ?? DEFAULT_POPULAR_URL;
  const source = redactUrl(url);
  // Loaded here: only an update goes to the network.
  const { httpGet } = await import("../pypi/http.js");
  const res = await httpGet(url, {
    maxBytes: MAX_DATASET_BYTES,
    decompress: true,
    ...opts.http,
    headers: { accept: "application/json", ...opts.http?.headers },
  });
  if (res.status !== 200) {
    throw new PyprovError("NETWORK", `HTTP ${res.status}`, { source });
  }
  const projects = parseDataset(res.body, source);
  const sha256 = createHash("sha256").update(res.body).digest("hex");
  const stored: StoredPopularList = {
    v: 1,
    source,
    fetchedAt: (opts.now ?? new Date()).toISOString(),
    sha256,
    count: projects.length,
    projects,
  };
  const path = popularListPath(opts.cacheDir);
  try {
    mkdirSync(join(opts.cacheDir, POPULAR_LAYOUT), { recursive: true });
    writeFileAtomic(path, `${JSON.stringify(stored)}\n`);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new PyprovError(
      "INPUT_UNREADABLE",
      `cannot write the popular-project list: ${typeof code === "string" ? code : String(err)}`,
      { source: path, cause: err },
    );
  }
  return { path, count: projects.length, source, sha256 };
}

export type LoadedPopular =
  | { ok: true; index: PopularIndex; stored: StoredPopularList; path: string }
  | { ok: false; note: string };

/** The cached list, or why there is none (never throws). */
export function loadPopularList(cacheDir: string): LoadedPopular {
  const path = popularListPath(cacheDir);
  if (!existsSync(path)) {
    return {
      ok: false,
      note: "no popular-project list in the cache (run `pyprov names update`): look-alike names were not checked against popular projects",
    };
  }
  try {
    const value = parseJsonBytes(readInputFile(path, MAX_DATASET_BYTES * 2), path);
    const stored = StoredSchema.parse(value, ENGLISH);
    return { ok: true, index: new PopularIndex(stored.projects), stored, path };
  } catch {
    return {
      ok: false,
      note: `the popular-project list ${path} is unreadable (run \`pyprov names update\`): look-alike names were not checked against popular projects`,
    };
  }
}
