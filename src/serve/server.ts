/**
 * `pyprov serve`: a PEP 503/691 index in front of an upstream index that
 * lists only files whose provenance verifies under the policy (enforce), or
 * every file while logging what it would block (audit). Files are served by
 * digest from /files/<sha256>/<filename>, and only after their bytes hash to
 * the digest the verified page listed.
 */
import { createReadStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import http from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { PyprovError, describeError } from "../errors.js";
import { exitCodeFor, indexFileVerifier } from "../pipeline.js";
import type { LoadedPolicy } from "../policy/load.js";
import { DEFAULT_TIMEOUT_MS } from "../pypi/http.js";
import { canonicalizeName, isValidProjectName } from "../pypi/names.js";
import type { ProjectPage } from "../pypi/simple-api.js";
import { fileVersion, toResolved, type ResolvedFile } from "../resolve/targets.js";
import type { LoadedTrustRoot } from "../sigstore/trust-root.js";
import type { VerdictOutcome } from "../state/types.js";
import type { TargetReport } from "../verify/types.js";
import { DEFAULT_GRACE_MS, DEFAULT_PORT, DEFAULT_UPSTREAM } from "./defaults.js";
import { fetchToTemp } from "./fetch-file.js";
import { JSON_V1, negotiate } from "./negotiate.js";
import { renderHtmlPage, renderJsonPage, type ListedFile } from "./render.js";

export type ServeMode = "enforce" | "audit";

export interface ServeOptions {
  /** Upstream simple index (default https://pypi.org/simple/). */
  upstream?: string;
  policy?: LoadedPolicy | undefined;
  mode?: ServeMode;
  host?: string;
  /** 0 = any free port. */
  port?: number;
  cacheDir?: string | undefined;
  trustRoot: LoadedTrustRoot;
  /** Deadline of each upstream request (default 30 s; file downloads: +4 s per MiB). */
  timeoutMs?: number;
  /** How long in-flight responses may take to finish on close() (default 10 s). */
  graceMs?: number;
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
}

export interface RunningServe {
  server: http.Server;
  /** Every file decided so far (pages it was listed or left off), in order of first decision. */
  decisions: () => ServeDecision[];
  /** The index URL to give pip, e.g. http://127.0.0.1:8750/simple/. */
  url: string;
  /** Stop accepting connections, let in-flight responses finish (grace period), then resolve. */
  close: () => Promise<void>;
}

export { DEFAULT_GRACE_MS, DEFAULT_PORT, DEFAULT_UPSTREAM };

interface Served {
  url: string;
  filename: string;
  size: number | null;
}

/** Start the proxy; resolves once it listens. */
export async function startServe(opts: ServeOptions): Promise<RunningServe> {
  const mode = opts.mode ?? "enforce";
  const log = opts.log ?? (() => {});
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const verifier = indexFileVerifier({
    trustRoot: opts.trustRoot,
    policy: opts.policy,
    index: {
      indexUrl: opts.upstream ?? DEFAULT_UPSTREAM,
      ...(opts.timeoutMs ? { timeoutMs } : {}),
    },
    cacheDir: opts.cacheDir,
    onWarning: (m) => log(`warning: ${m}`),
  });
  const client = await verifier.index();
  const upstreamOrigin = client.origin;
  const tempDir = opts.cacheDir ?? tmpdir();
  await mkdir(tempDir, { recursive: true });
  /** Digests this proxy listed on a page it served: the only files it delivers. */
  const served = new Map<string, Served>();
  const decided = new Map<string, ServeDecision>();

  const handlers = {
    async page(res: ServerResponse, req: IncomingMessage, name: string): Promise<void> {
      const type = negotiate(req.headers.accept);
      if (type === undefined) {
        return text(res, 406, "none of the Accept types is served (JSON or HTML simple API)\n");
      }
      let page: ProjectPage;
      try {
        page = await client.getProject(name);
      } catch (err) {
        if (err instanceof PyprovError && err.code === "INPUT_UNREADABLE") {
          return text(res, 404, "Not Found\n");
        }
        log(`upstream error for ${name}: ${describeError(err)}`);
        return text(res, 502, "the upstream index could not be read\n");
      }
      const listed = await judge(page);
      for (const l of listed) {
        served.set(l.sha256, { url: l.file.url, filename: l.file.filename, size: l.file.size });
      }
      const body =
        type === JSON_V1
          ? renderJsonPage(canonicalizeName(page.name), listed, page.versions)
          : renderHtmlPage(canonicalizeName(page.name), listed);
      res.writeHead(200, {
        "content-type": type === JSON_V1 ? type : `${type}; charset=utf-8`,
        vary: "Accept",
        "cache-control": "no-store",
      });
      res.end(body);
    },

    async file(res: ServerResponse, sha256: string, filename: string): Promise<void> {
      const entry = served.get(sha256);
      if (!entry || entry.filename !== filename) return text(res, 404, "Not Found\n");
      let got;
      try {
        const mib = Math.ceil((entry.size ?? 0) / (1024 * 1024));
        got = await fetchToTemp(entry.url, {
          upstreamOrigin,
          dir: tempDir,
          timeoutMs: timeoutMs + 4000 * mib,
        });
      } catch (err) {
        log(`upstream error for ${filename}: ${describeError(err)}`);
        return text(res, 502, "the file could not be fetched from upstream\n");
      }
      if (got.sha256 !== sha256) {
        await got.remove();
        log(
          `tampered ${filename}: upstream bytes have sha256 ${got.sha256}, the verified page listed ${sha256}; not delivered`,
        );
        return text(res, 502, "the upstream file does not match its verified digest\n");
      }
      res.writeHead(200, {
        "content-type": "application/octet-stream",
        "content-length": String(got.size),
        "cache-control": "no-store",
      });
      const stream = createReadStream(got.path);
      stream.pipe(res);
      await new Promise<void>((resolve) => {
        res.on("close", resolve);
        stream.on("error", () => res.destroy());
      });
      stream.destroy();
      await got.remove();
    },
  };

  /** The files of a page the mode lets through, each logged when blocked. */
  async function judge(page: ProjectPage): Promise<ListedFile[]> {
    const candidates: { file: ProjectPage["files"][number]; resolved: ResolvedFile }[] = [];
    for (const f of page.files) {
      const d = fileVersion(f);
      const sha256 = f.hashes.sha256;
      if (!d || sha256 === undefined || canonicalizeName(d.name) !== canonicalizeName(page.name)) {
        log(
          `${mode === "enforce" ? "blocked" : "unlisted"} ${f.filename}: not a distribution of ${page.name} with a sha256`,
        );
        continue;
      }
      candidates.push({ file: f, resolved: toResolved(page, f, d) });
    }
    const reports = await verifier.verify(candidates.map((c) => c.resolved));
    const listed: ListedFile[] = [];
    candidates.forEach((c, i) => {
      const report = reports[i] as TargetReport;
      const pass = exitCodeFor([report]) === 0;
      decided.set(c.resolved.sha256 ?? "", {
        filename: c.file.filename,
        sha256: c.resolved.sha256 ?? "",
        project: canonicalizeName(page.name),
        outcome: !pass ? "fail" : report.verdict === "missing" ? "unattested" : "pass",
        reasons: pass ? [] : [reason(report)],
        report,
      });
      if (!pass) {
        log(
          `${mode === "enforce" ? "blocked" : "audit: would block"} ${c.file.filename}: ${reason(report)}`,
        );
      }
      if (pass || mode === "audit") listed.push({ file: c.file, sha256: c.resolved.sha256 ?? "" });
    });
    return listed;
  }

  const inFlight = new Set<ServerResponse>();
  const server = http.createServer((req, res) => {
    inFlight.add(res);
    res.on("close", () => inFlight.delete(res));
    route(req, res).catch((err: unknown) => {
      log(`internal error: ${describeError(err)}`);
      if (!res.headersSent) text(res, 500, "internal error\n");
      else res.destroy();
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      return text(res, 405, "Method Not Allowed\n");
    }
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (path === "/-/health") return text(res, 200, "ok\n");
    const parts = path.split("/").map(safeDecode);
    if (parts[1] === "simple" && parts.length >= 3 && parts.length <= 4) {
      const name = parts[2] ?? "";
      if (parts.length === 4 && parts[3] !== "") return text(res, 404, "Not Found\n");
      if (name === "" || !isValidProjectName(name)) return text(res, 404, "Not Found\n");
      const canonical = canonicalizeName(name);
      if (canonical !== name || parts.length === 3) {
        res.writeHead(301, { location: `/simple/${encodeURIComponent(canonical)}/` });
        res.end();
        return;
      }
      return handlers.page(res, req, canonical);
    }
    if (parts[1] === "files" && parts.length === 4 && /^[0-9a-f]{64}$/.test(parts[2] ?? "")) {
      return handlers.file(res, parts[2] ?? "", parts[3] ?? "");
    }
    return text(res, 404, "Not Found\n");
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
    }));
  return { server, url, close, decisions: () => [...decided.values()] };
}

/** The report's reason a file is not listed. */
function reason(r: TargetReport): string {
  if (r.verdict === "error") return r.error?.message ?? "no verdict";
  const policyFailure = r.policy?.results.find((c) => !c.ok);
  if (r.verdict === "missing" && policyFailure) return policyFailure.message ?? "no provenance";
  return r.failure?.message ?? policyFailure?.message ?? r.verdict;
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
  res.end(body);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
