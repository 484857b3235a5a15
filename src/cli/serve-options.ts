/**
 * The options `pyprov serve` and `pyprov run` share: their definitions on a
 * commander command, and their reading into {@link ServeOptions}. A bad value
 * is a one-line USAGE error before anything listens.
 */
import { Option, type Command } from "commander";
import { PyprovError } from "../errors.js";
import { DEFAULT_FILES_HOST, DEFAULT_PORT, DEFAULT_UPSTREAM } from "../serve/defaults.js";
import type { ServeMode, ServeOptions } from "../serve/server.js";
import { oneLine } from "../util/text.js";
import type { Io } from "./main.js";
import { secondsOption } from "./network-options.js";

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

export const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

/** Add the proxy's options to `cmd`; `defaultPort` is 8750 for serve, 0 for run. */
export function addServeOptions(cmd: Command, defaultPort: string): Command {
  return cmd
    .option("--upstream <URL>", "upstream simple index", DEFAULT_UPSTREAM)
    .option(
      "--policy <FILE>",
      "policy file (YAML or JSON): publishers, minimum SLSA levels and exceptions per package",
    )
    .addOption(
      new Option(
        "--mode <MODE>",
        "enforce: list only files that verify; audit: list every file, log what enforce would block",
      )
        .choices(["enforce", "audit"])
        .default("enforce"),
    )
    .option("--host <HOST>", "address to listen on (not loopback: no authentication!)", "127.0.0.1")
    .option("--port <PORT>", "port to listen on (0: any free port)", defaultPort)
    .option(
      "--cache-dir <DIR>",
      "provenance cache (default: $PYPROV_CACHE_DIR, $XDG_CACHE_HOME/pyprov, ~/.cache/pyprov); downloads are checked in it too (default: the system temp directory)",
    )
    .option(
      "--trusted-root <FILE>",
      "Sigstore trusted_root.json (default: bundled production root)",
    )
    .option(
      "--timeout <SECONDS>",
      "deadline of each upstream request (default 30; downloads: +4 s per MiB)",
    )
    .option(
      "--files-host <HOST>",
      `a host the upstream's pages may name for files besides its own (repeatable; default ${DEFAULT_FILES_HOST})`,
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    )
    .option("--offline", "serve only pages and files the cache already holds and verified")
    .option(
      "--workers <N>",
      "verification worker threads (default 0: verify on the serving thread)",
    )
    .option(
      "--page-ttl <SECONDS>",
      "how long an upstream page is reused before it is fetched again",
      "60",
    )
    .option(
      "--node-name <NAME>",
      "this node's name in the decision log (default: host name and port)",
    )
    .option(
      "--state <URL>",
      "state store shared by a fleet: sqlite:PATH or postgres://... (default: $PYPROV_STATE, else SQLite in the cache directory)",
    )
    .option("--no-migrate", "do not migrate the state store's schema on start (it must be current)")
    .option(
      "--tofu",
      "trust on first use: the first verified publisher of each project becomes its baseline; later files from another are blocked",
    );
}

function countOption(flag: string, v: unknown, max: number): number | undefined {
  if (v === undefined) return undefined;
  const text = String(v).trim();
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > max) {
    throw new PyprovError(
      "USAGE",
      `--${flag} must be a whole number from 0 to ${max}, got "${text}"`,
    );
  }
  return n;
}

function hostOption(v: string): string {
  const h = v.trim().toLowerCase();
  if (!/^[a-z0-9.-]+(:\d{1,5})?$/.test(h) || h.startsWith(".")) {
    throw new PyprovError(
      "USAGE",
      `--files-host must be a host name (e.g. ${DEFAULT_FILES_HOST}), got "${v}"`,
    );
  }
  return h;
}

export function portOption(v: unknown): number {
  if (v === undefined) return DEFAULT_PORT;
  const text = String(v).trim();
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65_535) {
    throw new PyprovError("USAGE", `--port must be a port number from 0 to 65535, got "${text}"`);
  }
  return n;
}

/**
 * Read the shared options (policy and trust root loaded: a broken one stops
 * us before we listen, exit 2). Warnings (stale root, non-loopback host) go
 * to stderr; `log` receives the proxy's event lines.
 */
export async function serveOptionsFrom(
  opts: Record<string, unknown>,
  io: Io,
  log: (line: string) => void = (line) => io.stderr(`pyprov serve: ${oneLine(line)}\n`),
): Promise<ServeOptions & { mode: ServeMode; host: string; port: number; upstream: string }> {
  const mode = (str(opts.mode) ?? "enforce") as ServeMode;
  const host = str(opts.host) ?? "127.0.0.1";
  const port = portOption(opts.port);
  const timeoutMs = secondsOption("timeout", opts.timeout);
  const upstream = str(opts.upstream) ?? DEFAULT_UPSTREAM;
  const filesHosts = Array.isArray(opts.filesHost)
    ? opts.filesHost.map((h) => hostOption(String(h)))
    : [DEFAULT_FILES_HOST];
  const workers = countOption("workers", opts.workers, 64);
  const pageTtl = secondsOption("page-ttl", opts.pageTtl);
  const nodeName = str(opts.nodeName);
  const policyFile = str(opts.policy);
  const policy =
    policyFile !== undefined
      ? (await import("../policy/load.js")).loadPolicyFile(policyFile)
      : undefined;
  const { resolveTrustRoot, staleRootWarning } = await import("../sigstore/trust-store.js");
  const { selection, root } = resolveTrustRoot({ trustedRoot: str(opts.trustedRoot) }, io.env);
  const stale = staleRootWarning(selection);
  if (stale) io.stderr(stale);
  if (!LOOPBACK.has(host)) {
    io.stderr(
      `pyprov: warning: listening on ${host}, not loopback: the index has no authentication, anyone who can reach it can use it\n`,
    );
  }
  return {
    upstream,
    policy,
    mode,
    host,
    port,
    cacheDir: str(opts.cacheDir),
    trustRoot: root,
    filesHosts,
    offline: opts.offline === true,
    ...(workers !== undefined ? { workers } : {}),
    ...(pageTtl !== undefined ? { pageTtlMs: pageTtl } : {}),
    ...(nodeName !== undefined ? { node: nodeName } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    log,
  };
}
