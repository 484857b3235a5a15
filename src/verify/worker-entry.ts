/**
 * A verification worker (bundled as dist/verify-worker.js): it receives the
 * trusted root once, then verifies provenance jobs and posts back reports.
 * Errors travel back as { code, message } and become "error" verdicts.
 */
import { parentPort, workerData } from "node:worker_threads";
import { PyprovError, describeError } from "../errors.js";
import { parseTrustedRoot } from "../sigstore/trust-root.js";
import { AttestationCryptoVerifier } from "../sigstore/verifier.js";
import { verifyProvenanceBytes, type ProvenanceBytesJob } from "./provenance-bytes.js";
import { IN_FLIGHT, READY } from "./worker-state.js";

interface Init {
  root: Uint8Array;
  source: string;
  /** Shared with the pool: see worker-state.ts. */
  state: Int32Array;
}

const init = workerData as Init;
const crypto = new AttestationCryptoVerifier(parseTrustedRoot(Buffer.from(init.root), init.source));
Atomics.store(init.state, READY, 1);

function reply(job: ProvenanceBytesJob): object {
  try {
    return { report: verifyProvenanceBytes(job, crypto) };
  } catch (err) {
    return {
      error: {
        code: err instanceof PyprovError ? err.code : "INTERNAL",
        message: err instanceof PyprovError ? err.message : describeError(err),
        source: err instanceof PyprovError ? err.source : undefined,
      },
    };
  }
}

parentPort?.on("message", (msg: { id: number; job: ProvenanceBytesJob }) => {
  const answer = reply(msg.job);
  Atomics.sub(init.state, IN_FLIGHT, 1); // room for the next job, before the reply is even read
  parentPort?.postMessage({ id: msg.id, ...answer });
});
