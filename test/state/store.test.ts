/**
 * One behavioural suite, run against the embedded SQLite store and a real
 * PostgreSQL: the verdict cache by its full key, first use decided once for
 * two "nodes" (two store instances on one database), the decision log's
 * order, filters and idempotence, migrations (idempotent, concurrent, a newer
 * schema refused), and a real outage.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PyprovError } from "../../src/errors.js";
import { SCHEMA_VERSION } from "../../src/state/migrations.js";
import { openState } from "../../src/state/open.js";
import type { StateStore, StoredVerdict, VerdictKey } from "../../src/state/types.js";
import { hex, postgresBackend, row, sqliteBackend, type Backend } from "./backends.js";

async function rejection(p: Promise<unknown>): Promise<PyprovError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, "expected a rejection").toBeInstanceOf(PyprovError);
  return err as PyprovError;
}

const KEY: VerdictKey = {
  file: hex("1"),
  provenance: hex("2"),
  policy: hex("3"),
  trustRoot: hex("4"),
};
const VERDICT: StoredVerdict = {
  outcome: "fail",
  reasons: ["POLICY_PUBLISHER: github:evil/pkg is not in the policy"],
  report: { filename: "acme_pkg-1.0.0-py3-none-any.whl", verdict: "failed", checks: [{ id: "x" }] },
  decidedAt: "2026-12-01T10:00:00.123+01:00",
  node: "node-a:8750",
};

describe.each([sqliteBackend(), postgresBackend()])("state store: $name", (backend: Backend) => {
  const open: StateStore[] = [];
  const opened = async (url: string, migrate = true) => {
    const s = await openState(url, { migrate, busyTimeoutMs: 100 });
    open.push(s);
    return s;
  };
  beforeAll(() => backend.setup());
  afterAll(async () => {
    for (const s of open) await s.close();
    backend.teardown();
  });

  describe("verdict cache", () => {
    it("is found by its full key only: another file, provenance, policy or trust root is a miss", async () => {
      const s = await opened(await backend.fresh());
      expect(await s.getVerdict(KEY)).toBeUndefined();
      await s.putVerdict(KEY, VERDICT);
      expect(await s.getVerdict({ ...KEY })).toEqual({
        ...VERDICT,
        decidedAt: "2026-12-01T09:00:00.123Z",
      });
      for (const other of [
        { ...KEY, file: hex("9") },
        { ...KEY, provenance: "absent" },
        { ...KEY, policy: hex("9") },
        { ...KEY, trustRoot: hex("9") },
      ]) {
        expect(await s.getVerdict(other)).toBeUndefined();
      }
    });

    it("is shared by every node, last writer wins, and an absent provenance is a key of its own", async () => {
      const url = await backend.fresh();
      const a = await opened(url);
      const b = await opened(url);
      await a.putVerdict(KEY, VERDICT);
      expect((await b.getVerdict(KEY))?.outcome).toBe("fail");
      await b.putVerdict(KEY, { ...VERDICT, outcome: "pass", reasons: [], node: "node-b" });
      expect(await a.getVerdict(KEY)).toMatchObject({
        outcome: "pass",
        reasons: [],
        node: "node-b",
      });
      const absent = { ...KEY, provenance: "absent" };
      await a.putVerdict(absent, { ...VERDICT, outcome: "unattested", reasons: ["no provenance"] });
      expect((await b.getVerdict(absent))?.outcome).toBe("unattested");
      expect((await b.getVerdict(KEY))?.outcome).toBe("pass");
    });

    it("refuses a malformed key or verdict instead of storing or missing it", async () => {
      const s = await opened(await backend.fresh());
      expect((await rejection(s.getVerdict({ ...KEY, file: "ABC" }))).code).toBe("INTERNAL");
      const bad = { ...VERDICT, outcome: "maybe" } as unknown as StoredVerdict;
      expect((await rejection(s.putVerdict(KEY, bad))).code).toBe("INTERNAL");
      expect(await s.getVerdict(KEY)).toBeUndefined();
    });
  });

  describe("continuity baselines", () => {
    it("a first use is recorded once; a later publisher changes nothing", async () => {
      const s = await opened(await backend.fresh());
      expect(await s.baseline("acme-pkg")).toEqual([]);
      expect(await s.recordFirstUse("acme-pkg", "github:acme/pkg#1", "n1")).toEqual({
        recorded: true,
        baseline: ["github:acme/pkg#1"],
      });
      expect(await s.recordFirstUse("acme-pkg", "github:evil/pkg#2", "n2")).toEqual({
        recorded: false,
        baseline: ["github:acme/pkg#1"],
      });
      expect(await s.baseline("acme-pkg")).toEqual(["github:acme/pkg#1"]);
      expect(await s.baseline("other")).toEqual([]);
    });

    it("N concurrent first uses with different publishers on two nodes: exactly one recorded, all see it", async () => {
      const url = await backend.fresh();
      const nodes = [await opened(url), await opened(url)];
      const N = 24;
      for (const project of ["race-one", "race-two"]) {
        const results = await Promise.all(
          Array.from({ length: N }, (_, i) =>
            nodes[i % 2]!.recordFirstUse(project, `github:owner${i}/pkg#${i}`, `node-${i % 2}`),
          ),
        );
        const winners = results.filter((r) => r.recorded);
        expect(winners).toHaveLength(1);
        const baseline = winners[0]!.baseline;
        expect(baseline).toHaveLength(1);
        for (const r of results) expect(r.baseline).toEqual(baseline);
        for (const s of nodes) expect(await s.baseline(project)).toEqual(baseline);
      }
    });
  });

  describe("decision log", () => {
    it("returns rows in the order they were appended, with every field", async () => {
      const url = await backend.fresh();
      const a = await opened(url);
      const b = await opened(url);
      const first = [row(), row(), row()];
      // Appended later but decided earlier: the log keeps append order.
      const second = [row({ time: "2026-01-01T00:00:00Z", node: "node-b" })];
      await a.appendDecisions(first);
      await b.appendDecisions(second);
      await a.appendDecisions([]);
      const all = await b.decisions({});
      expect(all).toEqual([...first, { ...second[0]!, time: "2026-01-01T00:00:00.000Z" }]);
    });

    it("a row whose id is already logged lands once (a retried write)", async () => {
      const s = await opened(await backend.fresh());
      const rows = [row(), row()];
      await s.appendDecisions(rows);
      await s.appendDecisions([rows[1]!, rows[0]!, row({ id: rows[0]!.id, project: "changed" })]);
      const later = row();
      await s.appendDecisions([later, later]);
      expect((await s.decisions({})).map((r) => r.id)).toEqual([
        rows[0]!.id,
        rows[1]!.id,
        later.id,
      ]);
      expect((await s.decisions({}))[0]!.project).toBe("acme-pkg");
    });

    it("filters by time, project and verdict, together", async () => {
      const s = await opened(await backend.fresh());
      const rows = [
        row({ time: "2026-12-01T10:00:00Z", project: "alpha", verdict: "served" }),
        row({ time: "2026-12-01T11:00:00+01:00", project: "beta", verdict: "blocked" }),
        row({ time: "2026-12-01T11:00:00Z", project: "alpha", verdict: "blocked" }),
        row({ time: "2026-12-02T00:00:00Z", project: "alpha", verdict: "allowed-unattested" }),
      ];
      await s.appendDecisions(rows);
      const ids = async (f: Parameters<StateStore["decisions"]>[0]) =>
        (await s.decisions(f)).map((r) => rows.findIndex((x) => x.id === r.id));
      expect(await ids({ since: "2026-12-01T10:30:00Z" })).toEqual([2, 3]);
      // 11:00+01:00 is 10:00Z: at "since" exactly is included.
      expect(await ids({ since: "2026-12-01T10:00:00Z" })).toEqual([0, 1, 2, 3]);
      expect(await ids({ project: "alpha" })).toEqual([0, 2, 3]);
      expect(await ids({ verdict: "blocked" })).toEqual([1, 2]);
      expect(
        await ids({ project: "alpha", verdict: "blocked", since: "2026-12-01T10:59:59Z" }),
      ).toEqual([2]);
      expect(await ids({ project: "gamma" })).toEqual([]);
    });

    it("a batch with one invalid row writes none of it", async () => {
      const s = await opened(await backend.fresh());
      const bad = row({ sha256: "not-a-digest" });
      const err = await rejection(s.appendDecisions([row(), bad]));
      expect(err.code).toBe("INTERNAL");
      expect(err.message).toMatch(/decision row 2.*sha256/);
      expect(await s.decisions({})).toEqual([]);
    });
  });

  describe("migrations", () => {
    it("are idempotent: a second migrate applies nothing and the data stays", async () => {
      const url = await backend.fresh();
      const first = await opened(url);
      expect(first.migration).toEqual({ from: 0, to: SCHEMA_VERSION, applied: [1] });
      await first.appendDecisions([row()]);
      const again = await opened(url);
      expect(again.migration).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION, applied: [] });
      expect(await again.decisions({})).toHaveLength(1);
      const checked = await opened(url, false);
      expect(checked.migration).toBeUndefined();
    });

    it("two nodes migrating one empty database at once: both open, the schema is applied once", async () => {
      const url = await backend.fresh();
      const both = await Promise.all([
        openState(url, { migrate: true }),
        openState(url, { migrate: true }),
      ]);
      open.push(...both);
      expect(both.map((s) => s.migration!.applied).sort()).toEqual([[], [1]]);
      await both[0]!.appendDecisions([row()]);
      expect(await both[1]!.decisions({})).toHaveLength(1);
    });

    it("without migrating, an empty store is refused with STATE_SCHEMA naming the command", async () => {
      const url = await backend.fresh();
      if (backend.name === "sqlite") {
        // Reading a file that does not exist creates nothing.
        const err = await rejection(openState(url, { migrate: false }));
        expect(err.code).toBe("STATE_UNAVAILABLE");
        await backend.exec(url, "CREATE TABLE unrelated (x)");
      }
      const err = await rejection(openState(url, { migrate: false }));
      expect(err.code).toBe("STATE_SCHEMA");
      expect(err.oneLine()).toContain("pyprov state migrate");
    });

    it("a schema newer than this build is refused (STATE_SCHEMA), migrating or not", async () => {
      const url = await backend.fresh();
      await opened(url);
      await backend.exec(
        url,
        `INSERT INTO pyprov_schema_version (version, description, applied_at) VALUES (${SCHEMA_VERSION + 1}, 'from the future', '2027-01-01T00:00:00Z')`,
      );
      for (const migrate of [true, false]) {
        const err = await rejection(openState(url, { migrate }));
        expect(err.code).toBe("STATE_SCHEMA");
        expect(err.oneLine()).toContain(
          `version ${SCHEMA_VERSION + 1}, newer than this pyprov knows (${SCHEMA_VERSION})`,
        );
      }
    });
  });

  describe("outage", () => {
    it("an unreachable store is STATE_UNAVAILABLE (no password in the message), and usable again after", async () => {
      const url = await backend.fresh();
      const s = await opened(url);
      await s.putVerdict(KEY, VERDICT);
      const end = await backend.outage(url);
      let errors: PyprovError[];
      try {
        errors = [
          await rejection(s.appendDecisions([row()])),
          await rejection(s.putVerdict(KEY, VERDICT)),
          await rejection(s.recordFirstUse("acme-pkg", "github:acme/pkg#1", "n1")),
        ];
        if (backend.readsFailInOutage) {
          errors.push(
            await rejection(s.getVerdict(KEY)),
            await rejection(s.ping()),
            await rejection(s.decisions({})),
            await rejection(openState(url, { migrate: false })),
          );
        } else {
          expect((await s.getVerdict(KEY))?.outcome).toBe("fail");
        }
      } finally {
        await end();
      }
      for (const e of errors) {
        expect(e.code).toBe("STATE_UNAVAILABLE");
        const secret = backend.secret();
        if (secret) expect(e.oneLine()).not.toContain(secret);
      }
      await s.appendDecisions([row()]);
      expect(await s.decisions({})).toHaveLength(1);
      expect((await s.getVerdict(KEY))?.outcome).toBe("fail");
    });

    it("a closed store is STATE_UNAVAILABLE, not a miss", async () => {
      const s = await opened(await backend.fresh());
      await s.close();
      expect((await rejection(s.getVerdict(KEY))).code).toBe("STATE_UNAVAILABLE");
      expect((await rejection(s.appendDecisions([row()]))).code).toBe("STATE_UNAVAILABLE");
    });
  });
});
