/**
 * Trust on first use for `pyprov serve --tofu`: the first time the proxy
 * (or, on a shared state store, any node of the fleet) lists verified files
 * of a project, it records the publisher of the newest one as the project's
 * baseline, in one atomic step for the whole fleet; from then on a verified
 * file of that project whose publisher is not in the baseline is blocked.
 * A first use needs the state store: while it is unreachable, a project
 * without a known baseline cannot be decided, and its page is refused (503)
 * rather than listed unchecked.
 */
import { PyprovError } from "../errors.js";
import type { FirstUseResult, PublisherKey } from "../state/types.js";
import type { PublisherIdentity } from "../verify/types.js";
import type { Judged } from "./verdicts.js";

/** The state store's continuity half (state/types.ts). */
export interface BaselineStore {
  baseline(project: string): Promise<PublisherKey[]>;
  recordFirstUse(project: string, publisher: PublisherKey, node: string): Promise<FirstUseResult>;
}

/**
 * What continuity compares: issuer kind, repository (case-insensitive, as
 * GitHub and GitLab treat it) and its numeric ID when the certificate has
 * one, so a re-registered repository name is another publisher. Workflow
 * and environment may change between releases.
 */
export function publisherKey(id: PublisherIdentity): PublisherKey {
  if (id.kind === "github" || id.kind === "gitlab") {
    const repo = (id.repository ?? "?").toLowerCase();
    return id.repositoryId
      ? `${id.kind}:${repo}#repository_id=${id.repositoryId}`
      : `${id.kind}:${repo}`;
  }
  return `${id.kind === "other" ? (id.issuer ?? "unknown") : id.kind}:${id.identity ?? "?"}`;
}

export class FirstUse {
  /** Baselines seen: they never change once recorded, so they are kept. */
  private readonly known = new Map<string, PublisherKey[]>();
  /** Files already blocked (logged once, not on every page refresh). */
  private readonly blocked = new Set<string>();

  constructor(
    private readonly store: BaselineStore,
    private readonly node: () => string,
  ) {}

  /**
   * Block, in place, the verified files whose publisher is not the project's
   * baseline (recording it first when there is none). STATE_UNAVAILABLE when
   * the baseline can be neither read nor recorded.
   */
  async apply(project: string, judged: Judged[]): Promise<void> {
    const verified = judged.filter((j) => j.outcome === "pass" && j.report?.identity);
    if (verified.length === 0) return;
    let baseline = this.known.get(project);
    if (!baseline) {
      baseline = await this.read(project);
      if (baseline.length === 0) {
        const newest = [...verified].sort((a, b) =>
          (b.file.uploadTime ?? "").localeCompare(a.file.uploadTime ?? ""),
        )[0];
        const key = publisherKey(newest?.report?.identity as PublisherIdentity);
        baseline = (await this.record(project, key)).baseline;
      }
      this.known.set(project, baseline);
    }
    for (const j of verified) {
      const key = publisherKey(j.report?.identity as PublisherIdentity);
      if (baseline.includes(key)) continue;
      j.outcome = "fail";
      // Logged and counted as a decision of its own, once.
      j.fresh = !this.blocked.has(j.sha256);
      this.blocked.add(j.sha256);
      j.reasons = [
        `publisher ${key} is not the one recorded on first use of ${project} (${baseline.join(", ")})`,
      ];
    }
  }

  private async read(project: string): Promise<PublisherKey[]> {
    try {
      return await this.store.baseline(project);
    } catch (err) {
      throw unavailable(project, err);
    }
  }

  private async record(project: string, key: PublisherKey): Promise<FirstUseResult> {
    try {
      return await this.store.recordFirstUse(project, key, this.node());
    } catch (err) {
      throw unavailable(project, err);
    }
  }
}

function unavailable(project: string, err: unknown): PyprovError {
  const why = err instanceof Error ? err.message : String(err);
  return new PyprovError(
    "STATE_UNAVAILABLE",
    `the first use of ${project} cannot be decided while the state store is unreachable (${why})`,
  );
}
