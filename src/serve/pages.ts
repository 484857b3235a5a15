/**
 * Upstream project pages as the proxy keeps them: fetched at most once per
 * `ttlMs` per project (concurrent requests share one fetch and one
 * judgement), kept on disk for `--offline`, and served stale (and re-judged)
 * when the upstream fails after the TTL. Each entry remembers its rendered
 * bodies, so a warm page is one map lookup and a write.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { PyprovError } from "../errors.js";
import { writeFileAtomic } from "../pypi/cache.js";
import type { ProjectPage } from "../pypi/simple-api.js";
import { parseJsonBytes } from "../util/read-input.js";
import { ENGLISH } from "../util/zod.js";

export const DEFAULT_PAGE_TTL_MS = 60_000;
/** How long a page may be served stale while the upstream fails. */
const MAX_STALE_MS = 24 * 60 * 60 * 1000;

export interface PageEntry<T> {
  page: ProjectPage;
  fetchedAt: number;
  /** What the caller derived from the page (its judgement), computed once per fetch. */
  derived: T;
  /** Rendered bodies by content type. */
  rendered: Map<string, Buffer>;
}

export interface PageCacheOptions<T> {
  fetch: (name: string) => Promise<ProjectPage>;
  derive: (page: ProjectPage) => Promise<T>;
  ttlMs?: number;
  /** Persist pages here (and read them when offline). */
  dir?: string | undefined;
  offline?: boolean;
  onStale?: (name: string, err: unknown) => void;
  now?: () => number;
}

export class PageCache<T> {
  private readonly entries = new Map<string, PageEntry<T>>();
  private readonly pending = new Map<string, Promise<PageEntry<T>>>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: PageCacheOptions<T>) {
    this.ttlMs = opts.ttlMs ?? DEFAULT_PAGE_TTL_MS;
    this.now = opts.now ?? Date.now;
    if (opts.dir) mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  }

  /** The entry for a canonical project name; rejects like the fetch (e.g. INPUT_UNREADABLE for 404). */
  get(name: string): Promise<PageEntry<T>> {
    const entry = this.entries.get(name);
    if (entry && (this.opts.offline || this.now() - entry.fetchedAt < this.ttlMs)) {
      return Promise.resolve(entry);
    }
    let p = this.pending.get(name);
    if (!p) {
      p = this.load(name, entry).finally(() => this.pending.delete(name));
      this.pending.set(name, p);
    }
    return p;
  }

  private async load(name: string, old: PageEntry<T> | undefined): Promise<PageEntry<T>> {
    let page: ProjectPage;
    const fetchedAt = this.now();
    if (this.opts.offline) {
      if (old) return old;
      const saved = this.read(name);
      if (!saved) {
        throw new PyprovError(
          "OFFLINE",
          `${name} is not in the cache, and --offline forbids the network`,
        );
      }
      page = saved;
    } else {
      try {
        page = await this.opts.fetch(name);
      } catch (err) {
        const stale = old ?? undefined;
        if (
          stale &&
          this.now() - stale.fetchedAt < MAX_STALE_MS &&
          !(err instanceof PyprovError && err.code === "INPUT_UNREADABLE")
        ) {
          this.opts.onStale?.(name, err);
          return stale;
        }
        throw err;
      }
      this.write(name, page);
    }
    const entry: PageEntry<T> = {
      page,
      fetchedAt,
      derived: await this.opts.derive(page),
      rendered: new Map(),
    };
    this.entries.set(name, entry);
    return entry;
  }

  private file(name: string): string | undefined {
    return this.opts.dir ? join(this.opts.dir, `${encodeURIComponent(name)}.json`) : undefined;
  }

  private write(name: string, page: ProjectPage): void {
    const path = this.file(name);
    if (!path || this.opts.offline) return;
    try {
      writeFileAtomic(path, `${JSON.stringify(page)}\n`);
    } catch {
      // The page cache is for --offline only; serving goes on without it.
    }
  }

  private read(name: string): ProjectPage | undefined {
    const path = this.file(name);
    if (!path) return undefined;
    let raw: Buffer;
    try {
      raw = readFileSync(path);
    } catch {
      return undefined;
    }
    const parsed = SavedPage.safeParse(parseJsonBytes(raw, path), ENGLISH);
    if (!parsed.success) {
      throw new PyprovError("INPUT_MALFORMED", "the saved page in the cache is damaged", {
        source: path,
      });
    }
    const { files, ...rest } = parsed.data;
    return {
      ...rest,
      files: files.map(({ provenanceUrl, coreMetadata, ...f }) => ({
        ...f,
        provenanceUrl,
        coreMetadata: coreMetadata ?? null,
      })),
    };
  }
}

const Hashes = z.record(z.string(), z.string().check(z.regex(/^[0-9a-f]{1,512}$/)));

const SavedPage = z.object({
  name: z.string().check(z.minLength(1)),
  url: z.string(),
  format: z.enum(["json", "html"]),
  apiVersion: z.nullable(z.string()),
  versions: z.nullable(z.array(z.string())),
  files: z.array(
    z.object({
      filename: z.string().check(z.minLength(1)),
      url: z.string(),
      hashes: Hashes,
      requiresPython: z.nullable(z.string()),
      yanked: z.boolean(),
      yankedReason: z.nullable(z.string()),
      provenanceUrl: z.optional(z.nullable(z.string())),
      uploadTime: z.nullable(z.string()),
      size: z.nullable(z.number().check(z.int(), z.nonnegative())),
      coreMetadata: z.optional(z.nullable(z.object({ hashes: Hashes }))),
    }),
  ),
});
