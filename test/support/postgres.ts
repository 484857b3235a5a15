/**
 * A real PostgreSQL server for tests (and the bench): Debian's `postgresql`
 * binaries, a cluster made with initdb in a temporary directory, started with
 * pg_ctl listening on 127.0.0.1 on a free port (no Unix socket), password
 * authentication over TCP. As root the server runs as the `postgres` user
 * through `runuser` (PostgreSQL refuses to run as root). Stopped by
 * destroy(), and on process exit whatever happens. stop()/start() restart it
 * on the same port and data, for fault tests.
 *
 * Missing binaries: installed with apt-get when running as root (also done
 * once up front by test/support/prerequisites.ts), otherwise an error naming
 * the package. Never skipped.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import pg from "pg";

const PACKAGE = "postgresql";
const IS_ROOT = process.getuid?.() === 0;

/** The directory holding initdb, pg_ctl and postgres, or undefined. */
export function findPostgresBin(): string | undefined {
  const candidates: string[] = [];
  const versions = existsSync("/usr/lib/postgresql")
    ? readdirSync("/usr/lib/postgresql")
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  for (const v of versions) candidates.push(`/usr/lib/postgresql/${v}/bin`);
  for (const d of (process.env.PATH ?? "").split(delimiter)) if (d) candidates.push(d);
  candidates.push("/usr/local/bin", "/usr/local/pgsql/bin");
  return (
    candidates.find((d) => ["initdb", "pg_ctl", "postgres"].every((b) => existsSync(join(d, b)))) ??
    candidates.find((d) => ["initdb", "pg_ctl"].every((b) => existsSync(join(d, b))))
  );
}

/** Find the binaries, installing Debian's package when root; throws one line naming it otherwise. */
export function ensurePostgresInstalled(): string {
  const found = findPostgresBin();
  if (found) return found;
  if (IS_ROOT) {
    for (const args of [
      ["update", "-qq"],
      ["install", "-y", "-qq", PACKAGE],
    ]) {
      const r = spawnSync("apt-get", args, {
        stdio: ["ignore", "inherit", "inherit"],
        env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      });
      if (r.status !== 0) throw new Error(`apt-get ${args.join(" ")} failed (exit ${r.status})`);
    }
    const installed = findPostgresBin();
    if (installed) return installed;
  }
  throw new Error(
    `pyprov's state-store tests need a PostgreSQL server (initdb, pg_ctl): apt-get install ${PACKAGE}`,
  );
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface PostgresServer {
  /** postgres://pyprov:PASSWORD@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  user: string;
  password: string;
  /** A URL to another database of this server. */
  urlFor(database: string): string;
  /** CREATE DATABASE (a fresh, empty one per test); resolves to its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stop the server (fast shutdown: connections are closed). */
  stop(): void;
  /** Start it again on the same port and data. */
  start(): void;
  readonly running: boolean;
  /** Stop it and delete its data. */
  destroy(): void;
}

export interface StartPostgresOptions {
  /** fsync and synchronous commits on (the bench); off by default (tests: faster, and never power-cut). */
  durable?: boolean;
}

const live = new Set<() => void>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const stop of live) stop();
  });
}

/** initdb, then start a server; see the module comment. */
export async function startPostgres(opts: StartPostgresOptions = {}): Promise<PostgresServer> {
  const bin = ensurePostgresInstalled();
  const base = mkdtempSync(join(tmpdir(), "pyprov-pg-"));
  const data = join(base, "data");
  const log = join(base, "server.log");
  const pwfile = join(base, "pwfile");
  const user = "pyprov";
  const password = randomBytes(12).toString("hex");
  writeFileSync(pwfile, password + "\n", { mode: 0o600 });
  let uid: number | undefined;
  let gid: number | undefined;
  if (IS_ROOT) {
    const id = (flag: string): number => {
      const r = spawnSync("id", [flag, "postgres"], { encoding: "utf8" });
      if (r.status !== 0) {
        throw new Error(
          `running as root, but there is no "postgres" user to run PostgreSQL as (apt-get install ${PACKAGE} creates it)`,
        );
      }
      return Number(r.stdout.trim());
    };
    uid = id("-u");
    gid = id("-g");
    chownSync(base, uid, gid);
    chownSync(pwfile, uid, gid);
  }
  const run = (tool: string, args: string[], what: string): void => {
    const cmd = IS_ROOT ? "runuser" : join(bin, tool);
    const argv = IS_ROOT ? ["-u", "postgres", "--", join(bin, tool), ...args] : args;
    const r = spawnSync(cmd, argv, { encoding: "utf8", cwd: base, timeout: 60_000 });
    if (r.status !== 0) {
      const serverLog = existsSync(log) ? readFileSync(log, "utf8").slice(-2000) : "";
      throw new Error(`${what} failed (exit ${r.status}): ${r.stderr || r.stdout}\n${serverLog}`);
    }
  };
  run(
    "initdb",
    [
      "-D",
      data,
      "-U",
      user,
      `--pwfile=${pwfile}`,
      "--auth-local=scram-sha-256",
      "--auth-host=scram-sha-256",
      "-E",
      "UTF8",
      "--no-sync",
      "--no-instructions",
    ],
    "initdb",
  );
  rmSync(pwfile);
  const port = await freePort();
  const settings = [
    "-c listen_addresses=127.0.0.1",
    `-c port=${port}`,
    "-c unix_socket_directories=''",
    "-c max_connections=60",
    "-c shared_buffers=16MB",
    ...(opts.durable
      ? []
      : ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]),
  ].join(" ");
  let running = false;
  const start = (): void => {
    run(
      "pg_ctl",
      ["-D", data, "-l", log, "-o", settings, "-w", "-t", "60", "start"],
      "pg_ctl start",
    );
    running = true;
  };
  const stop = (mode: "fast" | "immediate" = "fast"): void => {
    if (!running) return;
    run("pg_ctl", ["-D", data, "-m", mode, "-w", "-t", "60", "stop"], "pg_ctl stop");
    running = false;
  };
  const urlFor = (db: string): string => `postgres://${user}:${password}@127.0.0.1:${port}/${db}`;
  const onExit = (): void => {
    try {
      stop("immediate");
    } catch {
      // best effort while exiting
    }
    rmSync(base, { recursive: true, force: true });
  };
  installExitHook();
  live.add(onExit);
  start();
  let counter = 0;
  return {
    url: urlFor("postgres"),
    port,
    user,
    password,
    urlFor,
    async createDatabase(name?: string): Promise<string> {
      const db = name ?? `t_${process.pid}_${++counter}_${randomBytes(3).toString("hex")}`;
      if (!/^[a-z_][a-z0-9_]*$/.test(db)) throw new Error(`bad database name ${db}`);
      const client = new pg.Client({ connectionString: urlFor("postgres") });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${db}`);
      } finally {
        await client.end();
      }
      return urlFor(db);
    },
    stop: () => stop("fast"),
    start,
    get running() {
      return running;
    },
    destroy(): void {
      live.delete(onExit);
      onExit();
    },
  };
}
