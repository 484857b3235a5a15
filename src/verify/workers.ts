/**
 * A small pool of worker threads that verify provenance in parallel with the
 * main thread's network I/O: verification is CPU-bound (ECDSA, ASN.1, JSON),
 * so on a machine with several cores a run over many files finishes sooner.
 * Workers exist only in the built package (dist/verify-worker.js); a job that
 * cannot be sent to one is verified inline.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { PyprovError, type ErrorCode } from "../errors.js";
import { PACKAGE_ROOT } from "../paths.js";
import type { LoadedTrustRoot } from "../sigstore/trust-root.js";
import type { ProvenanceBytesJob } from "./provenance-bytes.js";
import type { TargetReport } from "./types.js";

export const WORKER_SCRIPT = join(PACKAGE_ROOT, "dist", "verify-worker.js");

type Reply =
  | { id: number; report: TargetReport }
  | { id: number; error: { code: ErrorCode; message: string; source?: string } };

interface Slot {
  worker: Worker;
  busy: number;
}

export class VerifierPool {
  private readonly slots: Slot[];
  private readonly pending = new Map<
    number,
    { resolve: (r: TargetReport) => void; reject: (e: unknown) => void }
  >();
  private nextId = 0;
  private failure: Error | undefined;

  private constructor(size: number, root: LoadedTrustRoot) {
    this.slots = Array.from({ length: size }, () => {
      const worker = new Worker(WORKER_SCRIPT, {
        workerData: { root: new Uint8Array(root.raw), source: root.source },
      });
      const slot: Slot = { worker, busy: 0 };
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
  static create(size: number, root: LoadedTrustRoot): VerifierPool | undefined {
    if (size < 1 || !existsSync(WORKER_SCRIPT)) return undefined;
    return new VerifierPool(size, root);
  }

  /** Verify on the least busy worker. Rejects with the worker's PyprovError, or on a worker crash. */
  run(job: ProvenanceBytesJob): Promise<TargetReport> {
    if (this.failure) return Promise.reject(this.failure);
    const slot = this.slots.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.nextId++;
    return new Promise<TargetReport>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (slot.busy++ === 0) slot.worker.ref();
      slot.worker.postMessage({ id, job });
    });
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
