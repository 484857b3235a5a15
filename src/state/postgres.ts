/**
 * The shared state store: one PostgreSQL database for a fleet of nodes,
 * through a connection pool of `pg` with parameterised queries only.
 *
 * Atomicity across nodes comes from the database, never from this process:
 * a first use is one INSERT ... ON CONFLICT DO NOTHING on the project's
 * primary key (one node's insert wins, every other node then reads its
 * baseline); a decision row is inserted ON CONFLICT (id) DO NOTHING, so a row
 * written twice (a retry after a lost reply) lands once.
 *
 * Connection failures (refused, reset, timed out, the server shutting down,
 * authentication) are STATE_UNAVAILABLE; a missing table is STATE_SCHEMA.
 * Messages name the database by its URL without the password.
 */
import pg from "pg";
import { PyprovError } from "../errors.js";
import {
  checkSchemaVersion,
  migratePostgres,
  postgresSchemaVersion,
  type MigrationResult,
} from "./migrations.js";
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
import { checkVerdictKey, parseStoredVerdict } from "./verdict.js";

export interface PostgresStoreOptions {
  /** Migrate the schema on open (else an older schema is STATE_SCHEMA). */
  migrate: boolean;
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /** Deadline to connect (default 5000 ms). */
  connectTimeoutMs?: number;
  /** Deadline of each query (default 15000 ms). */
  queryTimeoutMs?: number;
}

/** Rows per INSERT (12 parameters each, well under PostgreSQL's 65535). */
const INSERT_CHUNK = 1000;

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
]);

/** Map anything pg throws to the store's error codes, without the password. */
export function postgresError(
  err: unknown,
  where: string,
  what: string,
  secret?: string,
): PyprovError {
  if (err instanceof PyprovError) return err;
  const e = err as { code?: unknown; message?: unknown; errors?: unknown };
  let message = typeof e.message === "string" && e.message !== "" ? e.message : String(err);
  // An AggregateError (every address of a host refused) has no message of its own.
  if (message === "" || message === "AggregateError") {
    const first = Array.isArray(e.errors) ? (e.errors[0] as { message?: unknown }) : undefined;
    message = typeof first?.message === "string" ? first.message : String(e.code ?? "error");
  }
  if (secret && secret.length >= 4) message = message.split(secret).join("***");
  const code = typeof e.code === "string" ? e.code : "";
  if (code === "42P01" || code === "42703") {
    return new PyprovError("STATE_SCHEMA", `${what}: ${message} (is the schema migrated?)`, {
      source: where,
      cause: err,
    });
  }
  const reason =
    NETWORK_CODES.has(code) || code.startsWith("08") || code.startsWith("57P")
      ? `${message} (is PostgreSQL running and reachable?)`
      : message;
  return new PyprovError("STATE_UNAVAILABLE", `${what}: ${reason}`, { source: where, cause: err });
}

interface VerdictRow {
  outcome: string;
  reasons: unknown;
  report: unknown;
  decided_at: Date;
  node: string;
}

interface DecisionDbRow {
  id: string;
  time: Date;
  node: string;
  client: string;
  project: string;
  filename: string;
  sha256: string;
  verdict: string;
  reasons: unknown;
  policy_sha256: string;
  mode: string;
}

export class PostgresStore implements StateStore {
  readonly kind = "postgres" as const;
  readonly description: string;
  /** What opening did to the schema. */
  readonly migration: MigrationResult | undefined;
  private readonly pool: pg.Pool;
  private readonly secret: string | undefined;
  private closed = false;

  private constructor(
    pool: pg.Pool,
    description: string,
    secret: string | undefined,
    migration: MigrationResult | undefined,
  ) {
    this.pool = pool;
    this.description = description;
    this.secret = secret;
    this.migration = migration;
  }

  /**
   * Connect, then migrate or check the schema. `description` is the URL
   * without its password; `secret` the password, kept out of every message.
   */
  static async open(
    url: string,
    description: string,
    secret: string | undefined,
    opts: PostgresStoreOptions,
  ): Promise<PostgresStore> {
    const pool = new pg.Pool({
      connectionString: url,
      max: opts.poolSize ?? 10,
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000,
      query_timeout: opts.queryTimeoutMs ?? 15_000,
      idleTimeoutMillis: 30_000,
      application_name: "pyprov",
    });
    // An idle connection the server closes (a restart) is an 'error' event;
    // the next query opens a new connection and reports its own failure.
    pool.on("error", () => {});
    try {
      const client = await pool.connect();
      let migration: MigrationResult | undefined;
      try {
        if (opts.migrate) migration = await migratePostgres(client, description);
        else checkSchemaVersion(await postgresSchemaVersion(client), description, false);
      } finally {
        client.release();
      }
      return new PostgresStore(pool, description, secret, migration);
    } catch (err) {
      await pool.end().catch(() => {});
      throw postgresError(err, description, "cannot open the state store", secret);
    }
  }

  private async query<R extends pg.QueryResultRow>(
    what: string,
    sql: string,
    params: unknown[] = [],
  ): Promise<pg.QueryResult<R>> {
    if (this.closed) {
      throw new PyprovError("STATE_UNAVAILABLE", `${what}: the store is closed`, {
        source: this.description,
      });
    }
    try {
      return await this.pool.query<R>(sql, params);
    } catch (err) {
      throw postgresError(err, this.description, what, this.secret);
    }
  }

  /** Run `fn` in one transaction on one pooled connection. */
  private async transaction<T>(what: string, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    if (this.closed) {
      throw new PyprovError("STATE_UNAVAILABLE", `${what}: the store is closed`, {
        source: this.description,
      });
    }
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw postgresError(err, this.description, what, this.secret);
    }
    let broken: Error | undefined;
    try {
      await client.query("BEGIN");
      const out = await fn(client);
      await client.query("COMMIT");
      return out;
    } catch (err) {
      broken = err instanceof Error ? err : new Error(String(err));
      await client.query("ROLLBACK").catch(() => {});
      throw postgresError(err, this.description, what, this.secret);
    } finally {
      // A connection that failed mid-transaction is not given to anyone else.
      client.release(broken);
    }
  }

  async getVerdict(verdictKey: VerdictKey): Promise<StoredVerdict | undefined> {
    const key = checkVerdictKey(verdictKey);
    const r = await this.query<VerdictRow>(
      "cannot read a verdict",
      `SELECT outcome, reasons, report, decided_at, node FROM pyprov_verdicts
       WHERE file_sha256 = $1 AND provenance_sha256 = $2 AND policy_sha256 = $3 AND trust_root_sha256 = $4`,
      [key.file, key.provenance, key.policy, key.trustRoot],
    );
    const row = r.rows[0];
    if (!row) return undefined;
    return parseStoredVerdict(
      {
        outcome: row.outcome,
        reasons: row.reasons,
        report: row.report,
        decidedAt: row.decided_at instanceof Date ? row.decided_at.toISOString() : row.decided_at,
        node: row.node,
      },
      this.description,
    );
  }

  async putVerdict(verdictKey: VerdictKey, verdict: StoredVerdict): Promise<void> {
    const key = checkVerdictKey(verdictKey);
    const v = parseStoredVerdict(verdict, "putVerdict", "INTERNAL");
    await this.query(
      "cannot write a verdict",
      `INSERT INTO pyprov_verdicts (file_sha256, provenance_sha256, policy_sha256, trust_root_sha256,
         outcome, reasons, report, decided_at, node) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (file_sha256, provenance_sha256, policy_sha256, trust_root_sha256) DO UPDATE SET
         outcome = EXCLUDED.outcome, reasons = EXCLUDED.reasons, report = EXCLUDED.report,
         decided_at = EXCLUDED.decided_at, node = EXCLUDED.node`,
      [
        key.file,
        key.provenance,
        key.policy,
        key.trustRoot,
        v.outcome,
        JSON.stringify(v.reasons),
        JSON.stringify(v.report ?? null),
        v.decidedAt,
        v.node,
      ],
    );
  }

  async baseline(project: string): Promise<PublisherKey[]> {
    const r = await this.query<{ publisher: string }>(
      "cannot read a baseline",
      `SELECT publisher FROM pyprov_baseline_publishers WHERE project = $1 ORDER BY seq`,
      [project],
    );
    return r.rows.map((row) => row.publisher);
  }

  async recordFirstUse(
    project: string,
    publisher: PublisherKey,
    node: string,
  ): Promise<FirstUseResult> {
    // One statement: the claim on the project's primary key and its first
    // publisher commit together. A racing node's INSERT waits for this one's
    // commit, then does nothing; its SELECT (a later statement) sees the
    // winner's publisher.
    const claim = await this.query(
      "cannot record a first use",
      `WITH claimed AS (
         INSERT INTO pyprov_baseline_projects (project, publisher, node, recorded_at)
         VALUES ($1, $2, $3, now()) ON CONFLICT (project) DO NOTHING
         RETURNING project, publisher, node, recorded_at)
       INSERT INTO pyprov_baseline_publishers (project, publisher, node, recorded_at)
       SELECT project, publisher, node, recorded_at FROM claimed
       ON CONFLICT (project, publisher) DO NOTHING`,
      [project, publisher, node],
    );
    return { recorded: claim.rowCount === 1, baseline: await this.baseline(project) };
  }

  async appendDecisions(rows: DecisionRow[]): Promise<void> {
    const parsed = rows.map((r, i) => parseDecisionRow(r, "INTERNAL", `decision row ${i + 1}`));
    if (parsed.length === 0) return;
    const statements: { sql: string; params: unknown[] }[] = [];
    for (let start = 0; start < parsed.length; start += INSERT_CHUNK) {
      const chunk = parsed.slice(start, start + INSERT_CHUNK);
      const params: unknown[] = [];
      const values = chunk.map((r) => {
        const base = params.length;
        params.push(
          r.id,
          r.time,
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
        return `(${Array.from({ length: 11 }, (_, i) => `$${base + i + 1}`).join(", ")})`;
      });
      // VALUES rows are inserted in their order, so seq follows the caller's order.
      statements.push({
        sql: `INSERT INTO pyprov_decisions (id, time, node, client, project, filename, sha256,
                verdict, reasons, policy_sha256, mode) VALUES ${values.join(", ")}
              ON CONFLICT (id) DO NOTHING`,
        params,
      });
    }
    const what = "cannot append to the decision log";
    if (statements.length === 1) {
      await this.query(what, statements[0]!.sql, statements[0]!.params);
      return;
    }
    await this.transaction(what, async (c) => {
      for (const s of statements) await c.query(s.sql, s.params);
    });
  }

  async decisions(filter: DecisionFilter): Promise<DecisionRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.since !== undefined) {
      params.push(filter.since);
      where.push(`time >= $${params.length}`);
    }
    if (filter.project !== undefined) {
      params.push(filter.project);
      where.push(`project = $${params.length}`);
    }
    if (filter.verdict !== undefined) {
      params.push(filter.verdict);
      where.push(`verdict = $${params.length}`);
    }
    const r = await this.query<DecisionDbRow>(
      "cannot read the decision log",
      `SELECT id, time, node, client, project, filename, sha256, verdict, reasons, policy_sha256, mode
       FROM pyprov_decisions ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY seq`,
      params,
    );
    return r.rows.map((row) =>
      parseDecisionRow(
        { ...row, time: row.time instanceof Date ? row.time.toISOString() : row.time },
        "STATE_SCHEMA",
        `${this.description}: decision ${row.id}`,
      ),
    );
  }

  async ping(): Promise<void> {
    await this.query("cannot reach the state store", "SELECT 1");
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end().catch(() => {});
  }
}
