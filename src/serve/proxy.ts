/**
 * The verifying index's core, behind the HTTP server (server.ts): the
 * upstream client and verifier, the page and verdict caches, trust on first
 * use, the verified file cache, and one handler per route.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { PyprovError, describeError } from "../errors.js";
import { exitCodeFor, indexFileVerifier } from "../pipeline.js";
import { defaultCacheDir } from "../pypi/cache.js";
import { DEFAULT_TIMEOUT_MS } from "../pypi/http.js";
import { canonicalizeName } from "../pypi/names.js";
import { projectOfFilename } from "../resolve/targets.js";
import type { ProjectFile } from "../pypi/simple-api.js";
import { renderJson, verifyDocument } from "../report/json.js";
import { newDecisionId } from "../state/schema.js";
import type { DecisionRow, VerdictOutcome } from "../state/types.js";
import { DEFAULT_FILES_HOST, DEFAULT_UPSTREAM } from "./defaults.js";
import { deliver, plain, type Deliverable } from "./deliver.js";
import { FileStore } from "./files.js";
import { FirstUse } from "./first-use.js";
import { ServeMetrics } from "./metrics.js";
import { JSON_V1, negotiate } from "./negotiate.js";
import { PageCache, type PageEntry } from "./pages.js";
import {
  metadataSha256,
  renderHtmlPage,
  renderHtmlRoot,
  renderJsonPage,
  renderJsonRoot,
  type ListedFile,
} from "./render.js";
import type { ServeDecision, ServeOptions } from "./server.js";
import { Judge, type Judged } from "./verdicts.js";

interface Listing {
  /** Files the page lists (enforce: those that pass or may go unattested). */
  listed: ListedFile[];
  judged: Judged[];
}

/** A file a served page listed: the only files the proxy delivers. */
interface Served {
  file: ProjectFile;
  project: string;
  outcome: VerdictOutcome;
}

/** Start the proxy; resolves once it listens. */
const NO_POLICY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

export type Proxy = Awaited<ReturnType<typeof createProxy>>;

/** Everything but the HTTP server; `node()` is this node's name once it is known. */
export async function createProxy(opts: ServeOptions, node: () => string) {
  const mode = opts.mode ?? "enforce";
  const log = opts.log ?? (() => {});
  const offline = opts.offline === true;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const metrics = new ServeMetrics();
  const verifier = indexFileVerifier({
    trustRoot: opts.trustRoot,
    policy: opts.policy,
    index: {
      indexUrl: opts.upstream ?? DEFAULT_UPSTREAM,
      timeoutMs,
      ...(opts.maxAttempts !== undefined ? { maxAttempts: opts.maxAttempts } : {}),
      ...(opts.retryBaseMs !== undefined ? { retryBaseMs: opts.retryBaseMs } : {}),
    },
    cacheDir,
    offline,
    ...(opts.workers ? { workers: opts.workers } : {}),
    onWarning: (m) => log(`warning: ${m}`),
  });
  const client = await verifier.index();
  const files = new FileStore(join(cacheDir, "files", "v1"));
  const served = new Map<string, Served>();
  const decided = new Map<string, ServeDecision>();
  /** Digests whose upstream bytes did not match: never listed again by this process. */
  const tampered = new Set<string>();
  const decision = (
    req: IncomingMessage | undefined,
    s: { project: string; filename: string; sha256: string },
    verdict: DecisionRow["verdict"],
    reasons: string[],
  ): void => {
    opts.onDecision?.({
      id: newDecisionId(),
      time: new Date().toISOString(),
      node: node(),
      client: req?.socket.remoteAddress ?? "",
      ...s,
      verdict,
      reasons,
      // No policy: the digest of no bytes.
      policy_sha256: opts.policy?.sha256 ?? NO_POLICY_SHA256,
      mode,
    });
  };

  let lastStoreError = 0;
  const judge = new Judge({
    onLookup: (result) => metrics.cache.inc({ cache: "verdict", result }),
    verifier,
    policy: opts.policy,
    filesHosts: new Set((opts.filesHosts ?? [DEFAULT_FILES_HOST]).map((h) => h.toLowerCase())),
    upstreamOrigin: client.origin,
    get node() {
      return node();
    },
    store: opts.verdicts,
    onStoreError: (err) => {
      // One line a minute, not one per file.
      if (Date.now() - lastStoreError < 60_000) return;
      lastStoreError = Date.now();
      log(`state store: ${describeError(err)}; verifying locally`);
    },
  });

  const firstUse = opts.firstUse ? new FirstUse(opts.firstUse, node) : undefined;
  const pages = new PageCache<Listing>({
    fetch: (name) => metrics.time("page", () => client.getProject(name)),
    derive: async (page) => {
      const judged = await judge.judge(page);
      try {
        await firstUse?.apply(canonicalizeName(page.name), judged);
      } catch (err) {
        // The page is refused, but the verdicts reached are remembered: a
        // remembered verdict is never counted or logged again, so do it now.
        for (const j of judged) record(j);
        throw err;
      }
      const listed: ListedFile[] = [];
      for (const j of judged) {
        record(j);
        if ((j.outcome !== "fail" || mode === "audit") && j.sha256 !== "") {
          listed.push({ file: j.file, sha256: j.sha256, provenance: hasProvenance(j) });
        }
      }
      return { listed, judged };
    },
    ttlMs: opts.pageTtlMs,
    dir: join(cacheDir, "pages", "v1"),
    offline,
    onStale: (name, err) =>
      log(`upstream error for ${name}: ${describeError(err)}; serving the page fetched earlier`),
  });

  function hasProvenance(j: Judged): boolean {
    const r = j.report;
    return r !== undefined && r.verdict !== "missing" && r.verdict !== "error";
  }

  /** Keep a verdict for /-/report and pyprov run; count and log it when freshly reached. */
  function record(j: Judged): void {
    if (j.report) {
      decided.set(j.sha256, {
        filename: j.file.filename,
        sha256: j.sha256,
        project: j.project,
        outcome: j.outcome,
        reasons: j.reasons,
        report: j.report,
        downloaded: decided.get(j.sha256)?.downloaded ?? false,
      });
    }
    // A remembered verdict (this node's memo, the shared store) was counted
    // and logged where it was reached.
    if (!j.fresh) return;
    metrics.verdicts.inc({ outcome: j.report?.verdict === "error" ? "error" : j.outcome });
    if (j.outcome !== "fail") return;
    metrics.blocked.inc();
    log(
      `${mode === "enforce" ? "blocked" : "audit: would block"} ${j.file.filename}: ${j.reasons[0] ?? "no verdict"}`,
    );
    if (j.report?.verdict !== "error") {
      decision(
        undefined,
        { project: j.project, filename: j.file.filename, sha256: j.sha256 },
        "blocked",
        j.reasons,
      );
    }
  }

  async function page(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    const type = negotiate(req.headers.accept);
    if (type === undefined) {
      return plain(res, 406, "none of the Accept types is served (JSON or HTML simple API)\n");
    }
    let entry: PageEntry<Listing>;
    try {
      entry = await pages.get(name);
    } catch (err) {
      return pageError(res, name, err);
    }
    const gzip = acceptsGzip(req.headers["accept-encoding"]);
    const key = `${type}${tampered.size}`;
    let body = entry.rendered.get(key);
    metrics.cache.inc({ cache: "page", result: body ? "hit" : "miss" });
    if (!body) {
      const listed = servable(entry);
      const canonical = canonicalizeName(entry.page.name);
      body = Buffer.from(
        type === JSON_V1
          ? renderJsonPage(canonical, listed, entry.page.versions)
          : renderHtmlPage(canonical, listed),
      );
      entry.rendered.set(key, body);
      // Compressed once per rendering, not per request (pip asks for gzip).
      entry.rendered.set(`${key}gzip`, gzipSync(body));
    }
    const sent = gzip ? (entry.rendered.get(`${key}gzip`) ?? body) : body;
    res.writeHead(200, {
      "content-type": type === JSON_V1 ? type : `${type}; charset=utf-8`,
      "content-length": String(sent.length),
      ...(sent !== body ? { "content-encoding": "gzip" } : {}),
      vary: "Accept, Accept-Encoding",
      "cache-control": "max-age=0, must-revalidate",
    });
    res.end(req.method === "HEAD" ? undefined : sent);
  }

  /** Answer a page that could not be had (the file route too, when it looked one up). */
  function pageError(res: ServerResponse, name: string, err: unknown): void {
    if (err instanceof PyprovError && err.code === "INPUT_UNREADABLE") {
      return plain(res, 404, "Not Found\n");
    }
    if (err instanceof PyprovError && err.code === "OFFLINE") {
      return plain(res, 404, `${name} is not in the cache (--offline)\n`);
    }
    if (err instanceof PyprovError && err.code === "STATE_UNAVAILABLE") {
      log(`refused ${name}: ${err.message}`);
      res.setHeader("retry-after", "10");
      return plain(res, 503, `${err.message}\n`);
    }
    log(`upstream error for ${name}: ${describeError(err)}`);
    return plain(res, 502, `the upstream index could not be read: ${describeError(err)}\n`);
  }

  /** The files a page of `entry` lists, now deliverable by this node. */
  function servable(entry: PageEntry<Listing>): ListedFile[] {
    const listed = entry.derived.listed.filter((l) => !tampered.has(l.sha256));
    for (const l of listed) {
      const outcome = entry.derived.judged.find((j) => j.sha256 === l.sha256)?.outcome ?? "fail";
      served.set(l.sha256, { file: l.file, project: canonicalizeName(entry.page.name), outcome });
    }
    return listed;
  }

  function root(req: IncomingMessage, res: ServerResponse): void {
    const type = negotiate(req.headers.accept);
    if (type === undefined) return plain(res, 406, "none of the Accept types is served\n");
    const names = [...new Set([...served.values()].map((s) => s.project))].sort();
    const body = type === JSON_V1 ? renderJsonRoot(names) : renderHtmlRoot(names);
    res.writeHead(200, {
      "content-type": type === JSON_V1 ? type : `${type}; charset=utf-8`,
      vary: "Accept",
    });
    res.end(req.method === "HEAD" ? undefined : body);
  }

  const deliverCtx = {
    files,
    metrics,
    offline,
    log,
    onTampered: (d: Deliverable, err: { where: string }) => {
      if (err.where === "upstream") tampered.add(d.sha256);
    },
  };

  async function file(
    req: IncomingMessage,
    res: ServerResponse,
    sha256: string,
    filename: string,
  ): Promise<void> {
    const metadata = filename.endsWith(".metadata");
    const name = metadata ? filename.slice(0, -".metadata".length) : filename;
    let s = served.get(sha256);
    if (!s && !tampered.has(sha256)) {
      // Listed by another node (a fleet behind a load balancer): deliverable
      // when this node's own judgement of the project's page lists it.
      let project: string | undefined;
      try {
        project = canonicalizeName(projectOfFilename(name));
      } catch {
        project = undefined;
      }
      if (project === undefined) return plain(res, 404, "Not Found\n");
      try {
        servable(await pages.get(project));
      } catch (err) {
        return pageError(res, project, err);
      }
      s = served.get(sha256);
    }
    if (!s || s.file.filename !== name || tampered.has(sha256))
      return plain(res, 404, "Not Found\n");
    const size = s.file.size;
    const upstreamUrl = s.file.url;
    const d: Deliverable = metadata
      ? {
          sha256: metadataSha256(s.file) ?? "",
          filename,
          size: null,
          contentType: "text/plain; charset=utf-8",
          download: (sink) => client.download(`${upstreamUrl}.metadata`, { sink }),
        }
      : {
          sha256,
          filename,
          size,
          contentType: "application/octet-stream",
          download: (sink) => client.download(upstreamUrl, { sink }),
        };
    if (d.sha256 === "") return plain(res, 404, "Not Found\n");
    await deliver(
      {
        ...deliverCtx,
        onDelivered: (_d, _bytes, full) => {
          if (metadata || !full) return;
          const known = decided.get(sha256);
          if (known) known.downloaded = true;
          decision(
            req,
            { project: s.project, filename, sha256 },
            s.outcome === "unattested" ? "allowed-unattested" : "served",
            [],
          );
        },
      },
      req,
      res,
      d,
    );
  }

  async function provenance(
    req: IncomingMessage,
    res: ServerResponse,
    sha256: string,
  ): Promise<void> {
    const body = served.has(sha256) ? await verifier.provenanceBody(sha256) : undefined;
    if (!body) return plain(res, 404, "Not Found\n");
    res.writeHead(200, {
      "content-type": "application/vnd.pypi.integrity.v1+json",
      "content-length": String(body.length),
    });
    res.end(req.method === "HEAD" ? undefined : body);
  }

  async function report(res: ServerResponse): Promise<void> {
    const results = [...decided.values()].map((d) => d.report);
    const doc = verifyDocument(
      results,
      verifier.trustRoot,
      results.length ? exitCodeFor(results) : 0,
    );
    res.writeHead(200, { "content-type": "application/json" });
    res.end(renderJson(doc));
  }

  return {
    metrics,
    page,
    root,
    file,
    provenance,
    report,
    decisions: (): ServeDecision[] => [...decided.values()],
    close: () => verifier.close(),
  };
}

/** Accept-Encoding names gzip with a q-value above 0 (RFC 9110 §12.5.3). */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  for (const part of header.split(",")) {
    const [coding = "", ...params] = part.split(";").map((x) => x.trim().toLowerCase());
    if (coding !== "gzip" && coding !== "x-gzip") continue;
    const q = params.find((p) => p.startsWith("q="));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}
