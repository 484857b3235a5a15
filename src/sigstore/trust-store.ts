/**
 * Which Sigstore trusted root is in use, where it comes from and how old it is.
 *
 * Precedence, first match wins:
 *  1. `--trusted-root FILE`.
 *  2. The root that `pyprov trust-root update` fetched through TUF into the
 *     cache: `<cache>/trust-root/trusted_root.json` (production) or
 *     `<cache>/trust-root/staging/trusted_root.json` (staging), each with a
 *     `trusted_root.meta.json` beside it. `<cache>` is `$PYPROV_CACHE_DIR`,
 *     else `$XDG_CACHE_HOME/pyprov` (absolute only), else `~/.cache/pyprov`.
 *     A production cache fetched before the bundled root's date is ignored:
 *     after a pyprov upgrade the newer bundled root wins over an old cache.
 *  3. Production only: the bundled `trust-roots/trusted_root.json`. There is
 *     no bundled staging root: staging needs the cache or `--trusted-root`.
 *
 * Age (whole days, `now − date`):
 *  - bundled root: date = the newer of the provenance's `newestValidForStart`
 *    (the last key rotation the root knows) and its `recordedAt` when present.
 *    scripts/update-trust-roots.mjs records no clock, so today this is the
 *    newest `validFor.start`: a root that knows no rotation for 180 days is
 *    likely to be missing one.
 *  - cached root: date = when it was fetched (`fetchedAt`).
 *  - `--trusted-root FILE`: unknown; never warned about.
 * A root older than {@link STALE_AFTER_DAYS} days draws one warning line.
 *
 * "now" is the clock, or `$PYPROV_NOW` (an ISO 8601 date): a test hook only.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import * as z from "zod/mini";
import { PyprovError } from "../errors.js";
import { DEFAULT_TRUSTED_ROOT_PATH } from "../paths.js";
import { parseJsonBytes, readInputFile } from "../util/read-input.js";
import { describeZodError, ENGLISH } from "../util/zod.js";
import { loadTrustedRoot, type LoadedTrustRoot } from "./trust-root.js";

export const STALE_AFTER_DAYS = 180;
const DAY_MS = 86_400_000;

export type TrustInstance = "production" | "staging";
export type TrustOrigin = "file" | "cache" | "bundled";

export const DEFAULT_TUF_MIRRORS: Readonly<Record<TrustInstance, string>> = {
  production: "https://tuf-repo-cdn.sigstore.dev",
  staging: "https://tuf-repo-cdn.sigstage.dev",
};

export const BUNDLED_PROVENANCE_PATH = join(
  dirname(DEFAULT_TRUSTED_ROOT_PATH),
  "trusted_root.provenance.json",
);

const isoDate = z
  .string()
  .check(z.refine((s) => !Number.isNaN(Date.parse(s)), "not an ISO 8601 date"));

/** trusted_root.meta.json, written by `pyprov trust-root update`. */
export const CachedRootMetadataSchema = z.looseObject({
  schemaVersion: z.literal(1),
  instance: z.enum(["production", "staging"]),
  mirror: z.string(),
  fetchedAt: isoDate,
  sha256: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
  newestValidForStart: z.optional(isoDate),
  tufRootVersion: z.optional(z.number().check(z.int())),
  pyprovVersion: z.optional(z.string()),
});
export type CachedRootMetadata = z.infer<typeof CachedRootMetadataSchema>;

const BundledProvenanceSchema = z.looseObject({
  sha256: z.optional(z.string()),
  source: z.optional(z.string()),
  newestValidForStart: z.optional(isoDate),
  recordedAt: z.optional(isoDate),
  tufRootVersion: z.optional(z.number()),
});
export type BundledProvenance = z.infer<typeof BundledProvenanceSchema>;

export interface TrustSelection {
  origin: TrustOrigin;
  /** Unknown for `--trusted-root FILE`. */
  instance: TrustInstance | undefined;
  path: string;
  /** The date the age is measured from; undefined when unknown. */
  date: Date | undefined;
  /** What `date` is, for people. */
  dateRule: string | undefined;
  ageDays: number | undefined;
  cached?: CachedRootMetadata;
  bundled?: BundledProvenance;
  /** Things worth saying (e.g. a cache that was passed over, and why). */
  notes: string[];
}

export interface TrustOptions {
  trustedRoot?: string | undefined;
  staging?: boolean | undefined;
}

/** `$PYPROV_CACHE_DIR`, else `$XDG_CACHE_HOME/pyprov` (absolute only), else `~/.cache/pyprov`. */
export function cacheDir(env: NodeJS.ProcessEnv): string {
  const own = env.PYPROV_CACHE_DIR?.trim();
  if (own) return resolve(own);
  const xdg = env.XDG_CACHE_HOME?.trim();
  if (xdg && isAbsolute(xdg)) return join(xdg, "pyprov");
  return join(env.HOME?.trim() || homedir(), ".cache", "pyprov");
}

export interface CachePaths {
  dir: string;
  root: string;
  meta: string;
  /** tuf-js metadata (root, timestamp, snapshot, targets) per mirror. */
  tuf: string;
}

export function cachePaths(env: NodeJS.ProcessEnv, instance: TrustInstance): CachePaths {
  const base = join(cacheDir(env), "trust-root");
  const dir = instance === "production" ? base : join(base, "staging");
  return {
    dir,
    root: join(dir, "trusted_root.json"),
    meta: join(dir, "trusted_root.meta.json"),
    tuf: join(dir, "tuf"),
  };
}

/** The clock, or `$PYPROV_NOW` (ISO 8601; a test hook). */
export function nowFrom(env: NodeJS.ProcessEnv): Date {
  const fake = env.PYPROV_NOW?.trim();
  if (!fake) return new Date();
  const t = Date.parse(fake);
  if (Number.isNaN(t)) {
    throw new PyprovError("USAGE", `PYPROV_NOW (a test hook) is not an ISO 8601 date: "${fake}"`);
  }
  return new Date(t);
}

function ageInDays(now: Date, date: Date | undefined): number | undefined {
  return date === undefined ? undefined : Math.floor((now.getTime() - date.getTime()) / DAY_MS);
}

/** The bundled root's provenance and the date its age counts from (undefined if unreadable). */
export function bundledRootInfo(): {
  provenance: BundledProvenance | undefined;
  date: Date | undefined;
} {
  let provenance: BundledProvenance | undefined;
  try {
    const json = parseJsonBytes(
      readInputFile(BUNDLED_PROVENANCE_PATH, 1 << 20),
      BUNDLED_PROVENANCE_PATH,
    );
    const parsed = BundledProvenanceSchema.safeParse(json, ENGLISH);
    provenance = parsed.success ? parsed.data : undefined;
  } catch {
    provenance = undefined;
  }
  const dates = [provenance?.newestValidForStart, provenance?.recordedAt]
    .filter((d): d is string => d !== undefined)
    .map((d) => Date.parse(d));
  return { provenance, date: dates.length ? new Date(Math.max(...dates)) : undefined };
}

/** Read a cache's metadata; undefined when there is no cache; TRUST_ROOT_INVALID when it is damaged. */
export function readCachedMetadata(paths: CachePaths): CachedRootMetadata | undefined {
  const hasMeta = existsSync(paths.meta);
  const hasRoot = existsSync(paths.root);
  if (!hasMeta && !hasRoot) return undefined;
  const damaged = (why: string): PyprovError =>
    new PyprovError(
      "TRUST_ROOT_INVALID",
      `cached trusted root is unusable (${why}): run \`pyprov trust-root update\` again, or delete ${paths.dir}`,
      { source: paths.meta },
    );
  if (!hasMeta || !hasRoot)
    throw damaged(hasMeta ? "trusted_root.json is missing" : "metadata is missing");
  let json: unknown;
  try {
    json = parseJsonBytes(readInputFile(paths.meta, 1 << 20), paths.meta);
  } catch (err) {
    throw damaged(err instanceof PyprovError ? err.message : "unreadable metadata");
  }
  const parsed = CachedRootMetadataSchema.safeParse(json, ENGLISH);
  if (!parsed.success) throw damaged(`metadata ${describeZodError(parsed.error)}`);
  return parsed.data;
}

/** Decide which trusted root to use. Throws TRUST_ROOT_MISSING for staging without one. */
export function selectTrustRoot(opts: TrustOptions, env: NodeJS.ProcessEnv): TrustSelection {
  const now = nowFrom(env);
  const instance: TrustInstance = opts.staging ? "staging" : "production";
  if (opts.trustedRoot !== undefined) {
    return {
      origin: "file",
      instance: undefined,
      path: opts.trustedRoot,
      date: undefined,
      dateRule: undefined,
      ageDays: undefined,
      notes: [],
    };
  }
  const notes: string[] = [];
  const paths = cachePaths(env, instance);
  const cached = readCachedMetadata(paths);
  const bundled = instance === "production" ? bundledRootInfo() : undefined;
  if (cached && cached.instance !== instance) {
    throw new PyprovError(
      "TRUST_ROOT_INVALID",
      `cached trusted root is for ${cached.instance}, not ${instance}: run \`pyprov trust-root update${instance === "staging" ? " --staging" : ""}\` again`,
      { source: paths.meta },
    );
  }
  if (cached) {
    const fetched = new Date(Date.parse(cached.fetchedAt));
    if (bundled?.date !== undefined && fetched < bundled.date) {
      notes.push(
        `the cached root (fetched ${isoDay(fetched)}) is older than the bundled root (${isoDay(bundled.date)}): using the bundled root`,
      );
    } else {
      return {
        origin: "cache",
        instance,
        path: paths.root,
        date: fetched,
        dateRule: `fetched through TUF from ${cached.mirror}`,
        ageDays: ageInDays(now, fetched),
        cached,
        notes,
      };
    }
  }
  if (instance === "staging") {
    throw new PyprovError(
      "TRUST_ROOT_MISSING",
      "no staging trusted root: pyprov bundles none; run `pyprov trust-root update --staging --tuf-root FILE` first, or pass --trusted-root FILE",
    );
  }
  return {
    origin: "bundled",
    instance,
    path: DEFAULT_TRUSTED_ROOT_PATH,
    date: bundled?.date,
    dateRule: bundled?.provenance?.recordedAt
      ? "the newer of its newest validFor.start and the date it was recorded"
      : "newest validFor.start: the last key rotation it knows",
    ageDays: ageInDays(now, bundled?.date),
    ...(bundled?.provenance ? { bundled: bundled.provenance } : {}),
    notes,
  };
}

/** Load the selected root; a cached root must still match the digest recorded when it was fetched. */
export function loadSelectedTrustRoot(sel: TrustSelection): LoadedTrustRoot {
  const root = loadTrustedRoot(sel.path);
  if (sel.cached && root.sha256 !== sel.cached.sha256) {
    throw new PyprovError(
      "TRUST_ROOT_INVALID",
      "cached trusted root does not match the digest recorded when it was fetched (changed, or an interrupted update): run `pyprov trust-root update` again",
      { source: sel.path },
    );
  }
  return root;
}

/** Select and load in one step. */
export function resolveTrustRoot(
  opts: TrustOptions,
  env: NodeJS.ProcessEnv,
): { selection: TrustSelection; root: LoadedTrustRoot } {
  const selection = selectTrustRoot(opts, env);
  return { selection, root: loadSelectedTrustRoot(selection) };
}

/** One line (`pyprov: warning: ...`) when the root in use is older than 180 days; else undefined. */
export function staleRootWarning(sel: TrustSelection): string | undefined {
  if (sel.ageDays === undefined || sel.ageDays <= STALE_AFTER_DAYS || !sel.date) return undefined;
  const update = `pyprov trust-root update${sel.instance === "staging" ? " --staging" : ""}`;
  if (sel.origin === "bundled") {
    return `pyprov: warning: the bundled trusted root is ${sel.ageDays} days old (dated ${isoDay(sel.date)}); run \`${update}\` to refresh it through TUF\n`;
  }
  if (sel.origin === "cache") {
    return `pyprov: warning: the cached trusted root was fetched ${sel.ageDays} days ago (${isoDay(sel.date)}); run \`${update}\` to refresh it\n`;
  }
  return undefined;
}

export function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** Write a file so that readers see the old bytes or the new bytes, never a mix. */
export function writeFileAtomic(path: string, data: Buffer | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    writeFileSync(tmp, data, { flag: "wx", mode: 0o644 });
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * Install a verified root into the cache: the root first, then its metadata
 * (each temp file + rename), then the TUF metadata directory it was
 * verified with (swapped in by rename).
 */
export function installCachedRoot(
  paths: CachePaths,
  rootBytes: Buffer,
  meta: CachedRootMetadata,
  newTufDir: string | undefined,
): void {
  writeFileAtomic(paths.root, rootBytes);
  writeFileAtomic(paths.meta, JSON.stringify(meta, null, 2) + "\n");
  if (newTufDir === undefined) return;
  const old = `${paths.tuf}.old-${process.pid}-${randomBytes(4).toString("hex")}`;
  if (existsSync(paths.tuf)) renameSync(paths.tuf, old);
  renameSync(newTufDir, paths.tuf);
  rmSync(old, { recursive: true, force: true });
}
