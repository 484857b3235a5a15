/**
 * The verification pipeline, top to bottom:
 *
 *   resolve targets → fetch provenance → verify cryptography → check identity
 *   (publisher claim, expectations, lock identities) → verdict per file → exit code
 *
 * Everything here is plain data in and out; the CLI only parses flags and
 * renders the result (report/).
 */
import { createHash } from "node:crypto";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { PyprovError } from "./errors.js";
import type { ContinuityOptions } from "./history/continuity.js";
import type { Expectations } from "./identity/expectations.js";
import { hashFile } from "./inputs/local.js";
import type { LoadedProvenance } from "./pep740/load.js";
import { PublisherSchema, type Publisher } from "./pep740/models.js";
import { applyPolicy } from "./policy/apply.js";
import type { LoadedPolicy } from "./policy/load.js";
import type { CacheLookup, ProvenanceCache } from "./pypi/cache.js";
import type { IndexClient, IndexClientOptions } from "./pypi/index-client.js";
import { canonicalizeName } from "./pypi/names.js";
import type { ProjectPage } from "./pypi/simple-api.js";
import {
  fetchIndexProvenance,
  loadExplicitProvenance,
  loadSidecarProvenance,
  type FetchContext,
  type ProvenanceOutcome,
} from "./resolve/provenance.js";
import { loadSpecs, resolveArg, resolveSpecSlots, type Slot } from "./resolve/jobs.js";
import type { OnlyKind, ResolvedFile, SkippedTarget, TargetArg } from "./resolve/targets.js";
import { loadTrustedRoot, type LoadedTrustRoot } from "./sigstore/trust-root.js";
import { AttestationCryptoVerifier } from "./sigstore/verifier.js";
import { attachSlsaPredicates } from "./slsa/predicate.js";
import { mapPool } from "./util/pool.js";
import { verifyProvenanceBytes } from "./verify/provenance-bytes.js";
import {
  decorate,
  errorReport,
  failedReport,
  missingReport,
  rejectedReport,
} from "./verify/reports.js";
import { verifyTarget } from "./verify/target.js";
import type { VerifierPool } from "./verify/workers.js";
import type { TargetReport } from "./verify/types.js";
import { ENGLISH } from "./util/zod.js";

/** What to verify: a command-line target (file, NAME==VERSION, NAME, pypi:FILE, URL). */
export type TargetInput = TargetArg;

export interface VerifyOptions {
  targets?: TargetInput[];
  /** Requirements files (`-r`). */
  requirements?: string[];
  /** pylock.toml / uv.lock files (`--lock`). */
  locks?: string[];
  /** pip installation reports (`--pip-report`; "-" is standard input). */
  pipReports?: string[];
  /**
   * Installed distributions (`--installed`): site-packages folders, virtual
   * environments or root filesystems; an empty list is python3's environment.
   */
  installed?: string[] | undefined;
  /** Explicit provenance file for a single target; otherwise sidecars or the index. */
  provenance?: string | undefined;
  attestations?: string[] | undefined;
  expectations?: Expectations | undefined;
  /** trusted_root.json path; the bundled production root by default. */
  trustedRoot?: string | undefined;
  /** Reuse an already loaded trust root (library use, benchmarks). */
  trustRoot?: LoadedTrustRoot | undefined;
  only?: OnlyKind;
  /** Fetch and hash the real bytes of index files instead of trusting the pinned digest. */
  download?: boolean;
  /** Missing provenance is a warning (exit 0) rather than a failure. */
  allowMissing?: boolean;
  /** Index client settings (index URL, timeouts, retries). */
  index?: IndexClientOptions;
  cacheDir?: string | undefined;
  noCache?: boolean;
  offline?: boolean;
  /** Requests in flight at once (default 16). */
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
  /**
   * Worker threads that verify index provenance in parallel with the network
   * (built package only): a count (every such file goes to a worker), or
   * "auto": from 32 inputs on, one worker per core but one (at most 4), and
   * the calling thread keeps verifying whenever no started worker has room.
   * Default 0: everything on the calling thread.
   */
  workers?: number | "auto";
  onWarning?: (message: string) => void;
  /** A loaded policy file (policy/load.ts): publishers, SLSA levels, exceptions per package. */
  policy?: LoadedPolicy | undefined;
  /** The clock policy exceptions are judged by (default: now). */
  now?: Date;
  /**
   * Publisher continuity (`--history N`): compare each index package with its
   * previous releases, and check its name for look-alikes (history/continuity.ts).
   */
  continuity?: ContinuityOptions | undefined;
}

export interface VerifyRun {
  trustRoot: { source: string; sha256: string };
  results: TargetReport[];
  /** Requirements/lock entries with no index provenance by nature (editable, VCS, ...). */
  skipped: SkippedTarget[];
  exitCode: 0 | 1 | 2;
}

/** Most targets one run accepts (a requirements file may expand to many files). */
export const MAX_TARGETS = 10_000;
export const DEFAULT_CONCURRENCY = 16;
/** "auto" starts verification workers from this many inputs on. */
export const WORKERS_FROM_JOBS = 32;

/**
 * Exit code: 2 if any target had no verdict, else 1 if any failed (or is
 * missing, unless allowed by --allow-missing or by the policy).
 */
export function exitCodeFor(results: TargetReport[], allowMissing = false): 0 | 1 | 2 {
  if (results.some((r) => r.verdict === "error")) return 2;
  if (results.length === 0) return 1;
  // --allow-missing excuses missing provenance, never a requirement that is
  // not from an index (only a policy exception does).
  const bad = results.some(
    (r) =>
      r.verdict === "failed" ||
      (r.verdict === "missing" &&
        !(allowMissing && r.failure?.code !== "NOT_FROM_INDEX") &&
        !missingAllowedByPolicy(r)),
  );
  return bad ? 1 : 0;
}

/** A policy allows this file's missing provenance (require_attestation: false, or an exception). */
function missingAllowedByPolicy(r: TargetReport): boolean {
  const results = r.policy?.results ?? [];
  return results.some((c) => c.id === "policy-attestation") && results.every((c) => c.ok);
}

export async function verifyDistributions(opts: VerifyOptions): Promise<VerifyRun> {
  const targets = opts.targets ?? [];
  const explicit = opts.provenance !== undefined || (opts.attestations?.length ?? 0) > 0;
  const inputs =
    targets.length +
    (opts.requirements?.length ?? 0) +
    (opts.locks?.length ?? 0) +
    (opts.pipReports?.length ?? 0) +
    (opts.installed !== undefined ? 1 : 0);
  if (inputs === 0) throw new PyprovError("USAGE", "no distribution to verify");
  if (explicit && (inputs > 1 || targets.some((t) => t.kind !== "path" && t.kind !== "digest"))) {
    throw new PyprovError(
      "USAGE",
      "--provenance and --attestation apply to a single local distribution (or --filename/--sha256)",
    );
  }
  const { trustRoot, crypto, expectations, index, getPage, getCache, fetchCtx } = runContext(opts);
  const concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;

  // Each input (a target, or one entry of a requirements file or lockfile)
  // is a job: resolve it to files (1), then fetch and verify each (2–5). Jobs
  // run in a bounded pool, so waiting on the network for one overlaps
  // verifying another; results stay in input order.
  const skipped: SkippedTarget[] = [];
  const specs = await loadSpecs(opts, skipped, opts.onWarning);
  const jobs: (() => Promise<Slot[]>)[] = [
    ...targets.map((arg) => () => resolveArg(arg, opts.only, getPage)),
    ...specs.map(
      (spec) => () =>
        resolveSpecSlots(
          spec,
          opts.only,
          {
            getPage,
            overrideIndex: opts.index?.indexUrl,
            hashUrl: async (url, algorithms, indexUrl) => {
              if (opts.offline) {
                throw new PyprovError("OFFLINE", "checking a sha384/sha512 pin needs the network", {
                  source: url,
                });
              }
              const got = await (await index(indexUrl)).download(url, { extraDigests: algorithms });
              return got.digests;
            },
          },
          getCache,
        ),
    ),
  ];
  if (opts.installed !== undefined) {
    const { installedJobs } = await import("./installed/resolve.js");
    const { wheelContentsStore } = await import("./installed/contents.js");
    const { defaultCacheDir } = await import("./pypi/cache.js");
    const contents = wheelContentsStore({
      index,
      dir:
        opts.noCache === true
          ? undefined
          : join(opts.cacheDir ?? defaultCacheDir(), "wheel-contents"),
      offline: opts.offline === true,
    });
    jobs.push(...installedJobs(opts.installed, { getPage, contents }));
  }
  if (jobs.length > MAX_TARGETS) {
    throw new PyprovError(
      "INPUT_TOO_LARGE",
      `${jobs.length} targets to verify; the limit is ${MAX_TARGETS} per run`,
    );
  }
  // Verification workers for big runs (the CLI asks for them; see VerifyOptions.workers).
  // "auto" shares the work with this thread: it verifies whatever no started
  // worker has room for, so a worker's start-up never delays a verdict and
  // two cores are both used.
  const cores = availableParallelism();
  const auto = opts.workers === "auto";
  const workers =
    opts.workers === "auto"
      ? jobs.length >= WORKERS_FROM_JOBS && cores > 1
        ? Math.min(4, cores - 1)
        : 0
      : (opts.workers ?? 0);
  // Loaded only when used: node:worker_threads is ~10 internal modules of start-up.
  const pool =
    workers > 0
      ? (await import("./verify/workers.js")).VerifierPool.create(workers, trustRoot, {
          shareWithMain: auto,
        })
      : undefined;
  let done = 0;
  let files = 0;
  const perJob = await mapPool(jobs, concurrency, async (job) => {
    const reports: TargetReport[] = [];
    const slots = await job();
    files += slots.length;
    if (files > MAX_TARGETS) {
      throw new PyprovError(
        "INPUT_TOO_LARGE",
        `more than ${MAX_TARGETS} files to verify in one run`,
      );
    }
    for (const slot of slots) {
      reports.push(
        await verifyWithPolicy(slot, opts, explicit, fetchCtx, crypto, expectations, pool),
      );
    }
    opts.onProgress?.(++done, jobs.length);
    return reports;
  });
  // 6. Publisher continuity (--history): each package's previous releases,
  // verified like the run's own files (by the digest the index lists), and
  // its name against look-alikes; findings are attached to its reports.
  if (opts.continuity) {
    const { checkContinuity } = await import("./history/continuity.js");
    await checkContinuity(perJob.flat(), opts.continuity, {
      getPage,
      verifyFile: (file) =>
        verifySlot(
          { kind: "index", file },
          { ...opts, download: false },
          false,
          fetchCtx,
          crypto,
          {},
          pool,
        ),
      policy: opts.policy,
      now: opts.now ?? new Date(),
      concurrency,
      cacheDir: opts.cacheDir,
      ...(opts.onWarning ? { onWarning: opts.onWarning } : {}),
    });
  }
  await pool?.close();
  const results = perJob.flat();
  return {
    trustRoot: { source: trustRoot.source, sha256: trustRoot.sha256 },
    results,
    skipped,
    exitCode: exitCodeFor(results, opts.allowMissing === true),
  };
}

interface RunContext {
  trustRoot: LoadedTrustRoot;
  crypto: AttestationCryptoVerifier;
  expectations: Expectations;
  index: (url?: string) => Promise<IndexClient>;
  getPage: (name: string, indexUrl?: string) => Promise<ProjectPage>;
  getCache: () => Promise<ProvenanceCache | undefined>;
  fetchCtx: FetchContext;
}

/** Trust material and shared network state (clients, pages, cache) of one run or one server. */
function runContext(opts: VerifyOptions): RunContext {
  // 0. Trust material: without it no verdict is possible.
  const trustRoot = opts.trustRoot ?? loadTrustedRoot(opts.trustedRoot);
  const crypto = new AttestationCryptoVerifier(trustRoot);
  const expectations = opts.expectations ?? {};

  // Shared network state: one keep-alive client per index URL (the run's
  // default, or an index an entry names), one page fetch per project and
  // index. Clients and the cache are loaded only when a target needs them,
  // so verifying local files starts no slower than it has to.
  const clients = new Map<string, Promise<IndexClient>>();
  const index = (url?: string): Promise<IndexClient> => {
    const key = url ?? "";
    let client = clients.get(key);
    if (!client) {
      client = import("./pypi/index-client.js").then(
        (m) =>
          new m.IndexClient({ ...opts.index, ...(url !== undefined ? { indexUrl: url } : {}) }),
      );
      clients.set(key, client);
    }
    return client;
  };
  const pages = new Map<string, Promise<ProjectPage>>();
  const getPage = (name: string, indexUrl?: string): Promise<ProjectPage> => {
    if (opts.offline) {
      return Promise.reject(
        new PyprovError(
          "OFFLINE",
          `the index page of ${name} is needed, and --offline forbids the network`,
        ),
      );
    }
    const key = `${indexUrl ?? ""} ${canonicalizeName(name)}`;
    let page = pages.get(key);
    if (!page) {
      page = index(indexUrl).then((c) => c.getProject(name));
      pages.set(key, page);
    }
    return page;
  };
  let cache: Promise<ProvenanceCache | undefined> | undefined;
  const getCache = (): Promise<ProvenanceCache | undefined> =>
    (cache ??=
      opts.noCache === true
        ? Promise.resolve(undefined)
        : import("./pypi/cache.js").then(
            (m) =>
              new m.ProvenanceCache({
                ...(opts.cacheDir !== undefined ? { dir: opts.cacheDir } : {}),
                readOnly: opts.offline === true,
                ...(opts.onWarning ? { onWarning: opts.onWarning } : {}),
              }),
          ));
  const fetchCtx: FetchContext = {
    index,
    cache: getCache,
    offline: opts.offline === true,
    getPage,
  };
  return { trustRoot, crypto, expectations, index, getPage, getCache, fetchCtx };
}

/**
 * A verifier of files already resolved from an index page (as releaseFiles()
 * gives them), for a long-running caller such as `pyprov serve`: one trust
 * root, index client and cache for every call. Each file goes through the
 * same verifySlot + applyPolicy path as verifyDistributions; judge the
 * reports with exitCodeFor. Pages are not cached: each caller fetches its own.
 */
export function indexFileVerifier(opts: VerifyOptions & { workers?: number }): IndexFileVerifier {
  const ctx = runContext(opts);
  const concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
  let pool: Promise<VerifierPool | undefined> | undefined;
  const getPool = (): Promise<VerifierPool | undefined> =>
    (pool ??=
      (opts.workers ?? 0) > 0
        ? import("./verify/workers.js").then((m) =>
            m.VerifierPool.create(opts.workers ?? 0, ctx.trustRoot, { shareWithMain: false }),
          )
        : Promise.resolve(undefined));
  const cached = async (sha256: string): Promise<CacheLookup | undefined> => {
    const cache = await ctx.getCache();
    return cache?.get(sha256);
  };
  return {
    trustRoot: { source: ctx.trustRoot.source, sha256: ctx.trustRoot.sha256 },
    index: () => ctx.index(),
    verify: async (files) => {
      const workers = await getPool();
      return mapPool(files, concurrency, (file) =>
        verifyWithPolicy(
          { kind: "index", file },
          opts,
          false,
          ctx.fetchCtx,
          ctx.crypto,
          ctx.expectations,
          workers,
        ),
      );
    },
    provenanceDigest: async (file) => {
      if (file.sha256 === undefined) return undefined;
      const hit = await cached(file.sha256);
      if (hit?.kind === "hit") return sha256Hex(hit.body);
      // The same rule fetchIndexProvenance applies: a remembered "none"
      // yields to a page that now links provenance.
      if (hit?.kind === "absent" && typeof file.provenanceUrl !== "string") return "absent";
      return undefined;
    },
    prefetchProvenance: async (file) => {
      try {
        await fetchIndexProvenance(file, ctx.fetchCtx);
      } catch {
        // Verification meets the same error and reports it.
      }
    },
    provenanceBody: async (sha256) => {
      const hit = await cached(sha256);
      return hit?.kind === "hit" ? hit.body : undefined;
    },
    close: async () => {
      await (await pool)?.close();
    },
  };
}

/** See {@link indexFileVerifier}. */
export interface IndexFileVerifier {
  trustRoot: { source: string; sha256: string };
  index: () => Promise<IndexClient>;
  verify: (files: ResolvedFile[]) => Promise<TargetReport[]>;
  /**
   * The sha256 of the provenance the cache holds for this file ("absent" when
   * the index had none), without any request; undefined when not cached.
   */
  provenanceDigest: (file: ResolvedFile) => Promise<string | undefined>;
  /** Fetch a file's provenance into the cache (no verification); errors are left to verify(). */
  prefetchProvenance: (file: ResolvedFile) => Promise<void>;
  /** The provenance bytes cached for a file digest, exactly as the index served them. */
  provenanceBody: (sha256: string) => Promise<Buffer | undefined>;
  /** Stop the verification workers. */
  close: () => Promise<void>;
}

/** One slot's report, with the policy applied (the verdict exitCodeFor judges). */
async function verifyWithPolicy(
  slot: Slot,
  opts: VerifyOptions,
  explicit: boolean,
  fetchCtx: FetchContext,
  crypto: AttestationCryptoVerifier,
  expectations: Expectations,
  pool: VerifierPool | undefined,
): Promise<TargetReport> {
  const report = await verifySlot(slot, opts, explicit, fetchCtx, crypto, expectations, pool);
  const judged = applyPolicy(report, opts.policy, { now: opts.now ?? new Date() });
  if (slot.kind === "index" && slot.installed) {
    const { applyInstalledCheck } = await import("./installed/report.js");
    applyInstalledCheck(judged, slot.installed);
  }
  return judged;
}

async function verifySlot(
  slot: Slot,
  opts: VerifyOptions,
  explicit: boolean,
  fetchCtx: FetchContext,
  crypto: AttestationCryptoVerifier,
  expectations: Expectations,
  pool: VerifierPool | undefined,
): Promise<TargetReport> {
  if (slot.kind === "unresolved") {
    return errorReport(
      { filename: slot.target.display, sha256: "", origin: slot.target.origin },
      slot.target.error,
    );
  }
  if (slot.kind === "rejected") return rejectedReport(slot.target);
  // 1. The file's name and digest.
  let file: ResolvedFile & { sha256: string };
  let outcome: ProvenanceOutcome;
  const identity: Partial<ResolvedFile> & { filename: string } =
    slot.kind === "index"
      ? slot.file
      : slot.arg.kind === "path"
        ? { filename: slot.arg.path }
        : { filename: slot.arg.filename, sha256: slot.arg.sha256 };
  try {
    if (slot.kind === "local") {
      const arg = slot.arg;
      const hashed =
        arg.kind === "path"
          ? await hashFile(arg.path)
          : { filename: arg.filename, sha256: arg.sha256, path: undefined };
      file = {
        ...hashed,
        warnings: [],
        ...(hashed.path !== undefined ? { path: hashed.path } : {}),
      };
      // 2. Its provenance.
      outcome = explicit
        ? {
            status: "found",
            provenance: loadExplicitProvenance(opts.provenance, opts.attestations ?? []),
            from: "files",
          }
        : arg.kind === "path"
          ? loadSidecarProvenance(arg.path)
          : { status: "absent", reason: "no provenance given (use --provenance or --attestation)" };
    } else {
      file = await indexFileDigest(slot.file, opts, fetchCtx);
      outcome = await fetchIndexProvenance(file, fetchCtx);
    }
  } catch (err) {
    if (err instanceof DigestMismatch) return err.report;
    return errorReport({ ...identity, sha256: identity.sha256 ?? "" }, err);
  }
  if (outcome.status === "withheld") {
    return errorReport(
      file,
      new PyprovError("PROVENANCE_WITHHELD", outcome.reason, { source: file.filename }),
    );
  }
  if (outcome.status === "absent") return missingReport(file, outcome.reason);

  // 3–5. Cryptography, identity, expectations.
  let identities: Publisher[] | undefined;
  try {
    identities = file.expectedIdentities?.map(parseIdentity);
  } catch (err) {
    return errorReport(file, err);
  }
  const target = { filename: file.filename, sha256: file.sha256, path: file.path };
  let report: TargetReport;
  if (outcome.status === "found-bytes") {
    const job = {
      file: target,
      body: outcome.body,
      source: outcome.source,
      expectations,
      identities,
    };
    try {
      const inline = () => verifyProvenanceBytes(job, crypto);
      report = pool ? await pool.run(job, inline) : inline();
    } catch (err) {
      return errorReport(file, err);
    }
  } else {
    report = verifyTarget(target, outcome.provenance satisfies LoadedProvenance, {
      crypto,
      expectations,
      identities,
    });
    attachSlsaPredicates(report, outcome.provenance);
  }
  decorate(report, file);
  return report;
}

/** The digest to verify for an index file: pinned, listed, or (with --download) the real bytes'. */
async function indexFileDigest(
  file: ResolvedFile,
  opts: VerifyOptions,
  ctx: FetchContext,
): Promise<ResolvedFile & { sha256: string }> {
  if (opts.download) {
    if (opts.offline)
      throw new PyprovError("OFFLINE", "--download needs the network", { source: file.filename });
    if (!file.url)
      throw new PyprovError("INPUT_UNREADABLE", "no download URL for this file", {
        source: file.filename,
      });
    const got = await (await ctx.index(file.index)).download(file.url);
    if (file.sha256 !== undefined && got.sha256 !== file.sha256) {
      const withDigest = { ...file, sha256: got.sha256 };
      throw new DigestMismatch(
        failedReport(
          withDigest,
          "ARTIFACT_DIGEST",
          `downloaded file has sha256 ${got.sha256}, but ${file.sha256} is pinned`,
        ),
      );
    }
    return { ...file, sha256: got.sha256 };
  }
  if (file.sha256 === undefined) {
    throw new PyprovError("INPUT_UNREADABLE", "no sha256 is known for this file (use --download)", {
      source: file.filename,
    });
  }
  return { ...file, sha256: file.sha256 };
}

class DigestMismatch extends Error {
  constructor(readonly report: TargetReport) {
    super(report.failure?.message ?? "digest mismatch");
  }
}

function parseIdentity(identity: unknown): Publisher {
  const parsed = PublisherSchema.safeParse(identity, ENGLISH);
  if (!parsed.success) {
    throw new PyprovError(
      "INPUT_MALFORMED",
      `invalid attestation identity ${JSON.stringify(identity)}`,
    );
  }
  return parsed.data;
}

function sha256Hex(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}
