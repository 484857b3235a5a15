/**
 * The two state-store backends the same behavioural suite runs against: the
 * embedded SQLite file and a real PostgreSQL server (test/support/postgres.ts).
 * Each gives fresh empty stores, raw SQL on them (to plant a newer schema),
 * and a real outage:
 *
 * - PostgreSQL: the server is stopped (every query then fails), and started
 *   again on the same port;
 * - SQLite: another connection holds the database's write lock longer than
 *   the store's busy timeout (writes then fail; WAL readers still read, as
 *   they should).
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import pg from "pg";
import { newDecisionId } from "../../src/state/schema.js";
import type { DecisionRow, DecisionVerdict } from "../../src/state/types.js";
import { startPostgres, type PostgresServer } from "../support/postgres.js";

export interface Backend {
  name: "sqlite" | "postgres";
  setup(): Promise<void>;
  teardown(): void;
  /** A URL of a new, empty store. */
  fresh(): Promise<string>;
  /** Run SQL on the store at `url` outside pyprov. */
  exec(url: string, sql: string): Promise<void>;
  /** Make the store at `url` unavailable; resolves to a function that ends the outage. */
  outage(url: string): Promise<() => Promise<void>>;
  /** Whether reads fail during an outage too (PostgreSQL: yes; SQLite in WAL: no). */
  readsFailInOutage: boolean;
  /** The password in this backend's URLs, which no message may contain. */
  secret(): string | undefined;
}

export function sqliteBackend(): Backend {
  let dir = "";
  return {
    name: "sqlite",
    readsFailInOutage: false,
    async setup() {
      dir = mkdtempSync(join(tmpdir(), "pyprov-state-"));
    },
    teardown() {
      rmSync(dir, { recursive: true, force: true });
    },
    async fresh() {
      return `sqlite:${join(dir, `${randomBytes(4).toString("hex")}`, "state.db")}`;
    },
    async exec(url, sql) {
      const path = url.slice("sqlite:".length);
      mkdirSync(dirname(path), { recursive: true });
      const db = new DatabaseSync(path);
      try {
        db.exec(sql);
      } finally {
        db.close();
      }
    },
    async outage(url) {
      const db = new DatabaseSync(url.slice("sqlite:".length));
      db.exec("BEGIN IMMEDIATE");
      return async () => {
        db.exec("ROLLBACK");
        db.close();
      };
    },
    secret: () => undefined,
  };
}

export function postgresBackend(): Backend {
  let server: PostgresServer | undefined;
  const need = (): PostgresServer => {
    if (!server) throw new Error("postgres backend not set up");
    return server;
  };
  return {
    name: "postgres",
    readsFailInOutage: true,
    async setup() {
      server = await startPostgres();
    },
    teardown() {
      server?.destroy();
    },
    fresh: () => need().createDatabase(),
    async exec(url, sql) {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(sql);
      } finally {
        await c.end();
      }
    },
    async outage() {
      need().stop();
      return async () => need().start();
    },
    secret: () => need().password,
  };
}

let n = 0;
/** A valid decision row; `over` replaces fields. */
export function row(over: Partial<DecisionRow> = {}): DecisionRow {
  n++;
  const verdicts: DecisionVerdict[] = ["served", "blocked", "allowed-unattested"];
  return {
    id: newDecisionId(),
    time: new Date(Date.UTC(2026, 11, 1, 12, 0, 0, n)).toISOString(),
    node: "node-a:8750",
    client: "127.0.0.1",
    project: "acme-pkg",
    filename: `acme_pkg-1.0.${n}-py3-none-any.whl`,
    sha256: randomBytes(32).toString("hex"),
    verdict: verdicts[n % 3]!,
    reasons: n % 3 === 1 ? [`PUBLISHER_MISMATCH: row ${n}`] : [],
    policy_sha256: "a".repeat(64),
    mode: "enforce",
    ...over,
  };
}

export const hex = (c: string): string => c.repeat(64);
