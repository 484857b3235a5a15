/**
 * The options `pyprov serve` and `pyprov run` share: their definitions on a
 * commander command, and their reading into {@link ServeOptions}. A bad value
 * is a one-line USAGE error before anything listens.
 */
import { Option, type Command } from "commander";
import { PyprovError } from "../errors.js";
import { DEFAULT_PORT, DEFAULT_UPSTREAM } from "../serve/defaults.js";
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
    );
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
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    log,
  };
}
