/**
 * `pyprov serve`: a PEP 503/691 index in front of an upstream index that
 * lists only files whose provenance verifies under the policy (enforce), or
 * every file while logging what it would block (audit). Files are served by
 * digest from /files/<sha256>/<filename>, only ever from the verified
 * content-addressed cache (serve/files.ts).
 */
import http from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { hostname } from "node:os";
import { describeError } from "../errors.js";
import type { LoadedPolicy } from "../policy/load.js";
import { canonicalizeName, isValidProjectName } from "../pypi/names.js";
import type { LoadedTrustRoot } from "../sigstore/trust-root.js";
import type { DecisionRow, VerdictOutcome } from "../state/types.js";
import type { TargetReport } from "../verify/types.js";
import {
  DEFAULT_FILES_HOST,
  DEFAULT_GRACE_MS,
  DEFAULT_PORT,
  DEFAULT_UPSTREAM,
} from "./defaults.js";
import { plain } from "./deliver.js";
import type { BaselineStore } from "./first-use.js";
import type { ServeMetrics } from "./metrics.js";
import { createProxy } from "./proxy.js";
import type { VerdictStore } from "./verdicts.js";

export type ServeMode = "enforce" | "audit";

export interface ServeOptions {
  /** Upstream simple index (default https://pypi.org/simple/). */
  upstream?: string;
  /** Hosts (besides the upstream's origin) its pages may name for files; default files.pythonhosted.org. */
  filesHosts?: string[];
  policy?: LoadedPolicy | undefined;
  mode?: ServeMode;
  host?: string;
  /** 0 = any free port. */
  port?: number;
  /** Provenance, pages and the verified file cache (default: pyprov's cache directory). */
  cacheDir?: string | undefined;
  trustRoot: LoadedTrustRoot;
  /** Serve only what the cache already holds and verified; no upstream request. */
  offline?: boolean;
  /** Verification worker threads (default 0: the serving thread verifies). */
  workers?: number;
  /** How long an upstream page is reused (default 60 s). */
  pageTtlMs?: number;
  /** Deadline of each upstream request (default 30 s; file downloads: +4 s per MiB). */
  timeoutMs?: number;
  /** Upstream tries per request (default 4), with backoff between them. */
  maxAttempts?: number;
  retryBaseMs?: number;
  /** How long in-flight responses may take to finish on close() (default 10 s). */
  graceMs?: number;
  /** This node's name in decisions (default host name and port). */
  node?: string;
  /** Shared verdicts (the state store); the proxy keeps its own memo in front of it. */
  verdicts?: VerdictStore;
  /** Trust on first use (`--tofu`): baselines in this store, decided once for the fleet. */
  firstUse?: BaselineStore;
  /** The shared state's condition, for /-/health and /-/metrics. */
  stateStatus?: () => { degraded: boolean; queued: number };
  /** Each decision-log row (file blocked, served, allowed unattested). */
  onDecision?: (row: DecisionRow) => void;
  /** One line per event (blocked files, tampering); default: none. */
  log?: (line: string) => void;
}

/** What the proxy decided about one file, most recent decision per digest. */
export interface ServeDecision {
  filename: string;
  sha256: string;
  project: string;
  outcome: VerdictOutcome;
  /** The verify report's reasons (empty for a pass). */
  reasons: string[];
  report: TargetReport;
  /** The proxy delivered the whole file to a client at least once. */
  downloaded: boolean;
}

export interface RunningServe {
  server: http.Server;
  /** Every file decided so far (pages it was listed or left off), in order of first decision. */
  decisions: () => ServeDecision[];
  metrics: ServeMetrics;
  /** The index URL to give pip, e.g. http://127.0.0.1:8750/simple/. */
  url: string;
  /** This node's name in decisions. */
  node: string;
  /** Stop accepting connections, let in-flight responses finish (grace period), then resolve. */
  close: () => Promise<void>;
}

export { DEFAULT_FILES_HOST, DEFAULT_GRACE_MS, DEFAULT_PORT, DEFAULT_UPSTREAM };

/** Start the proxy; resolves once it listens. */
export async function startServe(opts: ServeOptions): Promise<RunningServe> {
  const log = opts.log ?? (() => {});
  let node = opts.node ?? "";
  const proxy = await createProxy(opts, () => node);
  const { metrics } = proxy;
  const inFlight = new Set<ServerResponse>();
  const server = http.createServer((req, res) => {
    inFlight.add(res);
    const started = { route: "other" };
    res.on("close", () => {
      inFlight.delete(res);
      metrics.requests.inc({ route: started.route, status: String(res.statusCode) });
    });
    route(req, res, started).catch((err: unknown) => {
      log(`internal error: ${describeError(err)}`);
      if (!res.headersSent) plain(res, 500, "internal error\n");
      else res.destroy();
    });
  });

  async function route(
    req: IncomingMessage,
    res: ServerResponse,
    tag: { route: string },
  ): Promise<void> {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      return plain(res, 405, "Method Not Allowed\n");
    }
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (path === "/-/health") {
      tag.route = "health";
      const state = opts.stateStatus?.();
      // Degraded still serves (verdicts held, new files verified); it is not a failure to route around.
      return plain(
        res,
        200,
        state?.degraded
          ? `degraded: the state store is unreachable; ${state.queued} decision rows queued on local disk\n`
          : "ok\n",
      );
    }
    if (path === "/-/metrics") {
      tag.route = "metrics";
      const state = opts.stateStatus?.();
      if (state) {
        metrics.degraded.set(state.degraded ? 1 : 0);
        metrics.queued.set(state.queued);
      }
      const text = await metrics.render();
      res.writeHead(200, { "content-type": metrics.contentType });
      return void res.end(text);
    }
    if (path === "/-/report") {
      tag.route = "report";
      return proxy.report(res);
    }
    const parts = path.split("/").map(safeDecode);
    if (path === "/simple/") {
      tag.route = "root";
      return proxy.root(req, res);
    }
    if (parts[1] === "simple" && parts.length >= 3 && parts.length <= 4) {
      tag.route = "page";
      const name = parts[2] ?? "";
      if (parts.length === 4 && parts[3] !== "") return plain(res, 404, "Not Found\n");
      if (name === "" || !isValidProjectName(name)) return plain(res, 404, "Not Found\n");
      const canonical = canonicalizeName(name);
      if (canonical !== name || parts.length === 3) {
        res.writeHead(301, { location: `/simple/${encodeURIComponent(canonical)}/` });
        res.end();
        return;
      }
      return proxy.page(req, res, canonical);
    }
    if (parts[1] === "files" && parts.length === 4 && /^[0-9a-f]{64}$/.test(parts[2] ?? "")) {
      tag.route = (parts[3] ?? "").endsWith(".metadata") ? "metadata" : "file";
      return proxy.file(req, res, parts[2] ?? "", parts[3] ?? "");
    }
    if (parts[1] === "provenance" && parts.length === 3 && /^[0-9a-f]{64}$/.test(parts[2] ?? "")) {
      tag.route = "provenance";
      return proxy.provenance(req, res, parts[2] ?? "");
    }
    return plain(res, 404, "Not Found\n");
  }

  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? DEFAULT_PORT, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  if (node === "") node = `${hostname()}:${port}`;
  const hostPart = host.includes(":") ? `[${host}]` : host;
  const url = `http://${hostPart}:${port}/simple/`;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      const grace = setTimeout(
        () => server.closeAllConnections(),
        opts.graceMs ?? DEFAULT_GRACE_MS,
      );
      grace.unref();
      server.on("close", () => clearTimeout(grace));
      // Keep-alive sockets with a response in flight close once it is sent.
      for (const res of inFlight) res.shouldKeepAlive = false;
    }).then(() => proxy.close()));
  return { server, url, node, metrics, close, decisions: proxy.decisions };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
