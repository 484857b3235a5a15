/**
 * The decision journal and the ResilientStore around it, against both real
 * backends: rows decided while the store is away are queued on disk and land
 * after it is back, in order, exactly once; a crash's torn last line is
 * ignored; a flush interrupted after the write lands once.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DecisionJournal, journalPath } from "../../src/state/journal.js";
import { openState } from "../../src/state/open.js";
import { ResilientStore, openResilientState } from "../../src/state/resilient.js";
import type { StateStore } from "../../src/state/types.js";
import { hex, postgresBackend, row, sqliteBackend, type Backend } from "./backends.js";

const dir = mkdtempSync(join(tmpdir(), "pyprov-journal-"));
let files = 0;
const newPath = () => join(dir, `j${++files}`, "journal.jsonl");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function until(cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("the journal file", () => {
  it("keeps queued rows across a reopen (a restart), in order", async () => {
    const path = newPath();
    const j = await DecisionJournal.open(path);
    const rows = [row(), row(), row()];
    await j.append(rows.slice(0, 2));
    await j.append(rows.slice(2));
    expect(j.queued).toBe(3);
    await j.close();
    const again = await DecisionJournal.open(path);
    expect(again.pending()).toEqual(rows);
    await again.close();
  });

  it("ignores a torn last line (a crash mid-write) and cuts it off, so the next row is whole", async () => {
    const path = newPath();
    const j = await DecisionJournal.open(path);
    const rows = [row(), row()];
    await j.append(rows);
    await j.close();
    const torn = JSON.stringify(row()).slice(0, 57);
    appendFileSync(path, torn);
    const warnings: string[] = [];
    const again = await DecisionJournal.open(path, { onWarning: (m) => warnings.push(m) });
    expect(again.pending()).toEqual(rows);
    expect(warnings.join("\n")).toMatch(/torn last line \(57 bytes\)/);
    const next = row();
    await again.append([next]);
    await again.close();
    const lines = readFileSync(path, "utf8").split("\n");
    expect(lines).toHaveLength(4);
    expect(lines.slice(0, 3).map((l) => (JSON.parse(l) as { id: string }).id)).toEqual([
      rows[0]!.id,
      rows[1]!.id,
      next.id,
    ]);
    expect((await DecisionJournal.open(path)).pending()).toEqual([...rows, next]);
  });

  it("moves a complete line that is not a decision row aside instead of writing or dropping it", async () => {
    const path = newPath();
    const good = row();
    const bad = JSON.stringify({ ...row(), verdict: "maybe" });
    const j0 = await DecisionJournal.open(path);
    await j0.close();
    writeFileSync(path, `${JSON.stringify(good)}\n${bad}\nnot json\n`);
    const warnings: string[] = [];
    const j = await DecisionJournal.open(path, { onWarning: (m) => warnings.push(m) });
    expect(j.pending()).toEqual([good]);
    expect(warnings).toHaveLength(2);
    expect(readFileSync(`${path}.rejected`, "utf8")).toBe(`${bad}\nnot json\n`);
    expect(readFileSync(path, "utf8")).toBe(`${JSON.stringify(good)}\n`);
    await j.close();
  });

  it("names a node's journal after the node, safely", () => {
    expect(journalPath("/c", "ci-runner-7:8750")).toBe("/c/state/journal-ci-runner-7_8750.jsonl");
    expect(journalPath("/c", "../../etc/x")).toBe("/c/state/journal-.._.._etc_x.jsonl");
  });
});

describe.each([sqliteBackend(), postgresBackend()])(
  "queued decisions: $name",
  (backend: Backend) => {
    beforeAll(() => backend.setup());
    afterAll(() => backend.teardown());
    const opts = { busyTimeoutMs: 100 };

    it("rows logged while the store is away land after it is back, in order, exactly once", async () => {
      const url = await backend.fresh();
      const store = await openState(url, { migrate: true, ...opts });
      const journal = await DecisionJournal.open(newPath());
      const events: string[] = [];
      const rs = new ResilientStore(store, journal, {
        retryMs: 50,
        maxRetryMs: 200,
        onEvent: (m) => events.push(m),
      });
      const before = [row(), row()];
      await rs.appendDecisions(before);
      expect(rs.degraded).toBe(false);

      const end = await backend.outage(url);
      const during = Array.from({ length: 12 }, () => row());
      try {
        // Some awaited one by one, some at once: each resolves once it is on disk.
        for (const r of during.slice(0, 4)) await rs.appendDecisions([r]);
        await Promise.all(during.slice(4).map((r) => rs.appendDecisions([r])));
        expect(rs.degraded).toBe(true);
        expect(rs.queued).toBe(12);
        expect(rs.reason).toMatch(/unavailable|locked|connect|terminat/i);
        // The retries keep failing while it is away: nothing is lost or written.
        await new Promise((r) => setTimeout(r, 300));
        expect(rs.queued).toBe(12);
      } finally {
        await end();
      }
      // Back, but rows are still queued: a new row goes behind them, not before.
      const justBack = row();
      await rs.appendDecisions([justBack]);
      await until(() => rs.queued === 0 && !rs.degraded);
      const after = row();
      await rs.appendDecisions([after]);
      const check = await openState(url, { migrate: false });
      const ids = (await check.decisions({})).map((r) => r.id);
      expect(ids).toEqual([...before, ...during, justBack, after].map((r) => r.id));
      const flushed = events.map((e) => Number(/^wrote (\d+) queued/.exec(e)?.[1] ?? 0));
      expect(flushed.reduce((a, b) => a + b, 0)).toBe(13);
      await check.close();
      await rs.close();
    });

    it("a flush interrupted after the store took the rows (a crash) writes them once on the next start", async () => {
      const url = await backend.fresh();
      const path = newPath();
      const store = await openState(url, { migrate: true, ...opts });
      const journal = await DecisionJournal.open(path);
      const rows = [row(), row(), row()];
      await journal.append(rows);
      // The crash: the store has the rows, the journal was never truncated.
      await store.appendDecisions(rows);
      await journal.close();
      await store.close();

      const rs = await openResilientState(url, {
        migrate: false,
        node: "n1",
        journalPath: path,
        retryMs: 20,
        ...opts,
      });
      await until(() => rs.queued === 0);
      expect((await rs.decisions({})).map((r) => r.id)).toEqual(rows.map((r) => r.id));
      await rs.close();
      expect(readFileSync(path, "utf8")).toBe("");
    });

    it("reads fail through (the caller falls back), and mark the store degraded until it answers", async () => {
      if (!backend.readsFailInOutage) {
        // SQLite in WAL mode: readers are never blocked, so a read cannot fail here;
        // a write is what degrades it (the test above).
        const url = await backend.fresh();
        const rs = await openResilientState(url, {
          migrate: true,
          node: "n",
          journalPath: newPath(),
          ...opts,
        });
        const end = await backend.outage(url);
        try {
          expect(
            await rs.getVerdict({
              file: hex("1"),
              provenance: "absent",
              policy: hex("2"),
              trustRoot: hex("3"),
            }),
          ).toBeUndefined();
          expect(rs.degraded).toBe(false);
        } finally {
          await end();
        }
        await rs.close();
        return;
      }
      const url = await backend.fresh();
      const rs = await openResilientState(url, {
        migrate: true,
        node: "n",
        journalPath: newPath(),
        retryMs: 50,
        maxRetryMs: 100,
        ...opts,
      });
      const key = { file: hex("1"), provenance: "absent", policy: hex("2"), trustRoot: hex("3") };
      const end = await backend.outage(url);
      try {
        await expect(rs.getVerdict(key)).rejects.toMatchObject({ code: "STATE_UNAVAILABLE" });
        await expect(rs.recordFirstUse("p", "github:a/b#1", "n")).rejects.toMatchObject({
          code: "STATE_UNAVAILABLE",
        });
        expect(rs.degraded).toBe(true);
      } finally {
        await end();
      }
      // The background probe notices it is back without any caller asking.
      await until(() => !rs.degraded);
      expect(await rs.getVerdict(key)).toBeUndefined();
      await rs.close();
    });

    it("a store error that is not an outage is not queued: it reaches the caller", async () => {
      const url = await backend.fresh();
      const rs = new ResilientStore(
        (await openState(url, { migrate: true, ...opts })) as StateStore,
        await DecisionJournal.open(newPath()),
      );
      await expect(rs.appendDecisions([row({ mode: "lenient" as "audit" })])).rejects.toMatchObject(
        {
          code: "INTERNAL",
        },
      );
      expect(rs.queued).toBe(0);
      await rs.close();
    });
  },
);
