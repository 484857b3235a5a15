/**
 * A small pool of worker threads that verify provenance in parallel with the
 * main thread's network I/O: verification is CPU-bound (ECDSA, ASN.1, JSON),
 * so on a machine with several cores a run over many files finishes sooner.
 * Workers exist only in the built package (dist/verify-worker.js).
 *
 * With `shareWithMain`, the calling thread verifies too: a job goes to a
 * worker only once that worker has started (loading the bundle and the
 * trusted root takes it ~100-200 ms) and while it has fewer than
 * MAX_IN_FLIGHT jobs; otherwise it is verified inline at once. On two cores
 * this keeps both busy without ever waiting for a worker to start. Both
 * facts live in memory shared with the worker: the main thread, busy
 * verifying, may not return to its event loop (where messages arrive) until
 * the run is nearly over.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { PyprovError, type ErrorCode } from "../errors.js";
import { PACKAGE_ROOT } from "../paths.js";
import type { LoadedTrustRoot } from "../sigstore/trust-root.js";
import type { ProvenanceBytesJob } from "./provenance-bytes.js";
import { IN_FLIGHT, READY, WORKER_STATE_BYTES } from "./worker-state.js";
import type { TargetReport } from "./types.js";

export const WORKER_SCRIPT = join(PACKAGE_ROOT, "dist", "verify-worker.js");

type Reply =
  | { id: number; report: TargetReport }
  | { id: number; error: { code: ErrorCode; message: string; source?: string } };

interface Slot {
  worker: Worker;
  /** Jobs whose reply has not arrived yet (keeps the process alive while > 0). */
  busy: number;
  /** Shared with the worker: [READY] is 1 once it takes jobs; [IN_FLIGHT] jobs sent, not finished. */
  state: Int32Array;
}

/** Jobs queued on one worker before the main thread (when sharing) verifies the next itself. */
const MAX_IN_FLIGHT = 4;

export interface PoolOptions {
  /** Verify on the calling thread whenever no started worker has room (see above). */
  shareWithMain?: boolean;
}

export class VerifierPool {
  private readonly slots: Slot[];
  private readonly pending = new Map<
    number,
    { resolve: (r: TargetReport) => void; reject: (e: unknown) => void }
  >();
  private nextId = 0;
  private failure: Error | undefined;

  private constructor(
    size: number,
    root: LoadedTrustRoot,
    private readonly shareWithMain: boolean,
  ) {
    this.slots = Array.from({ length: size }, () => {
      const state = new Int32Array(new SharedArrayBuffer(WORKER_STATE_BYTES));
      const worker = new Worker(WORKER_SCRIPT, {
        workerData: { root: new Uint8Array(root.raw), source: root.source, state },
      });
      const slot: Slot = { worker, busy: 0, state };
      worker.on("message", (msg: Reply) => {
        // An idle worker must not keep the process alive; a busy one must.
        if (--slot.busy === 0) worker.unref();
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if ("report" in msg) p.resolve(msg.report);
        else
          p.reject(
            new PyprovError(
              msg.error.code,
              msg.error.message,
              msg.error.source ? { source: msg.error.source } : {},
            ),
          );
      });
      worker.on("error", (err: Error) => this.fail(err));
      worker.unref();
      return slot;
    });
  }

  /** A pool of `size` workers, or undefined when the worker script is not built. */
  static create(
    size: number,
    root: LoadedTrustRoot,
    opts: PoolOptions = {},
  ): VerifierPool | undefined {
    if (size < 1 || !existsSync(WORKER_SCRIPT)) return undefined;
    return new VerifierPool(size, root, opts.shareWithMain === true);
  }

  /**
   * Verify on the least busy worker, or (when sharing with the main thread
   * and no started worker has room) with `inline`. Rejects with the worker's
   * PyprovError, or on a worker crash.
   */
  run(job: ProvenanceBytesJob, inline: () => TargetReport): Promise<TargetReport> {
    if (this.failure) return Promise.reject(this.failure);
    const candidates = this.shareWithMain
      ? this.slots.filter(
          (s) =>
            Atomics.load(s.state, READY) === 1 && Atomics.load(s.state, IN_FLIGHT) < MAX_IN_FLIGHT,
        )
      : this.slots;
    if (candidates.length === 0) {
      try {
        return Promise.resolve(inline());
      } catch (err) {
        return Promise.reject(err as Error);
      }
    }
    const slot = candidates.reduce((a, b) =>
      Atomics.load(b.state, IN_FLIGHT) < Atomics.load(a.state, IN_FLIGHT) ? b : a,
    );
    const id = this.nextId++;
    return new Promise<TargetReport>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (slot.busy++ === 0) slot.worker.ref();
      Atomics.add(slot.state, IN_FLIGHT, 1);
      slot.worker.postMessage({ id, job });
    });
  }

  /** Whether at least one worker has loaded the trusted root and takes jobs. */
  hasStartedWorker(): boolean {
    return this.slots.some((s) => Atomics.load(s.state, READY) === 1);
  }

  private fail(err: Error): void {
    this.failure = new PyprovError("INTERNAL", `a verification worker failed: ${err.message}`, {
      cause: err,
    });
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
