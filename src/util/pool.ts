/**
 * Bounded-concurrency map over an array, results in input order.
 *
 * At most `limit` calls of `fn` run at once; items are started in index order.
 *
 * Failure (default mode): when `fn` rejects (or throws), no further items are
 * started, the calls already running are awaited, and the promise rejects
 * with the first error. So when `mapPool` settles, no `fn` call is still
 * running.
 *
 * `settle: true`: every item runs; the result for each is a
 * `PromiseSettledResult` (like `Promise.allSettled`) in input order.
 *
 * Abort (either mode): once `signal` aborts, no further items are started,
 * running calls are awaited, and the promise rejects with `signal.reason`
 * (unless an `fn` error came first, in default mode). `fn` is not given the
 * signal; pass it to the work yourself to cut running calls short.
 *
 * `onProgress(done, total)` is called after each item settles, fulfilled or
 * rejected. If it throws, that is treated as a failure in both modes.
 */
import { PyprovError } from "../errors.js";

export interface MapPoolOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  settle?: boolean;
}

export function mapPool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  opts: MapPoolOptions & { settle: true },
): Promise<PromiseSettledResult<R>[]>;
export function mapPool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  opts?: MapPoolOptions & { settle?: false },
): Promise<R[]>;
export async function mapPool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  opts: MapPoolOptions = {},
): Promise<R[] | PromiseSettledResult<R>[]> {
  if (!(limit === Infinity || (Number.isSafeInteger(limit) && limit >= 1))) {
    throw new PyprovError("USAGE", `concurrency limit must be a positive integer, not ${limit}`);
  }
  const { signal, onProgress } = opts;
  const settle = opts.settle === true;
  signal?.throwIfAborted();
  const total = items.length;
  const results = new Array<R | PromiseSettledResult<R>>(total);
  let next = 0;
  let done = 0;
  let failure: { error: unknown } | undefined;
  const fail = (error: unknown): void => {
    failure ??= { error };
  };
  const onAbort = (): void => fail(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });

  const worker = async (): Promise<void> => {
    while (failure === undefined && next < total) {
      const i = next++;
      try {
        const value = await fn(items[i] as T, i);
        results[i] = settle ? { status: "fulfilled", value } : value;
      } catch (error) {
        if (settle) results[i] = { status: "rejected", reason: error };
        else fail(error);
      }
      done++;
      try {
        onProgress?.(done, total);
      } catch (error) {
        fail(error);
      }
    }
  };

  try {
    const workers: Promise<void>[] = [];
    for (let w = 0; w < Math.min(limit, total); w++) workers.push(worker());
    await Promise.all(workers);
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  if (failure !== undefined) throw failure.error;
  return settle ? (results as PromiseSettledResult<R>[]) : (results as R[]);
}
