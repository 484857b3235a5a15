/**
 * `pyprov serve`: run the verifying index (serve/server.ts) until SIGTERM or
 * SIGINT. The first stdout line is the index URL to give pip.
 */
import { PyprovError } from "../errors.js";
import { DEFAULT_PORT, DEFAULT_UPSTREAM, startServe, type ServeMode } from "../serve/server.js";
import { resolveTrustRoot, staleRootWarning } from "../sigstore/trust-store.js";
import { oneLine } from "../util/text.js";
import type { Io } from "./main.js";
import { secondsOption } from "./network-options.js";

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

function portOption(v: unknown): number {
  if (v === undefined) return DEFAULT_PORT;
  const text = String(v).trim();
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65_535) {
    throw new PyprovError("USAGE", `--port must be a port number from 0 to 65535, got "${text}"`);
  }
  return n;
}

export async function runServe(
  opts: Record<string, unknown>,
  io: Io,
  signals: NodeJS.EventEmitter = process,
): Promise<number> {
  const mode = (str(opts.mode) ?? "enforce") as ServeMode;
  const host = str(opts.host) ?? "127.0.0.1";
  const port = portOption(opts.port);
  const timeoutMs = secondsOption("timeout", opts.timeout);
  const upstream = str(opts.upstream) ?? DEFAULT_UPSTREAM;
  const policyFile = str(opts.policy);
  // A broken policy stops the server before it listens (exit 2).
  const policy =
    policyFile !== undefined
      ? (await import("../policy/load.js")).loadPolicyFile(policyFile)
      : undefined;
  const { selection, root } = resolveTrustRoot({ trustedRoot: str(opts.trustedRoot) }, io.env);
  const stale = staleRootWarning(selection);
  if (stale) io.stderr(stale);
  if (!LOOPBACK.has(host)) {
    io.stderr(
      `pyprov: warning: listening on ${host}, not loopback: the index has no authentication, anyone who can reach it can use it\n`,
    );
  }
  let running;
  try {
    running = await startServe({
      upstream,
      policy,
      mode,
      host,
      port,
      cacheDir: str(opts.cacheDir),
      trustRoot: root,
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      log: (line) => io.stderr(`pyprov serve: ${oneLine(line)}\n`),
    });
  } catch (err) {
    if (err instanceof PyprovError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new PyprovError("USAGE", `cannot listen on ${host}:${port}: ${e.code ?? e.message}`);
  }
  const server = running;
  // Listen for the signals before announcing the URL: whoever reads the line may stop us at once.
  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => {
      signals.off("SIGTERM", stop);
      signals.off("SIGINT", stop);
      io.stderr("pyprov serve: stopping; letting in-flight responses finish\n");
      void server.close().then(resolve);
    };
    signals.on("SIGTERM", stop);
    signals.on("SIGINT", stop);
  });
  io.stdout(`${running.url}\n`);
  io.stderr(
    `pyprov serve: ${mode === "enforce" ? "serving only verified files" : "audit mode: serving every file, logging what enforce would block"} from ${upstream} at ${running.url} (Ctrl-C to stop)\n`,
  );
  await stopped;
  return 0;
}
