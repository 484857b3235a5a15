/**
 * Versioned schema migrations of the state store, for SQLite and PostgreSQL.
 *
 * `pyprov_schema_version` holds one row per migration applied (version,
 * description, when). A store opens only at exactly {@link SCHEMA_VERSION}:
 * an older schema is migrated (or refused with "run `pyprov state migrate`"
 * when migration is off), a newer one is always refused (STATE_SCHEMA: a
 * newer pyprov wrote it, and this build cannot know what its rows mean).
 *
 * Migrating is idempotent and safe when several nodes do it at once: on
 * PostgreSQL inside one transaction holding an advisory lock (DDL is
 * transactional there, so a failed migration leaves nothing behind), on
 * SQLite inside one `BEGIN IMMEDIATE` transaction (the database's write lock).
 * Migrations are only ever appended to the list, never edited.
 */
import type { DatabaseSync } from "node:sqlite";
import type pg from "pg";
import { PyprovError } from "../errors.js";

export interface Migration {
  version: number;
  description: string;
  sqlite: string;
  postgres: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "verdict cache, continuity baselines, decision log",
    sqlite: `
      CREATE TABLE pyprov_verdicts (
        file_sha256 TEXT NOT NULL,
        provenance_sha256 TEXT NOT NULL,
        policy_sha256 TEXT NOT NULL,
        trust_root_sha256 TEXT NOT NULL,
        outcome TEXT NOT NULL,
        reasons TEXT NOT NULL,
        report TEXT NOT NULL,
        decided_at TEXT NOT NULL,
        node TEXT NOT NULL,
        PRIMARY KEY (file_sha256, provenance_sha256, policy_sha256, trust_root_sha256)
      ) WITHOUT ROWID;
      CREATE TABLE pyprov_baseline_projects (
        project TEXT PRIMARY KEY,
        publisher TEXT NOT NULL,
        node TEXT NOT NULL,
        recorded_at TEXT NOT NULL
      );
      CREATE TABLE pyprov_baseline_publishers (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        project TEXT NOT NULL,
        publisher TEXT NOT NULL,
        node TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        UNIQUE (project, publisher)
      );
      CREATE TABLE pyprov_decisions (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        time_ms INTEGER NOT NULL,
        node TEXT NOT NULL,
        client TEXT NOT NULL,
        project TEXT NOT NULL,
        filename TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        verdict TEXT NOT NULL,
        reasons TEXT NOT NULL,
        policy_sha256 TEXT NOT NULL,
        mode TEXT NOT NULL
      );
      CREATE INDEX pyprov_decisions_time ON pyprov_decisions (time_ms);
      CREATE INDEX pyprov_decisions_project ON pyprov_decisions (project, time_ms);
    `,
    postgres: `
      CREATE TABLE pyprov_verdicts (
        file_sha256 TEXT NOT NULL,
        provenance_sha256 TEXT NOT NULL,
        policy_sha256 TEXT NOT NULL,
        trust_root_sha256 TEXT NOT NULL,
        outcome TEXT NOT NULL,
        reasons JSONB NOT NULL,
        report JSONB NOT NULL,
        decided_at TIMESTAMPTZ NOT NULL,
        node TEXT NOT NULL,
        PRIMARY KEY (file_sha256, provenance_sha256, policy_sha256, trust_root_sha256)
      );
      CREATE TABLE pyprov_baseline_projects (
        project TEXT PRIMARY KEY,
        publisher TEXT NOT NULL,
        node TEXT NOT NULL,
        recorded_at TIMESTAMPTZ NOT NULL
      );
      CREATE TABLE pyprov_baseline_publishers (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        project TEXT NOT NULL,
        publisher TEXT NOT NULL,
        node TEXT NOT NULL,
        recorded_at TIMESTAMPTZ NOT NULL,
        UNIQUE (project, publisher)
      );
      CREATE TABLE pyprov_decisions (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        time TIMESTAMPTZ NOT NULL,
        node TEXT NOT NULL,
        client TEXT NOT NULL,
        project TEXT NOT NULL,
        filename TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        verdict TEXT NOT NULL,
        reasons JSONB NOT NULL,
        policy_sha256 TEXT NOT NULL,
        mode TEXT NOT NULL
      );
      CREATE INDEX pyprov_decisions_time ON pyprov_decisions (time);
      CREATE INDEX pyprov_decisions_project ON pyprov_decisions (project, time);
    `,
  },
];

/** The schema version this build reads and writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export interface MigrationResult {
  /** The version found (0: an empty database). */
  from: number;
  /** The version after migrating: {@link SCHEMA_VERSION}. */
  to: number;
  /** The versions this call applied (empty when another node or an earlier run did). */
  applied: number[];
}

const VERSION_TABLE_SQLITE = `CREATE TABLE IF NOT EXISTS pyprov_schema_version (
  version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)`;
const VERSION_TABLE_POSTGRES = `CREATE TABLE IF NOT EXISTS pyprov_schema_version (
  version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`;

/** Any 64-bit number that no other application is likely to lock: "pyprov" in ASCII. */
const MIGRATE_LOCK_KEY = "123584054621558";

/**
 * Refuse a schema this build cannot use: newer (always), or older when it
 * is not to be migrated here.
 */
export function checkSchemaVersion(found: number, where: string, migrating: boolean): void {
  if (found > SCHEMA_VERSION) {
    throw new PyprovError(
      "STATE_SCHEMA",
      `the state store's schema is version ${found}, newer than this pyprov knows (${SCHEMA_VERSION}); upgrade pyprov on this node`,
      { source: where },
    );
  }
  if (found < SCHEMA_VERSION && !migrating) {
    throw new PyprovError(
      "STATE_SCHEMA",
      found === 0
        ? `the state store has no pyprov schema yet; run \`pyprov state migrate --state URL\` (or start without --no-migrate)`
        : `the state store's schema is version ${found}, older than this pyprov's (${SCHEMA_VERSION}); run \`pyprov state migrate --state URL\``,
      { source: where },
    );
  }
}

function pending(found: number): Migration[] {
  return MIGRATIONS.filter((m) => m.version > found);
}

// --- SQLite -------------------------------------------------------------------

export function sqliteSchemaVersion(db: DatabaseSync): number {
  const table = db
    .prepare(
      `SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = 'pyprov_schema_version'`,
    )
    .get();
  if (table === undefined) return 0;
  const row = db.prepare(`SELECT max(version) AS v FROM pyprov_schema_version`).get();
  return typeof row?.v === "number" ? row.v : 0;
}

/** Migrate a SQLite database to {@link SCHEMA_VERSION} in one write transaction. */
export function migrateSqlite(db: DatabaseSync, where: string): MigrationResult {
  db.exec("BEGIN IMMEDIATE");
  try {
    db.exec(VERSION_TABLE_SQLITE);
    const from = sqliteSchemaVersion(db);
    checkSchemaVersion(from, where, true);
    const applied: number[] = [];
    const record = db.prepare(
      `INSERT INTO pyprov_schema_version (version, description, applied_at) VALUES (?, ?, ?)`,
    );
    for (const m of pending(from)) {
      db.exec(m.sqlite);
      record.run(m.version, m.description, new Date().toISOString());
      applied.push(m.version);
    }
    db.exec("COMMIT");
    return { from, to: SCHEMA_VERSION, applied };
  } catch (err) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw err;
  }
}

// --- PostgreSQL -----------------------------------------------------------------

type Queryable = Pick<pg.ClientBase, "query">;

export async function postgresSchemaVersion(client: Queryable): Promise<number> {
  const exists = await client.query<{ t: string | null }>(
    `SELECT to_regclass('pyprov_schema_version')::text AS t`,
  );
  if (exists.rows[0]?.t == null) return 0;
  const row = await client.query<{ v: number | null }>(
    `SELECT max(version) AS v FROM pyprov_schema_version`,
  );
  return row.rows[0]?.v ?? 0;
}

/**
 * Migrate a PostgreSQL database to {@link SCHEMA_VERSION}: one transaction
 * that first takes an advisory lock, so two nodes migrating at once run one
 * after the other and the second finds nothing left to do.
 */
export async function migratePostgres(
  client: pg.ClientBase,
  where: string,
): Promise<MigrationResult> {
  await client.query("BEGIN");
  try {
    await client.query(`SELECT pg_advisory_xact_lock(${MIGRATE_LOCK_KEY})`);
    await client.query(VERSION_TABLE_POSTGRES);
    const from = await postgresSchemaVersion(client);
    checkSchemaVersion(from, where, true);
    const applied: number[] = [];
    for (const m of pending(from)) {
      await client.query(m.postgres);
      await client.query(
        `INSERT INTO pyprov_schema_version (version, description) VALUES ($1, $2)`,
        [m.version, m.description],
      );
      applied.push(m.version);
    }
    await client.query("COMMIT");
    return { from, to: SCHEMA_VERSION, applied };
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  }
}
