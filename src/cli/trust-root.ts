/**
 * `pyprov trust-root show` and `pyprov trust-root update`.
 *
 * `update` refreshes the Sigstore trusted root through TUF (@sigstore/tuf)
 * into the cache (see src/sigstore/trust-store.ts for where, and which root
 * wins). It works in a scratch directory inside the cache and installs the
 * result only after TUF verified it and it passed pyprov's own checks (C1),
 * each file by temp file + rename: an offline or failed update leaves the
 * existing cache exactly as it was.
 *
 * The TUF trust anchor (the first root.json) is, in order: `--tuf-root FILE`
 * (re-anchors the cache), the TUF root already cached for that mirror, and,
 * for production only, the root embedded in @sigstore/tuf. Staging has no
 * embedded anchor: its first update needs `--tuf-root`.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { initTUF } from "@sigstore/tuf";
import seeds from "@sigstore/tuf/seeds.json" with { type: "json" };
import { PyprovError } from "../errors.js";
import { pyprovVersion } from "../paths.js";
import { renderJson } from "../report/json.js";
import {
  DEFAULT_TUF_MIRRORS,
  STALE_AFTER_DAYS,
  cachePaths,
  installCachedRoot,
  isoDay,
  nowFrom,
  resolveTrustRoot,
  type CachedRootMetadata,
  type TrustInstance,
  type TrustSelection,
} from "../sigstore/trust-store.js";
import { parseTrustedRoot, type LoadedTrustRoot } from "../sigstore/trust-root.js";
import { readInputFile } from "../util/read-input.js";
import { oneLine } from "../util/text.js";
import type { Io } from "./main.js";

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

// --- show --------------------------------------------------------------------

export function runTrustRootShow(opts: Record<string, unknown>, io: Io): number {
  const { selection, root } = resolveTrustRoot(
    { trustedRoot: str(opts.trustedRoot), staging: opts.staging === true },
    io.env,
  );
  if (opts.format === "json") {
    io.stdout(renderJson(showDocument(selection, root)));
    return 0;
  }
  const origin =
    selection.origin === "file"
      ? "file given with --trusted-root"
      : selection.origin === "cache"
        ? `cached ${selection.instance} root, fetched through TUF`
        : `bundled ${selection.instance} root`;
  const t = (v: string): string => oneLine(v);
  const list = (xs: string[]): string => xs.map(t).join(", ") || "none";
  const lines = [`trusted root in use: ${origin}`, `  file:   ${t(root.source)}`];
  lines.push(`  sha256: ${root.sha256}`);
  if (selection.cached) {
    lines.push(`  mirror: ${t(selection.cached.mirror)}`);
    lines.push(`  fetched: ${selection.cached.fetchedAt}`);
    if (selection.cached.tufRootVersion !== undefined) {
      lines.push(`  TUF root version: ${selection.cached.tufRootVersion}`);
    }
  }
  if (selection.bundled?.source) lines.push(`  source: ${t(selection.bundled.source)}`);
  if (selection.date) {
    lines.push(`  date:   ${isoDay(selection.date)} (${selection.dateRule ?? ""})`);
    const update = `pyprov trust-root update${selection.instance === "staging" ? " --staging" : ""}`;
    const stale = (selection.ageDays ?? 0) > STALE_AFTER_DAYS;
    lines.push(
      `  age:    ${selection.ageDays} days` +
        (stale ? ` (older than ${STALE_AFTER_DAYS} days: run \`${update}\`)` : ""),
    );
  } else {
    lines.push("  age:    unknown");
  }
  const s = root.summary;
  lines.push(`  transparency logs:       ${list(s.tlogs)}`);
  lines.push(`  certificate authorities: ${list(s.certificateAuthorities)}`);
  lines.push(`  CT logs:                 ${list(s.ctlogs)}`);
  lines.push(`  timestamp authorities:   ${list(s.timestampAuthorities)}`);
  for (const n of selection.notes) lines.push(`  note: ${t(n)}`);
  io.stdout(lines.join("\n") + "\n");
  return 0;
}

function showDocument(sel: TrustSelection, root: LoadedTrustRoot): Record<string, unknown> {
  return {
    schemaVersion: 1,
    tool: { name: "pyprov", version: pyprovVersion() },
    command: "trust-root show",
    origin: sel.origin,
    instance: sel.instance,
    path: root.source,
    sha256: root.sha256,
    date: sel.date?.toISOString(),
    dateRule: sel.dateRule,
    ageDays: sel.ageDays,
    stale: sel.ageDays !== undefined && sel.ageDays > STALE_AFTER_DAYS,
    cached: sel.cached,
    bundled: sel.bundled,
    summary: root.summary,
    notes: sel.notes,
  };
}

// --- update --------------------------------------------------------------------

function mirrorUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new PyprovError("USAGE", `--mirror is not a URL: "${value}"`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new PyprovError("USAGE", `--mirror must be an http(s) URL: "${value}"`);
  }
  return value.replace(/\/+$/, "");
}

/** The messages of an error chain, one line: "fetch failed: connect ECONNREFUSED 127.0.0.1:9". */
function describeChain(err: unknown): string {
  const parts: string[] = [];
  for (const e of chain(err)) {
    let msg = e instanceof Error ? e.message : String(e);
    const status = (e as { statusCode?: unknown }).statusCode;
    if (typeof status === "number") msg = `${msg} (HTTP ${status})`;
    if (msg && !parts.includes(msg)) parts.push(msg);
  }
  return oneLine(parts.join(": ")) || "unknown error";
}

function chain(err: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e = err, depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    out.push(e);
    e = e instanceof Error ? e.cause : undefined;
  }
  return out;
}

/** Could not talk to the mirror (as opposed to: the mirror answered, and TUF rejected it). */
function isNetworkError(err: unknown): boolean {
  return chain(err).some((e) => {
    if (!(e instanceof Error)) return false;
    const code = (e as { code?: unknown }).code;
    return (
      typeof (e as { statusCode?: unknown }).statusCode === "number" ||
      (e instanceof TypeError && /fetch failed/.test(e.message)) ||
      e.name === "TimeoutError" ||
      e.name === "AbortError" ||
      (typeof code === "string" && /^(E[A-Z]+|UND_ERR_)/.test(code))
    );
  });
}

/** The TUF cache subdirectory @sigstore/tuf uses for a mirror. */
function mirrorKey(mirror: string): string {
  const url = new URL(mirror);
  return encodeURIComponent(url.host + url.pathname.replace(/\/$/, ""));
}

export async function runTrustRootUpdate(opts: Record<string, unknown>, io: Io): Promise<number> {
  const instance: TrustInstance = opts.staging === true ? "staging" : "production";
  const mirror = mirrorUrl(
    str(opts.mirror) ?? (io.env.PYPROV_TUF_MIRROR?.trim() || DEFAULT_TUF_MIRRORS[instance]),
  );
  const tufRoot = str(opts.tufRoot);
  const paths = cachePaths(io.env, instance);
  const now = nowFrom(io.env);
  // The TUF trust anchor, decided before anything is written.
  let anchor: Buffer | undefined;
  if (tufRoot !== undefined) anchor = readInputFile(tufRoot, 1 << 20);
  else if (!existsSync(join(paths.tuf, mirrorKey(mirror), "root.json"))) {
    const seed = (seeds as Record<string, { "root.json"?: string }>)[
      DEFAULT_TUF_MIRRORS.production
    ]?.["root.json"];
    if (instance === "staging" || seed === undefined) {
      throw new PyprovError(
        "TRUST_ROOT_MISSING",
        `no TUF root to start from for ${mirror}: pyprov embeds only the production one; pass --tuf-root FILE (that instance's TUF root.json)`,
      );
    }
    anchor = Buffer.from(seed, "base64");
  }

  let work: string;
  try {
    mkdirSync(paths.dir, { recursive: true });
    work = mkdtempSync(join(paths.dir, ".update-"));
  } catch (err) {
    throw new PyprovError(
      "USAGE",
      `cannot write the cache directory (set PYPROV_CACHE_DIR): ${describeChain(err)}`,
      { source: paths.dir },
    );
  }
  try {
    const tufDir = join(work, "tuf");
    if (existsSync(paths.tuf)) cpSync(paths.tuf, tufDir, { recursive: true });
    else mkdirSync(tufDir);
    let rootPath: string | undefined;
    if (anchor !== undefined) {
      rootPath = join(work, "anchor-root.json");
      writeFileSync(rootPath, anchor);
    }
    let text: string;
    try {
      const tuf = await initTUF({
        cachePath: tufDir,
        mirrorURL: mirror,
        ...(rootPath ? { rootPath } : {}),
        forceInit: tufRoot !== undefined,
        retry: { retries: 2, factor: 2, minTimeout: 250, maxTimeout: 2000 },
        timeout: 15_000,
      });
      text = await tuf.getTarget("trusted_root.json");
    } catch (err) {
      if (isNetworkError(err)) {
        throw new PyprovError(
          "NETWORK",
          `trust-root update failed: cannot reach the TUF mirror ${mirror}: ${describeChain(err)}`,
        );
      }
      throw new PyprovError(
        "TRUST_ROOT_INVALID",
        `trust-root update failed: TUF verification of ${mirror} failed: ${describeChain(err)}`,
      );
    }
    const bytes = Buffer.from(text, "utf8");
    const root = parseTrustedRoot(bytes, `${mirror}/targets/trusted_root.json`);
    const meta: CachedRootMetadata = {
      schemaVersion: 1,
      instance,
      mirror,
      fetchedAt: now.toISOString(),
      sha256: root.sha256,
      newestValidForStart: newestStart(bytes),
      tufRootVersion: tufRootVersion(join(tufDir, mirrorKey(mirror), "root.json")),
      pyprovVersion: pyprovVersion(),
    };
    installCachedRoot(paths, bytes, meta, tufDir);
    io.stdout(
      [
        `updated the ${instance} trusted root through TUF from ${oneLine(mirror)}`,
        `  file:   ${oneLine(paths.root)}`,
        `  sha256: ${root.sha256}`,
        `  transparency logs: ${root.summary.tlogs.map(oneLine).join(", ")}`,
      ].join("\n") + "\n",
    );
    return 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function newestStart(bytes: Buffer): string | undefined {
  const starts: string[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === "object") {
      for (const [k, child] of Object.entries(v)) {
        if (k === "validFor" && child && typeof child === "object" && "start" in child) {
          const s = (child as { start: unknown }).start;
          if (typeof s === "string" && !Number.isNaN(Date.parse(s))) starts.push(s);
        } else visit(child);
      }
    }
  };
  visit(JSON.parse(bytes.toString("utf8")) as unknown);
  starts.sort((a, b) => Date.parse(a) - Date.parse(b));
  return starts.at(-1);
}

function tufRootVersion(path: string): number | undefined {
  try {
    const v = (
      JSON.parse(readInputFile(path, 1 << 20).toString("utf8")) as {
        signed?: { version?: unknown };
      }
    ).signed?.version;
    return typeof v === "number" ? v : undefined;
  } catch {
    return undefined;
  }
}
