import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { PyprovError } from "../../src/errors.js";
import { mapPool } from "../../src/util/pool.js";

/** Wraps a task function, tracking how many run at once and which ones started/ended. */
function tracker() {
  const t = {
    inFlight: 0,
    maxInFlight: 0,
    started: [] as number[],
    ended: [] as number[],
    wrap<R>(fn: (i: number) => Promise<R>): (item: unknown, i: number) => Promise<R> {
      return async (_item, i) => {
        t.started.push(i);
        t.inFlight++;
        t.maxInFlight = Math.max(t.maxInFlight, t.inFlight);
        try {
          return await fn(i);
        } finally {
          t.inFlight--;
          t.ended.push(i);
        }
      };
    },
  };
  return t;
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe("mapPool", () => {
  it("keeps input order with random delays and never exceeds the limit", async () => {
    const t = tracker();
    const items = range(40);
    const out = await mapPool(
      items,
      4,
      t.wrap(async (i) => {
        await sleep(Math.floor(Math.random() * 8));
        return `r${i}`;
      }),
    );
    expect(out).toEqual(items.map((i) => `r${i}`));
    expect(t.maxInFlight).toBe(4);
    expect(t.started).toEqual(items); // started in index order
    expect(t.inFlight).toBe(0);
  });

  it("passes each item and its index", async () => {
    const seen: [string, number][] = [];
    await mapPool(["a", "b", "c"], 2, async (item, i) => {
      seen.push([item, i]);
      return item;
    });
    expect(seen.sort()).toEqual([
      ["a", 0],
      ["b", 1],
      ["c", 2],
    ]);
  });

  it("limit 1 is sequential; a limit above the item count (or Infinity) runs all at once", async () => {
    for (const [limit, expected] of [
      [1, 1],
      [100, 5],
      [Infinity, 5],
    ] as const) {
      const t = tracker();
      await mapPool(
        range(5),
        limit,
        t.wrap(() => sleep(2)),
      );
      expect(t.maxInFlight).toBe(expected);
    }
  });

  it("returns [] for no items without calling fn", async () => {
    let calls = 0;
    const progress: number[] = [];
    expect(
      await mapPool([], 3, async () => calls++, { onProgress: (d) => progress.push(d) }),
    ).toEqual([]);
    expect(calls).toBe(0);
    expect(progress).toEqual([]);
  });

  it.each([0, -1, 1.5, Number.NaN])("rejects the limit %s as a USAGE error", async (limit) => {
    const err = await mapPool([1], limit, async (x) => x).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PyprovError);
    expect((err as PyprovError).code).toBe("USAGE");
  });

  it("on failure: starts nothing new, waits for running calls, rejects with the first error", async () => {
    const t = tracker();
    const boom = new Error("item 5 failed");
    let inFlightAtRejection = -1;
    const p = mapPool(
      range(30),
      3,
      t.wrap(async (i) => {
        await sleep(i === 5 ? 1 : 15);
        if (i === 5) throw boom;
        return i;
      }),
    );
    const err = await p.catch((e: unknown) => {
      inFlightAtRejection = t.inFlight;
      return e;
    });
    expect(err).toBe(boom);
    expect(inFlightAtRejection).toBe(0);
    // 0-2 ran, then 3-5 took their slots; after 5 failed nothing else started.
    expect(t.started).toEqual(range(6));
    expect(t.ended.sort((a, b) => a - b)).toEqual(t.started.sort((a, b) => a - b));
  });

  it("the first error in time wins, and a synchronous throw counts as a rejection", async () => {
    const early = new Error("early");
    const err = await mapPool(range(3), 3, (i) => {
      if (i === 2) throw early;
      return sleep(10).then(() => {
        throw new Error(`late ${i}`);
      });
    }).catch((e: unknown) => e);
    expect(err).toBe(early);
  });

  it("settle: true runs every item and reports each outcome in order", async () => {
    const t = tracker();
    const out = await mapPool(
      range(10),
      3,
      t.wrap(async (i) => {
        await sleep(Math.floor(Math.random() * 5));
        if (i % 3 === 0) throw new Error(`bad ${i}`);
        return i * 10;
      }),
      { settle: true },
    );
    expect(t.started.sort((a, b) => a - b)).toEqual(range(10));
    expect(t.maxInFlight).toBeLessThanOrEqual(3);
    expect(out).toHaveLength(10);
    out.forEach((r, i) => {
      if (i % 3 === 0) {
        expect(r.status).toBe("rejected");
        expect(r.status === "rejected" && (r.reason as Error).message).toBe(`bad ${i}`);
      } else {
        expect(r).toEqual({ status: "fulfilled", value: i * 10 });
      }
    });
  });

  it("reports progress once per settled item, failures included", async () => {
    const calls: [number, number][] = [];
    await mapPool(
      range(7),
      2,
      async (i) => {
        await sleep(i % 3);
        if (i === 4) throw new Error("x");
      },
      { settle: true, onProgress: (done, total) => calls.push([done, total]) },
    );
    expect(calls).toEqual(range(7).map((i) => [i + 1, 7]));
  });

  it("a throwing progress callback fails the map", async () => {
    const oops = new Error("progress sink broke");
    const err = await mapPool(range(5), 2, async (i) => i, {
      onProgress: (done) => {
        if (done === 2) throw oops;
      },
    }).catch((e: unknown) => e);
    expect(err).toBe(oops);
  });

  it("an already-aborted signal rejects with its reason without calling fn", async () => {
    let calls = 0;
    const reason = new Error("cancelled");
    const err = await mapPool(range(3), 2, async () => calls++, {
      signal: AbortSignal.abort(reason),
    }).catch((e: unknown) => e);
    expect(err).toBe(reason);
    expect(calls).toBe(0);
  });

  it("aborting mid-way starts nothing new, waits for running calls, rejects with the reason", async () => {
    const t = tracker();
    const ac = new AbortController();
    const reason = new Error("stop");
    let inFlightAtRejection = -1;
    const p = mapPool(
      range(20),
      2,
      t.wrap(async (i) => {
        if (i === 3) ac.abort(reason);
        await sleep(5);
        return i;
      }),
      { signal: ac.signal, settle: true },
    );
    const err = await p.catch((e: unknown) => {
      inFlightAtRejection = t.inFlight;
      return e;
    });
    expect(err).toBe(reason);
    expect(inFlightAtRejection).toBe(0);
    expect(t.started).toEqual([0, 1, 2, 3]);
    expect(t.ended.sort((a, b) => a - b)).toEqual([0, 1, 2, 3]);
  });
});
