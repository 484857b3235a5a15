/**
 * Choosing and opening the state store from a URL (`--state URL`, else
 * `$PYPROV_STATE`, else the embedded SQLite file under the cache directory):
 *
 *   sqlite:PATH                      a SQLite file (relative to the working directory)
 *   postgres://USER:PASS@HOST/DB     PostgreSQL (also postgresql://; any libpq URL parameters)
 *
 * Anything else is a USAGE error. A store that cannot be reached is
 * STATE_UNAVAILABLE, a schema this build cannot use STATE_SCHEMA; every
 * message names the store by its URL without the password.
 */
import { isAbsolute, join, resolve } from "node:path";
import { PyprovError } from "../errors.js";
import { defaultCacheDir } from "../pypi/cache.js";
import type { PostgresStore, PostgresStoreOptions } from "./postgres.js";
import type { SqliteStore } from "./sqlite.js";

/** Where the default store lives under the cache directory. */
export const DEFAULT_STATE_FILE = join("state", "pyprov.db");

export type StateLocation =
  | { kind: "sqlite"; path: string; description: string }
  | {
      kind: "postgres";
      url: string;
      /** The URL without its password. */
      description: string;
      /** The password, to keep out of messages. */
      secret: string | undefined;
    };

export interface OpenStateOptions {
  /** Migrate the schema on open (`serve` without --no-migrate, `state migrate`); else it must be current. */
  migrate: boolean;
  /** Cache directory for the default SQLite store (default: $PYPROV_CACHE_DIR, ~/.cache/pyprov). */
  cacheDir?: string | undefined;
  /** Environment for $PYPROV_STATE and the default cache directory (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** SQLite: create the file when missing (default: when migrating). */
  create?: boolean;
  /** SQLite: how long a write waits for another process's lock (default 5000 ms). */
  busyTimeoutMs?: number;
  /** PostgreSQL: pool size and deadlines. */
  postgres?: Omit<PostgresStoreOptions, "migrate">;
}

/**
 * The store's URL: `url` when given, else `$PYPROV_STATE`, else
 * `sqlite:<cache dir>/state/pyprov.db`.
 */
export function stateUrl(
  url: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  cacheDir?: string,
): string {
  const given = url?.trim();
  if (given) return given;
  const fromEnv = env.PYPROV_STATE?.trim();
  if (fromEnv) return fromEnv;
  return `sqlite:${join(cacheDir !== undefined ? resolve(cacheDir) : defaultCacheDir(env), DEFAULT_STATE_FILE)}`;
}

/** The URL without its password (for messages, /-/health, logs). */
export function redactStateUrl(url: string): string {
  try {
    return parseStateUrl(url).description;
  } catch {
    return "(an invalid state URL)";
  }
}

/** Parse a state URL; USAGE for anything that is not sqlite: or postgres(ql)://. */
export function parseStateUrl(url: string, cwd: string = process.cwd()): StateLocation {
  const text = url.trim();
  if (/^sqlite:/i.test(text)) {
    // sqlite:PATH, also sqlite:///ABSOLUTE/PATH.
    let path = text.slice("sqlite:".length);
    if (path.startsWith("///")) path = path.slice(2);
    else if (path.startsWith("//")) {
      throw new PyprovError(
        "USAGE",
        `--state: write sqlite:PATH or sqlite:///ABSOLUTE/PATH, not ${JSON.stringify(text)}`,
      );
    }
    if (path === "") throw new PyprovError("USAGE", "--state sqlite: needs a file path");
    const abs = isAbsolute(path) ? path : resolve(cwd, path);
    return { kind: "sqlite", path: abs, description: `sqlite:${abs}` };
  }
  if (/^postgres(ql)?:\/\//i.test(text)) {
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      throw new PyprovError(
        "USAGE",
        "--state: not a valid PostgreSQL URL (postgres://USER:PASSWORD@HOST:PORT/DATABASE)",
      );
    }
    if (parsed.hostname === "" && !parsed.searchParams.has("host")) {
      throw new PyprovError("USAGE", "--state: the PostgreSQL URL names no host");
    }
    const secret = parsed.password !== "" ? decodeURIComponent(parsed.password) : undefined;
    const shown = new URL(parsed.href);
    if (shown.password !== "") shown.password = "***";
    for (const k of ["password", "sslpassword"]) {
      if (shown.searchParams.has(k)) shown.searchParams.set(k, "***");
    }
    const fromQuery = parsed.searchParams.get("password") ?? undefined;
    return { kind: "postgres", url: text, description: shown.href, secret: secret ?? fromQuery };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1];
  throw new PyprovError(
    "USAGE",
    `--state must be sqlite:PATH or a postgres:// URL${scheme ? `, not a ${scheme}: URL` : ""}`,
  );
}

/**
 * Open the state store at `url` (undefined: `$PYPROV_STATE`, else the
 * default SQLite file under `cacheDir`). Rejects with USAGE (a bad URL),
 * STATE_UNAVAILABLE (cannot be reached: exit 2 at start) or STATE_SCHEMA.
 * Either store is a StateStore; its `migration` says what opening
 * did to the schema.
 */
export async function openState(
  url: string | undefined,
  opts: OpenStateOptions,
): Promise<SqliteStore | PostgresStore> {
  const env = opts.env ?? process.env;
  const location = parseStateUrl(stateUrl(url, env, opts.cacheDir));
  if (location.kind === "sqlite") {
    const { SqliteStore } = await import("./sqlite.js");
    return SqliteStore.open(location.path, {
      migrate: opts.migrate,
      ...(opts.create !== undefined ? { create: opts.create } : {}),
      ...(opts.busyTimeoutMs !== undefined ? { busyTimeoutMs: opts.busyTimeoutMs } : {}),
    });
  }
  const { PostgresStore } = await import("./postgres.js");
  return PostgresStore.open(location.url, location.description, location.secret, {
    ...opts.postgres,
    migrate: opts.migrate,
  });
}
