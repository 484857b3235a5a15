/**
 * Wheel contents (wheel.ts) by the wheel's sha256: read from the cache, or
 * downloaded, checked against the index's digest, read, and cached. The
 * cache holds what was read from bytes that hashed right, keyed by that
 * digest, so a cached entry needs no download and cannot be another wheel's.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as z from "zod/mini";
import { PyprovError } from "../errors.js";
import type { IndexClient } from "../pypi/index-client.js";
import type { ResolvedFile } from "../resolve/targets.js";
import { ENGLISH } from "../util/zod.js";
import type { WheelContents } from "./compare.js";
import { parseRecord } from "./record.js";
import { readWheel } from "./wheel.js";

export interface WheelContentsStore {
  get(file: ResolvedFile): Promise<WheelContents>;
}

const Cached = z.object({
  distInfo: z.string(),
  record: z.string(),
  entryPointScripts: z.array(z.string()),
  scriptTails: z.array(z.tuple([z.string(), z.string()])),
});

export function wheelContentsStore(opts: {
  index: (url?: string) => Promise<IndexClient>;
  /** Where contents are kept (undefined: not kept). */
  dir: string | undefined;
  offline: boolean;
}): WheelContentsStore {
  const inFlight = new Map<string, Promise<WheelContents>>();
  const load = async (file: ResolvedFile): Promise<WheelContents> => {
    const sha256 = file.sha256;
    if (sha256 === undefined || !/^[0-9a-f]{64}$/.test(sha256)) {
      throw new PyprovError("INPUT_UNREADABLE", "the index lists no sha256 for this wheel", {
        source: file.filename,
      });
    }
    const path = opts.dir !== undefined ? join(opts.dir, `${sha256}.json`) : undefined;
    if (path !== undefined) {
      const hit = readCached(path);
      if (hit) return hit;
    }
    if (opts.offline) {
      throw new PyprovError(
        "OFFLINE",
        "the wheel's RECORD is not cached, and --offline forbids the download",
        { source: file.filename },
      );
    }
    if (!file.url) {
      throw new PyprovError("INPUT_UNREADABLE", "no download URL for this wheel", {
        source: file.filename,
      });
    }
    const chunks: Buffer[] = [];
    const got = await (
      await opts.index(file.index)
    ).download(file.url, {
      sink: { restart: () => (chunks.length = 0), write: (c) => chunks.push(c) },
    });
    if (got.sha256 !== sha256) {
      throw new PyprovError(
        "INPUT_MALFORMED",
        `downloaded wheel has sha256 ${got.sha256}, but the index lists ${sha256}`,
        { source: file.filename },
      );
    }
    const bytes = Buffer.concat(chunks);
    const { contents, recordText } = readWheel(bytes, file.filename);
    if (path !== undefined && opts.dir !== undefined) {
      const body = JSON.stringify({
        distInfo: contents.distInfo,
        record: recordText,
        entryPointScripts: contents.entryPointScripts,
        scriptTails: [...contents.scriptTails],
      });
      try {
        mkdirSync(opts.dir, { recursive: true });
        const tmp = `${path}.${process.pid}.tmp`;
        writeFileSync(tmp, body);
        renameSync(tmp, path);
      } catch {
        // A cache that cannot be written only costs the next run a download.
      }
    }
    return contents;
  };
  return {
    get: (file) => {
      const key = file.sha256 ?? file.filename;
      let p = inFlight.get(key);
      if (!p) {
        p = load(file);
        inFlight.set(key, p);
      }
      return p;
    },
  };
}

function readCached(path: string): WheelContents | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  try {
    const c = Cached.parse(JSON.parse(text), ENGLISH);
    return {
      distInfo: c.distInfo,
      record: parseRecord(c.record, path),
      entryPointScripts: c.entryPointScripts,
      scriptTails: new Map(c.scriptTails),
    };
  } catch {
    return undefined; // a damaged entry is read again from the wheel
  }
}
