/**
 * A content-addressed on-disk cache of PEP 740 provenance, keyed by the
 * SHA-256 of the distribution file it is for.
 *
 * Layout (under the cache directory, see {@link defaultCacheDir}):
 *
 *     provenance/v1/<sha[0:2]>/<sha>/provenance.json       body, bytes exactly as the index sent them
 *     provenance/v1/<sha[0:2]>/<sha>/provenance.meta.json  {v, url, fetchedAt, sha256, size} of that body
 *     provenance/v1/<sha[0:2]>/<sha>/absent.json           {v, url?, fetchedAt}: "the index said 404"
 *
 * Decisions:
 * - Positive entries never expire: provenance is bound to the file digest.
 *   Attestations can be added later, so a new put replaces the entry (latest
 *   wins, atomically); the body is written before its meta, and the meta is
 *   the commit record (a body without a meta is not an entry yet).
 * - Negative entries (404) are kept only for `absentTtlMs` (default 10
 *   minutes): PyPI may add attestations later. A positive entry, when there
 *   is one, wins over a negative one. 403 ("withheld") is never cached: it is
 *   an index switch, not a fact about the file.
 * - Every write goes to a unique temp file in the same directory
 *   (`<name>.<pid>.<random>.tmp`) and is renamed into place, so concurrent
 *   runs may write the same entry and readers never see a partial file. No
 *   fsync: a file torn by a crash fails the integrity check below.
 * - Integrity: the meta records the body's SHA-256 and size; a read
 *   recomputes them and parses the body as JSON. Anything wrong is reported as
 *   `{kind: "miss", reason: "corrupt"}` and left in place for the caller's next
 *   put to overwrite (deleting it could race with a concurrent writer's good
 *   entry). Expired negative entries are likewise left to be overwritten.
 * - Write and read failures (read-only file system, permissions) never fail
 *   verification: they are reported once through `onWarning` and the cache
 *   behaves as a miss.
 * - Keys must be 64 lower-case hex digits; anything else is a programming
 *   error (INTERNAL), never a path.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { PyprovError, describeError } from "../errors.js";
import { parseJsonBytes } from "../util/read-input.js";

export const CACHE_LAYOUT = join("provenance", "v1");
export const DEFAULT_ABSENT_TTL_MS = 10 * 60 * 1000;
const META_VERSION = 1;

/**
 * What the index listed for the file with this digest when the entry was
 * written: lets a later run resolve a hash-pinned requirement without the
 * project page (a file's name never changes for its digest).
 */
export interface CachedFile {
  filename: string;
  project: string;
  version?: string;
  url?: string;
}

export type CacheLookup =
  | { kind: "hit"; body: Buffer; url: string; fetchedAt: string; file?: CachedFile }
  | { kind: "absent"; fetchedAt: string; url?: string; file?: CachedFile }
  | { kind: "miss"; reason?: "corrupt" | "expired" | "none" };

export interface ProvenanceCacheOptions {
  /** `--cache-dir`; default {@link defaultCacheDir}(). */
  dir?: string;
  /** false for `--no-cache`: the cache never touches the disk. Default true. */
  enabled?: boolean;
  /** Read but never write (e.g. `--offline`). Default false. */
  readOnly?: boolean;
  /** Clock in ms since the epoch (tests). Default Date.now. */
  now?: () => number;
  /** How long a negative (404) entry stays valid. Default 10 minutes. */
  absentTtlMs?: number;
  /** Called at most once per cache, on the first I/O problem. */
  onWarning?: (msg: string) => void;
}

export interface EntryPaths {
  dir: string;
  body: string;
  meta: string;
  absent: string;
}

interface BodyMeta {
  v: number;
  url: string;
  fetchedAt: string;
  sha256: string;
  size: number;
  file?: CachedFile;
}

interface AbsentRecord {
  v: number;
  url?: string;
  fetchedAt: string;
  file?: CachedFile;
}

/**
 * The cache directory: `$PYPROV_CACHE_DIR`, else `$XDG_CACHE_HOME/pyprov`
 * (only when absolute, as the XDG spec requires), else `~/.cache/pyprov`.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const own = env.PYPROV_CACHE_DIR?.trim();
  if (own) return resolve(own);
  const xdg = env.XDG_CACHE_HOME?.trim();
  if (xdg && isAbsolute(xdg)) return join(xdg, "pyprov");
  const home = env.HOME?.trim() || homedir();
  return join(home, ".cache", "pyprov");
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** True for 64 lower-case hex digits. */
export function isSha256Hex(s: string): boolean {
  return SHA256_HEX.test(s);
}

/** Where the entry for one file digest lives under a cache directory. */
export function entryPaths(cacheDir: string, fileSha256: string): EntryPaths {
  if (typeof fileSha256 !== "string" || !SHA256_HEX.test(fileSha256)) {
    throw new PyprovError(
      "INTERNAL",
      `provenance cache key must be a lower-case hex SHA-256, not ${JSON.stringify(String(fileSha256).slice(0, 80))}`,
    );
  }
  const dir = join(cacheDir, CACHE_LAYOUT, fileSha256.slice(0, 2), fileSha256);
  return {
    dir,
    body: join(dir, "provenance.json"),
    meta: join(dir, "provenance.meta.json"),
    absent: join(dir, "absent.json"),
  };
}

/**
 * Write a file atomically: a unique temp file next to it, then rename. Two
 * writers of the same path both succeed (the last rename wins); a reader sees
 * the old file or the new one, never a part. Throws the underlying I/O error.
 */
export function writeFileAtomic(path: string, data: Buffer | string): void {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    writeFileSync(tmp, data, { flag: "wx", mode: 0o644 });
    renameWithRetry(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // never created, or already renamed
    }
    throw err;
  }
}

/** Windows refuses to replace a file another process has open; retry briefly there. */
function renameWithRetry(from: string, to: string): void {
  for (let tries = 1; ; tries++) {
    try {
      renameSync(from, to);
      return;
    } catch (err) {
      const code = errCode(err);
      const transient = code === "EPERM" || code === "EACCES" || code === "EBUSY";
      if (process.platform !== "win32" || !transient || tries >= 10) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5 * tries); // sync back-off
    }
  }
}

export class ProvenanceCache {
  /** The cache directory (the layout lives under it). */
  readonly dir: string;
  readonly enabled: boolean;
  readonly readOnly: boolean;
  private readonly now: () => number;
  private readonly absentTtlMs: number;
  private readonly onWarning: ((msg: string) => void) | undefined;
  private warned = false;
  private readonly madeDirs = new Set<string>();

  constructor(opts: ProvenanceCacheOptions = {}) {
    this.enabled = opts.enabled ?? true;
    this.readOnly = opts.readOnly ?? false;
    // Resolving the default reads only the environment, never the disk.
    this.dir = opts.dir !== undefined ? resolve(opts.dir) : defaultCacheDir();
    this.now = opts.now ?? Date.now;
    this.absentTtlMs = opts.absentTtlMs ?? DEFAULT_ABSENT_TTL_MS;
    this.onWarning = opts.onWarning;
  }

  /** Paths of the entry for a file digest (INTERNAL error for an invalid digest). */
  paths(fileSha256: string): EntryPaths {
    return entryPaths(this.dir, fileSha256);
  }

  /** Look a file digest up. Never throws for I/O problems, only for an invalid key. */
  get(fileSha256: string): CacheLookup {
    const p = this.paths(fileSha256);
    if (!this.enabled) return { kind: "miss", reason: "none" };
    const first = this.readPositive(p);
    let positive = first;
    // A concurrent "latest wins" rewrite may pair a new body with the old
    // meta for an instant: look once more before calling it corrupt.
    if (first === "corrupt") positive = this.readPositive(p);
    if (typeof positive === "object") return positive;
    const negative = this.readAbsent(p);
    if (typeof negative === "object") return negative;
    if (positive === "corrupt") return { kind: "miss", reason: "corrupt" };
    return { kind: "miss", reason: negative };
  }

  /**
   * Store provenance as received from the index (status 200). A body that is
   * not JSON is not stored (it could never be a hit). Returns whether the
   * entry was written.
   */
  putProvenance(
    fileSha256: string,
    body: Buffer,
    meta: { url: string; file?: CachedFile },
  ): boolean {
    const p = this.paths(fileSha256);
    if (!this.enabled || this.readOnly) return false;
    if (!isJson(body)) return false;
    const record: BodyMeta = {
      v: META_VERSION,
      url: meta.url,
      fetchedAt: this.timestamp(),
      sha256: sha256Hex(body),
      size: body.length,
      ...(meta.file ? { file: meta.file } : {}),
    };
    return this.write(p, () => {
      writeFileAtomic(p.body, body);
      writeFileAtomic(p.meta, `${JSON.stringify(record)}\n`);
      removeIfPresent(p.absent);
    });
  }

  /** Record that the index answered 404 (kept for absentTtlMs). Never call this for 403. */
  putAbsent(fileSha256: string, meta: { url?: string; file?: CachedFile } = {}): boolean {
    const p = this.paths(fileSha256);
    if (!this.enabled || this.readOnly) return false;
    const record: AbsentRecord = { v: META_VERSION, fetchedAt: this.timestamp() };
    if (meta.url !== undefined) record.url = meta.url;
    if (meta.file !== undefined) record.file = meta.file;
    return this.write(p, () => writeFileAtomic(p.absent, `${JSON.stringify(record)}\n`));
  }

  // -------------------------------------------------------------------------

  private readPositive(p: EntryPaths): CacheLookup | "none" | "corrupt" {
    const metaBytes = this.readOptional(p.meta);
    if (metaBytes === undefined) return "none";
    const meta = parseRecord(metaBytes);
    if (!isBodyMeta(meta)) return "corrupt";
    const body = this.readOptional(p.body);
    if (body === undefined || body.length !== meta.size) return "corrupt";
    // The sha256 catches damage; the body was a JSON object when it was
    // stored (putProvenance parses it), and verification parses it again in
    // full, so here a cheap shape check stands in for a second full parse.
    if (sha256Hex(body) !== meta.sha256 || !looksLikeJsonObject(body)) return "corrupt";
    return {
      kind: "hit",
      body,
      url: meta.url,
      fetchedAt: meta.fetchedAt,
      ...(meta.file ? { file: meta.file } : {}),
    };
  }

  private readAbsent(p: EntryPaths): CacheLookup | "none" | "corrupt" | "expired" {
    const bytes = this.readOptional(p.absent);
    if (bytes === undefined) return "none";
    const rec = parseRecord(bytes);
    if (!isAbsentRecord(rec)) return "corrupt";
    const age = this.now() - Date.parse(rec.fetchedAt);
    // A timestamp far in the future is as untrustworthy as an old one.
    if (!(age < this.absentTtlMs && age > -this.absentTtlMs)) return "expired";
    return {
      kind: "absent",
      fetchedAt: rec.fetchedAt,
      ...(rec.url !== undefined ? { url: rec.url } : {}),
      ...(rec.file !== undefined ? { file: rec.file } : {}),
    };
  }

  /** The file's bytes; undefined when it does not exist or cannot be read (warned). */
  private readOptional(path: string): Buffer | undefined {
    try {
      return readFileSync(path);
    } catch (err) {
      const code = errCode(err);
      if (code !== "ENOENT" && code !== "ENOTDIR") {
        this.warn(`cannot read the provenance cache (${code ?? describeError(err)}) at ${path}`);
      }
      return undefined;
    }
  }

  private write(p: EntryPaths, action: () => void): boolean {
    try {
      if (!this.madeDirs.has(p.dir)) {
        mkdirSync(p.dir, { recursive: true });
        this.madeDirs.add(p.dir);
      }
      action();
      return true;
    } catch (err) {
      this.madeDirs.delete(p.dir);
      this.warn(
        `cannot write the provenance cache in ${this.dir} (${errCode(err) ?? describeError(err)}); continuing without caching`,
      );
      return false;
    }
  }

  private warn(msg: string): void {
    if (this.warned) return;
    this.warned = true;
    try {
      this.onWarning?.(msg);
    } catch {
      // a failing warning sink must not fail verification either
    }
  }

  private timestamp(): string {
    return new Date(this.now()).toISOString();
  }
}

function sha256Hex(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** First and last non-whitespace bytes are "{" and "}". */
function looksLikeJsonObject(body: Buffer): boolean {
  const ws = (b: number | undefined) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
  let i = 0;
  let j = body.length - 1;
  while (i <= j && ws(body[i])) i++;
  while (j >= i && ws(body[j])) j--;
  return i < j && body[i] === 0x7b && body[j] === 0x7d;
}

function isJson(body: Buffer): boolean {
  try {
    parseJsonBytes(body, "provenance cache");
    return true;
  } catch {
    return false;
  }
}

function parseRecord(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString("utf8")) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isTimestamp(v: unknown): v is string {
  return typeof v === "string" && !Number.isNaN(Date.parse(v));
}

function isBodyMeta(v: unknown): v is BodyMeta {
  return (
    isRecord(v) &&
    v.v === META_VERSION &&
    typeof v.url === "string" &&
    isTimestamp(v.fetchedAt) &&
    typeof v.sha256 === "string" &&
    SHA256_HEX.test(v.sha256) &&
    typeof v.size === "number" &&
    Number.isSafeInteger(v.size) &&
    (v.file === undefined || isCachedFile(v.file))
  );
}

function isCachedFile(v: unknown): v is CachedFile {
  return (
    isRecord(v) &&
    typeof v.filename === "string" &&
    v.filename.length > 0 &&
    typeof v.project === "string" &&
    (v.version === undefined || typeof v.version === "string") &&
    (v.url === undefined || typeof v.url === "string")
  );
}

function isAbsentRecord(v: unknown): v is AbsentRecord {
  return (
    isRecord(v) &&
    v.v === META_VERSION &&
    (v.url === undefined || typeof v.url === "string") &&
    isTimestamp(v.fetchedAt) &&
    (v.file === undefined || isCachedFile(v.file))
  );
}

function removeIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if (errCode(err) !== "ENOENT") throw err;
  }
}

function errCode(err: unknown): string | undefined {
  if (err && typeof err === "object" && "code" in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === "string" ? code : undefined;
  }
  return undefined;
}
