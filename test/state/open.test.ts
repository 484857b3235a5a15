/**
 * Choosing the store from a URL: sqlite: and postgres(ql):// only, the
 * default under the cache directory, $PYPROV_STATE, and messages that never
 * carry the password, even when nothing answers.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PyprovError } from "../../src/errors.js";
import { openState, parseStateUrl, redactStateUrl, stateUrl } from "../../src/state/open.js";

const dir = mkdtempSync(join(tmpdir(), "pyprov-open-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function rejection(p: Promise<unknown>): Promise<PyprovError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PyprovError);
  return err as PyprovError;
}

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe("state URLs", () => {
  it("sqlite:PATH (relative to the working directory) and sqlite:///ABSOLUTE", () => {
    expect(parseStateUrl("sqlite:state.db", "/work")).toMatchObject({
      kind: "sqlite",
      path: "/work/state.db",
    });
    expect(parseStateUrl("sqlite:/var/lib/pyprov.db")).toMatchObject({
      path: "/var/lib/pyprov.db",
    });
    expect(parseStateUrl("sqlite:///var/lib/pyprov.db")).toMatchObject({
      path: "/var/lib/pyprov.db",
    });
  });

  it("postgres:// and postgresql://, described without the password", () => {
    const p = parseStateUrl(
      "postgresql://fleet:hunter2secret@db.internal:5433/pyprov?sslmode=require",
    );
    expect(p).toMatchObject({ kind: "postgres", secret: "hunter2secret" });
    expect(p.description).toBe("postgresql://fleet:***@db.internal:5433/pyprov?sslmode=require");
    expect(redactStateUrl("postgres://u:p%40ss@h/db")).toBe("postgres://u:***@h/db");
    expect(parseStateUrl("postgres://u@h/db").description).toBe("postgres://u@h/db");
  });

  it("anything else is a one-line USAGE error", () => {
    for (const [url, message] of [
      ["mysql://u:p@h/db", /sqlite:PATH or a postgres:\/\/ URL, not a mysql: URL/],
      ["/var/lib/pyprov.db", /sqlite:PATH or a postgres:\/\/ URL$/],
      ["sqlite:", /needs a file path/],
      ["sqlite://host/x", /sqlite:\/\/\/ABSOLUTE/],
      ["postgres://", /no host|not a valid/],
    ] as const) {
      let err: unknown;
      try {
        parseStateUrl(url);
      } catch (e) {
        err = e;
      }
      expect(err, url).toBeInstanceOf(PyprovError);
      expect((err as PyprovError).code).toBe("USAGE");
      expect((err as PyprovError).oneLine()).toMatch(message);
    }
  });

  it("the URL comes from --state, else $PYPROV_STATE, else sqlite under the cache directory", () => {
    const env = { PYPROV_CACHE_DIR: "/c" };
    expect(stateUrl("sqlite:/x.db", { ...env, PYPROV_STATE: "postgres://h/d" })).toBe(
      "sqlite:/x.db",
    );
    expect(stateUrl(undefined, { ...env, PYPROV_STATE: "postgres://h/d" })).toBe("postgres://h/d");
    expect(stateUrl(undefined, env)).toBe("sqlite:/c/state/pyprov.db");
    expect(stateUrl(undefined, env, "/other")).toBe("sqlite:/other/state/pyprov.db");
    expect(stateUrl("  ", env)).toBe("sqlite:/c/state/pyprov.db");
  });
});

describe("opening", () => {
  it("the default store is created under the cache directory, in WAL mode", async () => {
    const cacheDir = join(dir, "cache");
    const s = await openState(undefined, { migrate: true, env: { PYPROV_CACHE_DIR: cacheDir } });
    expect(s.description).toBe(`sqlite:${join(cacheDir, "state", "pyprov.db")}`);
    await s.close();
    const { DatabaseSync } = await import("node:sqlite");
    const db = new DatabaseSync(join(cacheDir, "state", "pyprov.db"));
    expect(db.prepare("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
    db.close();
  });

  it("a SQLite file that cannot be created is STATE_UNAVAILABLE", async () => {
    const file = join(dir, "a-file");
    writeFileSync(file, "not a directory");
    const err = await rejection(openState(`sqlite:${file}/state.db`, { migrate: true }));
    expect(err.code).toBe("STATE_UNAVAILABLE");
    expect(err.oneLine()).toContain(`sqlite:${file}/state.db`);
  });

  it("a file that is not a database is STATE_UNAVAILABLE, not an empty store", async () => {
    const file = join(dir, "garbage.db");
    writeFileSync(file, "x".repeat(4096));
    const err = await rejection(openState(`sqlite:${file}`, { migrate: true }));
    expect(err.code).toBe("STATE_UNAVAILABLE");
    expect(err.oneLine()).toMatch(/not a database/);
  });

  it("PostgreSQL where nothing listens: STATE_UNAVAILABLE within the connect deadline, no password", async () => {
    const port = await closedPort();
    const started = Date.now();
    const err = await rejection(
      openState(`postgres://pyprov:TopSecretPw@127.0.0.1:${port}/pyprov`, {
        migrate: true,
        postgres: { connectTimeoutMs: 2000 },
      }),
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect(err.code).toBe("STATE_UNAVAILABLE");
    expect(err.oneLine()).toContain(`postgres://pyprov:***@127.0.0.1:${port}/pyprov`);
    expect(err.oneLine()).toMatch(/ECONNREFUSED|refused/);
    expect(err.oneLine()).not.toContain("TopSecretPw");
  });

  it("PostgreSQL that accepts but never answers: STATE_UNAVAILABLE after the connect deadline", async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((sock) => sockets.add(sock));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const port = (silent.address() as { port: number }).port;
    try {
      const err = await rejection(
        openState(`postgres://u:pw123456@127.0.0.1:${port}/db`, {
          migrate: false,
          postgres: { connectTimeoutMs: 300 },
        }),
      );
      expect(err.code).toBe("STATE_UNAVAILABLE");
      expect(err.oneLine()).toMatch(/timeout/i);
      expect(err.oneLine()).not.toContain("pw123456");
    } finally {
      for (const sock of sockets) sock.destroy();
      silent.close();
    }
  });
});
