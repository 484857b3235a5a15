/**
 * The state a verifying index keeps, behind one interface so that one node
 * (embedded SQLite under the cache directory) and a fleet (one PostgreSQL)
 * run the same code:
 *
 * - the verdict cache: (file digest, provenance digest, policy digest,
 *   trust-root digest) → the verdict with its reasons and report, so a warm
 *   page costs no verification and a verdict computed on one node is a hit on
 *   every other;
 * - continuity baselines: the publishers each project has been seen with,
 *   where the first use is decided atomically for the whole fleet;
 * - the decision log: one append-only row per file served, blocked or
 *   allowed unattested.
 *
 * Every method may reject with a PyprovError (code STATE_UNAVAILABLE when the
 * store cannot be reached, STATE_SCHEMA when its schema is newer than this
 * build knows); callers fail closed on either.
 */

/** Lower-case hex sha256 digests; `provenance` is "absent" when the index has none. */
export interface VerdictKey {
  file: string;
  provenance: string;
  policy: string;
  trustRoot: string;
}

export type VerdictOutcome = "pass" | "fail" | "unattested";

export interface StoredVerdict {
  /** pass: listed in enforce; unattested: no provenance but the policy lets it go; fail: blocked. */
  outcome: VerdictOutcome;
  /** The report's reasons, in the verify report's words (empty for a pass). */
  reasons: string[];
  /** The file's TargetReport in the `verify --format json` schema. */
  report: unknown;
  /** RFC 3339. */
  decidedAt: string;
  /** The node that computed it. */
  node: string;
}

export type DecisionVerdict = "served" | "blocked" | "allowed-unattested";

export interface DecisionRow {
  /**
   * A stable id (a UUID from {@link newDecisionId}), given when the row is
   * made: appending a row whose id the log already holds changes nothing, so
   * a row queued on local disk and written twice (a crash between the write
   * and the queue's truncation) still lands once.
   */
  id: string;
  /** RFC 3339, when the decision was made (stored and returned to the millisecond, in UTC). */
  time: string;
  node: string;
  client: string;
  project: string;
  filename: string;
  sha256: string;
  verdict: DecisionVerdict;
  reasons: string[];
  policy_sha256: string;
  mode: "enforce" | "audit";
}

export interface DecisionFilter {
  /** RFC 3339; rows at or after it. */
  since?: string;
  /** Canonical project name. */
  project?: string;
  verdict?: DecisionVerdict;
}

/** A publisher as continuity compares them, e.g. "github:pypa/sampleproject#repository_id=123". */
export type PublisherKey = string;

export interface FirstUseResult {
  /** True when this call recorded the project's first baseline. */
  recorded: boolean;
  /** The project's publishers after the call (the winner's when two raced). */
  baseline: PublisherKey[];
}

export interface StateStore {
  readonly kind: "sqlite" | "postgres";
  /** Where it is, for messages (no password). */
  readonly description: string;

  getVerdict(key: VerdictKey): Promise<StoredVerdict | undefined>;
  /** Last writer wins; verdicts for one key are equal unless the policy is nondeterministic. */
  putVerdict(key: VerdictKey, verdict: StoredVerdict): Promise<void>;

  /** The publishers recorded for a project; empty when none yet. */
  baseline(project: string): Promise<PublisherKey[]>;
  /**
   * Record `publisher` as the project's first baseline if it has none, in one
   * atomic step across every node; otherwise change nothing. Returns the
   * baseline after the call.
   */
  recordFirstUse(project: string, publisher: PublisherKey, node: string): Promise<FirstUseResult>;

  /** Append rows in order; each row lands exactly once (a row whose id is already logged is skipped). */
  appendDecisions(rows: DecisionRow[]): Promise<void>;
  /** The log's rows that match, in the order they were appended. */
  decisions(filter: DecisionFilter): Promise<DecisionRow[]>;

  /** Resolves when the store can be reached (one round trip); rejects with STATE_UNAVAILABLE otherwise. */
  ping(): Promise<void>;

  close(): Promise<void>;
}
