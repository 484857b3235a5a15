/**
 * Which files of an upstream page the proxy may list: each file's verdict,
 * reached by the same verification and policy path as `pyprov verify`, and
 * remembered under (file digest, provenance digest, policy digest, trust-root
 * digest). A warm verdict costs no verification and no provenance request
 * (the provenance digest comes from the local provenance cache); a changed
 * policy, trust root or provenance is another key, so nothing is ever
 * invalidated by hand. Errors (network, withheld) are never remembered.
 */
import { createHash } from "node:crypto";
import { exitCodeFor, type IndexFileVerifier } from "../pipeline.js";
import type { LoadedPolicy } from "../policy/load.js";
import { canonicalizeName } from "../pypi/names.js";
import type { ProjectFile, ProjectPage } from "../pypi/simple-api.js";
import { fileVersion, toResolved, type ResolvedFile } from "../resolve/targets.js";
import type { StoredVerdict, VerdictKey, VerdictOutcome } from "../state/types.js";
import type { TargetReport } from "../verify/types.js";

/** The state store's verdict half (state/types.ts), which the proxy consults after its memo. */
export interface VerdictStore {
  getVerdict(key: VerdictKey): Promise<StoredVerdict | undefined>;
  putVerdict(key: VerdictKey, verdict: StoredVerdict): Promise<void>;
}

export interface Judged {
  file: ProjectFile;
  /** "" when the page gives none (then the file is never listed). */
  sha256: string;
  project: string;
  outcome: VerdictOutcome;
  /** The verify report's reason, for failures. */
  reasons: string[];
  report: TargetReport | undefined;
  /** True when this call reached the verdict (not a remembered one). */
  fresh: boolean;
}

export interface JudgeOptions {
  verifier: IndexFileVerifier;
  policy: LoadedPolicy | undefined;
  /** Hosts file URLs may name besides the upstream's origin. */
  filesHosts: ReadonlySet<string>;
  upstreamOrigin: string;
  node: string;
  store?: VerdictStore | undefined;
  onStoreError?: (err: unknown) => void;
  /** Each lookup: in this node's memo, in the shared store, or neither. */
  onLookup?: (result: "hit" | "shared-hit" | "miss") => void;
  now?: () => Date;
}

const MEMO_LIMIT = 100_000;

export class Judge {
  private readonly memo = new Map<string, StoredVerdict>();
  /** File digest → provenance digest, for provenance the cache holds (immutable per file). */
  private readonly provenance = new Map<string, string>();

  constructor(private readonly opts: JudgeOptions) {}

  /** The policy part of a verdict key: the file's digest plus the exceptions in force now. */
  policyDigest(): string {
    const p = this.opts.policy;
    if (!p) return createHash("sha256").update("").digest("hex"); // no policy: no bytes
    const now = (this.opts.now?.() ?? new Date()).getTime();
    const active = p.exceptions.filter((e) => e.endsAt.getTime() > now).map((e) => e.index);
    return createHash("sha256")
      .update(`${p.sha256}:${active.join(",")}`)
      .digest("hex");
  }

  async judge(page: ProjectPage): Promise<Judged[]> {
    const project = canonicalizeName(page.name);
    const policy = this.policyDigest();
    const trustRoot = this.opts.verifier.trustRoot.sha256;
    const out: Judged[] = [];
    const todo: { at: number; resolved: ResolvedFile }[] = [];
    for (const file of page.files) {
      const sha256 = file.hashes.sha256 ?? "";
      const d = fileVersion(file);
      const refused =
        !d || sha256 === "" || canonicalizeName(d.name) !== project
          ? `not a distribution of ${page.name} with a sha256`
          : this.hostRefusal(file.url);
      const judged: Judged = {
        file,
        sha256,
        project,
        outcome: "fail",
        reasons: refused ? [refused] : [],
        report: undefined,
        fresh: true,
      };
      out.push(judged);
      if (refused || !d) continue;
      const resolved = toResolved(page, file, d);
      const remembered = await this.remembered(resolved, policy, trustRoot);
      if (remembered) {
        Object.assign(judged, {
          outcome: remembered.outcome,
          reasons: remembered.reasons,
          report: remembered.report as TargetReport,
          fresh: false,
        });
      } else {
        todo.push({ at: out.length - 1, resolved });
      }
    }
    const reports = await this.opts.verifier.verify(todo.map((t) => t.resolved));
    await Promise.all(
      todo.map(async (t, i) => {
        const report = reports[i] as TargetReport;
        const judged = out[t.at] as Judged;
        const pass = exitCodeFor([report]) === 0;
        judged.report = report;
        judged.outcome = !pass ? "fail" : report.verdict === "missing" ? "unattested" : "pass";
        judged.reasons = pass ? [] : [reasonOf(report)];
        if (report.verdict !== "error") await this.remember(t.resolved, judged, policy, trustRoot);
      }),
    );
    return out;
  }

  private hostRefusal(url: string): string | undefined {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return "its URL is not valid";
    }
    if (u.origin === this.opts.upstreamOrigin) return undefined;
    if (u.protocol === "https:" && this.opts.filesHosts.has(u.host.toLowerCase())) return undefined;
    return `it is served from ${u.host}, which is neither the upstream nor a --files-host`;
  }

  private async key(
    file: ResolvedFile,
    policy: string,
    trustRoot: string,
  ): Promise<VerdictKey | undefined> {
    const sha = file.sha256 ?? "";
    let provenance = this.provenance.get(sha);
    if (provenance === undefined) {
      provenance = await this.opts.verifier.provenanceDigest(file);
      if (provenance === undefined) return undefined;
      if (provenance !== "absent") this.provenance.set(sha, provenance);
    }
    return { file: sha, provenance, policy, trustRoot };
  }

  private async remembered(
    file: ResolvedFile,
    policy: string,
    trustRoot: string,
  ): Promise<StoredVerdict | undefined> {
    let key = await this.key(file, policy, trustRoot);
    if (!key && this.opts.store) {
      // Another node may have reached this verdict: its key needs the
      // provenance's digest, so fetch the provenance (never verified twice).
      await this.opts.verifier.prefetchProvenance(file);
      key = await this.key(file, policy, trustRoot);
    }
    const count = this.opts.onLookup ?? (() => {});
    if (!key) {
      count("miss");
      return undefined;
    }
    const id = keyString(key);
    const hit = this.memo.get(id);
    if (hit) {
      count("hit");
      return hit;
    }
    if (!this.opts.store) {
      count("miss");
      return undefined;
    }
    try {
      const stored = await this.opts.store.getVerdict(key);
      if (stored) this.memoize(id, stored);
      count(stored ? "shared-hit" : "miss");
      return stored;
    } catch (err) {
      this.opts.onStoreError?.(err);
      count("miss");
      return undefined; // verified here instead: the store is a cache
    }
  }

  private async remember(
    file: ResolvedFile,
    judged: Judged,
    policy: string,
    trustRoot: string,
  ): Promise<void> {
    // Verification fetched (and cached) the provenance: its digest is known now.
    const key = await this.key(file, policy, trustRoot);
    if (!key) return;
    const verdict: StoredVerdict = {
      outcome: judged.outcome,
      reasons: judged.reasons,
      report: judged.report,
      decidedAt: new Date().toISOString(),
      node: this.opts.node,
    };
    this.memoize(keyString(key), verdict);
    if (!this.opts.store) return;
    try {
      await this.opts.store.putVerdict(key, verdict);
    } catch (err) {
      this.opts.onStoreError?.(err);
    }
  }

  private memoize(id: string, v: StoredVerdict): void {
    if (this.memo.size >= MEMO_LIMIT) {
      const oldest = this.memo.keys().next().value;
      if (oldest !== undefined) this.memo.delete(oldest);
    }
    this.memo.set(id, v);
  }
}

function keyString(k: VerdictKey): string {
  return `${k.file}:${k.provenance}:${k.policy}:${k.trustRoot}`;
}

/** The report's reason a file is not listed, in the verify report's words. */
export function reasonOf(r: TargetReport): string {
  if (r.verdict === "error") return r.error?.message ?? "no verdict";
  const policyFailure = r.policy?.results.find((c) => !c.ok);
  if (r.verdict === "missing" && policyFailure) return policyFailure.message ?? "no provenance";
  return r.failure?.message ?? policyFailure?.message ?? r.verdict;
}
