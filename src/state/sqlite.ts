/**
 * The embedded state store: one SQLite file (by default under the cache
 * directory) through Node's built-in `node:sqlite`, in WAL mode (readers
 * never wait for the writer) with `synchronous = FULL` (a committed decision
 * row survives a crash of the machine, not only of the process). Writes take
 * the database's write lock (`BEGIN IMMEDIATE`), so several processes on one
 * machine may share the file; a lock held longer than the busy timeout is
 * STATE_UNAVAILABLE, as is a file that cannot be opened or written.
 *
 * node:sqlite is synchronous: every call is short (an indexed lookup or one
 * transaction) and the methods are async only to share the interface.
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { PyprovError } from "../errors.js";
import {
  checkSchemaVersion,
  migrateSqlite,
  sqliteSchemaVersion,
  type MigrationResult,
} from "./migrations.js";
import { parseDecisionRow } from "./schema.js";
import { checkVerdictKey, parseStoredVerdict } from "./verdict.js";
import type {
  DecisionFilter,
  DecisionRow,
  FirstUseResult,
  PublisherKey,
  StateStore,
  StoredVerdict,
  VerdictKey,
} from "./types.js";

export interface SqliteStoreOptions {
  /** Migrate the schema on open (else an older schema is STATE_SCHEMA). */
  migrate: boolean;
  /** Create the file (and its directory) when missing; default: when migrating. */
  create?: boolean;
  /** How long a write waits for another process's write lock (default 5000 ms). */
  busyTimeoutMs?: number;
}

const SQLITE_ERROR = 1;

/** Map anything node:sqlite throws to the store's two error codes. */
function storeError(err: unknown, where: string, what: string): PyprovError {
  if (err instanceof PyprovError) return err;
  const e = err as { errcode?: unknown; errstr?: unknown; code?: unknown; message?: unknown };
  const message = typeof e.message === "string" ? e.message : String(err);
  if (
    typeof e.errcode === "number" &&
    (e.errcode & 0xff) === SQLITE_ERROR &&
    /no such (table|column)/.test(message)
  ) {
    return new PyprovError("STATE_SCHEMA", `${what}: ${message} (is the schema migrated?)`, {
      source: where,
      cause: err,
    });
  }
  return new PyprovError("STATE_UNAVAILABLE", `${what}: ${message}`, { source: where, cause: err });
}

export class SqliteStore implements StateStore {
  readonly kind = "sqlite" as const;
  readonly description: string;
  readonly path: string;
  /** What opening did to the schema. */
  readonly migration: MigrationResult | undefined;
  private readonly db: DatabaseSync;
  private readonly statements = new Map<string, StatementSync>();

  private constructor(path: string, db: DatabaseSync, migration: MigrationResult | undefined) {
    this.path = path;
    this.description = `sqlite:${path}`;
    this.db = db;
    this.migration = migration;
  }

  /** Open (and, with `migrate`, create or migrate) the database at `path`. */
  static open(path: string, opts: SqliteStoreOptions): SqliteStore {
    const where = `sqlite:${path}`;
    const create = opts.create ?? opts.migrate;
    if (!create && !existsSync(path)) {
      throw new PyprovError("STATE_UNAVAILABLE", "no state store here (nothing recorded yet?)", {
        source: where,
      });
    }
    let db: DatabaseSync | undefined;
    try {
      if (create) mkdirSync(dirname(path), { recursive: true });
      db = new DatabaseSync(path, { timeout: opts.busyTimeoutMs ?? 5000 });
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA synchronous = FULL");
      let migration: MigrationResult | undefined;
      if (opts.migrate) migration = migrateSqlite(db, where);
      else checkSchemaVersion(sqliteSchemaVersion(db), where, false);
      return new SqliteStore(path, db, migration);
    } catch (err) {
      try {
        db?.close();
      } catch {
        // already unusable
      }
      throw storeError(err, where, "cannot open the state store");
    }
  }

  private stmt(sql: string): StatementSync {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  /** Run `fn` for `what`; failures become STATE_UNAVAILABLE / STATE_SCHEMA. */
  private run<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw storeError(err, this.description, what);
    }
  }

  /** Run `fn` inside one write transaction. */
  private write<T>(what: string, fn: () => T): T {
    return this.run(what, () => {
      this.db.exec("BEGIN IMMEDIATE");
      try {
        const out = fn();
        this.db.exec("COMMIT");
        return out;
      } catch (err) {
        if (this.db.isOpen && this.db.isTransaction) this.db.exec("ROLLBACK");
        throw err;
      }
    });
  }

  async getVerdict(verdictKey: VerdictKey): Promise<StoredVerdict | undefined> {
    const key = checkVerdictKey(verdictKey);
    const row = this.run("cannot read a verdict", () =>
      this.stmt(
        `SELECT outcome, reasons, report, decided_at, node FROM pyprov_verdicts
         WHERE file_sha256 = ? AND provenance_sha256 = ? AND policy_sha256 = ? AND trust_root_sha256 = ?`,
      ).get(key.file, key.provenance, key.policy, key.trustRoot),
    );
    if (row === undefined) return undefined;
    return parseStoredVerdict(
      {
        outcome: row.outcome,
        reasons: jsonColumn(row.reasons, this.description),
        report: jsonColumn(row.report, this.description),
        decidedAt: row.decided_at,
        node: row.node,
      },
      this.description,
    );
  }

  async putVerdict(verdictKey: VerdictKey, verdict: StoredVerdict): Promise<void> {
    const key = checkVerdictKey(verdictKey);
    const v = parseStoredVerdict(verdict, "putVerdict", "INTERNAL");
    this.run("cannot write a verdict", () =>
      this.stmt(
        `INSERT INTO pyprov_verdicts (file_sha256, provenance_sha256, policy_sha256, trust_root_sha256,
           outcome, reasons, report, decided_at, node) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (file_sha256, provenance_sha256, policy_sha256, trust_root_sha256) DO UPDATE SET
           outcome = excluded.outcome, reasons = excluded.reasons, report = excluded.report,
           decided_at = excluded.decided_at, node = excluded.node`,
      ).run(
        key.file,
        key.provenance,
        key.policy,
        key.trustRoot,
        v.outcome,
        JSON.stringify(v.reasons),
        JSON.stringify(v.report ?? null),
        v.decidedAt,
        v.node,
      ),
    );
  }

  async baseline(project: string): Promise<PublisherKey[]> {
    return this.run("cannot read a baseline", () => this.readBaseline(project));
  }

  private readBaseline(project: string): PublisherKey[] {
    return this.stmt(
      `SELECT publisher FROM pyprov_baseline_publishers WHERE project = ? ORDER BY seq`,
    )
      .all(project)
      .map((r) => String(r.publisher));
  }

  async recordFirstUse(
    project: string,
    publisher: PublisherKey,
    node: string,
  ): Promise<FirstUseResult> {
    return this.write("cannot record a first use", () => {
      const now = new Date().toISOString();
      const claimed = this.stmt(
        `INSERT INTO pyprov_baseline_projects (project, publisher, node, recorded_at)
         VALUES (?, ?, ?, ?) ON CONFLICT (project) DO NOTHING`,
      ).run(project, publisher, node, now);
      const recorded = Number(claimed.changes) === 1;
      if (recorded) {
        this.stmt(
          `INSERT INTO pyprov_baseline_publishers (project, publisher, node, recorded_at)
           VALUES (?, ?, ?, ?) ON CONFLICT (project, publisher) DO NOTHING`,
        ).run(project, publisher, node, now);
      }
      return { recorded, baseline: this.readBaseline(project) };
    });
  }

  async appendDecisions(rows: DecisionRow[]): Promise<void> {
    const parsed = rows.map((r, i) => parseDecisionRow(r, "INTERNAL", `decision row ${i + 1}`));
    if (parsed.length === 0) return;
    this.write("cannot append to the decision log", () => {
      const insert = this.stmt(
        `INSERT INTO pyprov_decisions (id, time_ms, node, client, project, filename, sha256, verdict,
           reasons, policy_sha256, mode) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO NOTHING`,
      );
      for (const r of parsed) {
        insert.run(
          r.id,
          Date.parse(r.time),
          r.node,
          r.client,
          r.project,
          r.filename,
          r.sha256,
          r.verdict,
          JSON.stringify(r.reasons),
          r.policy_sha256,
          r.mode,
        );
      }
    });
  }

  async decisions(filter: DecisionFilter): Promise<DecisionRow[]> {
    const where: string[] = [];
    const params: SQLInputValue[] = [];
    if (filter.since !== undefined) {
      where.push("time_ms >= ?");
      params.push(Date.parse(filter.since));
    }
    if (filter.project !== undefined) {
      where.push("project = ?");
      params.push(filter.project);
    }
    if (filter.verdict !== undefined) {
      where.push("verdict = ?");
      params.push(filter.verdict);
    }
    const rows = this.run("cannot read the decision log", () =>
      this.db
        .prepare(
          `SELECT id, time_ms, node, client, project, filename, sha256, verdict, reasons,
             policy_sha256, mode FROM pyprov_decisions
           ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY seq`,
        )
        .all(...params),
    );
    return rows.map((r) =>
      parseDecisionRow(
        {
          id: r.id,
          time: typeof r.time_ms === "number" ? new Date(r.time_ms).toISOString() : r.time_ms,
          node: r.node,
          client: r.client,
          project: r.project,
          filename: r.filename,
          sha256: r.sha256,
          verdict: r.verdict,
          reasons: jsonColumn(r.reasons, this.description),
          policy_sha256: r.policy_sha256,
          mode: r.mode,
        },
        "STATE_SCHEMA",
        `${this.description}: decision ${String(r.id)}`,
      ),
    );
  }

  /** Reachable means writable: readers in WAL mode never wait, a writer may have to. */
  async ping(): Promise<void> {
    this.write("cannot write to the state store", () => this.stmt("SELECT 1").get());
  }

  async close(): Promise<void> {
    if (this.db.isOpen) this.db.close();
  }
}

function jsonColumn(value: unknown, where: string): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw new PyprovError("STATE_SCHEMA", "a stored JSON column does not parse", { source: where });
  }
}
