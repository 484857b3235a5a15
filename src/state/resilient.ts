/**
 * A state store that survives the database going away:
 *
 * - decision rows: written to the store; when it is unreachable
 *   (STATE_UNAVAILABLE) they are queued in the local journal instead, and a
 *   background retry (exponential backoff with jitter) flushes the journal
 *   once the store answers again. While anything is queued, new rows queue
 *   behind it, so the log keeps this node's order. appendDecisions resolves
 *   once its rows are durable in one place or the other; a caller that does
 *   not want a database round trip on its critical path need not await it
 *   (logDecision does that, reporting failures to onError);
 * - everything else passes through, and a STATE_UNAVAILABLE propagates: the
 *   caller falls back to what it holds locally (a verdict it computed), or
 *   refuses what needs the fleet (a first use under continuity);
 * - `degraded` is true while the store's last answer was a failure or rows
 *   are queued; `queued` counts the rows in the journal (for /-/metrics).
 */
import { PyprovError, describeError } from "../errors.js";
import { DecisionJournal, journalPath } from "./journal.js";
import { openState, type OpenStateOptions } from "./open.js";
import { parseDecisionRow } from "./schema.js";
import type {
  DecisionFilter,
  DecisionRow,
  FirstUseResult,
  PublisherKey,
  StateStore,
  StoredVerdict,
  VerdictKey,
} from "./types.js";

export interface ResilientOptions {
  /** First retry after this long (default 250 ms); doubles up to maxRetryMs. */
  retryMs?: number;
  /** Longest wait between retries (default 30 s). */
  maxRetryMs?: number;
  /** The store failed or came back, or a background flush failed (one line). */
  onEvent?: (message: string) => void;
}

const isUnavailable = (err: unknown): boolean =>
  err instanceof PyprovError && err.code === "STATE_UNAVAILABLE";

export class ResilientStore implements StateStore {
  readonly store: StateStore;
  readonly journal: DecisionJournal;
  private readonly retryMs: number;
  private readonly maxRetryMs: number;
  private readonly onEvent: (message: string) => void;
  private failing = false;
  private lastFailure: string | undefined;
  private delay: number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Decision writes, one at a time in call order (they decide store vs journal). */
  private writes: Promise<unknown> = Promise.resolve();
  private closed = false;
  private batch:
    | { rows: DecisionRow[]; waiters: { resolve: () => void; reject: (e: unknown) => void }[] }
    | undefined;
  private retrying: Promise<void> | undefined;

  constructor(store: StateStore, journal: DecisionJournal, opts: ResilientOptions = {}) {
    this.store = store;
    this.journal = journal;
    this.retryMs = opts.retryMs ?? 250;
    this.maxRetryMs = opts.maxRetryMs ?? 30_000;
    this.delay = this.retryMs;
    this.onEvent = opts.onEvent ?? (() => {});
    if (journal.queued > 0) this.schedule(0);
  }

  get kind(): StateStore["kind"] {
    return this.store.kind;
  }
  get description(): string {
    return this.store.description;
  }
  /** The store's last answer was a failure, or decision rows wait in the journal. */
  get degraded(): boolean {
    return this.failing || this.journal.queued > 0;
  }
  /** Decision rows waiting in the journal. */
  get queued(): number {
    return this.journal.queued;
  }
  /** Why the store is degraded (one line), when it is. */
  get reason(): string | undefined {
    if (this.failing) return this.lastFailure;
    if (this.journal.queued > 0) return `${this.journal.queued} decision row(s) queued`;
    return undefined;
  }

  private fail(err: unknown, retry = true): void {
    if (!this.failing) this.onEvent(`state store unavailable, degraded: ${describeError(err)}`);
    this.failing = true;
    this.lastFailure = describeError(err);
    if (retry) this.schedule(this.delay);
  }

  private succeed(): void {
    if (this.failing) this.onEvent("state store reachable again");
    this.failing = false;
    this.lastFailure = undefined;
    if (this.journal.queued > 0) this.schedule(0);
  }

  /** Pass a call through, tracking whether the store answers. */
  private async pass<T>(fn: () => Promise<T>): Promise<T> {
    try {
      const out = await fn();
      this.succeed();
      return out;
    } catch (err) {
      if (isUnavailable(err)) this.fail(err);
      throw err;
    }
  }

  private schedule(ms: number): void {
    if (this.closed || this.timer !== undefined) return;
    const jitter = ms === 0 ? 0 : Math.round(ms * 0.2 * Math.random());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.retry();
    }, ms + jitter);
    this.timer.unref?.();
  }

  /** One background attempt: flush the journal (or just ping), back off on failure. */
  private retry(): Promise<void> {
    this.retrying ??= this.attempt().finally(() => (this.retrying = undefined));
    return this.retrying;
  }

  private async attempt(): Promise<void> {
    if (this.closed) return;
    try {
      if (this.journal.queued > 0) {
        const n = await this.journal.flush(this.store);
        if (n > 0) this.onEvent(`wrote ${n} queued decision row(s) to the state store`);
      } else {
        await this.store.ping();
      }
      this.delay = this.retryMs;
      this.succeed();
    } catch (err) {
      this.delay = Math.min(this.delay * 2, this.maxRetryMs);
      if (isUnavailable(err)) this.fail(err);
      else {
        this.onEvent(`cannot flush the decision journal: ${describeError(err)}`);
        this.failing = true;
        this.lastFailure = describeError(err);
        this.schedule(this.maxRetryMs);
      }
    }
  }

  private serialWrite<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.writes.then(fn, fn);
    this.writes = next.catch(() => {});
    return next;
  }

  getVerdict(key: VerdictKey): Promise<StoredVerdict | undefined> {
    return this.pass(() => this.store.getVerdict(key));
  }
  putVerdict(key: VerdictKey, verdict: StoredVerdict): Promise<void> {
    return this.pass(() => this.store.putVerdict(key, verdict));
  }
  baseline(project: string): Promise<PublisherKey[]> {
    return this.pass(() => this.store.baseline(project));
  }
  recordFirstUse(project: string, publisher: PublisherKey, node: string): Promise<FirstUseResult> {
    return this.pass(() => this.store.recordFirstUse(project, publisher, node));
  }
  decisions(filter: DecisionFilter): Promise<DecisionRow[]> {
    return this.pass(() => this.store.decisions(filter));
  }
  ping(): Promise<void> {
    return this.pass(() => this.store.ping());
  }

  /**
   * Append rows to the log: to the store, or to the journal while the store
   * is unreachable or rows are queued. Resolves when they are durable in one
   * of the two; rejects only when neither could take them (the journal's
   * disk failed) or a row is invalid.
   */
  appendDecisions(rows: DecisionRow[]): Promise<void> {
    let parsed: DecisionRow[];
    try {
      // Checked here, so that one caller's bad row cannot fail another's batch.
      parsed = rows.map((r, i) => parseDecisionRow(r, "INTERNAL", `decision row ${i + 1}`));
    } catch (err) {
      return Promise.reject(err);
    }
    if (parsed.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      // Group commit: rows from calls made while a write is in flight go
      // together in the next one (one transaction, or one fsync).
      if (!this.batch) {
        this.batch = { rows: [], waiters: [] };
        void this.serialWrite(() => this.writeBatch());
      }
      this.batch.rows.push(...parsed);
      this.batch.waiters.push({ resolve, reject });
    });
  }

  private async writeBatch(): Promise<void> {
    const batch = this.batch;
    this.batch = undefined;
    if (!batch) return;
    try {
      await this.writeRows(batch.rows);
      for (const w of batch.waiters) w.resolve();
    } catch (err) {
      for (const w of batch.waiters) w.reject(err);
    }
  }

  private async writeRows(rows: DecisionRow[]): Promise<void> {
    if (!this.closed && !this.failing && this.journal.queued === 0) {
      try {
        await this.store.appendDecisions(rows);
        this.succeed();
        return;
      } catch (err) {
        if (!isUnavailable(err)) throw err;
        this.fail(err, false);
      }
    }
    await this.journal.append(rows);
    // Scheduled once the rows are in the journal, so the retry flushes them.
    this.schedule(this.delay);
  }

  /** appendDecisions without waiting: a failure goes to onEvent. */
  logDecision(row: DecisionRow): void {
    this.appendDecisions([row]).catch((err: unknown) =>
      this.onEvent(`decision row ${row.id} not logged: ${describeError(err)}`),
    );
  }

  /**
   * Write what is queued now if the store answers (one attempt, not in the
   * background); resolves to the rows still queued.
   */
  async flushNow(): Promise<number> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    await this.retry();
    return this.journal.queued;
  }

  /**
   * Stop retrying, wait for writes in flight, try one last flush, close the
   * store and the journal (rows still queued stay on disk for the next start).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.journal.queued > 0) await this.flushNow().catch(() => {});
    this.closed = true;
    await this.writes;
    await this.retrying;
    await this.store.close();
    await this.journal.close();
  }
}

export interface OpenResilientOptions extends OpenStateOptions, ResilientOptions {
  /** This node's name (the journal's file name carries it). */
  node: string;
  /** Directory of the journal (default: the cache directory's state/ folder). */
  journalPath?: string;
  onWarning?: (message: string) => void;
}

/**
 * Open the store (as {@link openState}: STATE_UNAVAILABLE when unreachable,
 * so a node does not start without it) and this node's journal, and wrap
 * them; rows queued by an earlier run are flushed in the background.
 */
export async function openResilientState(
  url: string | undefined,
  opts: OpenResilientOptions,
): Promise<ResilientStore> {
  const { defaultCacheDir } = await import("../pypi/cache.js");
  const store = await openState(url, opts);
  try {
    const cacheDir = opts.cacheDir ?? defaultCacheDir(opts.env ?? process.env);
    const journal = await DecisionJournal.open(
      opts.journalPath ?? journalPath(cacheDir, opts.node),
      opts.onWarning ? { onWarning: opts.onWarning } : {},
    );
    return new ResilientStore(store, journal, opts);
  } catch (err) {
    await store.close();
    throw err;
  }
}
