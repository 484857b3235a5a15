/**
 * The state store behind `pyprov serve` and `pyprov run`: `--state URL`
 * (or $PYPROV_STATE; default SQLite under the cache directory), opened and
 * migrated before anything listens (unreachable: exit 2), wrapped so that
 * decision rows wait on local disk while it is away. What the proxy gets
 * from it: shared verdicts, first-use baselines (`--tofu`), the decision log
 * and its condition for /-/health and /-/metrics.
 */
import { hostname } from "node:os";
import type { ServeOptions } from "../serve/server.js";
import type { ResilientStore } from "../state/resilient.js";

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

export interface ServeState {
  store: ResilientStore;
  /** The options to merge into ServeOptions. */
  options: Pick<ServeOptions, "verdicts" | "firstUse" | "onDecision" | "stateStatus" | "node">;
}

/** This node's name: --node-name, else host name and port (the process id for port 0). */
export function nodeName(opts: Record<string, unknown>, port: number): string {
  return str(opts.nodeName) ?? `${hostname()}:${port === 0 ? `pid${process.pid}` : port}`;
}

export async function openServeState(
  opts: Record<string, unknown>,
  cfg: {
    port: number;
    cacheDir: string | undefined;
    env: NodeJS.ProcessEnv;
    log: (line: string) => void;
  },
): Promise<ServeState> {
  const node = nodeName(opts, cfg.port);
  const { openResilientState } = await import("../state/resilient.js");
  const store = await openResilientState(str(opts.state), {
    node,
    migrate: opts.migrate !== false,
    cacheDir: cfg.cacheDir,
    env: cfg.env,
    onEvent: (m) => cfg.log(m),
    onWarning: (m) => cfg.log(`warning: ${m}`),
  });
  return {
    store,
    options: {
      node,
      verdicts: store,
      ...(opts.tofu === true ? { firstUse: store } : {}),
      onDecision: (row) => store.logDecision(row),
      stateStatus: () => ({ degraded: store.degraded, queued: store.queued }),
    },
  };
}
